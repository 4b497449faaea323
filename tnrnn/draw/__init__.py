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

from tnrnn.draw._artists import CUT_COLOR, ROLE_STYLE, SIDE_COLORS, _format_bound, _has_row_names  # noqa: F401
from tnrnn.draw.composite import computation_graph_figure, draw_computation_graph, network_figure  # noqa: F401
from tnrnn.draw.files import FORMATS, draw_to_file, figure_format, save_figure  # noqa: F401
from tnrnn.draw.network import check_drawing_size, draw_network  # noqa: F401
from tnrnn.layout import (  # noqa: F401 - re-exported, as before the layout moved
    FONT_SIZE,
    LABEL_LIMIT,
    MAX_WIDTH_INCHES,
    RIGHT_MARGIN,
    ROW_NAMES_WIDTH,
    TARGET_ASPECT,
    UNIT_INCHES,
    UNIT_PER_FONT,
    DrawingLayout,
    clear_above,
    computation_graph_layout,
    drawing_layout,
    drawing_scale,
    edge_segments,
    figure_size,
    input_legs,
    legend_box,
    midpoint,
    network_layout,
    radial_layout,
)

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
