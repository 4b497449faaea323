"""Sizes of a drawing for `tnrnn.layout` (pure geometry, no matplotlib).

The font and page constants, the scale, the figure size, the legend box, edge segments and the computation-graph
layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tnrnn.layout import DrawingLayout

#: networks with more nodes than this are drawn compactly, without labels
LABEL_LIMIT = 700

#: layout units per point of font size: one unit (the distance between neighbouring rows and columns) is
#: 1.6 x the font size, so that a row name or a time step fits between two rows
UNIT_PER_FONT = 1.6
#: default font size of a drawing's labels, in points (legible on a slide)
FONT_SIZE = 10.0
#: inches per layout unit of a labelled drawing at the default font size (16 pt)
UNIT_INCHES = UNIT_PER_FONT * FONT_SIZE / 72
#: widest band of a labelled drawing at its natural size, in inches (a 16:9 slide); wider trees are folded
MAX_WIDTH_INCHES = 13.33
#: the width : height ratio a drawing aims at: 16:9, a slide
TARGET_ASPECT = 16 / 9
#: layout units taken by the title, the bound above the network and a legend of four rows below it (10 pt), for
#: the aspect rule
EXTRA_HEIGHT = 5.6
#: what one more band costs in the aspect rule (in |log ratio|): a fold is made only when it brings the ratio
#: clearly closer to the target
FOLD_COST = 0.2
#: layout units left of the network for the row names (at the natural scale) and right of it for the output leg
ROW_NAMES_WIDTH, RIGHT_MARGIN = 5.6, 1.8


def midpoint(seg) -> tuple[float, float]:
    """The middle of a segment, or of the middle piece of a wrap line."""
    if len(seg) == 2:
        (ax_, ay), (bx, by) = seg
        return (ax_ + bx) / 2, (ay + by) / 2
    (ax_, ay), (bx, by) = seg[len(seg) // 2 - 1], seg[len(seg) // 2]
    return (ax_ + bx) / 2, (ay + by) / 2


def clear_above(pos, segments, px: float, py: float, top: float, half_width: float = 0.45) -> bool:
    """True when no node and no edge lies in the vertical strip above ``(px, py)`` up to ``top``."""
    for x, y in pos.values():
        if abs(x - px) < half_width and py + 0.3 < y < top:
            return False
    for seg in segments:
        for (ax_, ay), (bx, by) in zip(seg[:-1], seg[1:], strict=True):
            crosses = min(ax_, bx) - half_width < px < max(ax_, bx) + half_width
            if crosses and py + 0.3 < max(ay, by) and min(ay, by) < top:
                return False
    return True


@dataclass(frozen=True)
class DrawingScale:
    """The size of a drawing (`drawing_scale`): figure inches, inches per layout unit and legend columns."""

    width: float
    height: float
    unit: float
    legend_cols: int


def legend_box(n_entries: int, width: float, font_size: float) -> tuple[int, float]:
    """``(columns, height in inches)`` of a legend of ``n_entries`` under a drawing ``width`` inches wide.

    A column is as wide as the longest entry of a network's legend (about 3.1 inches at 10 pt); the legend may
    overhang the drawing by a third of a column rather than take one more row per two entries.
    """
    if n_entries <= 0:
        return 1, 0.1
    col = 22.5 * font_size / 72
    cols = max(1, min(n_entries, int(width / col + 0.35)))
    rows = math.ceil(n_entries / cols)
    return cols, rows * 1.5 * font_size / 72 + 0.2


def drawing_scale(
    lay: DrawingLayout,
    *,
    legend_entries: int = 0,
    title: bool = False,
    font_size: float = FONT_SIZE,
    width: float | None = None,
    height: float | None = None,
) -> DrawingScale:
    """Figure size and scale of a drawing: legible labels at ``font_size``, or exactly the size asked for.

    Without ``width`` and ``height`` one layout unit is `UNIT_PER_FONT` times the font size (enlarged up to twice
    for small networks, so that the drawing is at least 6 inches wide), and the figure holds the network, the row
    names, the title and the legend of ``legend_entries`` entries. With ``width`` and/or ``height`` (inches) the
    figure has that size (the other side follows from the drawing's ratio) and the network is scaled to fit it;
    the labels keep ``font_size``. Radial drawings are square (9 inches at 10 pt).
    """
    fs = float(font_size)
    title_in = 1.6 * fs / 72 if title else 0.0
    if lay.kind == "radial":
        side = 9.0 * fs / FONT_SIZE if width is None and height is None else None
        w = width if width is not None else side if side is not None else height
        cols, legend_in = legend_box(legend_entries, w, fs)
        h = height if height is not None else min(w, side or w) + legend_in + title_in
        x0, x1, y0, y1 = lay.extent
        span = max(x1 - x0, y1 - y0) + 2.0
        return DrawingScale(w, h, max(0.05, min(w, h - legend_in - title_in)) / span, cols)
    x0, x1, y0, y1 = lay.extent
    units_h = y1 - y0 + 2.8  # the bound above, the time steps below

    def units_w(unit: float) -> float:  # the row names take a fixed width in points, whatever the unit
        return x1 - x0 + RIGHT_MARGIN + 1.0 + (ROW_NAMES_WIDTH - 1.0) * UNIT_PER_FONT * fs / 72 / unit

    unit = UNIT_PER_FONT * fs / 72
    if width is None and height is None:
        unit *= min(2.0, max(1.0, 6.0 / (units_w(unit) * unit)))
        w = units_w(unit) * unit
        cols, legend_in = legend_box(legend_entries, w, fs)
        return DrawingScale(w, units_h * unit + legend_in + title_in, unit, cols)
    for _ in range(3):  # the unit that fills the asked size (the row names' share depends on it)
        fits = []
        if width is not None:
            fits.append(width / units_w(unit))
        if height is not None:
            cols, legend_in = legend_box(legend_entries, width or units_w(unit) * unit, fs)
            fits.append(max(0.05, height - legend_in - title_in) / units_h)
        unit = max(1e-3, min(fits))
    w = width if width is not None else units_w(unit) * unit
    cols, legend_in = legend_box(legend_entries, w, fs)
    h = height if height is not None else units_h * unit + legend_in + title_in
    return DrawingScale(w, h, unit, cols)


def figure_size(
    lay: DrawingLayout,
    *,
    legend: bool,
    title: bool,
    font_size: float = FONT_SIZE,
    width: float | None = None,
    height: float | None = None,
) -> tuple[float, float]:
    """Figure inches of a drawing (`drawing_scale` with a legend of ten entries when ``legend``)."""
    s = drawing_scale(
        lay, legend_entries=10 if legend else 0, title=title, font_size=font_size, width=width, height=height
    )
    return s.width, s.height


def edge_segments(graph, lay: DrawingLayout, cut_edges=()) -> dict[str, tuple[list, list[str]]]:
    """The drawn pieces of every edge, by kind: ``{"R": bonds, "M": input legs, "cut": edges in cut_edges}``.

    Each value is ``(segments, index names)`` in edge order; a segment is a tuple of points: the two ends, or the
    polyline of a wrap joining two bands of a folded drawing (`DrawingLayout.wraps`).
    """
    cut_set = set(cut_edges)
    out: dict[str, tuple[list, list[str]]] = {"R": ([], []), "M": ([], []), "cut": ([], [])}
    for u, v, index in graph.edges():
        kind = "cut" if index in cut_set else "M" if is_leg(graph, u, v) else "R"
        out[kind][0].append(lay.wraps.get(index, (lay.pos[u], lay.pos[v])))
        out[kind][1].append(index)
    return out


def input_legs(graph):
    """The index names of the input legs (`is_leg`), in edge order."""
    return [index for u, v, index in graph.edges() if is_leg(graph, u, v)]


def is_leg(graph, u, v) -> bool:
    """True for an edge of an input: to an input node or to a copy tensor joining input copies (layer 0)."""
    ru, rv = graph.roles[graph.node_id[u]], graph.roles[graph.node_id[v]]
    lu, lv = graph.layers[graph.node_id[u]], graph.layers[graph.node_id[v]]
    return ru == "input" or rv == "input" or (ru == "copy" and lu == 0) or (rv == "copy" and lv == 0)


def computation_graph_layout(L: int, T: int, *, dx: float = 1.6, dy: float = 1.25) -> dict[str, tuple[float, float]]:
    """Positions of the unrolled computation graph of a depth-``L`` RAC over ``T`` steps.

    Returns
    -------
    dict
        ``"x{t}"`` (inputs, bottom row), ``"h{t},{l}"`` (hidden states, ``dx`` apart in time and ``dy`` apart in
        depth), ``"one{l}"`` (the ones vector left of ``t = 1``) and ``"y"`` (the output above ``h^{T,L}``), in
        that order of insertion per time step: ``T (L + 1) + L + 1`` nodes.
    """
    pos: dict[str, tuple[float, float]] = {}
    for t in range(1, T + 1):
        pos[f"x{t}"] = (t * dx, 0.0)
        for l in range(1, L + 1):
            pos[f"h{t},{l}"] = (t * dx, l * dy)
    for l in range(1, L + 1):
        pos[f"one{l}"] = (0.25 * dx, l * dy)
    pos["y"] = (T * dx, (L + 1) * dy - 0.1)
    return pos
