"""Diagrams (tnrnn.draw): layout invariants and the structure of the drawn artists."""

import itertools
import subprocess
import sys

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tnrnn.build import build_network  # noqa: E402
from tnrnn.cuts import min_cut  # noqa: E402
from tnrnn.draw import (  # noqa: E402
    LABEL_LIMIT,
    computation_graph_figure,
    draw_computation_graph,
    draw_network,
    network_layout,
)

CASES = [
    (3, 2, 1, 6, "continuous"),
    (3, 2, 2, 4, "continuous"),
    (2, 2, 3, 4, "continuous"),
    (3, 2, 2, 4, "onehot"),
    (2, 3, 3, 6, "onehot"),
    (2, 2, 2, 8, "continuous"),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


@pytest.mark.parametrize("M,R,L,T,domain", CASES)
def test_layout_places_every_node_apart(M, R, L, T, domain):
    g = build_network(M, R, L, T, domain=domain)
    pos = network_layout(g)
    assert list(pos) == list(g.names)  # every node, in node order
    pts = np.array(list(pos.values()))
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    d[np.diag_indices(len(pts))] = np.inf
    assert d.min() >= 0.5  # no two nodes overlap
    # inputs share the bottom row, at least two units apart (their labels cannot collide)
    inputs = sorted(pos[n] for n in g.input_nodes)
    assert len({y for _, y in inputs}) == 1
    assert inputs[0][1] == pts[:, 1].min()
    xs = sorted(x for x, _ in inputs)
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 2.0 if len(xs) > 1 else True
    assert network_layout(g) == pos  # deterministic


def test_shallow_layout_is_a_chain():
    g = build_network(3, 2, 1, 6)
    pos = network_layout(g)
    rows = {pos[n][1] for n in g.nodes_with_role("copy")} | {pos[n][1] for n in g.nodes_with_role("W_H")}
    assert len(rows) == 1  # the MPS: copy tensors and W^H on one row, legs hanging below
    xs = [pos[f"h1_{t}.0"][0] for t in range(1, 7)]
    assert xs == sorted(xs)  # time runs left to right


@pytest.mark.parametrize("M,R,L,T,domain", CASES)
def test_drawn_nodes_and_cut_match_the_graph(M, R, L, T, domain):
    g = build_network(M, R, L, T, domain=domain)
    cut = min_cut(g)
    fig, ax = draw_network(g, cut=cut)
    assert fig is ax.figure
    nodes = [n for c in _drawn(ax, "tn-nodes") for n in c.tnrnn_names]
    assert sum(len(c.get_offsets()) for c in _drawn(ax, "tn-nodes")) == g.n_nodes
    assert sorted(nodes) == sorted(g.names)
    # the highlighted edges are exactly the cut edges, drawn between their endpoints
    (cut_coll,) = _drawn(ax, "tn-cut-edges")
    assert sorted(cut_coll.tnrnn_edges) == sorted(cut.cut_edges)
    pos = network_layout(g)
    for seg, index in zip(cut_coll.get_segments(), cut_coll.tnrnn_edges, strict=True):
        u, v = g.edge_nodes(index)
        assert {tuple(seg[0]), tuple(seg[1])} == {pos[u], pos[v]}
    others = [e for c in _drawn(ax, "tn-edges") for e in c.tnrnn_edges]
    assert sorted(others + list(cut_coll.tnrnn_edges)) == sorted(g.edge_indices)
    (ring,) = _drawn(ax, "tn-cut-copies")
    assert sorted(ring.tnrnn_names) == sorted(cut.cut_copies)
    # the bound is written beside the cut
    assert any(str(cut.bound) in t.get_text() and "rank" in t.get_text() for t in ax.texts)


def test_cut_kinds_are_both_exercised():
    """The cases above include a cut through edges only and a cut through copy tensors."""
    edges_only = min_cut(build_network(3, 2, 2, 4))
    copies = min_cut(build_network(3, 2, 2, 4, domain="onehot"))
    assert edges_only.cut_edges and not edges_only.cut_copies
    assert copies.cut_copies


def test_no_cut_draws_no_highlight():
    g = build_network(2, 2, 2, 4)
    _, ax = draw_network(g, cut=None)
    (cut_coll,) = _drawn(ax, "tn-cut-edges")
    assert cut_coll.tnrnn_edges == ()
    assert not _drawn(ax, "tn-cut-copies")


def test_inputs_coloured_by_side():
    g = build_network(3, 2, 2, 4)
    _, ax = draw_network(g, cut=min_cut(g))
    (inputs,) = [c for c in _drawn(ax, "tn-nodes") if c.tnrnn_names[0].startswith("x")]
    colours = inputs.get_facecolors()
    times = [g.times[g.node_id[n]] for n in inputs.tnrnn_names]
    start = {tuple(c) for c, t in zip(colours, times, strict=True) if t <= 2}
    end = {tuple(c) for c, t in zip(colours, times, strict=True) if t > 2}
    assert len(start) == 1 and len(end) == 1 and start != end


def test_large_network_is_drawn_compactly_without_labels():
    g = build_network(2, 2, 3, 10)  # 1076 nodes
    assert g.n_nodes > LABEL_LIMIT
    cut = min_cut(g)
    _, ax = draw_network(g, cut=cut)
    assert sum(len(c.get_offsets()) for c in _drawn(ax, "tn-nodes")) == g.n_nodes
    assert len(ax.texts) == 1  # only the bound
    (cut_coll,) = _drawn(ax, "tn-cut-edges")
    assert sorted(cut_coll.tnrnn_edges) == sorted(cut.cut_edges)


@pytest.mark.parametrize("L,T", [(1, 4), (3, 4), (2, 6)])
def test_computation_graph_nodes(L, T):
    _, ax = draw_computation_graph(L, T)
    (coll,) = [c for c in ax.collections if c.get_gid() == "cg-nodes"]
    names = coll.tnrnn_names
    assert len(names) == len(coll.get_offsets()) == T * (L + 1) + L + 1
    assert {n for n in names if n.startswith("h")} == {f"h{t},{l}" for t in range(1, T + 1) for l in range(1, L + 1)}
    # one recurrent and one input arrow into every hidden node, one output arrow
    assert len([p for p in ax.patches]) + len(ax.texts) > 0
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 2 * T * L + 1
    assert sum(t.get_text() == r"$\odot$" for t in ax.texts) == T * L


def test_computation_graph_figure_side_by_side():
    fig, axes = computation_graph_figure(T=4, depths=(1, 3))
    assert len(axes) == 2 and all(a.figure is fig for a in axes)
    assert "L = 1" in axes[0].get_title() and "L = 3" in axes[1].get_title()


def test_import_tnrnn_does_not_import_matplotlib():
    code = "import tnrnn, tnrnn.draw, tnrnn.figures, tnrnn.plots, sys; assert 'matplotlib' not in sys.modules, 1"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- validation (issue 10) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("graph", ["graph", None, 3, {"names": ()}])
def test_draw_network_refuses_non_graphs(graph):
    from tnrnn._types import ArgumentError

    with pytest.raises(ArgumentError) as info:
        draw_network(graph)
    assert info.value.name == "graph"


def test_draw_network_refuses_a_bad_cut_and_labels():
    from tnrnn._types import ArgumentError

    g = build_network(2, 2, 1, 4)
    with pytest.raises(ArgumentError) as info:
        draw_network(g, cut="the cut")
    assert info.value.name == "cut"
    with pytest.raises(ArgumentError) as info:
        draw_network(g, labels="yes")
    assert info.value.name == "labels"
