"""Diagrams (tnrnn.draw): layout invariants and the structure of the drawn artists."""

import contextlib
import io
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
    drawing_layout,
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
    assert len(xs) > 1 and min(b - a for a, b in itertools.pairwise(xs)) >= 2.0
    assert network_layout(g) == pos  # deterministic


def test_shallow_layout_is_a_chain():
    g = build_network(3, 2, 1, 6, domain="continuous")
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
    pos = drawing_layout(g).pos
    for seg, index in zip(cut_coll.get_segments(), cut_coll.tnrnn_edges, strict=True):
        u, v = g.edge_nodes(index)
        assert {tuple(seg[0]), tuple(seg[-1])} == {pos[u], pos[v]}
    others = [e for c in _drawn(ax, "tn-edges") for e in c.tnrnn_edges]
    assert sorted(others + list(cut_coll.tnrnn_edges)) == sorted(g.edge_indices)
    (ring,) = _drawn(ax, "tn-cut-copies")
    assert sorted(ring.tnrnn_names) == sorted(cut.cut_copies)
    # the bound is written beside the cut
    assert any(str(cut.bound) in t.get_text() and "rank" in t.get_text() for t in ax.texts)


def test_cut_kinds_are_both_exercised():
    """The cases above include a cut through edges only and a cut through copy tensors."""
    edges_only = min_cut(build_network(3, 2, 2, 4, domain="continuous"))
    copies = min_cut(build_network(3, 2, 2, 4, domain="onehot"))
    assert edges_only.cut_edges and not edges_only.cut_copies
    assert copies.cut_copies


def test_no_cut_draws_no_highlight():
    g = build_network(2, 2, 2, 4, domain="continuous")
    _, ax = draw_network(g, cut=None)
    (cut_coll,) = _drawn(ax, "tn-cut-edges")
    assert cut_coll.tnrnn_edges == ()
    assert not _drawn(ax, "tn-cut-copies")


def test_inputs_coloured_by_side():
    g = build_network(3, 2, 2, 4, domain="continuous")
    _, ax = draw_network(g, cut=min_cut(g))
    (inputs,) = [c for c in _drawn(ax, "tn-nodes") if c.tnrnn_names[0].startswith("x")]
    colours = inputs.get_facecolors()
    times = [g.times[g.node_id[n]] for n in inputs.tnrnn_names]
    start = {tuple(c) for c, t in zip(colours, times, strict=True) if t <= 2}
    end = {tuple(c) for c, t in zip(colours, times, strict=True) if t > 2}
    assert len(start) == 1 and len(end) == 1 and start != end


def test_large_network_is_drawn_compactly_without_labels():
    g = build_network(2, 2, 3, 10, domain="continuous")  # 1076 nodes
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
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 2 * T * L + 1
    assert sum(t.get_text() == r"$\odot$" for t in ax.texts) == T * L


def test_computation_graph_figure_side_by_side():
    fig, axes = computation_graph_figure(T=4, depths=(1, 3))
    assert len(axes) == 2 and all(a.figure is fig for a in axes)
    assert "L = 1" in axes[0].get_title() and "L = 3" in axes[1].get_title()


# --- the size rule, folding and the cut annotation -------------------------------------------------------------


