"""Cross-module sandwiches: every module checked against another that computes the same thing differently.

* the compiled tensor network, contracted, gives *the same matrix* as the exact rank engine's mod-p evaluation;
* closed-form lower bound <= exact rank <= every proven bound and the tensor-network min-cut, in both domains;
* the one-hot rank never exceeds the continuous rank (the one-hot function is a restriction of the polynomial).
"""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn._types import parse_partition
from tnrnn.bounds import lower_bound, proven_upper_bounds
from tnrnn.cells import NumpyModular, Rac
from tnrnn.contract import network_grid_tensor
from tnrnn.cuts import start_end_min_cut
from tnrnn.rac import RAC, max_safe_prime
from tnrnn.rank import _one_hot_grid, evaluation_matrix, modular_rank, separation_rank


def _small_integer_rac(M, R, L, seed):
    rng = np.random.default_rng(seed)
    W_I = tuple(rng.integers(-1, 2, (R, M if l == 0 else R)).astype(np.float64) for l in range(L))
    W_H = tuple(rng.integers(-1, 2, (R, R)).astype(np.float64) for _ in range(L))
    W_O = rng.integers(-1, 2, (1, R)).astype(np.float64)
    return RAC(tuple(map(jnp.asarray, W_I)), tuple(map(jnp.asarray, W_H)), jnp.asarray(W_O))


@pytest.mark.parametrize(("M", "R", "L", "T"), [(2, 2, 1, 4), (2, 2, 2, 4), (3, 2, 2, 4), (2, 2, 3, 4), (2, 3, 2, 6)])
def test_contracted_onehot_network_equals_modular_grid(M, R, L, T):
    """Small integer weights keep float64 exact, so the contraction must equal the mod-p evaluation entrywise."""
    model = _small_integer_rac(M, R, L, seed=M + 10 * R + 100 * L + T)
    grid = np.asarray(network_grid_tensor(model, T))[..., 0]
    assert np.all(grid == np.round(grid)) and np.abs(grid).max() < 2**50
    p = max_safe_prime(max(M, R))
    part = parse_partition("start-end", T)

    def red(w):
        return np.mod(np.asarray(w).astype(np.int64), p)

    params = RAC(tuple(map(red, model.W_I)), tuple(map(red, model.W_H)), red(model.W_O))
    grid_a = grid_b = _one_hot_grid(M, T // 2)
    modular = evaluation_matrix(Rac(M, R, L), params, NumpyModular(p), part, grid_a, grid_b)
    as_matrix = np.mod(grid.reshape(M ** (T // 2), M ** (T // 2)).astype(np.int64), p)
    assert np.array_equal(as_matrix, modular)
    assert modular_rank(as_matrix, p) == modular_rank(modular, p)


def test_sandwich_lower_exact_upper_cut():
    for L, M, R, T in itertools.product((1, 2, 3), (2, 3), (2, 3), (2, 4, 6)):
        if L == 3 and T == 6 and M * R > 6:
            continue  # slow corner; covered by the slow table tests
        ranks = {}
        for domain in ("onehot", "continuous"):
            exact = separation_rank(M, R, L, T, domain=domain).rank
            ranks[domain] = exact
            low, _ = lower_bound(M, R, L, T)
            if low is not None:
                assert low <= exact, (L, M, R, T, domain)
            for name, bound in proven_upper_bounds(M, R, L, T, domain=domain).items():
                assert exact <= bound, (L, M, R, T, domain, name)
            assert exact <= start_end_min_cut(M, R, L, T, domain=domain).bound, (L, M, R, T, domain)
        assert ranks["onehot"] <= ranks["continuous"], (L, M, R, T)
