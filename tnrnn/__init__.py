"""tnrnn: tensor-network analysis of the long-term memory of recurrent networks.

The curated public API, loaded lazily: ``import tnrnn`` imports no submodule until one of the names below is
used (``tnrnn.min_cut`` imports `tnrnn.cuts`, ``tnrnn.RAC`` imports `tnrnn.rac` and JAX). ``import tnrnn`` never
imports matplotlib; drawing and plotting functions live in `tnrnn.draw` and `tnrnn.plots` and import it lazily.

What a user reaches for first::

    tnrnn.separation_rank(M, R, L, T, domain=..., cell="rac")   # exact rank with its certificate (RankResult)
    tnrnn.bounds_report(M, R, L, T, cell="rac")                  # every proven bound of a cell
    tnrnn.make_cell("mi", M, R, L), tnrnn.Cell                   # the cells, and the protocol to write your own
    tnrnn.build_network(M, R, L, T, cell=...), tnrnn.min_cut     # the tensor network and its certified cut
    tnrnn.draw.draw_network(graph, cut=cut)                      # a drawing (matplotlib, imported on use)
"""

from __future__ import annotations

import importlib

from tnrnn._lazy import lazy_names

#: public name -> the module that defines it; imported on first use (`__getattr__`), so that ``import tnrnn`` and
#: ``import tnrnn.network`` / ``tnrnn.bounds`` / ``tnrnn.cuts`` load neither JAX nor matplotlib
_LAZY = {
    **dict.fromkeys(["ArgumentError", "MemoryRefusal", "Partition", "parse_partition"], "tnrnn._types"),
    **dict.fromkeys(["build_network", "compile_rac"], "tnrnn.build"),
    **dict.fromkeys(
        ["make_contractor", "network_forward", "network_grid_tensor", "plan_contraction"], "tnrnn.contract"
    ),
    **dict.fromkeys(["CutResult", "min_cut", "start_end_min_cut"], "tnrnn.cuts"),
    **dict.fromkeys(
        [
            "LinearRNN",
            "causal_convolution",
            "empirical_lag_ntk",
            "impulse_response",
            "init_linear_rnn",
            "lag_weights",
            "lag_weights_exact",
            "memory_lag",
            "peak_lag",
            "rnn_outputs",
        ],
        "tnrnn.linear",
    ),
    "TNGraph": "tnrnn.network",
    **dict.fromkeys(["separation_rank"], "tnrnn.rank.engine"),
    "RankResult": "tnrnn.rank.certificate",
    **dict.fromkeys(["Cell", "make_cell", "cell_names"], "tnrnn.cells.base"),
    "bounds_report": "tnrnn.cells.report",
    "draw_network": "tnrnn.draw",
    **dict.fromkeys(
        ["RAC", "ModularRAC", "init_rac", "one_hot", "rac_forward", "rac_forward_batch", "rac_outputs", "rac_step"],
        "tnrnn.rac",
    ),
}

__version__ = "0.1.0"

#: submodules offered as attributes (``tnrnn.draw``), imported on first use
_SUBMODULES = ("draw",)

__all__ = [
    "separation_rank",
    "RankResult",
    "Cell",
    "make_cell",
    "cell_names",
    "bounds_report",
    "draw",
    "draw_network",
    "ArgumentError",
    "MemoryRefusal",
    "Partition",
    "parse_partition",
    "RAC",
    "ModularRAC",
    "init_rac",
    "one_hot",
    "rac_forward",
    "rac_forward_batch",
    "rac_outputs",
    "rac_step",
    "TNGraph",
    "build_network",
    "compile_rac",
    "CutResult",
    "min_cut",
    "start_end_min_cut",
    "plan_contraction",
    "make_contractor",
    "network_forward",
    "network_grid_tensor",
    "LinearRNN",
    "init_linear_rnn",
    "rnn_outputs",
    "impulse_response",
    "causal_convolution",
    "lag_weights",
    "lag_weights_exact",
    "peak_lag",
    "memory_lag",
    "empirical_lag_ntk",
]


_lazy_getattr, __dir__ = lazy_names(__name__, _LAZY, globals())


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    return _lazy_getattr(name)
