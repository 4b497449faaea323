"""The installed command, run as a user would (a fresh process each time)."""

import json
import subprocess
import sys


def _run(*argv):
    return subprocess.run([sys.executable, "-m", "tnrnn", *argv], capture_output=True, text=True, timeout=300)


def test_rank_and_bounds_as_a_process():
    out = _run("rank", "--M", "2", "--R", "2", "--L", "2", "--T", "8", "--domain", "continuous", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["rank"] == 10 and d["method"] == "modp"
    out = _run("bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "8", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["state_upper"] == 10


def test_bad_argument_exits_2_with_one_line():
    out = _run("rank", "--M", "2", "--R", "2", "--L", "2", "--T", "7")
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "T=7" in lines[0]
