import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn.cells import NumpyModular, Rac
from tnrnn.rac import (
    RAC,
    ModularRAC,
    init_rac,
    largest_primes_below,
    max_safe_prime,
    max_safe_prime_bound,
    one_hot,
    rac_forward,
    rac_forward_batch,
    rac_outputs,
)
from tnrnn.testing import assert_close


def _naive_forward(model, xs):
    """Python loop over the recurrence exactly as written in the paper notes §1.2."""
    L = model.L
    h_prev = [None] * L
    for x in np.asarray(xs):
        inp = x
        for l in range(L):
            rec = np.ones(model.R) if h_prev[l] is None else np.asarray(model.W_H[l]) @ h_prev[l]
            h = rec * (np.asarray(model.W_I[l]) @ inp)
            h_prev[l] = h
            inp = h
    return np.asarray(model.W_O) @ inp


@pytest.mark.parametrize("L", [1, 2, 3])
def test_forward_matches_naive_recurrence(L):
    model = init_rac(3, 4, L, key=jax.random.PRNGKey(L), K=2)
    xs = jax.random.normal(jax.random.PRNGKey(10 + L), (6, 3))
    assert model.M == 3 and model.R == 4 and model.L == L and model.K == 2
    assert_close(rac_forward(model, xs), _naive_forward(model, xs))
    assert_close(model(xs), _naive_forward(model, xs))
    assert_close(rac_outputs(model, xs)[-1], _naive_forward(model, xs))


def test_outputs_every_step_and_batch():
    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(0))
    xs = jax.random.normal(jax.random.PRNGKey(1), (4, 5, 2))
    ys = rac_forward_batch(model, xs)
    assert ys.shape == (4, 1)
    for b in range(4):
        assert_close(ys[b], rac_forward(model, xs[b]))
        outs = rac_outputs(model, xs[b])
        for t in range(1, 6):
            assert_close(outs[t - 1], _naive_forward(model, xs[b, :t]))


def test_float64_under_x64_and_jit():
    """Under x64 the jitted forward pass computes in float64: a 1e-9 change of an input moves the output by its
    derivative times 1e-9, which float32 (resolution 6e-8 relative) could not resolve."""
    model = init_rac(2, 2, 2, key=jax.random.PRNGKey(0))
    assert model.W_O.dtype == jnp.float64
    xs = one_hot(jnp.array([0, 1, 1, 0]), 2)
    f = jax.jit(rac_forward)
    y = f(model, xs)
    assert y.dtype == jnp.float64
    assert_close(y, _naive_forward(model, xs))
    eps = 1e-9
    slope = jax.grad(lambda x: rac_forward(model, x)[0])(xs)[0, 0]
    assert abs(float(slope)) > 1e-3  # the output depends on this input
    moved = (f(model, xs.at[0, 0].add(eps))[0] - y[0]) / eps
    assert abs(float(moved) / float(slope) - 1) < 1e-4
    assert f(model, xs.astype(jnp.float32)).dtype == jnp.float64  # the float64 weights set the precision


def test_model_is_a_pytree():
    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(0))
    leaves = jax.tree_util.tree_leaves(model)
    assert len(leaves) == 2 * 2 + 1
    doubled = jax.tree_util.tree_map(lambda a: 2 * a, model)
    assert isinstance(doubled, RAC)
    for a, b in zip(jax.tree_util.tree_leaves(doubled), leaves, strict=True):
        assert_close(a, 2 * np.asarray(b))
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.W_O = None


def test_init_is_deterministic_and_keyword_only():
    a = init_rac(2, 3, 2, key=jax.random.PRNGKey(7))
    b = init_rac(2, 3, 2, key=jax.random.PRNGKey(7))
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        assert np.array_equal(x, y)
    with pytest.raises(TypeError):
        init_rac(2, 3, 2, jax.random.PRNGKey(7))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_sizes(bad):
    with pytest.raises(ArgumentError, match="R="):
        init_rac(2, bad, 1, key=jax.random.PRNGKey(0))


def _python_int_forward(params, p, xs):
    L, R = len(params.W_I), params.W_O.shape[1]
    g = [[1] * R for _ in range(L)]
    inp = None
    for x in xs:
        inp = [int(v) for v in x]
        for l in range(L):
            WI, WH = params.W_I[l].tolist(), params.W_H[l].tolist()
            h = [g[l][r] * sum(WI[r][c] * inp[c] for c in range(len(inp))) % p for r in range(R)]
            g[l] = [sum(WH[r][c] * h[c] for c in range(R)) % p for r in range(R)]
            inp = h
    return [sum(w * v for w, v in zip(row, inp, strict=True)) % p for row in params.W_O.tolist()]


