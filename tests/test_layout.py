"""The package layout: the internal import graph has no cycle, whether its imports are at module level or not.

That `import tnrnn.network`, `tnrnn.bounds` and `tnrnn.cuts` load neither JAX nor matplotlib is checked in one
subprocess by `tests/test_cli_errors.py::test_structure_modules_import_neither_jax_nor_matplotlib`.
"""

from pathlib import Path

import pytest
from conftest import load_benchmark


@pytest.fixture(scope="module")
def import_graph():
    return load_benchmark("import_graph")


def test_no_module_level_import_cycle(import_graph):
    eager, deferred = import_graph.import_graph()
    assert {"tnrnn.network", "tnrnn.cuts", "tnrnn.rank.engine"} <= set(eager)
    assert "tnrnn.network" in eager["tnrnn.cuts"]
    assert import_graph.cycles(eager) == []
    text, status = import_graph.report(check_only=True)
    assert status == 0 and "module-level cycles: 0" in text, text


def test_no_cycle_even_through_imports_inside_functions(import_graph):
    eager, deferred = import_graph.import_graph()
    both = {m: sorted(set(eager.get(m, [])) | set(deferred.get(m, []))) for m in set(eager) | set(deferred)}
    assert import_graph.cycles(both) == []
    assert import_graph.cycles(import_graph.rooms(both)) == []  # nor between rooms (plots <-> tasks was one)
    assert "tnrnn.rank.store" in both["tnrnn.rank.engine"] and "tnrnn.rank.engine" not in both["tnrnn.rank.store"]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "tnrnn"


def test_the_check_finds_a_cycle(import_graph, tmp_path):
    """The check fails on a package whose modules import each other, and tells a deferred import apart."""
    root = _write(
        tmp_path,
        {
            "tnrnn/__init__.py": "",
            "tnrnn/a.py": "from tnrnn import b\n",
            "tnrnn/b.py": "from .sub.c import f\n",
            "tnrnn/sub/__init__.py": "",
            "tnrnn/sub/c.py": "import tnrnn.a\ndef f():\n    from tnrnn import d\n",
            "tnrnn/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tnrnn import a\n"
            "def g():\n    from . import sub\n",
        },
    )
    eager, deferred = import_graph.import_graph(root)
    assert eager["tnrnn.b"] == ["tnrnn.sub.c"] and eager["tnrnn.d"] == []
    assert deferred["tnrnn.sub.c"] == ["tnrnn.d"] and deferred["tnrnn.d"] == ["tnrnn.sub"]
    assert import_graph.cycles(eager) == [["tnrnn.a", "tnrnn.b", "tnrnn.sub.c"]]
    text, status = import_graph.report(root, check_only=True)
    assert status == 1 and "tnrnn.a <-> tnrnn.b <-> tnrnn.sub.c" in text, text


def test_plots_package_reexports_every_subject_module():
    import tnrnn.plots
    from tnrnn.plots import cells, gated, linear, memory, rank

    names = set()
    for module in (cells, gated, linear, memory, rank):
        for name in module.__all__:
            assert getattr(tnrnn.plots, name) is getattr(module, name), name
        names |= set(module.__all__)
    assert names == set(tnrnn.plots.__all__)


def test_plots_cells_is_a_deprecated_alias(monkeypatch):
    import importlib
    import sys

    import tnrnn.plots.cells

    monkeypatch.delitem(sys.modules, "tnrnn.plots_cells", raising=False)
    with pytest.warns(DeprecationWarning, match="tnrnn.plots"):
        old = importlib.import_module("tnrnn.plots_cells")
    assert old.plot_cells_rank_vs_T is tnrnn.plots.cells.plot_cells_rank_vs_T
    assert old.CELL_STYLE is tnrnn.plots.cells.CELL_STYLE


def test_drawing_layout_is_apart_from_rendering():
    """`tnrnn.layout` places the nodes without matplotlib; `tnrnn.draw` re-exports its names."""
    import subprocess
    import sys

    import tnrnn.draw
    import tnrnn.layout

    for name in ("network_layout", "radial_layout", "drawing_layout", "DrawingLayout", "LABEL_LIMIT", "UNIT_INCHES"):
        assert getattr(tnrnn.draw, name) is getattr(tnrnn.layout, name), name
    code = (
        "import sys, tnrnn.layout as lay, tnrnn.build as b\n"
        "pos = lay.drawing_layout(b.build_network(2, 2, 2, 4)).pos\n"
        "assert len(pos) == b.build_network(2, 2, 2, 4).n_nodes, pos\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'jax'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


#: branches on a cell's name that remain outside tnrnn/cells, by file (none: every trainable cell answers through the
#: cell protocol). The test fails on any new branch.
_TRAINABLE_BRANCHES: dict[str, int] = {}


def test_nothing_outside_the_cells_branches_on_a_cell_name():
    """DESIGN.md: the cell is the unit; code outside ``tnrnn/cells`` asks the cell, never compares its name."""
    import re

    from tnrnn.cells import CELL_REGISTRY

    names = "|".join(map(re.escape, CELL_REGISTRY.names()))  # the trainable-only cells too
    branch = re.compile(
        rf"""(==|!=)\s*['"]({names})['"]|['"]({names})['"]\s*(==|!=)|\bin\s*[(\[{{]\s*['"]({names})['"]"""
    )
    root = Path(__file__).resolve().parent.parent
    found: dict[str, list[str]] = {}
    for path in sorted((root / "tnrnn").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("tnrnn/cells/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if branch.search(line):
                found.setdefault(rel, []).append(f"{rel}:{number}: {line.strip()}")
    assert {rel: len(lines) for rel, lines in found.items()} == _TRAINABLE_BRANCHES, found
    assert (
        branch.search('if cell == "rac":')
        and branch.search("elif 'mi' != name")
        and not branch.search('if domain == "onehot":')
    )


def test_ci_installs_what_every_optional_test_imports():
    """No test can skip in CI for a missing module: ``.ci/run`` installs extras that provide every importorskip."""
    import configparser
    import re

    root = Path(__file__).resolve().parent.parent
    run = (root / ".ci" / "run").read_text()
    installed = re.search(r'pip install -q "\.\[([a-z,]+)\]"', run)
    assert installed, run
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    extras = cfg["options.extras_require"]
    requirements = " ".join(extras[name] for name in installed.group(1).split(","))
    # the distribution that provides each module the tests import optionally
    provides = {"dask": "dask[distributed]", "quimb": "quimb", "cotengra": "cotengra", "jax": None}
    skipped = set()
    for path in (root / "tests").glob("test_*.py"):
        skipped |= set(re.findall(r'importorskip\("([a-z_]+)', path.read_text()))
    assert skipped >= {"dask", "quimb", "cotengra"}, skipped  # the check sees the optional tests
    for module in sorted(skipped):
        assert module in provides, f"{module}: say which extra provides it"
        if provides[module] is not None:  # jax is a dependency of the package itself
            assert provides[module] in requirements, (module, installed.group(1))


def test_modules_stay_under_500_lines():
    """Every module under 500 lines (issue 21's measure): a module that grows past it is split by concern."""
    root = Path(__file__).resolve().parent.parent
    sizes = {p.relative_to(root).as_posix(): len(p.read_text().splitlines()) for p in (root / "tnrnn").rglob("*.py")}
    assert len(sizes) > 50 and max(sizes.values()) > 300  # the walk found the package
    assert {rel: n for rel, n in sizes.items() if n >= 500} == {}
