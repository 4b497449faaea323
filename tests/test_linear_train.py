"""Tests of tnrnn.linear.train: the matched SCM, its function-space step, RNN vs SCM training paths."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from tnrnn.linear import (
    impulse_response,
    init_linear_rnn,
    lag_weights,
    rnn_outputs,
)
from tnrnn.linear.model import lagged_inputs
from tnrnn.linear.train import (
    make_data,
    matched_scm,
    mse_loss,
    relative_path_difference,
    teacher_filters,
    train_rnn,
    train_scm,
)
from tnrnn.testing import assert_close, relative_error

#: task tolerance: relative difference of the learned L − L(0) of a width-250 / 1000 RNN and the SCM
#: (docs/results.md: 0.038 / 0.006; an earlier derivation: 0.029 at 1000)
RNN_SCM_RTOL = 0.05


# --- training: RNN vs SCM ------------------------------------------------------------------------------------------


def test_matched_scm_reproduces_the_initial_function():
    m = init_linear_rnn(50, key=jax.random.key(0), rho2=0.5, n_x=2)
    L0 = impulse_response(m, 9)
    scm = matched_scm(L0, lag_weights(9, rho2=0.5))
    assert_close(scm.filters(), L0)
    xs = jax.random.normal(jax.random.key(1), (2, 10, 2))
    assert_close(scm(xs), rnn_outputs(m, xs))


def test_scm_step_is_the_function_space_update():
    """One SCM step moves L_j by −η β_j²/n_x · G_j exactly (notes §2.2)."""
    T, eta = 8, 0.1
    beta2 = lag_weights(T - 1, rho2=0.5)
    L_star = teacher_filters("geometric", T - 1, n_x=2, a=0.7)
    xs, ys, _ = make_data(L_star, 5, T, key=jax.random.key(0))
    scm = matched_scm(0.1 * jnp.ones((T, 1, 2)), beta2)
    res = train_scm(scm, xs, ys, lr=eta, steps=1)
    G = jax.grad(mse_loss)(scm.filters(), lagged_inputs(xs, T - 1), ys)
    expected = scm.filters() - eta * (jnp.asarray(beta2) / 2)[:, None, None] * G
    assert_close(res.L_final, expected)


def _rnn_and_scm_paths(width):
    """Protocol of docs/results.md (T = 30, N = 20, GD η = 0.1, 400 steps, ρ² = 0.5, geometric teacher) at ``width``."""
    T, N, steps, eta, rho2 = 30, 20, 400, 0.1, 0.5
    L_star = teacher_filters("geometric", T - 1, a=0.8)
    xs, ys, _ = make_data(L_star, N, T, key=jax.random.key(100))
    m = init_linear_rnn(width, key=jax.random.key(0), rho2=rho2)
    r = train_rnn(m, xs, ys, lr=eta, steps=steps)
    c = train_scm(matched_scm(r.L_init, lag_weights(T - 1, rho2=rho2)), xs, ys, lr=eta, steps=steps)
    assert_close(c.L_init, r.L_init)
    assert r.train_loss[-1] < r.train_loss[0] and c.train_loss[-1] < c.train_loss[0]
    return relative_path_difference(r.L_final, c.L_final, r.L_init), relative_error(
        r.L_final - r.L_init, c.L_final - c.L_init
    )


def test_rnn_and_scm_training_paths_agree_at_width_250():
    """Row n = 250 of docs/results.md (0.038): the same protocol and tolerance as at n = 1000, a quarter the cost."""
    assert all(d < RNN_SCM_RTOL for d in _rnn_and_scm_paths(250))


@pytest.mark.slow
def test_rnn_and_scm_training_paths_agree_at_width_1000():
    """The reference case (docs/results.md: 0.006); closer than at n = 250, as the kernel limit says."""
    at_1000 = _rnn_and_scm_paths(1000)
    assert all(d < RNN_SCM_RTOL for d in at_1000)
    assert at_1000[0] < _rnn_and_scm_paths(250)[0]


def test_standard_parameterisation_trains_with_step_over_n():
    """Under the standard parameterisation the factors 1/n make GD from the same function comparable."""
    T = 12
    xs, ys, _ = make_data(teacher_filters("geometric", T - 1, a=0.6), 6, T, key=jax.random.key(0))
    m = init_linear_rnn(200, key=jax.random.key(1), rho2=0.5, param="standard")
    r = train_rnn(m, xs, ys, lr=0.1, steps=50)
    assert r.train_loss[-1] < 0.5 * r.train_loss[0]
