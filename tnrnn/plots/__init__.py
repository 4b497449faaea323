"""Plots of tnrnn results (paper figures and experiment summaries), one module per subject.

* `tnrnn.plots.rank`: separation ranks of the RAC against the closed forms and the min-cut
  (`plot_rank_vs_T`, `plot_rank_ratio`, `rank_ratio_table`, `measured_ranks`);
* `tnrnn.plots.cells`: the recurrent cells side by side (`plot_cells_rank_vs_T`, `cell_rank`, `cell_style`);
* `tnrnn.plots.gated`: gated cells (GRU, LSTM with Taylor activations) against the RAC and MI
  (`gated_rank_data`, `plot_gated_rank_vs_T`, `plot_depth_ratio`, `gated_table`);
* `tnrnn.plots.memory`: the memory experiments of `tnrnn.tasks` (`plot_memory_accuracy`, `plot_memory_solved`);
* `tnrnn.plots.linear`: the implicit bias of linear RNNs (`plot_lag_weights`, `plot_ntk_vs_width`,
  `plot_rnn_vs_scm`, `plot_test_error_vs_rho`).

Every name is re-exported here. Every function imports matplotlib lazily (``import tnrnn.plots`` never imports
it), takes ``ax=None``, returns ``(fig, ax)``, never calls ``plt.show()`` and never changes global rcParams: it
draws in the house style of `tnrnn.style` (`tnrnn.style.styled`), whose palette, markers and sizes a new plot
uses too.
"""

from __future__ import annotations

from tnrnn.plots.cells import (
    CELL_INPUTS,
    CELL_STYLE,
    cell_rank,
    cell_style,
    cells_legend_handles,
    plot_cells_rank_vs_T,
)
from tnrnn.plots.gated import (
    GATED_FORMAT,
    GATED_SPECS,
    gated_rank_data,
    gated_rows,
    gated_table,
    plot_depth_ratio,
    plot_gated_rank_vs_T,
)
from tnrnn.plots.linear import plot_lag_weights, plot_ntk_vs_width, plot_rnn_vs_scm, plot_test_error_vs_rho
from tnrnn.plots.memory import plot_memory_accuracy, plot_memory_solved, save_memory_accuracy
from tnrnn.plots.rank import (
    DEPTH_COLORS,
    RATIO_BOUNDS,
    best_upper_bound,
    measured_ranks,
    plot_rank_ratio,
    plot_rank_vs_T,
    rank_legend_handles,
    rank_ratio_table,
)

__all__ = [
    "CELL_INPUTS",
    "CELL_STYLE",
    "cell_style",
    "DEPTH_COLORS",
    "RATIO_BOUNDS",
    "best_upper_bound",
    "cell_rank",
    "cells_legend_handles",
    "GATED_FORMAT",
    "GATED_SPECS",
    "gated_rank_data",
    "gated_rows",
    "gated_table",
    "measured_ranks",
    "plot_cells_rank_vs_T",
    "plot_depth_ratio",
    "plot_gated_rank_vs_T",
    "plot_lag_weights",
    "plot_memory_accuracy",
    "plot_memory_solved",
    "plot_ntk_vs_width",
    "plot_rank_ratio",
    "plot_rank_vs_T",
    "plot_rnn_vs_scm",
    "plot_test_error_vs_rho",
    "rank_legend_handles",
    "save_memory_accuracy",
    "rank_ratio_table",
]
