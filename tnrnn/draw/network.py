"""`draw_network`: a tensor network drawn with its cut (the layout of `tnrnn.layout`, the pieces of `_artists`)."""

from __future__ import annotations

import math

from tnrnn._axes import figure_and_axes
from tnrnn._types import ArgumentError
from tnrnn.draw._artists import (
    _draw_cut,
    _draw_edges,
    _draw_labels,
    _draw_legend,
    _draw_nodes,
    _draw_row_names,
    _fit_into_figure,
    _has_row_names,
    _stroke_sizes,
)
from tnrnn.layout import (
    FONT_SIZE,
    MAX_WIDTH_INCHES,  # noqa: F401 (re-exported, as before the layout moved)
    RIGHT_MARGIN,
    ROW_NAMES_WIDTH,
    TARGET_ASPECT,
    UNIT_INCHES,  # noqa: F401
    UNIT_PER_FONT,
    DrawingLayout,
    drawing_layout,
    drawing_scale,
    edge_segments,
    figure_size,  # noqa: F401
    legend_box,
)
from tnrnn.style import house_style

# ---------------------------------------------------------------------------------------------------------------
# drawing the tensor network


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
