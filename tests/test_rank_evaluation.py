"""tnrnn.rank.evaluation (and _residues): the kernel and numpy paths against plain integer references."""

import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn._types import parse_partition
from tnrnn.cells import NumpyModular, make_cell
from tnrnn.cells.arith import residue_width_limit
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    evaluation_matrix,
    modular_rank,
    one_hot_grid,
    reference_matrix,
    residue_matrix,
)
from tnrnn.rank._run import _primes_below
from tnrnn.testing import flint_rank

P21 = _primes_below(BLAS_PRIME_BOUND, 1)[0]
P31 = 2**31 - 1  # int64 mode: width * (p-1)^2 < 2^63 for width <= 2


def _python_int_entry(params, p, xs):
    """y(x) mod p of the RAC with Python integers (no numpy, no JAX): an independent evaluation."""
    L = len(params.W_I)
    R = params.W_O.shape[1]
    g = [[1] * R for _ in range(L)]
    h = None
    for x in xs:
        inp = [int(v) for v in x]
        for l in range(L):
            WI, WH = params.W_I[l].tolist(), params.W_H[l].tolist()
            h = [g[l][r] * sum(WI[r][k] * inp[k] for k in range(len(inp))) % p for r in range(R)]
            g[l] = [sum(WH[r][k] * h[k] for k in range(R)) % p for r in range(R)]
            inp = h
    return sum(int(w) * v for w, v in zip(params.W_O[0].tolist(), h, strict=True)) % p


PARTITIONS = ["start-end", "interleaved", "2,4,5;1,3,6", "1,2,3,6;4,5"]  # the third: End owns step 1


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize(("M", "R", "L"), [(2, 2, 1), (2, 3, 2), (3, 2, 3)])
@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_kernel_equals_int64_reference_and_flint(partition, M, R, L, domain):
    T = 6
    part = parse_partition(partition, T)
    cell = make_cell("rac", M, R, L)
    rng = np.random.default_rng(M * 100 + R * 10 + L)
    params = cell.random_residues(P21, rng.integers(2**31))
    if domain == "onehot":
        a, b = one_hot_grid(M, len(part.A)), one_hot_grid(M, len(part.B))
    else:
        a = rng.integers(0, P21, (23, len(part.A), M))
        b = rng.integers(0, P21, (17, len(part.B), M))
    ref = reference_matrix(cell, params, part, a, b, P21)
    v1 = evaluation_matrix(cell, params, NumpyModular(P21), part, a, b)
    kern = residue_matrix(cell, params, part, a, b, P21)
    assert ref.shape == kern.shape == (a.shape[0], b.shape[0])
    np.testing.assert_array_equal(np.mod(kern.astype(np.int64), P21), ref)
    np.testing.assert_array_equal(v1, ref)
    assert np.abs(kern).max() <= P21 // 2  # centred residues
    kern64 = residue_matrix(cell, params, part, a, b, P21, dtype="int64")
    np.testing.assert_array_equal(kern64, ref)
    # spot-check entries against plain Python integers
    for i, j in [(0, 0), (a.shape[0] - 1, b.shape[0] - 1), (1 % a.shape[0], 2 % b.shape[0])]:
        xs = [None] * T
        for k, t in enumerate(part.A):
            xs[t - 1] = a[i, k]
        for k, t in enumerate(part.B):
            xs[t - 1] = b[j, k]
        assert _python_int_entry(params, P21, xs) == ref[i, j]
    assert flint_rank(kern, P21) == flint_rank(ref, P21) == modular_rank(kern, P21)


def test_kernel_int64_large_prime_and_offsets():
    cell = make_cell("rac", 2, 2, 2)
    part = parse_partition("start-end", 4)
    params = cell.random_residues(P31, 3)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, P31, (9, 2, 2)), rng.integers(0, P31, (5, 2, 2))
    ref = reference_matrix(cell, params, part, a, b, P31)
    out = np.zeros((12, 8), np.int64)
    residue_matrix(cell, params, part, a, b, P31, dtype="int64", out=out, row_offset=2, col_offset=3)
    np.testing.assert_array_equal(out[2:11, 3:8], ref)
    assert not out[:2].any() and not out[:, :3].any()
    with pytest.raises(ArgumentError, match="^p="):
        residue_matrix(cell, params, part, a, b, P31)  # float64 mode needs p < 2^21


def test_residue_width_limit_is_the_exactness_bound():
    h = (P21 + 1) // 2
    n = residue_width_limit(P21)
    assert n * h * h < 2**52 <= (n + 1) * h * h
    assert n >= 4096


def test_one_hot_grid_is_lexicographic():
    g = one_hot_grid(3, 2)
    assert g.shape == (9, 2, 3)
    assert [tuple(np.argmax(g[i], axis=1)) for i in range(9)] == [(i, j) for i in range(3) for j in range(3)]


def test_numpy_modular_matches_python():
    ar = NumpyModular(97)
    W = np.array([[1, 96], [50, 3]])
    v = np.array([[5, 7]])
    assert ar.matvec(W, v).tolist() == [[(5 + 96 * 7) % 97, (250 + 21) % 97]]


@pytest.mark.parametrize("partition", ["start-end", "interleaved"])
def test_kernel_long_schedules_split_into_calls(partition):
    from tnrnn.rank import evaluation

    T = 2 * evaluation._GROUP + 6  # more remaining steps than one fused call takes
    part = parse_partition(partition, T)
    cell = make_cell("rac", 2, 2, 2)
    params = cell.random_residues(P21, 7)
    rng = np.random.default_rng(7)
    a = rng.integers(0, P21, (5, len(part.A), 2))
    b = rng.integers(0, P21, (6, len(part.B), 2))
    ref = reference_matrix(cell, params, part, a, b, P21)
    got = residue_matrix(cell, params, part, a, b, P21)
    np.testing.assert_array_equal(np.mod(got.astype(np.int64), P21), ref)
    assert len(evaluation._groups(("c",) * (evaluation._GROUP + 3))) == 4