@pytest.mark.parametrize("M,R,L,T", [(2, 2, 4, 4), (2, 2, 3, 8)])
def test_wide_trees_are_folded_into_legible_bands(M, R, L, T):
    from tnrnn.draw import MAX_WIDTH_INCHES, UNIT_INCHES

    g = build_network(M, R, L, T, domain="continuous")
    straight = network_layout(g)
    lay = drawing_layout(g)
    assert lay.kind == "folded" and len(lay.bands) >= 2
    assert len(lay.wraps) == len(lay.bands) - 1
    # the folded drawing is narrower than the straight one, and no two nodes share a place
    width = lambda p: max(x for x, _ in p.values()) - min(x for x, _ in p.values())  # noqa: E731
    assert width(lay.pos) < width(straight)
    pts = np.array(list(lay.pos.values()))
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    d[np.diag_indices(len(pts))] = np.inf
    assert d.min() >= 0.5
    # each wrap line joins the two nodes of its edge and passes through no node on the way
    for index, line in lay.wraps.items():
        u, v = g.edge_nodes(index)
        assert {line[0], line[-1]} == {lay.pos[u], lay.pos[v]}
        for (ax_, ay), (bx, by) in itertools.pairwise(line[1:-1]):
            for x, y in lay.pos.values():
                on_x = min(ax_, bx) - 0.3 <= x <= max(ax_, bx) + 0.3
                on_y = min(ay, by) - 0.3 <= y <= max(ay, by) + 0.3
                assert not (on_x and on_y)
    # drawn at the legible scale: every label (legend included) at the default 10 pt or more
    fig, ax = draw_network(g, cut=min_cut(g))
    assert fig.get_figwidth() >= width(lay.pos) * UNIT_INCHES  # at least the legible scale ...
    assert fig.get_figwidth() <= (width(lay.pos) + 10) * UNIT_INCHES  # ... with margins (row names, wraps) only
    assert width(lay.pos) * UNIT_INCHES < max(MAX_WIDTH_INCHES, width(straight) * UNIT_INCHES / 2)
    texts = ax.texts + ax.get_legend().get_texts()
    assert min(t.get_fontsize() for t in texts) >= 10


def test_small_networks_are_not_folded():
    lay = drawing_layout(build_network(3, 2, 2, 4, domain="continuous"))
    assert lay.kind == "straight" and not lay.wraps


@pytest.mark.parametrize("M,R,L,T,domain", CASES)
def test_cut_arrows_cross_no_node(M, R, L, T, domain):
    g = build_network(M, R, L, T, domain=domain)
    _, ax = draw_network(g, cut=min_cut(g))
    pos = drawing_layout(g).pos
    arrows = [a for a in ax.texts if a.get_gid() == "tn-cut-arrow"]
    for a in arrows:
        (px, py), (qx, qy) = a.xy, a.xyann
        assert px == qx  # vertical drops from the annotation row
        for x, y in pos.values():
            assert not (abs(x - px) < 0.4 and min(py, qy) + 0.3 < y < max(py, qy))
    bound = [t for t in ax.texts if t.get_gid() == "tn-cut-bound"]
    assert len(bound) == 1
    # the annotation sits above every node
    assert bound[0].get_position()[1] > max(y for _, y in pos.values())


def test_shallow_cut_gets_an_arrow():
    g = build_network(3, 2, 1, 6, domain="continuous")
    _, ax = draw_network(g, cut=min_cut(g))
    assert [a for a in ax.texts if a.get_gid() == "tn-cut-arrow"]


# --- files: formats, editable SVG text, the draw verb ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_save_figure_writes_each_format(tmp_path, fmt):
    from tnrnn.draw import save_figure

    fig, _ = draw_network(build_network(3, 2, 2, 4, domain="continuous"), cut=None)
    path = tmp_path / f"net.{fmt}"
    assert save_figure(fig, path) == fmt
    data = path.read_bytes()
    magic = {"svg": b"<?xml", "pdf": b"%PDF", "png": b"\x89PNG"}[fmt]
    assert data.startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    if fmt == "svg":
        text = data.decode()
        assert text.count("<text") >= 10  # labels are text elements ...
        assert "Start input" in text  # ... holding their characters (not outlined glyph paths)
        assert '<use xlink:href="#DejaVuSans' not in text


def test_save_figure_leaves_global_rcparams_alone(tmp_path):
    from tnrnn.draw import save_figure

    before = matplotlib.rcParams["svg.fonttype"]
    fig, _ = draw_network(build_network(2, 2, 1, 4, domain="continuous"), cut=None)
    save_figure(fig, tmp_path / "a.svg")
    assert matplotlib.rcParams["svg.fonttype"] == before


def test_saved_figure_has_tight_margins(tmp_path):
    from matplotlib.image import imread

    from tnrnn.draw import save_figure

    def margin(path):  # the widest blank border, in inches
        img = imread(path)[..., :3]
        ink = np.argwhere(img.min(axis=-1) < 0.9)
        h, w = img.shape[:2]
        (top, left), (bottom, right) = ink.min(0), ink.max(0)
        return max(top, left, h - 1 - bottom, w - 1 - right) / 150

    g = build_network(3, 2, 1, 6, domain="continuous")  # a small network in a figure whose legend sets its width
    fig, _ = draw_network(g, cut=min_cut(g))
    save_figure(fig, tmp_path / "tight.png", pad=0.04)
    fig.savefig(tmp_path / "plain.png", dpi=150)
    assert margin(tmp_path / "tight.png") < margin(tmp_path / "plain.png")
    assert margin(tmp_path / "tight.png") <= 0.3  # inches: the pad, plus text boxes and the row-name column


