"""Field primitives of the block elimination: centred reduction, Gauss-Jordan pivots and inverses of small blocks.

Over ``GF(p)`` (float64 residues) or ``GF(p^2)`` (complex128, ``re + im i`` with ``i^2 = -1``); see `tnrnn.rank._block`
for the elimination they serve and why every product is exact.
"""

from __future__ import annotations

import numpy as np

from tnrnn.rank._blas import matmul as _mm  # one BLAS (and thread pool) for every matmul

#: width below which a panel's pivots are found by Gauss-Jordan on candidate rows, and inverses by Gauss-Jordan
_BASE = 32


def _is_complex(matrix) -> bool:
    return np.asarray(matrix).dtype.kind == "c"


def _reduce(X: np.ndarray, p: int) -> np.ndarray:
    """Centred residues of the float64 integers ``X`` (``|X| <= 2^52``), in place: ``|result| <= (p-1)/2 + 2``.

    ``X * (1/p)`` is within ``2.1/p`` of ``X/p``, so the rounded quotient is the nearest integer or off by one near a
    half; ``q p`` and ``X - q p`` are exact integers below ``2^53``. Large arrays are reduced a block of rows at a
    time, so the temporary stays small (a whole-matrix temporary cost seconds of page faults at side 8568).
    """
    if X.dtype.kind == "c":  # GF(p^2): both parts, through a float64 view of the same memory
        _reduce(X.view(np.float64), p)
        return X
    if X.ndim == 2 and X.size > _REDUCE_BLOCK:
        step = max(1, _REDUCE_BLOCK // max(1, X.shape[1]))
        for lo in range(0, X.shape[0], step):
            _reduce(X[lo : lo + step], p)
        return X
    q = np.multiply(X, 1.0 / p)
    np.rint(q, out=q)
    q *= p
    X -= q
    return X


#: entries per block of `_reduce`: a 2 MiB temporary, so the four passes over a block stay in cache (a 4000 x 8000
#: block: 0.031 s, against 0.042 s with 16 MiB blocks)
_REDUCE_BLOCK = 2**18


def _inverse_scalar(x, p: int):
    """``1 / x`` modulo ``p`` (in ``GF(p^2)`` for a complex ``x``: ``1 / (a + b i) = (a - b i) / (a^2 + b^2)``)."""
    if isinstance(x, complex | np.complexfloating):
        a, b = int(x.real) % p, int(x.imag) % p
        n = pow((a * a + b * b) % p, -1, p)
        return complex(a * n % p, -b * n % p)
    return float(pow(int(x) % p, -1, p))


def _pivot(W: np.ndarray, r: int, q: int, p: int) -> None:
    """One Gauss-Jordan step in place: scale row ``r`` so ``W[r, q] = 1``, then clear column ``q`` elsewhere."""
    W[r] *= _inverse_scalar(W[r, q], p)
    _reduce(W[r], p)
    g = W[:, q].copy()
    g[r] = 0.0
    W -= np.outer(g, W[r])
    _reduce(W, p)


def _inverse(A: np.ndarray, p: int) -> np.ndarray:
    """Inverse modulo ``p`` of an invertible square matrix of centred residues (float64), centred.

    Blockwise by Schur complements with float64 matmuls (each sums at most ``width`` products of centred residues:
    exact), down to Gauss-Jordan below `_BASE`; when a leading block is singular it asks FLINT instead.
    """
    out = _inverse_blocks(A, p)
    if out is not None:
        return out
    if _is_complex(A):
        return _gauss_jordan_inverse(A, p)
    import flint

    w = A.shape[0]
    inv = flint.nmod_mat(w, w, np.remainder(A.astype(np.int64), p).ravel().tolist(), p).inv()
    return _reduce(np.array(list(map(int, inv.entries())), dtype=np.float64).reshape(w, w), p)


def _gauss_jordan_inverse(A: np.ndarray, p: int):
    """Inverse by Gauss-Jordan with a search for a nonzero pivot in each column (None when singular)."""
    w = A.shape[0]
    W = np.hstack([A, np.eye(w, dtype=A.dtype)])
    for q in range(w):
        hits = np.flatnonzero(W[q:, q] != 0)
        if hits.size == 0:
            return None
        r = q + int(hits[0])
        if r != q:
            W[[q, r]] = W[[r, q]]
        _pivot(W, q, q, p)
    return W[:, w:].copy()


def _inverse_blocks(A: np.ndarray, p: int):
    w = A.shape[0]
    if w <= _BASE:
        return _gauss_jordan_inverse(A, p)
    h = -(-(w // 2) // _BASE) * _BASE
    A11, A12, A21, A22 = A[:h, :h], A[:h, h:], A[h:, :h], A[h:, h:]
    X = _inverse_blocks(A11, p)
    if X is None:
        return None
    XA12 = _reduce(_mm(X, A12), p)
    A21X = _reduce(_mm(A21, X), p)
    Y = _inverse_blocks(_reduce(A22 - _reduce(_mm(A21, XA12), p), p), p)
    if Y is None:
        return None
    B12 = _reduce(-_mm(XA12, Y), p)
    out = np.empty_like(A)
    out[:h, :h] = _reduce(X - _reduce(_mm(B12, A21X), p), p)
    out[:h, h:] = B12
    out[h:, :h] = _reduce(-_mm(Y, A21X), p)
    out[h:, h:] = Y
    return out
