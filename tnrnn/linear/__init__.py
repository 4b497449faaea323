"""Implicit bias of linear RNNs: the linear RNN, its weighted 1-D convolution twin, lag weights, empirical NTK.

Emami et al., *Implicit Bias of Linear RNNs* (ICML 2021); see the theory page, section 'Linear RNNs and their
implicit bias'. Modules:

- `tnrnn.linear.model`: the linear RNN pytree (NTK and standard parameterisations), forward pass by `lax.scan`,
  impulse response, causal convolution;
- `tnrnn.linear.lag_weights`: analytic β_j² (float and exact rational) and peak / 1 %-memory lags;
- `tnrnn.linear.ntk`: the empirical lag-by-lag NTK of a finite-width RNN by JAX autodiff;
- `tnrnn.linear.train`: the scaled convolution model, teachers, data and jitted full-batch gradient descent;
- `tnrnn.linear.experiments`: the experiments of the user guide 'Linear RNNs' (settings: `tnrnn.linear.settings`)
  and their results JSON (read by `tnrnn.linear.results`).

Library code never changes JAX's global configuration; callers that compare with β_j² down to 1e-5 enable
``jax_enable_x64`` themselves (the tests and the CLI do).
"""

from tnrnn.linear.lag_weights import (
    lag_weight,
    lag_weight_summary,
    lag_weights,
    lag_weights_exact,
    memory_constant,
    memory_lag,
    peak_lag,
)
from tnrnn.linear.model import (
    PARAMETERISATIONS,
    LinearRNN,
    causal_convolution,
    group_lr_scale,
    impulse_response,
    init_linear_rnn,
    lagged_inputs,
    rnn_outputs,
    rnn_step,
)
from tnrnn.linear.ntk import empirical_lag_ntk, empirical_ntk_tensor

__all__ = [
    "PARAMETERISATIONS",
    "LinearRNN",
    "init_linear_rnn",
    "group_lr_scale",
    "rnn_step",
    "rnn_outputs",
    "impulse_response",
    "causal_convolution",
    "lagged_inputs",
    "lag_weight",
    "lag_weights",
    "lag_weights_exact",
    "lag_weight_summary",
    "peak_lag",
    "memory_lag",
    "memory_constant",
    "empirical_lag_ntk",
    "empirical_ntk_tensor",
]