def _cli(*args, cwd=None, process=False):
    """``tnrnn ARGS``: in this process (`tnrnn.cli.main`, output captured), or as a fresh process."""
    if process:
        return subprocess.run([sys.executable, "-m", "tnrnn", *args], capture_output=True, text=True, cwd=cwd)
    from tnrnn.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or "."), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_draw_verb_writes_each_format(tmp_path, fmt):
    import json

    out = tmp_path / f"net.{fmt}"
    # PNG as a user runs it (a fresh process picks its own backend), the other formats in process
    res = _cli(
        "draw", "--M", "3", "--R", "2", "--L", "2", "--T", "4", "--out", str(out), "--json", process=fmt == "png"
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    g = build_network(3, 2, 2, 4, domain="continuous")
    assert data == {
        "out": str(out),
        "format": fmt,
        "nodes": g.n_nodes,
        "edges": g.n_edges,
        "cut_bound": min_cut(g).bound,
    }
    assert out.stat().st_size > 0


def test_draw_verb_options(tmp_path):
    import json

    out = tmp_path / "net.svg"
    res = _cli(
        "draw",
        "--M",
        "2",
        "--R",
        "2",
        "--L",
        "2",
        "--T",
        "6",
        "--domain",
        "onehot",
        "--partition",
        "interleaved",
        "--out",
        str(out),
        "--json",
    )
    assert res.returncode == 0, res.stderr
    g = build_network(2, 2, 2, 6, domain="onehot")
    assert json.loads(res.stdout)["cut_bound"] == min_cut(g, "interleaved").bound
    res = _cli("draw", "--M", "2", "--R", "2", "--L", "1", "--T", "4", "--no-cut", "--out", str(out), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["cut_bound"] is None


@pytest.mark.parametrize(
    "args,name",
    [
        (["--out", "net.jpg"], "out"),
        (["--out", "net"], "out"),
        (["--out", "net.svg", "--domain", "discrete"], "domain"),
        (["--out", "net.svg", "--partition", "1,2;2,3"], "partition"),
        (["--out", "net.svg", "--T", "5"], "T"),
        (["--out", "net.svg", "--M", "0"], "M"),
        (["--out", "net.svg", "--width", "0"], "width"),
        (["--out", "net.svg", "--height", "500"], "height"),
        (["--out", "net.svg", "--font-size", "2"], "font_size"),
        (["--out", "net.svg", "--font-size", "nan"], "font_size"),
    ],
)
def test_draw_verb_bad_arguments_exit_2_in_one_line(tmp_path, args, name):
    base = {"--M": "3", "--R": "2", "--L": "2", "--T": "4"}
    for k in args[::2]:
        base.pop(k, None)
    argv = ["draw", *[x for kv in base.items() for x in kv], *args]
    res = _cli(*argv, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{name}=" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def _svg_size(path) -> tuple[float, float]:
    """``(width, height)`` in points of a saved SVG (its root element's attributes)."""
    import re

    head = path.read_text()[:2000]
    w, h = re.search(r'<svg[^>]*width="([\d.]+)pt"[^>]*height="([\d.]+)pt"', head).groups()
    return float(w), float(h)


@pytest.mark.parametrize("width,height", [(8.0, 4.5), (5.0, 6.0), (13.33, 7.5)])
def test_draw_verb_honours_width_and_height(tmp_path, width, height):
    """With --width and --height the file has exactly that size: SVG in points, PNG in pixels at 150 dpi."""
    from matplotlib.image import imread

    size = ["--width", str(width), "--height", str(height)]
    base = ["draw", "--M", "2", "--R", "2", "--L", "2", "--T", "6", *size]
    assert _cli(*base, "--out", str(tmp_path / "a.svg")).returncode == 0
    w, h = _svg_size(tmp_path / "a.svg")
    assert (w, h) == pytest.approx((72 * width, 72 * height), abs=0.5)
    assert _cli(*base, "--out", str(tmp_path / "a.png")).returncode == 0
    rows, cols = imread(tmp_path / "a.png").shape[:2]
    assert abs(cols - 150 * width) <= 1 and abs(rows - 150 * height) <= 1  # whole pixels
    # nothing is cut off: ink stays off the one-pixel border of the image
    img = imread(tmp_path / "a.png")[..., :3].min(axis=-1)
    assert img[0].min() > 0.9 and img[-1].min() > 0.9 and img[:, 0].min() > 0.9 and img[:, -1].min() > 0.9


def test_draw_verb_width_alone_sets_the_width(tmp_path):
    out = tmp_path / "a.svg"
    res = _cli("draw", "--M", "2", "--R", "2", "--L", "3", "--T", "4", "--width", "7", "--out", str(out))
    assert res.returncode == 0
    w, h = _svg_size(out)
    assert w == pytest.approx(7 * 72, abs=0.5) and 0.2 < h / w < 1.5


@pytest.mark.parametrize("font_size", [8.0, 10.0, 14.0])
def test_font_size_is_every_label_size(font_size):
    """Every text of a drawing (labels, bound, legend) has the font size asked for; the title is 10 % larger."""
    g = build_network(3, 2, 2, 4, domain="continuous")
    fig, ax = draw_network(g, cut=min_cut(g), title="a network", font_size=font_size)
    sizes = {t.get_fontsize() for t in ax.texts + ax.get_legend().get_texts() if t.get_text()}
    assert sizes == {font_size}
    assert ax.title.get_fontsize() == pytest.approx(1.1 * font_size)


def test_font_size_reaches_the_svg(tmp_path):
    out = tmp_path / "a.svg"
    res = _cli("draw", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--font-size", "13", "--out", str(out))
    assert res.returncode == 0
    text = out.read_text()
    assert text.count("font-size: 13px") > 20 and "font-size: 10px" not in text


#: (M, R, L, T) of continuous-input RAC networks and the stated range of the default drawing's width : height
ASPECT_CASES = [(2, 2, 2, 6), (3, 2, 1, 6), (2, 2, 1, 20), (2, 2, 3, 4), (2, 2, 3, 8), (2, 2, 4, 4), (3, 2, 2, 4)]
ASPECT_RANGE = (1.2, 3.0)


@pytest.mark.parametrize("M,R,L,T", ASPECT_CASES)
def test_default_drawing_is_near_16_9(tmp_path, M, R, L, T):
    """The default drawing of a tree folds into bands so that the saved file stays near a slide's 16:9."""
    out = tmp_path / "a.svg"
    assert _cli("draw", "--M", str(M), "--R", str(R), "--L", str(L), "--T", str(T), "--out", str(out)).returncode == 0
    w, h = _svg_size(out)
    assert ASPECT_RANGE[0] <= w / h <= ASPECT_RANGE[1], (w, h)


def test_the_issue_example_is_folded_and_legible(tmp_path):
    """``tnrnn draw --M 2 --R 2 --L 2 --T 6`` was 807 x 153 pt (5.3:1) with 6 pt labels."""
    g = build_network(2, 2, 2, 6, domain="continuous")
    assert drawing_layout(g).kind == "folded"
    fig, ax = draw_network(g, cut=min_cut(g))
    assert min(t.get_fontsize() for t in ax.texts + ax.get_legend().get_texts()) >= 10
    out = tmp_path / "net.svg"
    assert _cli("draw", "--M", "2", "--R", "2", "--L", "2", "--T", "6", "--out", str(out)).returncode == 0
    w, h = _svg_size(out)
    assert 1.2 <= w / h <= 2.2


def test_folded_bands_read_like_text():
    """The top band holds the earliest time steps (the ones vector of the top layer), the last holds W^O."""
    g = build_network(2, 2, 2, 8, domain="continuous")
    lay = drawing_layout(g)
    assert lay.kind == "folded"
    (top, _), (last, _) = lay.bands[0], lay.bands[-1]
    (w_o,) = g.nodes_with_role("W_O")
    assert lay.pos[w_o][1] == last
    top_row = [n for n in g.names if lay.pos[n][1] == top]
    assert any(g.roles[g.node_id[n]] == "ones" for n in top_row)


@pytest.mark.parametrize(
    "bound,dims,text",
    [
        (2**135, [2] * 135, "rank \\leq 2^{135}$"),
        (2**20, [2] * 20, "rank \\leq 2^{20} = 1048576$"),
        (3**40, [3] * 40, "rank \\leq 3^{40} \\approx 2^{63.4}$"),
        (6, [2, 3], "rank \\leq 2 \\cdot 3 = 6$"),
        (2, [2], "rank \\leq 2$"),
    ],
)
def test_bound_annotation_never_repeats_itself(bound, dims, text):
    """Was "rank <= 2^135 = 2^135.0": a power is written once, a rounded value with \\approx."""
    import math
    from types import SimpleNamespace

    from tnrnn.draw import _format_bound

    edges = [f"e{i}" for i in range(len(dims))]
    graph = SimpleNamespace(size_dict=dict(zip(edges, dims, strict=True)))
    cut = SimpleNamespace(cut_edges=edges, cut_copies=[], bound=bound, log2_bound=math.log2(bound))
    assert _format_bound(graph, cut).replace("\\mathrm{rank}", "rank").endswith(text)


def test_graph_repr_is_short():
    g = build_network(2, 2, 3, 8, domain="continuous")
    text = repr(g)
    assert len(text) < 160 and "\n" not in text
    assert f"{g.n_nodes} nodes" in text and f"{g.n_edges} edges" in text and "L=3" in text


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("graph", ["graph", None, 3, {"names": ()}])
def test_draw_network_refuses_non_graphs(graph):
    from tnrnn._types import ArgumentError

    with pytest.raises(ArgumentError) as info:
        draw_network(graph)
    assert info.value.name == "graph"


def test_draw_network_refuses_a_bad_cut_and_labels():
    from tnrnn._types import ArgumentError

    g = build_network(2, 2, 1, 4, domain="continuous")
    with pytest.raises(ArgumentError) as info:
        draw_network(g, cut="the cut")
    assert info.value.name == "cut"
    with pytest.raises(ArgumentError) as info:
        draw_network(g, labels="yes")
    assert info.value.name == "labels"


def test_network_figure_returns_fig_and_axes_carrying_what_they_draw():
    from tnrnn.draw import network_figure

    specs = [dict(M=3, R=2, L=1, T=4), dict(M=2, R=2, L=2, T=4, domain="onehot")]
    out = network_figure(specs)
    assert len(out) == 2
    fig, axes = out
    assert len(axes) == 2 and all(ax.figure is fig for ax in axes)
    for ax, spec in zip(axes, specs, strict=True):
        g = build_network(spec["M"], spec["R"], spec["L"], spec["T"], domain=spec.get("domain", "continuous"))
        assert ax.tnrnn_graph.names == g.names
        assert ax.tnrnn_cut.bound == min_cut(g).bound
        drawn = [c for c in ax.collections if c.get_gid() == "tn-nodes"]
        assert sorted(n for c in drawn for n in c.tnrnn_names) == sorted(g.names)
    _, axes = network_figure(specs[:1], cut=False)
    assert axes[0].tnrnn_cut is None


def test_network_figure_panels_share_one_scale_and_font_size():
    """fig_tn_shallow_deep's two panels used different font sizes: now one unit and one size for every panel."""
    from tnrnn.draw import network_figure

    fig, axes = network_figure([dict(M=3, R=2, L=1, T=4), dict(M=3, R=2, L=2, T=4)], font_size=11)
    sizes = {t.get_fontsize() for ax in axes for t in ax.texts if t.get_text()}  # arrows have no text
    assert sizes == {11}
    assert [ax.title.get_fontsize() for ax in axes] == pytest.approx([1.1 * 11] * 2)
    # the same role is drawn with the same marker size in both panels
    w_i = [c.get_sizes()[0] for ax in axes for c in _drawn(ax, "tn-nodes") if c.tnrnn_names[0].startswith("WI")]
    assert len(w_i) == 2 and w_i[0] == pytest.approx(w_i[1])
    # each title sits above its own panel's drawing, inside the figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for ax in axes:
        title, box = ax.title.get_window_extent(r), ax.get_window_extent(r)
        assert title.y0 >= box.y1 - 1 and title.y1 <= fig.bbox.y1
