"""JAX contraction of compiled networks: equality with the RAC forward pass, the grid tensor and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.build import build_network, compile_rac
from tnrnn.contract import (
    METHODS,
    contract,
    make_contractor,
    network_forward,
    network_grid_tensor,
    plan_contraction,
    to_tensornetwork,
)
from tnrnn.rac import rac_forward
from tnrnn.rank import grid_tensor
from tnrnn.testing import assert_close, random_rac, relative_error, tolerance

FORWARD_CASES = [(2, 3, 1, 8), (3, 2, 2, 8), (2, 2, 3, 6)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("M,R,L,T", FORWARD_CASES)
def test_contraction_equals_forward_pass(M, R, L, T, method):
    model = random_rac(M, R, L, K=2)
    xs = jax.random.normal(jax.random.PRNGKey(7), (T, M))
    f = network_forward(T, M=M, R=R, L=L, K=2, method=method, domain="continuous")
    y = f(model, xs)
    ref = rac_forward(model, xs)
    assert y.shape == ref.shape == (2,)
    assert relative_error(y, ref) <= tolerance("float64")["rtol"]
    assert_close(y, ref)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("M,R,L,T", [(2, 2, 3, 8), (3, 3, 2, 8), (3, 2, 3, 7), (2, 3, 2, 5)])
def test_contraction_equals_forward_pass_larger(M, R, L, T, method):
    model = random_rac(M, R, L, K=2, seed=3)
    xs = jax.random.normal(jax.random.PRNGKey(8), (T, M))
    assert_close(
        network_forward(T, M=M, R=R, L=L, K=2, method=method, domain="continuous")(model, xs), rac_forward(model, xs)
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("M,R,L,T", [(2, 3, 2, 6), (3, 2, 3, 4)])
def test_onehot_network_equals_forward_on_symbols(M, R, L, T, method):
    model = random_rac(M, R, L, K=2, seed=1)
    f = network_forward(T, M=M, R=R, L=L, K=2, domain="onehot", method=method)
    gen = np.random.default_rng(0)
    for _ in range(3):
        xs = jax.nn.one_hot(jnp.asarray(gen.integers(0, M, T)), M)
        assert_close(f(model, xs), rac_forward(model, xs))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("M,R,L,T", [(2, 3, 1, 6), (3, 2, 2, 5), (2, 2, 3, 6)])
def test_onehot_network_is_the_grid_tensor(M, R, L, T, method):
    model = random_rac(M, R, L, K=2, seed=2)
    G = network_grid_tensor(model, T, method=method)
    assert G.shape == (M,) * T + (2,)
    assert_close(G[..., 0], grid_tensor(model, T))
    # and independently, by vmapping the forward pass over every one-hot sequence
    idx = np.array(np.unravel_index(np.arange(M**T), (M,) * T)).T
    ys = jax.vmap(rac_forward, in_axes=(None, 0))(model, jax.nn.one_hot(jnp.asarray(idx), M))
    assert_close(G.reshape(-1, 2), ys)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("M,R,L,T", [(2, 3, 2, 4), (2, 2, 3, 4)])
def test_gradient_equals_forward_gradient(M, R, L, T, method):
    model = random_rac(M, R, L, K=2, seed=4)
    xs = jax.random.normal(jax.random.PRNGKey(9), (T, M))
    f = network_forward(T, M=M, R=R, L=L, K=2, method=method, jit=False, domain="continuous")
    w = jnp.array([0.3, -1.1])
    g_net = jax.jit(jax.grad(lambda m: jnp.dot(w, f(m, xs))))(model)
    g_ref = jax.grad(lambda m: jnp.dot(w, rac_forward(m, xs)))(model)
    for a, b in zip(jax.tree.leaves(g_net), jax.tree.leaves(g_ref), strict=True):
        assert_close(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_gradient_equals_forward_gradient_larger(method):
    M, R, L, T = 2, 2, 3, 7
    model = random_rac(M, R, L, K=2, seed=5)
    xs = jax.random.normal(jax.random.PRNGKey(10), (T, M))
    f = network_forward(T, M=M, R=R, L=L, K=2, method=method, jit=False, domain="continuous")
    g_net = jax.jit(jax.grad(lambda m: f(m, xs).sum()))(model)
    g_ref = jax.grad(lambda m: rac_forward(m, xs).sum())(model)
    for a, b in zip(jax.tree.leaves(g_net), jax.tree.leaves(g_ref), strict=True):
        assert_close(a, b)


def test_contract_with_arrays_dict_and_plan_reuse():
    model = random_rac(2, 3, 2, K=2, seed=6)
    graph, arrays = compile_rac(model, 5)
    xs = jax.random.normal(jax.random.PRNGKey(11), (5, 2))
    assert_close(contract(graph, arrays, xs), rac_forward(model, xs))
    plan = plan_contraction(graph, method="einsum")
    run = make_contractor(plan)
    for seed in range(3):
        xs = jax.random.normal(jax.random.PRNGKey(seed), (5, 2))
        assert_close(run(arrays, xs), rac_forward(model, xs))
    assert plan.flops > 0 and plan.output == ("y",)


def test_tensornetwork_nodes_split_large_copy_tensors():
    model = random_rac(2, 2, 2, K=2, seed=0)
    graph, arrays = compile_rac(model, 4, domain="onehot")
    plan = plan_contraction(graph, inputs=False, method="tensornetwork")
    nodes, out_edges = to_tensornetwork(plan, arrays)
    import tensornetwork as tn

    copies = [n for n in nodes if isinstance(n, tn.CopyNode)]
    # Hadamard copies stay order 3; dx{t} with n_t = 5 - t copies (order n_t + 1) becomes n_t - 1 order-3 nodes
    n_t = [4, 3, 2]
    assert len(copies) == (len(graph.nodes_with_role("copy")) - 3) + sum(n - 1 for n in n_t)
    assert all(len(c.edges) == 3 for c in copies)
    assert len(out_edges) == 4 + 1


def test_bad_arguments():
    graph = build_network(2, 2, 2, 4, domain="continuous")
    with pytest.raises(ArgumentError) as exc:
        plan_contraction(graph, method="numpy")
    assert exc.value.name == "method" and "tensornetwork" in exc.value.allowed
    with pytest.raises(ArgumentError) as exc:
        plan_contraction(graph, optimize="best")
    assert exc.value.name == "optimize"
    with pytest.raises(ArgumentError) as exc:
        network_forward(4, M=2, R=2, L=2, domain="bits")
    assert exc.value.name == "domain"
    with pytest.raises(ArgumentError) as exc:
        network_forward(4, M=2, L=2, domain="continuous")
    assert "R" in exc.value.name
