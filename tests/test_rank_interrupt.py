"""Ctrl-C during a rank: the certified partial result goes with the interrupt (`tnrnn.rank.RankInterrupted`), and
``tnrnn rank`` prints it, as ``--timeout`` does, then exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

import tnrnn.rank.engine as engine
from tnrnn.cli import main
from tnrnn.rank import RankInterrupted, separation_rank
from tnrnn.testing import child_env, sigint_as_in_a_terminal

SIZES = (3, 2, 3, 4)  # continuous rank 8 below the proven cap 16: repetitions go on until the bound is met


@pytest.fixture
def interrupt_second_repetition(monkeypatch):
    """The first repetition runs as usual; Ctrl-C arrives during the second one."""
    real = engine._Run.repetition
    calls = []

    def repetition(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(engine._Run, "repetition", repetition)
    return calls


def test_interrupt_carries_the_finished_repetitions(interrupt_second_repetition, tmp_path):
    first = separation_rank(*SIZES, domain="continuous", n_seeds=1, confidence="fast")  # seed 0 alone
    interrupt_second_repetition.clear()
    atlas = tmp_path / "atlas.sqlite"
    with pytest.raises(RankInterrupted) as info:
        separation_rank(*SIZES, domain="continuous", n_seeds=3, confidence="fast", cache=str(atlas))
    assert isinstance(info.value, KeyboardInterrupt)  # a script or a sweep stops as on any Ctrl-C
    res = info.value.result
    assert res.status == "partial" and res.extra["stopped"].startswith("interrupted")
    assert res.rank == first.rank > 0 and res.seeds == [0] and res.failure_bound is None
    from tnrnn.rank.store import Atlas

    assert Atlas(str(atlas)).rows() == []  # an interrupted result is not stored


def test_cli_prints_the_partial_result_and_exits_130(interrupt_second_repetition, capsys):
    code = main(["rank", *_sizes_argv(), "--domain", "continuous", "--no-cache", "--json"])
    out, err = capsys.readouterr()
    assert code == 130
    res = json.loads(out)
    assert res["status"] == "partial" and res["extra"]["stopped"].startswith("interrupted") and res["seeds"] == [0]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted (SIGINT)" in lines[0] and "Traceback" not in err


def _sizes_argv():
    return [f for k, v in zip(("--M", "--R", "--L", "--T"), SIZES, strict=True) for f in (k, str(v))]


def test_sigint_during_a_real_rank(tmp_path):
    """A real SIGINT part-way through a rank of some seconds: one JSON object on stdout, exit 130."""
    argv = ["rank", "--M", "3", "--R", "3", "--L", "3", "--T", "8", "--no-cache", "--json", "--no-progress"]
    with sigint_as_in_a_terminal():
        proc = subprocess.Popen(
            [sys.executable, "-m", "tnrnn", *argv],
            env=child_env(),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        first = proc.stderr.readline()  # the plan line: the engine has started
        assert "plan:" in first, first
        time.sleep(1.0)
        assert proc.poll() is None, "the rank finished before the signal could be sent"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    res = json.loads(out)
    assert res["status"] in ("partial", "proven") and res["rank"] >= 0
    if res["status"] == "partial":
        assert res["extra"]["stopped"].startswith("interrupted")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
