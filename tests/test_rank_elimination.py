"""tnrnn.rank.elimination and its engines (_block, _jax_block, _blas): exact ranks mod p against FLINT."""

import math

import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    blas_modular_rank,
    elimination_engine,
    jax_modular_rank,
    modular_rank,
    separation_rank,
)
from tnrnn.rank._blas import gemm_update, have_inplace_gemm, matmul
from tnrnn.rank._run import _primes_below
from tnrnn.testing import assert_close, flint_rank, matrix_of_rank

P21 = _primes_below(BLAS_PRIME_BOUND, 1)[0]
P31 = 2**31 - 1  # int64 mode: width * (p-1)^2 < 2^63 for width <= 2


def _top_prime(panel):
    """The largest prime the block path accepts for this panel width (``panel * ((p-1)/2 + 2)^2 + p <= 2^52``)."""
    from tnrnn.rac import _is_prime

    p = 2 * math.isqrt(2**52 // panel) - 3
    while not (_is_prime(p) and panel * ((p - 1) // 2 + 2) ** 2 + p <= 2**52):
        p -= 1
    return p


@pytest.mark.parametrize(
    ("n", "m", "r"),
    [(300, 500, 0), (300, 500, 1), (300, 500, 57), (300, 500, 300), (500, 300, 300), (500, 300, 201), (130, 130, 130)],
)
@pytest.mark.parametrize("panel", [64, 256])
def test_blas_rank_matches_flint_prescribed_rank(n, m, r, panel):
    A = matrix_of_rank(np.random.default_rng(n + m + r), n, m, r, P21)
    assert blas_modular_rank(A, P21, panel=panel) == flint_rank(A, P21) == r


def test_blas_rank_deficient_panels():
    """Zero panel, zero and duplicated columns and rows, a panel of rank 1, across several panels of width 32."""
    rng = np.random.default_rng(5)
    p, panel = P21, 32
    A = matrix_of_rank(rng, 300, 500, 180, p)
    A[:, 64:96] = 0  # a whole panel is zero
    A[:, 100] = 0
    A[:, 130:140] = A[:, 0:10]
    A[:, 160:192] = np.outer(rng.integers(0, p, 300), np.arange(1, 33)) % p  # a panel of rank 1
    A[250:270] = A[0:20]
    A[280:290] = 0
    A[:, 400:410] = (3 * A[:, 300:310] + A[:, 200:210]) % p
    assert blas_modular_rank(A, p, panel=panel) == flint_rank(A, p)
    assert blas_modular_rank(A.T, p, panel=panel) == flint_rank(A, p)
    assert blas_modular_rank(np.zeros((200, 300), np.int64), p) == 0
    E = np.zeros((200, 300), np.int64)
    E[150, 250] = 7
    assert blas_modular_rank(E, p, panel=16) == 1


def test_panel_fast_takes_the_first_rows_when_generic_and_falls_back_when_they_are_dependent():
    from tnrnn.rank._block import _panel_fast, _reduce

    p, rng = P21, np.random.default_rng(11)

    def check(P):
        piv, rest, G = _panel_fast(_reduce(P.astype(np.float64), p), p)
        assert sorted([*piv, *rest]) == list(range(P.shape[0])) and len(piv) == flint_rank(P, p)
        assert np.array_equal((G.astype(np.int64) @ P[piv]) % p, P[rest] % p)  # P[rest] = G P[piv] (mod p)
        return piv

    P = rng.integers(0, p, (600, 64), dtype=np.int64)
    assert list(check(P)) == list(range(64))  # generic: the first 64 rows, no search
    P[1:6] = P[0]  # the first rows are dependent: the search among the first 72 rows
    assert 1 not in check(P) and len(check(P)) == 64
    P = rng.integers(0, p, (600, 64), dtype=np.int64)
    P[:32, :32] = 0  # P[:64] is invertible but its leading block is singular
    assert len(check(P)) == 64
    assert blas_modular_rank(np.vstack([P, P]), p, panel=64) == 64


@pytest.mark.parametrize("panel", [8, 256])
def test_blas_rank_at_top_prime(panel):
    """The largest prime the exactness bound allows: an inexact matmul or a late reduction would show here (for
    panel 8 the trailing block is reduced every few panels)."""
    p = _top_prime(panel)
    assert p > 2**22
    rng = np.random.default_rng(panel)
    for n, m, r in [(260, 300, 260), (300, 260, 199), (257, 257, 256)]:
        A = matrix_of_rank(rng, n, m, r, p)
        assert blas_modular_rank(A, p, panel=panel) == flint_rank(A, p) == r
    with pytest.raises(ArgumentError, match="^p="):
        blas_modular_rank(A, p + 2 * (panel + 2) ** 2 + 4 * 2**20, panel=panel)


def test_modular_rank_dispatch_and_engine_note():
    rng = np.random.default_rng(0)
    A = matrix_of_rank(rng, 200, 200, 150, P21)
    assert elimination_engine(A.shape, P21) == "blas-block"
    assert elimination_engine((100, 400), P21) == "flint"
    assert elimination_engine(A.shape, 2**31 - 1) == "flint"
    assert modular_rank(A, P21) == flint_rank(A, P21) == 150
    assert modular_rank(A[:100], P21) == 100  # FLINT side of the crossover
    for B in (A.copy(), np.asfortranarray(A[:, :180]), A[:, :190].astype(np.int32)):
        expected = flint_rank(B, P21)
        assert blas_modular_rank(B, P21, overwrite=True) == expected == min(150, B.shape[1])
    small = separation_rank(2, 2, 2, 8, domain="continuous")
    assert small.extra["elimination"] == "flint" and small.primes[0] < BLAS_PRIME_BOUND
    assert small.status == "proven" and small.failure_bound == 0.0
    big = separation_rank(2, 2, 3, 10, domain="continuous", confidence="fast")  # cap 192: the block path
    assert big.rank == 188 and "blas-block" in big.extra["elimination"]
    assert all(p < BLAS_PRIME_BOUND for p in big.primes) and len(set(big.primes)) == 2


@pytest.mark.parametrize(("n", "m", "r"), [(300, 300, 300), (300, 260, 170), (140, 520, 133), (513, 400, 1)])
def test_block_eliminations_equal_flint(n, m, r):
    rng = np.random.default_rng(n + m + r)
    A = matrix_of_rank(rng, n, m, r, P21)
    expected = flint_rank(A, P21)
    assert expected == min(r, n, m)
    assert blas_modular_rank(A, P21) == expected
    assert blas_modular_rank(A.astype(np.float64), P21, overwrite=True) == expected
    assert jax_modular_rank(A, P21, panel=64) == expected
    assert modular_rank(A, P21, engine="jax-block") == expected
    assert modular_rank(A, P21, engine="flint") == expected


def test_inplace_gemm_updates_a_strided_block_only():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((70, 90))
    G, B = rng.standard_normal((50, 7)), rng.standard_normal((7, 60))
    expected = S.copy()
    expected[20:, 30:] -= G @ B
    gemm_update(S[20:, 30:], G, B)
    assert_close(S, expected)
    assert have_inplace_gemm()


def test_blas_matmul_equals_numpy_on_strided_and_integer_blocks():
    rng = np.random.default_rng(1)
    S = rng.integers(-(2**20), 2**20, (80, 90)).astype(np.float64)
    A, B = S[10:50, 5:37], S[40:72, 20:83]  # strided views of one array
    out = matmul(A, B)
    assert out.flags.c_contiguous and out.shape == (40, 63)
    assert np.array_equal(out, A @ B)  # integers below 2^53: exact in any order
    assert np.array_equal(matmul(A[:, ::2], B[::2]), A[:, ::2] @ B[::2])  # non-unit column stride: copied first
    assert np.array_equal(matmul(A[:, :0], B[:0]), np.zeros((40, 63)))


@pytest.mark.parametrize("w", [32, 64, 200, 256])
def test_blockwise_inverse_mod_p(w):
    from tnrnn.rank._block import _inverse, _reduce

    rng = np.random.default_rng(w)
    A = _reduce(rng.integers(0, P21, (w, w)).astype(float), P21)
    X = _inverse(A, P21)
    np.testing.assert_array_equal(_reduce(A @ X, P21), np.eye(w))
    S = np.zeros((w, w))  # singular leading blocks: the FLINT fallback
    S[: w // 2, w // 2 :] = np.eye(w // 2)
    S[w // 2 :, : w // 2] = np.eye(w - w // 2)[:, : w // 2] if w % 2 == 0 else 0
    if w % 2 == 0:
        np.testing.assert_array_equal(_reduce(S @ _inverse(S, P21), P21), np.eye(w))
