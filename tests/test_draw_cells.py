"""``tnrnn draw --cell NAME``: the tensor network of every cell that has one, drawn with its min-cut."""

import json
import os

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from tnrnn.build import build_network, network_size  # noqa: E402
from tnrnn.cli import main  # noqa: E402
from tnrnn.cuts import min_cut  # noqa: E402
from tnrnn.draw import draw_network, drawing_layout, network_layout  # noqa: E402

#: cells with a tensor network, and small sizes (M, R, L, T) to draw them at
NETWORK_CELLS = {"rac": (2, 2, 2, 4), "bilinear": (2, 2, 2, 4), "mi": (2, 2, 2, 4), "quad": (2, 2, 1, 4)}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _sizes(M, R, L, T):
    return ["--M", str(M), "--R", str(R), "--L", str(L), "--T", str(T)]


@pytest.mark.parametrize("cell", sorted(NETWORK_CELLS))
def test_draw_cli_writes_the_cells_network_with_its_cut(cell, tmp_path, capsys):
    M, R, L, T = NETWORK_CELLS[cell]
    out = tmp_path / f"{cell}.png"
    code, stdout, err = _run(["draw", "--cell", cell, *_sizes(M, R, L, T), "--out", str(out), "--json"], capsys)
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d = json.loads(stdout)
    graph = build_network(M, R, L, T, cell=cell, domain="continuous")
    assert (d["nodes"], d["edges"]) == (graph.n_nodes, graph.n_edges)
    assert d["cut_bound"] == min_cut(graph).bound
    if cell != "rac":  # the cell's own network, not the RAC's
        assert graph.meta["cell"] == cell
        assert d["nodes"] == network_size(M, R, L, T, cell=cell, domain="continuous")


@pytest.mark.parametrize("cell", ["bilinear", "mi", "quad"])
@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_every_node_of_a_cell_network_is_drawn(cell, domain):
    M, R, L, T = NETWORK_CELLS[cell]
    graph = build_network(M + 1, R, L, T, domain=domain, cell=cell)
    fig, ax = draw_network(graph, cut=min_cut(graph))
    drawn = [n for c in ax.collections if c.get_gid() == "tn-nodes" for n in c.tnrnn_names]
    assert sorted(drawn) == sorted(graph.names)  # the cores too, each once
    cut = [e for c in ax.collections if c.get_gid() == "tn-cut-edges" for e in c.tnrnn_edges]
    assert sorted(cut) == sorted(min_cut(graph).cut_edges)


@pytest.mark.parametrize("cell", ["bilinear", "mi"])
def test_a_shallow_cell_network_is_drawn_as_a_chain(cell):
    # the recurrent branch of each core continues on its row: a shallow cell is a matrix product state
    graph = build_network(2, 2, 1, 6, cell=cell, domain="continuous")
    pos = network_layout(graph)
    cores = [n for n, r in zip(graph.names, graph.roles, strict=True) if r == "core"]
    assert len(cores) == 6
    assert len({pos[n][1] for n in cores}) == 1
    inputs = [pos[n][1] for n in graph.input_nodes]
    assert max(inputs) < pos[cores[0]][1]


def test_a_wide_quad_tree_is_wrapped_around_a_circle():
    graph = build_network(2, 2, 2, 4, cell="quad", domain="continuous")  # 680 nodes, a single place to fold
    lay = drawing_layout(graph)
    assert lay.kind == "radial"
    assert set(lay.pos) == set(graph.names)


def test_draw_refuses_a_cell_without_a_network(tmp_path, capsys):
    out = tmp_path / "linear.png"
    code, stdout, err = _run(["draw", "--cell", "linear", *_sizes(2, 2, 2, 4), "--out", str(out)], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "'linear' has no tensor network" in lines[0] and "Traceback" not in err
    assert stdout == "" and not out.exists()


def test_draw_refuses_a_large_quad_network_early_with_its_node_count(tmp_path, capsys, monkeypatch, request):
    import tnrnn.build

    def no_build(*a, **k):  # the refusal must come from the closed-form count, before anything is built
        raise AssertionError("built")

    form = tnrnn.build._FORMS["squared"]
    saved = tnrnn.build.NETWORK_BUILDERS.snapshot()
    tnrnn.build.NETWORK_BUILDERS.register("squared", form._replace(build=no_build), replace=True)
    request.addfinalizer(lambda: tnrnn.build.NETWORK_BUILDERS.restore(saved))
    out = tmp_path / "quad.png"
    code, stdout, err = _run(["draw", "--cell", "quad", *_sizes(2, 2, 3, 12), "--out", str(out)], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    count = network_size(2, 2, 3, 12, cell="quad", domain="continuous")
    assert str(count) in lines[0] and "T=12" in lines[0]
    assert not out.exists() and not os.listdir(tmp_path)


def test_draw_bad_cell_name_lists_the_cells(tmp_path, capsys):
    out = tmp_path / "x.png"
    code, stdout, err = _run(["draw", "--cell", "elman", *_sizes(2, 2, 2, 4), "--out", str(out)], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "elman" in lines[0]
    for name in ("rac", "bilinear", "mi", "quad", "linear"):
        assert repr(name) in lines[0]
    assert not out.exists()
