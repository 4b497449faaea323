"""Tests of tnrnn.linear.model: the RNN == causal convolution sandwich, parameterisations, the pytree."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn.linear import (
    LinearRNN,
    causal_convolution,
    impulse_response,
    init_linear_rnn,
    rnn_outputs,
)
from tnrnn.linear.model import lagged_inputs
from tnrnn.linear.train import (
    mse_loss,
)
from tnrnn.testing import assert_close

# --- the RNN and its convolution --------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["ntk", "standard"])
def test_rnn_equals_causal_convolution(param):
    m = init_linear_rnn(9, key=jax.random.key(0), n_x=2, n_y=3, rho2=0.8, sigma_f2=1.3, sigma_c2=0.6, param=param)
    xs = jax.random.normal(jax.random.key(1), (4, 12, 2))
    assert_close(rnn_outputs(m, xs), causal_convolution(impulse_response(m, 11), xs))
    assert_close(m(xs[0]), causal_convolution(impulse_response(m, 11), xs[0]))
    # impulse response against explicit matrix powers
    A, B, C = m.effective()
    L5 = C @ np.linalg.matrix_power(np.asarray(A), 5) @ B
    assert_close(impulse_response(m, 5)[5], L5)


def test_parameterisations_share_the_initial_function():
    a = init_linear_rnn(6, key=jax.random.key(3), n_x=2, rho2=0.7, param="ntk")
    b = init_linear_rnn(6, key=jax.random.key(3), n_x=2, rho2=0.7, param="standard")
    assert_close(impulse_response(a, 7), impulse_response(b, 7))


def test_impulse_route_gradient_equals_recurrence_gradient():
    m = init_linear_rnn(7, key=jax.random.key(0), rho2=0.6)
    xs = jax.random.normal(jax.random.key(1), (3, 10, 1))
    ys = jax.random.normal(jax.random.key(2), (3, 10, 1))
    g1 = jax.grad(lambda p: 0.5 * jnp.mean(jnp.sum((rnn_outputs(p, xs) - ys) ** 2, -1)))(m)
    g2 = jax.grad(lambda p: mse_loss(impulse_response(p, 9), lagged_inputs(xs, 9), ys))(m)
    for name in ("W", "F", "C"):
        assert_close(getattr(g1, name), getattr(g2, name))


def test_model_is_an_immutable_pytree():
    m = init_linear_rnn(4, key=jax.random.key(0), param="standard")
    leaves, tree = jax.tree_util.tree_flatten(m)
    assert len(leaves) == 3
    assert jax.tree_util.tree_unflatten(tree, leaves).param == "standard"
    with pytest.raises(AttributeError):
        m.W = m.W  # frozen


def test_linear_rnn_is_a_pytree_with_static_param():
    model = init_linear_rnn(4, key=jax.random.PRNGKey(0))
    leaves, treedef = jax.tree_util.tree_flatten(model)
    assert [leaf.shape for leaf in leaves] == [model.W.shape, model.F.shape, model.C.shape]
    assert isinstance(model, LinearRNN) and model.param == "ntk"
    doubled = jax.tree_util.tree_map(lambda a: 2 * a, model)
    assert doubled.param == "ntk"  # static: not touched by tree maps
    assert_close(doubled.W, 2 * model.W)
