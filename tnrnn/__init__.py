"""tnrnn: tensor-network analysis of the long-term memory of recurrent networks.

The curated public API, loaded lazily: ``import tnrnn`` imports no submodule until one of the names below is
used (``tnrnn.min_cut`` imports `tnrnn.cuts`, ``tnrnn.RAC`` imports `tnrnn.rac` and JAX). ``import tnrnn`` never
imports matplotlib; drawing and plotting functions live in `tnrnn.draw` and `tnrnn.plots` and import it lazily.
"""

from __future__ import annotations

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
    **dict.fromkeys(
        ["RAC", "ModularRAC", "init_rac", "one_hot", "rac_forward", "rac_forward_batch", "rac_outputs", "rac_step"],
        "tnrnn.rac",
    ),
}

__version__ = "0.1.0"

__all__ = [
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


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
