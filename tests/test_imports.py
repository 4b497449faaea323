"""What importing tnrnn loads: each check runs in one fresh interpreter (a process per check, not per module).

Importing only adds modules, so a heavy module missing after every import of a group is missing after each one
alone; the child reports, after each step, which of the heavy modules have appeared, so a failure names the
first step that loaded one.
"""

import json
import os
import subprocess
import sys

from tnrnn.testing import child_env

_CHILD = """
import contextlib, io, json, sys
heavy = {heavy!r}
report = []
def step(label, code):
    exec(code, {{"contextlib": contextlib, "io": io}})
    report.append([label, sorted(m for m in heavy if m in sys.modules)])
{steps}
print(json.dumps(report))
"""


def _first_heavy_steps(steps, heavy, cwd=None) -> list:
    """Run ``steps`` (label, code) in order in one child; the steps after which a module of ``heavy`` was loaded."""
    body = "\n".join(f"step({label!r}, {code!r})" for label, code in steps)
    script = _CHILD.format(heavy=sorted(heavy), steps=body)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=child_env(), cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [label for label, _ in report] == [label for label, _ in steps]  # every step ran
    return [(label, loaded) for label, loaded in report if loaded]


def test_the_heavy_modules_are_seen_when_loaded():
    """The check can fail: a step that imports a heavy module is reported."""
    found = _first_heavy_steps([("numpy", "import numpy"), ("json", "import json")], {"numpy", "matplotlib"})
    assert found == [("numpy", ["numpy"]), ("json", ["numpy"])]


def test_no_import_loads_matplotlib_or_the_interop_extras():
    """Plotting modules import matplotlib on first use only; tnrnn.interop imports quimb / cotengra on use."""
    steps = [
        (m, f"import {m}")
        for m in ("tnrnn", "tnrnn.tasks", "tnrnn.plots", "tnrnn.draw", "tnrnn.figures", "tnrnn.interop", "tnrnn.cli")
    ]
    steps.append(("every name of tnrnn.__all__", "import tnrnn\nfor n in tnrnn.__all__:\n    getattr(tnrnn, n)\n"))
    assert _first_heavy_steps(steps, {"matplotlib", "quimb", "cotengra"}) == []


_MAIN = (
    "from tnrnn.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):\n"
    "    code = main({argv!r})\n"
    "assert code == {code}, (code, {argv!r})\n"
)
_HELP = (
    "from tnrnn.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()) as buf:\n"
    "    try:\n        main(['table', '--help'])\n    except SystemExit as e:\n        assert e.code == 0\n"
    "assert '(default: markdown)' in buf.getvalue()\n"
)
_CELL_BOUNDS = (
    "import tnrnn.cells as b\n"
    "for c in ('rac', 'bilinear', 'mi', 'quad', 'linear'):\n"
    "    b.bounds_report(2, 2, 2, 6, cell=c)\n"
    "    b.cell_upper_bounds(c, 2, 2, 3, 5, domain='onehot', partition='interleaved')\n"
)


def test_structure_modules_error_paths_and_structure_verbs_load_neither_jax_nor_matplotlib(tmp_path):
    """The structure modules, the bounds of every cell, the CLI's refusals and its structure verbs."""
    steps = [
        (m, f"import {m}") for m in ("tnrnn", "tnrnn.network", "tnrnn.bounds", "tnrnn.cuts", "tnrnn.build", "tnrnn._io")
    ]
    steps.append(("cell bounds", _CELL_BOUNDS))
    refused = [
        ["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--seed", "-1"],
        ["experiment", "ses", "--T", "8", "--out", "o", "--lr", "inf"],
        ["linear", "lag-weights", "--rho2", "-1"],
        ["figures", "--out", "f", "--only", "x"],
        ["table", "--T", "3"],
    ]
    structure = [
        ["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "8"],
        ["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "8"],
        ["network", "--M", "2", "--R", "2", "--L", "2", "--T", "8"],
    ]
    steps += [(" ".join(argv), _MAIN.format(argv=argv, code=2)) for argv in refused]
    steps += [(" ".join(argv), _MAIN.format(argv=argv, code=0)) for argv in structure]
    steps.append(("table --help", _HELP))
    assert _first_heavy_steps(steps, {"jax", "jaxlib", "matplotlib"}, cwd=tmp_path) == []
    assert os.listdir(tmp_path) == []  # the refusals wrote nothing
