"""Deprecated: the cell plots moved to `tnrnn.plots.cells` (every name is also in `tnrnn.plots`)."""

from __future__ import annotations

import warnings

from tnrnn.plots.cells import CELL_STYLE, cell_rank, cells_legend_handles, plot_cells_rank_vs_T

__all__ = ["CELL_STYLE", "cell_rank", "plot_cells_rank_vs_T", "cells_legend_handles"]

warnings.warn(
    "tnrnn.plots_cells is deprecated; import from tnrnn.plots (or tnrnn.plots.cells)", DeprecationWarning, stacklevel=2
)
