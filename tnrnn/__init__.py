"""tnrnn: tensor-network analysis of the long-term memory of recurrent networks.

The curated public API. ``import tnrnn`` does not import matplotlib; drawing and plotting functions live in
`tnrnn.draw` and `tnrnn.plots` and import it lazily.
"""

from tnrnn._types import ArgumentError, MemoryRefusal, Partition, parse_partition
from tnrnn.build import build_network, compile_rac
from tnrnn.contract import make_contractor, network_forward, network_grid_tensor, plan_contraction
from tnrnn.cuts import CutResult, min_cut, start_end_min_cut
from tnrnn.linear import (
    LinearRNN,
    causal_convolution,
    empirical_lag_ntk,
    impulse_response,
    init_linear_rnn,
    lag_weights,
    lag_weights_exact,
    memory_lag,
    peak_lag,
    rnn_outputs,
)
from tnrnn.network import TNGraph
from tnrnn.rac import RAC, ModularRAC, init_rac, one_hot, rac_forward, rac_forward_batch, rac_outputs, rac_step

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