def _modular_outputs(cell, params, xs, p):
    """Every output of ``cell`` modulo ``p`` (`Cell.modular_forward` keeps only the first)."""
    ar = NumpyModular(p)
    _, h = cell.run(params, np.mod(np.asarray(xs, np.int64), p), ar)
    return cell.readout(params, h, ar)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_modular_matches_python_integers(L):
    M, R = 3, 5
    p = max_safe_prime(max(M, R))
    cell = Rac(M, R, L, K=2)
    params = cell.random_residues(p, L)
    xs = np.random.default_rng(L).integers(1, p, (7, M))
    assert _modular_outputs(cell, params, xs, p).tolist() == _python_int_forward(params, p, xs)


def test_modular_matches_float_on_small_integers():
    """With tiny integer weights and inputs nothing wraps, so the mod-p run equals the float run."""
    rng = np.random.default_rng(0)
    M, R, L = 2, 2, 2
    W_I = tuple(rng.integers(-2, 3, (R, M if l == 0 else R)) for l in range(L))
    W_H = tuple(rng.integers(-2, 3, (R, R)) for _ in range(L))
    W_O = rng.integers(-2, 3, (1, R))
    fmodel = RAC(
        tuple(map(jnp.asarray, map(np.float64, W_I))),
        tuple(map(jnp.asarray, map(np.float64, W_H))),
        jnp.asarray(np.float64(W_O)),
    )
    p = max_safe_prime(R)
    residues = RAC(tuple(np.mod(w, p) for w in W_I), tuple(np.mod(w, p) for w in W_H), np.mod(W_O, p))
    xs = rng.integers(-2, 3, (4, M))
    y_float = int(round(float(rac_forward(fmodel, jnp.asarray(xs, jnp.float64))[0])))
    assert int(Rac(M, R, L).modular_forward(residues, xs, p)) == y_float % p


def test_modular_rac_is_deprecated_and_agrees_with_the_cell():
    M, R, L, p = 2, 3, 2, 1000003
    with pytest.warns(DeprecationWarning, match="ModularRAC is deprecated"):
        m = ModularRAC.random(M, R, L, p=p, seed=4, K=2)
    params = RAC(m.W_I, m.W_H, m.W_O)
    xs = np.random.default_rng(1).integers(0, p, (5, M))
    assert m(xs).tolist() == _modular_outputs(Rac(M, R, L, K=2), params, xs, p).tolist()
    assert m(xs).tolist() == _python_int_forward(params, p, xs)
    # the version-1 call of evaluation_matrix with a ModularRAC still gives the cell's matrix, with a warning
    from tnrnn._types import parse_partition
    from tnrnn.rank import evaluation_matrix, one_hot_grid

    part, grid = parse_partition("start-end", 4), one_hot_grid(M, 2)
    with pytest.warns(DeprecationWarning, match="evaluation_matrix"):
        old = evaluation_matrix(m, part, grid, grid)
    new = evaluation_matrix(Rac(M, R, L, K=2), params, NumpyModular(p), part, grid, grid)
    assert new.shape == (M * M, M * M) and np.array_equal(old, new)


def test_prime_bound_rules_out_overflow():
    for width in (1, 4, 64, 1000):
        b = max_safe_prime_bound(width)
        assert width * b**2 < 2**63
        assert width * (b + 1) ** 2 >= 2**63
    p = max_safe_prime(4)
    assert largest_primes_below(p + 1, 1) == [p]
    with pytest.raises(ArgumentError, match="p="), pytest.warns(DeprecationWarning):
        ModularRAC.random(2, 4, 1, p=2**62 + 1, seed=0)
    with pytest.raises(ArgumentError, match="p="), pytest.warns(DeprecationWarning):
        ModularRAC.random(2, 4, 1, p=1000, seed=0)  # not prime


def test_generic_initial_state_gives_same_rank():
    """Notes §1.3: a generic h^0 instead of the all-ones convention leaves the separation rank unchanged."""
    from tnrnn._types import parse_partition
    from tnrnn.rank import evaluation_matrix, modular_rank, separation_rank

    M, R, L, T = 2, 3, 2, 6
    p = max_safe_prime(R)
    rng = np.random.default_rng(3)
    carry0 = tuple(rng.integers(1, p, R) for _ in range(L))

    @dataclasses.dataclass(frozen=True)
    class WithH0(Rac):
        def initial_carry(self, params, ar, like):
            return tuple(np.broadcast_to(c, (*like.shape[:-1], self.R)).copy() for c in carry0)

    cell = WithH0(M, R, L)
    params = cell.random_residues(p, 5)
    part = parse_partition("start-end", T)
    a = rng.integers(0, p, (80, T // 2, M))
    b = rng.integers(0, p, (80, T // 2, M))
    ones = modular_rank(evaluation_matrix(Rac(M, R, L), params, NumpyModular(p), part, a, b), p)
    r_h0 = modular_rank(evaluation_matrix(cell, params, NumpyModular(p), part, a, b), p)
    assert r_h0 == ones
    assert r_h0 == separation_rank(M, R, L, T, domain="continuous").rank
