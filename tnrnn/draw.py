"""Diagrams: the unrolled computation graph of a RAC and the tensor networks of shallow and deep RACs.

matplotlib is imported lazily inside the drawing functions (``import tnrnn`` never imports it). Every drawing
function takes ``ax=None`` (a new figure is made when omitted), returns ``(fig, ax)``, never calls ``plt.show()``
and never changes global rcParams.

The positions come from `tnrnn.layout` (pure Python, deterministic, no matplotlib): the HV-tree layout of a
tensor network (`network_layout`), folded into bands or wrapped around a circle (`drawing_layout`); this module
renders them. The layout names are re-exported here. Start and End inputs are drawn in two colours.

Artists carry the structure they draw, for tests and for callers that annotate further: node collections have the
gid ``"tn-nodes"`` and an attribute ``tnrnn_names`` (node names in drawing order), edge collections have the gids
``"tn-edges"`` / ``"tn-cut-edges"`` and an attribute ``tnrnn_edges`` (index names, one per segment), and cut copy
tensors are ringed by a collection with gid ``"tn-cut-copies"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tnrnn._axes import figure_and_axes
from tnrnn._types import ArgumentError
from tnrnn.layout import (
    FONT_SIZE,
    LABEL_LIMIT,
    MAX_WIDTH_INCHES,  # noqa: F401 (re-exported, as before the layout moved)
    RIGHT_MARGIN,
    ROW_NAMES_WIDTH,
    TARGET_ASPECT,
    UNIT_INCHES,  # noqa: F401
    UNIT_PER_FONT,
    DrawingLayout,
    clear_above,
    computation_graph_layout,
    drawing_layout,
    drawing_scale,
    edge_segments,
    figure_size,  # noqa: F401
    input_legs,
    legend_box,
    midpoint,
    network_layout,
    radial_layout,
)
from tnrnn.style import OKABE_ITO, house_style

__all__ = [
    "network_layout",
    "radial_layout",
    "drawing_layout",
    "DrawingLayout",
    "save_figure",
    "figure_format",
    "draw_to_file",
    "FORMATS",
    "draw_network",
    "draw_computation_graph",
    "computation_graph_figure",
    "network_figure",
    "ROLE_STYLE",
    "LABEL_LIMIT",
    "FONT_SIZE",
    "TARGET_ASPECT",
    "check_drawing_size",
]

#: file formats `save_figure` writes, by extension
FORMATS = ("svg", "pdf", "png")

#: colours of the two sides of a partition (Okabe-Ito blue and orange: colour-blind safe, apart in grey-scale)
SIDE_COLORS = (OKABE_ITO["blue"], OKABE_ITO["orange"])
#: colour of a cut (Okabe-Ito vermillion; cut edges are also drawn thick and cut copy tensors ringed)
CUT_COLOR = OKABE_ITO["vermillion"]

#: marker, face colour, relative size and legend text of every node role
ROLE_STYLE = {
    "copy": ("o", "black", 0.45, r"copy tensor $\delta$ (Hadamard $\odot$)"),
    "W_I": ("s", "#9ecae1", 1.0, r"$W^{I,l}$ (input weights)"),
    "W_H": ("D", "#a1d99b", 0.9, r"$W^{H,l}$ (recurrent weights)"),
    "W_O": ("s", "#6a51a3", 1.25, r"$W^{O}$ (output weights)"),
    "ones": ("o", "white", 0.8, r"$\mathbf{1}$ ($W^{H}h^{0} := $ ones)"),
    "input": ("o", None, 1.15, "input $f(x^t)$"),
    "core": ("s", "#fdae6b", 1.0, r"core $A^{l}$ (a cell's full layer tensor)"),
}

_ROLE_TEXT = {"W_I": "I", "W_H": "H", "W_O": "O", "ones": "1"}

#: how a title names an input domain
_DOMAIN_WORDS = {"onehot": "one-hot", "continuous": "continuous"}


# ---------------------------------------------------------------------------------------------------------------
# drawing the tensor network


def _has_row_names(graph, unit: float, fs: float) -> bool:
    """True when the drawing writes the row names of a RAC network (`_draw_row_names`)."""
    return bool(graph.meta.get("L") and graph.meta.get("T") and "cell" not in graph.meta and unit >= fs)


def _spans(graph, lay: DrawingLayout, labels: bool, unit: float, fs: float) -> tuple[float, float, float, float]:
    """``(left margin, x span, bottom margin, y span)`` in layout units of the limits `draw_network` sets.

    At ``unit`` points per layout unit: the row names on the left, the time steps below and the bound above take
    room in points (the font size), the rest in layout units.
    """
    x0, x1, y0, y1 = lay.extent
    margin = 1.0
    if labels and _has_row_names(graph, unit, fs):
        margin = 1.0 + (ROW_NAMES_WIDTH - 1.0) * UNIT_PER_FONT * fs / unit
    right = RIGHT_MARGIN if labels else 1.2
    bottom = 0.42 + 1.2 * fs / unit if labels else 0.6
    top = 0.9 + 1.3 * fs / unit
    return margin, x1 - x0 + margin + right, bottom, y1 - y0 + bottom + top


def _axes_unit(graph, lay: DrawingLayout, ax, labels: bool, fs: float) -> float:
    """Points per layout unit when the drawing fills the box of ``ax`` (equal aspect ratio)."""
    bbox = ax.get_position()
    w_pt = ax.figure.get_figwidth() * 72 * bbox.width
    h_pt = ax.figure.get_figheight() * 72 * bbox.height
    unit = h_pt / _spans(graph, lay, labels, UNIT_PER_FONT * fs, fs)[3]
    for _ in range(3):  # the row names take points, not units: settle the unit
        _, sx, _, sy = _spans(graph, lay, labels, unit, fs)
        unit = min(w_pt / sx, h_pt / sy)
    return unit


def _format_bound(graph, cut) -> str:
    """``"min-cut through 3 bonds: rank <= 2^3 = 8"`` as mathtext.

    The value is written out below 10^9; above, an exact power of two is written as one (``2^{135}``, once when the
    product already reads so) and any other value as ``≈ 2^{x.x}``.
    """
    dims = [int(graph.size_dict[i]) for i in cut.cut_edges] + [graph.copy_dim(c) for c in cut.cut_copies]
    counts: dict[int, int] = {}
    for d in dims:
        counts[d] = counts.get(d, 0) + 1
    factors = [f"{d}^{{{c}}}" if c > 1 else f"{d}" for d, c in sorted(counts.items())]
    product = r" \cdot ".join(factors)
    bound = int(cut.bound)
    relation = "="
    if bound < 10**9:
        value = f"{bound}"
    elif bound & (bound - 1) == 0:
        value = f"2^{{{bound.bit_length() - 1}}}"
    else:
        value, relation = f"2^{{{cut.log2_bound:.1f}}}", r"\approx"
    parts = []
    if cut.cut_edges:
        parts.append(f"{len(cut.cut_edges)} bond{'s' if len(cut.cut_edges) > 1 else ''}")
    if cut.cut_copies:
        parts.append(f"{len(cut.cut_copies)} copy tensor{'s' if len(cut.cut_copies) > 1 else ''}")
    what = f"min-cut through {' + '.join(parts)}:  "
    if product in (value, ""):
        return what + f"$\\mathrm{{rank}} \\leq {value}$"
    return what + f"$\\mathrm{{rank}} \\leq {product} {relation} {value}$"


def check_drawing_size(width=None, height=None, font_size=FONT_SIZE) -> tuple:
    """``(width, height, font_size)`` checked: inches in [1, 100] or None, a font size in points in [4, 48].

    Raises `ArgumentError` naming the argument (``width``, ``height``, ``font_size``) otherwise.
    """
    from tnrnn._types import check_float

    w = None if width is None else check_float("width", width, minimum=1.0, maximum=100.0)
    h = None if height is None else check_float("height", height, minimum=1.0, maximum=100.0)
    return w, h, check_float("font_size", font_size, minimum=4.0, maximum=48.0)


def draw_network(
    graph,
    *,
    cut=None,
    partition="start-end",
    ax=None,
    labels: bool | None = None,
    legend: bool = True,
    title: str | None = None,
    font_size: float = FONT_SIZE,
    width: float | None = None,
    height: float | None = None,
    aspect: float | None = None,
):
    """Draw a tensor network with the HV-tree layout, Start/End inputs coloured and a cut highlighted.

    Parameters
    ----------
    graph : tnrnn.network.TNGraph
        The network (`tnrnn.build.build_network`).
    cut : tnrnn.cuts.CutResult, optional
        A cut to highlight: its edges drawn thick, its copy tensors ringed, and the bound it certifies written
        above them. Pass ``None`` to draw no cut.
    partition : str or Partition
        The partition whose sides colour the inputs (default Start-End; the cut's partition when ``cut`` is given).
    ax : matplotlib Axes, optional
        Draw here (``width`` and ``height`` are then ignored: the axes sets the size).
    labels : bool, optional
        Write row names, time steps and, where there is room, node letters and bond dimensions. Default: when the
        network has at most `LABEL_LIMIT` nodes (larger networks are drawn compactly: small markers, thin lines,
        no text).
    legend : bool
        Add the legend of node roles, sides and bond dimensions.
    title : str, optional
    font_size : float
        Points of every label (the title is 10 % larger); default 10, legible on a slide. One layout unit is 1.6
        font sizes at the natural size.
    width, height : float, optional
        Figure size in inches; the network is scaled to fit, the labels keep ``font_size``. With one of them the
        other follows from the drawing. Default: the natural size of the labels.
    aspect : float, optional
        Target width : height ratio of the drawing: a wide tree is folded into bands to come close to it
        (`tnrnn.layout.drawing_layout`). Default: ``width / height`` when both are given, else 16:9.

    Returns
    -------
    (fig, ax)

    Notes
    -----
    Bond dimensions: ``M`` on the input legs (thin grey lines), ``R`` on every other bond (dark lines); with
    labels, small networks (up to 60 nodes) drawn large enough also write the dimension on every edge.
    """
    from tnrnn._types import check_float
    from tnrnn.cuts import CutResult
    from tnrnn.network import TNGraph

    if not isinstance(graph, TNGraph):
        raise ArgumentError("graph", f"a {type(graph).__name__}", "a tnrnn.TNGraph (tnrnn.build_network)")
    if cut is not None and not isinstance(cut, CutResult):
        raise ArgumentError("cut", f"a {type(cut).__name__}", "None or a tnrnn.CutResult (tnrnn.min_cut)")
    if labels is not None and not isinstance(labels, bool):
        raise ArgumentError("labels", labels, "None, True or False")
    width, height, fs = check_drawing_size(width, height, font_size)
    if aspect is None:
        aspect = width / height if width is not None and height is not None else TARGET_ASPECT
    aspect = check_float("aspect", aspect, minimum=0.1, maximum=10.0)

    from tnrnn._types import parse_partition

    n_legend = len({r for r in graph.roles if r != "input"}) + 4 + (cut is not None) if legend else 0
    natural_unit = UNIT_PER_FONT * fs / 72
    lay = drawing_layout(
        graph,
        max_width=width if height is None else 1000.0,  # both sides given: the network is scaled to fit them
        aspect=aspect,
        unit=natural_unit,
        extra_height=(1.6 * fs * (bool(title) + 1) + math.ceil(n_legend / 3) * 1.45 * fs) / 72 / natural_unit,
    )
    big = lay.kind == "radial"
    x0, x1, y0, y1 = lay.extent
    if labels is None:
        labels = not big
    with house_style():
        if ax is None:
            scale = drawing_scale(
                lay, legend_entries=n_legend, title=bool(title), font_size=fs, width=width, height=height
            )
            exact = width is not None or height is not None  # the figure keeps its size: placed by hand below
            fig, ax = figure_and_axes(None, figsize=(scale.width, scale.height), layout="none" if exact else None)
            unit, cols = 72 * scale.unit, scale.legend_cols
        else:
            fig, ax = figure_and_axes(ax)
            exact = False
            unit = _axes_unit(graph, lay, ax, labels, fs)
            cols = legend_box(n_legend, fig.get_figwidth(), fs)[0]
        T = int(graph.meta.get("T") or max(graph.times))
        part = cut.partition if cut is not None else parse_partition(partition, T)
        segments = edge_segments(graph, lay, cut.cut_edges if cut is not None else ())
        lw, base = _stroke_sizes(graph, lay, unit)

        _draw_edges(ax, graph, lay, segments, lw=lw, text=labels, fs=fs)
        handles = _draw_nodes(ax, graph, lay.pos, set(part.A), base=base, big=big, text=labels, fs=fs)
        if labels:
            _draw_labels(ax, graph, lay, set(segments["cut"][1]), unit, fs)
        if cut is not None:
            _draw_cut(ax, graph, cut, lay, segments, base=base, lw=lw, fs=fs)
        if labels:
            _draw_row_names(ax, graph, lay, unit, fs)
        margin, span_x, bottom, span_y = _spans(graph, lay, labels, unit, fs)
        ax.set_xlim(x0 - margin, x0 - margin + span_x)
        ax.set_ylim(y0 - bottom, y0 - bottom + span_y)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        if legend:
            _draw_legend(ax, graph, handles, part, with_cut=cut is not None, big=big, cols=cols, fs=fs)
        if title:
            ax.set_title(title, fontsize=1.1 * fs)
        if exact:
            _fit_into_figure(fig, ax)
    return fig, ax


def _fit_into_figure(fig, ax, pad: float = 0.06) -> None:
    """Place ``ax`` so that it and what it draws outside its box fill the figure up to ``pad`` inches from each edge.

    What lies outside the box: row names, the bound, the legend, the title. A few passes, as the equal aspect ratio
    moves the box.
    """
    ax.set_anchor("C")
    ax.set_position([0.0, 0.0, 1.0, 1.0])
    for _ in range(4):
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        fb, tb, box = fig.bbox, ax.get_tightbbox(r), ax.get_position(original=False).transformed(fig.transFigure)
        p = pad * fig.dpi
        d_left, d_right = box.x0 - tb.x0, tb.x1 - box.x1
        d_bottom, d_top = box.y0 - tb.y0, tb.y1 - box.y1
        free_w, free_h = fb.width - 2 * p - d_left - d_right, fb.height - 2 * p - d_bottom - d_top
        if free_w <= 1 or free_h <= 1:
            return
        # the new box: the active (aspect-kept) box scaled into the free space, centred there
        k = min(free_w / box.width, free_h / box.height)
        w, h = box.width * k, box.height * k
        x = p + d_left + (free_w - w) / 2
        y = p + d_bottom + (free_h - h) / 2
        ax.set_position([x / fb.width, y / fb.height, w / fb.width, h / fb.height])


def _stroke_sizes(graph, lay: DrawingLayout, unit: float) -> tuple[float, float]:
    """``(line width, node marker size)`` in points, from the points per layout unit."""
    lw = max(0.4, min(1.6, unit / 14))
    if lay.kind != "radial":
        return lw, max(2.0, min(13.0, 0.42 * unit))
    # nodes on the outer ring sit about 2 pi r / n_inputs apart
    r_out = max(math.hypot(*p) for p in lay.pos.values())
    pitch = unit * 2 * math.pi * r_out / max(1, len(graph.input_nodes))
    return max(0.2, min(0.6, pitch / 6)), max(1.0, min(5.0, 0.7 * pitch))


def _draw_edges(ax, graph, lay: DrawingLayout, segments, *, lw: float, text: bool, fs: float):
    """The bonds (dark), the input legs (grey), the cut edges (thick red) and the open output leg of ``W^O``."""
    from matplotlib.collections import LineCollection

    big = lay.kind == "radial"
    styles = {"R": ("0.25", lw, "tn-edges"), "M": ("0.6", 0.7 * lw, "tn-edges")}
    styles["cut"] = (CUT_COLOR, max(1.0 if big else 2.0, 2.6 * lw), "tn-cut-edges")
    for kind, (color, width, gid) in styles.items():
        segs, names = segments[kind]
        coll = LineCollection(segs, colors=color, linewidths=width, zorder=2 if kind == "cut" else 1, gid=gid)
        coll.tnrnn_edges = tuple(names)
        ax.add_collection(coll)
    open_names = set(graph.output)
    for k, name in enumerate(graph.names):
        if graph.roles[k] == "W_O" and any(idx in open_names for idx in graph.indices[k]):
            px, py = lay.pos[name]
            ax.plot([px, px + 0.8], [py, py], color="0.25", lw=lw, zorder=1)
            if text:
                ax.text(px + 0.9, py, "$y$", ha="left", va="center", fontsize=fs)


def _draw_nodes(ax, graph, pos, side_A: set, *, base: float, big: bool, text: bool, fs: float) -> list:
    """One scatter collection per role (inputs coloured by side); returns the legend handles of the roles."""
    handles = []
    for role in ("copy", "W_I", "W_H", "core", "ones", "W_O", "input"):
        # the one-hot copy tensors joining input copies are drawn with the other copy tensors
        ks = [k for k, r in enumerate(graph.roles) if r == role]
        if not ks:
            continue
        marker, face, rel, legend_text = ROLE_STYLE[role]
        names = [graph.names[k] for k in ks]
        if role == "input":
            faces = [SIDE_COLORS[0] if graph.times[k] in side_A else SIDE_COLORS[1] for k in ks]
        else:
            faces = face
        coll = ax.scatter(
            [pos[nm][0] for nm in names],
            [pos[nm][1] for nm in names],
            s=(base * rel) ** 2,
            marker=marker,
            c=faces,
            edgecolors="black" if role != "copy" else "none",
            linewidths=0.6 if not big else 0.3,
            zorder=3,
            gid="tn-nodes",
        )
        coll.tnrnn_names = tuple(names)
        if role != "input":
            if role == "copy" and not graph.is_tree():
                legend_text = r"copy tensor $\delta$ (Hadamard $\odot$; joins input copies)"
            if role == "ones" and "cell" in graph.meta:  # a cell's first-step state
                legend_text = (
                    r"$h^{0} = 0$ with its constant: $(0, \ldots, 0, 1)$"
                    if graph.meta.get("homogenised")
                    else r"$\mathbf{1}$ (first step: $u := $ ones)"
                )
            handles.append(_legend_marker(marker, face, legend_text))
        if text and role in _ROLE_TEXT and base * rel >= 1.3 * fs:  # a letter only where the marker holds it
            color = "white" if role == "W_O" else "black"
            for nm in names:
                ax.text(*pos[nm], _ROLE_TEXT[role], ha="center", va="center", fontsize=fs, color=color, zorder=4)
    return handles


def _draw_labels(ax, graph, lay: DrawingLayout, cut_set: set, unit: float, fs: float):
    """Time steps under the inputs; on small networks drawn large, the dimension of every edge (red on the cut)."""
    pos = lay.pos
    for k, r in enumerate(graph.roles):
        if r == "input":
            px, py = pos[graph.names[k]]
            ax.text(px, py - 0.42, f"{graph.times[k]}", ha="center", va="top", fontsize=fs, zorder=4)
    if graph.n_nodes > 60 or unit < 2.2 * fs:
        return
    for u, v, index in graph.edges():
        if index in lay.wraps:
            continue
        (ux, uy), (vx, vy) = pos[u], pos[v]
        dx, dy = (0.0, 0.22) if uy == vy else (0.18, 0.0)
        ax.text(
            (ux + vx) / 2 + dx,
            (uy + vy) / 2 + dy,
            str(graph.size_dict[index]),
            ha="center",
            va="center",
            fontsize=fs,
            color=CUT_COLOR if index in cut_set else "0.35",
            zorder=4,
        )


def _draw_cut(ax, graph, cut, lay: DrawingLayout, segments, *, base: float, lw: float, fs: float):
    """The copy tensors the cut goes through (red rings), and the bound above the drawing with arrows to the cut."""
    pos, big = lay.pos, lay.kind == "radial"
    cc = [pos[c] for c in cut.cut_copies]
    ring = ax.scatter(
        [p[0] for p in cc],
        [p[1] for p in cc],
        s=(base * 1.25) ** 2,
        facecolors="none",
        edgecolors=CUT_COLOR,
        linewidths=max(0.8 if big else 1.5, 2 * lw),
        zorder=4,
        gid="tn-cut-copies",
    )
    ring.tnrnn_names = tuple(cut.cut_copies)
    cut_pts = [midpoint(seg) for seg in segments["cut"][0]] + cc
    if not cut_pts:
        return
    x0, x1, _, y1 = lay.extent
    W = x1 - x0 + 2.0
    if big:  # no room beside the cut: top left corner
        cx, ty = x0, y1 + 0.5
    else:  # the bound above the drawing; arrows drop only where nothing lies between it and the cut
        cx, ty = min(max(sum(p[0] for p in cut_pts) / len(cut_pts), x0 + 0.3 * W), x1 - 0.3 * W), y1 + 0.9
    ax.text(
        cx,
        ty,
        _format_bound(graph, cut),
        ha="left" if big else "center",
        va="bottom",
        fontsize=fs,
        color=CUT_COLOR,
        zorder=5,
        gid="tn-cut-bound",
    )
    if big:
        return
    others = segments["R"][0] + segments["M"][0]
    arrow = {"arrowstyle": "-|>", "color": CUT_COLOR, "lw": 0.7, "alpha": 0.7, "shrinkA": 0, "shrinkB": 3}
    for px, py in cut_pts:
        if clear_above(pos, others, px, py, ty):
            ax.annotate("", xy=(px, py), xytext=(px, ty - 0.05), zorder=2, gid="tn-cut-arrow", arrowprops=arrow)


def _draw_row_names(ax, graph, lay: DrawingLayout, unit: float, fs: float) -> None:
    """The row names of a RAC network left of each band (in the margin `_spans` leaves)."""
    L = graph.meta.get("L")
    if not _has_row_names(graph, unit, fs):
        return
    x0 = lay.extent[0]
    for top, _ in lay.bands:
        rows = {}
        for l in range(L, 0, -1):
            rows[top - 2 * (L - l)] = f"layer {l}: $\\delta$, $W^{{H,{l}}}$"
            if unit >= 1.4 * fs:  # rows far enough apart for a name on every one
                rows[top - 2 * (L - l) - 1] = f"$W^{{I,{l}}}$"
        if graph.is_tree():
            rows[top - 2 * L] = "inputs"
        else:
            rows[top - 2 * L - 0.5] = "input copies"
            rows[top - 2 * L - 1.5] = "inputs"
        for yy, text in rows.items():
            ax.text(x0 - 1.0, yy, text, ha="right", va="center", fontsize=fs, color="0.35")


def _draw_legend(ax, graph, handles: list, part, *, with_cut: bool, big: bool, cols: int, fs: float):
    """The legend under the drawing: node roles, the two sides, the bond and leg dimensions, the cut."""
    dims = sorted({int(graph.size_dict[i]) for i in input_legs(graph)})
    R = graph.meta.get("R")
    handles = handles + [
        _legend_marker("o", SIDE_COLORS[0], "Start input ($t \\leq T/2$)" if part.is_start_end else "side A"),
        _legend_marker("o", SIDE_COLORS[1], "End input ($t > T/2$)" if part.is_start_end else "side B"),
        _legend_line(
            "0.25",
            1.4,
            (f"bond dim $R+1={R + 1}$" if graph.meta.get("homogenised") else f"bond dim $R={R}$") if R else "bond",
        ),
        _legend_line(
            "0.6",
            1.0,
            (f"input leg dim $M+1={dims[0]}$" if graph.meta.get("input_constant") else f"input leg dim $M={dims[0]}$")
            if len(dims) == 1
            else "input leg",
        ),
    ]
    if with_cut:
        handles.append(_legend_line(CUT_COLOR, 2.6, "min-cut (edges / ringed copy tensors)"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=min(cols, len(handles)),
        fontsize=fs,
        frameon=False,
        handletextpad=0.4,
        columnspacing=1.2,
    )


def _legend_marker(marker, face, text):
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        ls="none",
        marker=marker,
        markerfacecolor=face,
        markeredgecolor="black",
        markeredgewidth=0.6,
        markersize=7 if marker != "o" or face != "black" else 4.5,
        label=text,
    )


def _legend_line(color, lw, text):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=lw, label=text)


# ---------------------------------------------------------------------------------------------------------------
# files


def figure_format(path) -> str:
    """The format of an output file from its extension (one of `FORMATS`), or `ArgumentError` naming ``out``."""
    import os

    ext = os.path.splitext(str(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise ArgumentError("out", str(path), "a file name ending in " + ", ".join("." + f for f in FORMATS))
    return ext


def save_figure(fig, path, *, dpi: int = 150, pad: float = 0.08, tight: bool = True) -> str:
    """Write ``fig`` as SVG, PDF or PNG (by extension) with a tight bounding box; return the format.

    SVG text stays text (``<text>`` elements with the font named, editable in a vector editor), set through
    `matplotlib.rc_context` for this call only. No time stamps are written, so an unchanged figure rewrites an
    identical file, and the file is written through `tnrnn._io.atomic_savefig` (a temporary name renamed into place).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Output file; its extension (``.svg``, ``.pdf`` or ``.png``) picks the format.
    dpi : int
        Resolution of PNG files.
    pad : float
        Margin around the tight bounding box, in inches.
    tight : bool
        Crop to the drawn content plus ``pad``; ``False`` keeps the figure's size exactly (``width`` x ``height``
        inches: that many points in SVG and PDF, times ``dpi`` pixels in PNG).
    """
    import matplotlib

    from tnrnn._io import atomic_savefig

    fmt = figure_format(path)
    metadata = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
        "png": {"Software": None},
    }[fmt]
    box = {"bbox_inches": "tight", "pad_inches": pad} if tight else {}
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tnrnn"}):
        atomic_savefig(fig, path, format=fmt, dpi=dpi, metadata=metadata, **box)
    return fmt


def draw_to_file(
    M,
    R,
    L,
    T,
    *,
    out,
    domain: str = "continuous",
    partition="start-end",
    cut: bool = True,
    cell="rac",
    width: float | None = None,
    height: float | None = None,
    font_size: float = FONT_SIZE,
) -> dict:
    """Draw a cell's tensor network (a RAC's by default) with its min-cut into ``out`` (the ``tnrnn draw`` verb).

    Every argument is checked before anything is built or written; ``cell`` is a registered name or a
    `tnrnn.cells.Cell` with a product form (`tnrnn.build.build_network`). ``width``, ``height`` (inches) and
    ``font_size`` (points) are those of `draw_network`; with ``width`` or ``height`` the file has exactly the size
    asked for, otherwise it is cropped to the drawing (a network folded to about 16:9, labels at ``font_size``).

    Returns
    -------
    dict
        ``out``, ``format``, ``nodes``, ``edges`` and ``cut_bound`` (``None`` without a cut).
    """
    import matplotlib.pyplot as plt

    from tnrnn._types import check_domain, check_sizes, parse_partition
    from tnrnn.build import build_network
    from tnrnn.cuts import min_cut

    fmt = figure_format(out)
    width, height, font_size = check_drawing_size(width, height, font_size)
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    part = parse_partition(partition, T)
    graph = build_network(M, R, L, T, domain=domain, cell=cell)
    res = min_cut(graph, part) if cut else None
    if "cell" in graph.meta:
        kind = f"{'shallow' if L == 1 else f'depth-{L}'} {graph.meta['cell']} cell"
    else:
        kind = "shallow RAC = matrix product state" if L == 1 else f"depth-{L} RAC"
    fig, _ = draw_network(
        graph,
        cut=res,
        partition=part,
        title=f"{kind}  ($M = {M}$, $R = {R}$, $T = {T}$, {_DOMAIN_WORDS.get(domain, domain)} inputs; "
        f"{graph.n_nodes} nodes)",
        width=width,
        height=height,
        font_size=font_size,
    )
    try:
        save_figure(fig, out, tight=width is None and height is None)
    finally:
        plt.close(fig)
    return {
        "out": str(out),
        "format": fmt,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "cut_bound": res.bound if res is not None else None,
    }


# ---------------------------------------------------------------------------------------------------------------
# the unrolled computation graph


def draw_computation_graph(L: int, T: int, *, ax=None, title: str | None = None):
    """The unrolled computation graph of a depth-``L`` RAC over ``T`` steps.

    Nodes ``h^{t,l}`` sit on a grid (time to the right, depth upwards) above the inputs ``x^t``; every hidden
    node is a Hadamard merge (⊙) of the recurrent arrow ``W^{H,l} h^{t-1,l}`` from the left and the input arrow
    ``W^{I,l} h^{t,l-1}`` from below; ``W^{H,l} h^{0,l}`` is the ones vector (the grey **1** at ``t = 0``) and the
    output ``y = W^O h^{T,L}`` sits on top.

    Returns
    -------
    (fig, ax)
        The node markers are one collection with gid ``"cg-nodes"`` and attribute ``tnrnn_names``
        (``"x{t}"``, ``"h{t},{l}"``, ``"one{l}"``, ``"y"``), ``T (L + 1) + L + 1`` nodes in all.

    References
    ----------
    The theory page, section 'The model: recurrent arithmetic circuits'.
    """
    from tnrnn._types import check_positive_int

    L = check_positive_int("L", L)
    T = check_positive_int("T", T)
    with house_style():
        return _draw_computation_graph(L, T, ax, title)


def _draw_computation_graph(L: int, T: int, ax, title):
    fs = FONT_SIZE
    fig, ax = figure_and_axes(ax, figsize=(1.3 * T + 2, 1.15 * L + 2.4))
    gx, gy = 1.6, 1.25  # grid spacing
    pos = computation_graph_layout(L, T, dx=gx, dy=gy)
    arrow = {"arrowstyle": "-|>", "lw": 1.0, "shrinkA": 11, "shrinkB": 11, "mutation_scale": 9}
    cH, cI, cO = OKABE_ITO["bluish green"], OKABE_ITO["blue"], OKABE_ITO["reddish purple"]
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            src = f"h{t - 1},{l}" if t > 1 else f"one{l}"
            ax.annotate("", xy=pos[f"h{t},{l}"], xytext=pos[src], arrowprops={**arrow, "color": cH})
            (ax_, ay), (bx, _) = pos[src], pos[f"h{t},{l}"]
            if t > 1:
                ax.text((ax_ + bx) / 2, ay + 0.1, f"$W^{{H,{l}}}$", ha="center", va="bottom", fontsize=fs, color=cH)
            below = f"h{t},{l - 1}" if l > 1 else f"x{t}"
            ax.annotate("", xy=pos[f"h{t},{l}"], xytext=pos[below], arrowprops={**arrow, "color": cI})
            bx2, by2 = pos[below]
            ax.text(bx2 + 0.09, by2 + gy / 2, f"$W^{{I,{l}}}$", ha="left", va="center", fontsize=fs, color=cI)
    ax.annotate("", xy=pos["y"], xytext=pos[f"h{T},{L}"], arrowprops={**arrow, "color": cO, "shrinkB": 9})
    ax.text(pos["y"][0] + 0.09, pos["y"][1] - gy / 2, "$W^{O}$", ha="left", va="center", fontsize=fs, color=cO)

    names = list(pos)
    kinds = {
        n: ("x" if n.startswith("x") else "one" if n.startswith("one") else "y" if n == "y" else "h") for n in names
    }
    faces = {"x": "#fdd0a2", "h": "white", "one": "0.9", "y": "#dadaeb"}
    coll = ax.scatter(
        [pos[n][0] for n in names],
        [pos[n][1] for n in names],
        s=[470 if kinds[n] != "one" else 260 for n in names],
        marker="o",
        c=[faces[kinds[n]] for n in names],
        edgecolors="black",
        linewidths=0.9,
        zorder=3,
        gid="cg-nodes",
    )
    coll.set_paths([_marker_path("s" if kinds[n] == "x" else "o") for n in names])
    coll.tnrnn_names = tuple(names)
    for n in names:
        px, py = pos[n]
        if kinds[n] == "h":
            ax.text(px, py, r"$\odot$", ha="center", va="center", fontsize=13, zorder=4)
            t, l = n[1:].split(",")
            ax.text(
                px + 0.2, py - 0.2, f"$h^{{{t},{l}}}$", ha="left", va="top", fontsize=0.9 * fs, zorder=4, color="0.2"
            )
        elif kinds[n] == "x":
            ax.text(px, py, f"$x^{{{n[1:]}}}$", ha="center", va="center", fontsize=fs, zorder=4)
        elif kinds[n] == "one":
            ax.text(px, py, r"$\mathbf{1}$", ha="center", va="center", fontsize=fs, zorder=4)
        else:
            ax.text(px, py, "$y$", ha="center", va="center", fontsize=fs, zorder=4)
    for l in range(1, L + 1):
        ax.text(-0.25 * gx, l * gy, f"layer {l}", ha="right", va="center", fontsize=fs, color="0.35")
    ax.text(-0.25 * gx, 0, "input", ha="right", va="center", fontsize=fs, color="0.35")
    for t in range(1, T + 1):
        ax.text(t * gx, -0.55, f"$t={t}$", ha="center", va="top", fontsize=fs, color="0.35")
    ax.set_xlim(-0.95 * gx, (T + 0.6) * gx)
    ax.set_ylim(-0.95, (L + 1) * gy + 0.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(
        title if title is not None else f"{'shallow' if L == 1 else 'deep'} RAC, $L = {L}$, $T = {T}$",
        fontsize=1.1 * fs,
    )
    return fig, ax


def _marker_path(marker):
    from matplotlib.markers import MarkerStyle

    m = MarkerStyle(marker)
    return m.get_path().transformed(m.get_transform())


def computation_graph_figure(T: int = 4, depths=(1, 3)):
    """Shallow and deep unrolled computation graphs side by side (figure F1); returns ``(fig, axes)``."""
    import matplotlib.pyplot as plt

    depths = tuple(depths)
    widths = [1.0] * len(depths)
    with house_style():
        fig, axes = plt.subplots(
            1,
            len(depths),
            figsize=(1.35 * T * len(depths) + 2.5, 1.2 * max(depths) + 2.6),
            layout="constrained",
            gridspec_kw={"width_ratios": widths},
        )
        axes = [axes] if len(depths) == 1 else list(axes)
        for ax, L in zip(axes, depths, strict=True):
            draw_computation_graph(L, T, ax=ax)
        fig.suptitle(
            r"Recurrent arithmetic circuit: $h^{t,l} = (W^{H,l} h^{t-1,l}) \odot (W^{I,l} h^{t,l-1})$, "
            r"$y = W^{O} h^{T,L}$",
            fontsize=1.2 * FONT_SIZE,
        )
    return fig, axes


def network_figure(
    specs, *, cut: bool = True, engine: str = "auto", title: str | None = None, font_size: float = FONT_SIZE
):
    """Several RAC tensor networks stacked vertically, each with its Start-End min-cut, at one common scale.

    Every panel is drawn at the same points per layout unit (the smallest its panels' natural scales allow) and the
    same ``font_size``, so nodes, lines and labels match from one panel to the next; each panel's title sits in a
    band of its own above it, and the legend goes under the last panel.

    Parameters
    ----------
    specs : sequence of mappings
        ``{"M", "R", "L", "T", "domain"}`` per panel (``domain`` defaults to ``"continuous"``).
    cut : bool
        Draw each panel's min-cut.
    engine : str
        Min-cut engine (`tnrnn.cuts.min_cut`).
    title : str, optional
        A title above every panel.
    font_size : float
        Points of every label (`draw_network`).

    Returns
    -------
    (fig, axes)
        One axes per spec; each carries what it draws as ``ax.tnrnn_graph`` (the `tnrnn.network.TNGraph`) and
        ``ax.tnrnn_cut`` (its `tnrnn.cuts.CutResult`, ``None`` when ``cut=False``). Earlier versions
        returned a third element, the list of ``(graph, cut)``: it reads
        ``[(ax.tnrnn_graph, ax.tnrnn_cut) for ax in axes]``.
    """
    import matplotlib.pyplot as plt

    from tnrnn.build import build_network
    from tnrnn.cuts import min_cut

    fs = check_drawing_size(None, None, font_size)[2]
    drawn = []
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise ArgumentError("specs", spec, "mappings with keys M, R, L, T (and domain)")
        g = build_network(spec["M"], spec["R"], spec["L"], spec["T"], domain=spec.get("domain", "continuous"))
        c = min_cut(g, engine=engine) if cut else None
        drawn.append((g, c, drawing_layout(g, unit=UNIT_PER_FONT * fs / 72)))
    if not drawn:
        raise ArgumentError("specs", specs, "at least one mapping with keys M, R, L, T (and domain)")
    last = len(drawn) - 1
    n_legend = len({r for g, _, _ in drawn for r in g.roles if r != "input"}) + 4 + bool(cut)
    # the common scale: the smallest natural unit of the panels, in points
    unit = 72 * min(drawing_scale(lay, font_size=fs).unit for _, _, lay in drawn)
    boxes = []
    for g, _, lay in drawn:
        labels = lay.kind != "radial"
        _, sx, _, sy = _spans(g, lay, labels, unit, fs)
        boxes.append((sx * unit / 72, sy * unit / 72))
    width = max(w for w, _ in boxes)
    cols, legend_in = legend_box(n_legend, width, fs)
    width = max(width, min(cols, n_legend) * 22.5 * fs / 72 * 0.8)
    band = 2.6 * fs / 72  # each panel's title
    sup = 2.2 * fs / 72 if title else 0.0
    height = sup + sum(band + h for _, h in boxes) + legend_in
    with house_style():
        fig = plt.figure(figsize=(width, height))
        axes, top = [], height - sup
        for w, h in boxes:
            top -= band + h
            axes.append(fig.add_axes([(width - w) / 2 / width, top / height, w / width, h / height]))
        for i, (ax, spec, (g, c, _)) in enumerate(zip(axes, specs, drawn, strict=True)):
            L, T = spec["L"], spec["T"]
            dom = spec.get("domain", "continuous")
            if L == 1:
                kind = "shallow RAC = matrix product state"
            elif dom == "onehot":
                kind = f"deep RAC, $L = {L}$: copies of each input joined by a copy tensor"
            else:
                kind = f"deep RAC, $L = {L}$: tree of copies"
            sizes = f"$M = {spec['M']}$, $R = {spec['R']}$, $T = {T}$"
            draw_network(
                g,
                cut=c,
                ax=ax,
                legend=i == last,
                title=f"{kind}   ({sizes}, {_DOMAIN_WORDS.get(dom, dom)} inputs; {g.n_nodes} nodes)",
                font_size=fs,
            )
            ax.tnrnn_graph, ax.tnrnn_cut = g, c
        if title:
            fig.suptitle(title, fontsize=1.2 * fs, y=1 - 0.4 * sup / height)
    return fig, axes
