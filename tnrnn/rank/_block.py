"""The block elimination modulo a prime (float64 / float32 storage) or over ``GF(p^2)`` (complex), with BLAS updates.

The engine ``"blas-block"`` of `tnrnn.rank.elimination`, and the panel routines its JAX twin (`tnrnn.rank._jax_block`)
shares.

Two fields. A real (float) matrix holds residues modulo ``p``; a complex matrix holds elements ``re + im i`` of the
extension field ``GF(p^2) = F_p[i] / (i^2 + 1)`` (``p = 3 mod 4``, ``p < 2^24``): complex128 arithmetic on
integer-valued parts *is* the arithmetic of ``GF(p^2)`` (``i^2 = -1``) as long as every part stays below ``2^53``, so
the same elimination runs with BLAS's complex matrix product for the updates: OpenBLAS's ``zgemm3m`` where scipy's
bundled OpenBLAS has it (three real products instead of four, `tnrnn.rank._blas`), else ``zgemm``; the bound on
the trailing block follows `_update_bounds`. FLINT has no matrices over ``GF(p^2)``; its path (small sides) uses the
regular representation ``[[A0, -A1], [A1, A0]]`` over ``F_p``, whose rank is twice the rank of ``A0 + A1 i``.

Narrow storage. A float32 (or complex64) matrix holds centred residues exactly (``|x| <= 2^21 < 2^24``): half the
memory of float64. The block engine then widens one tile at a time to float64 (complex128) for the update, reduces
it and narrows it back, so the trailing block is reduced after every panel and the peak is the narrow matrix plus a
tile and the panel's narrow multipliers (`_panel_narrow`: no wide copy of the panel). That traffic is paid once a
panel, so large narrow prime-field matrices take `_NARROW_PANEL` columns a panel (float32 side 20000: 1.27x a float64
LU with 256, 1.04x with 1024; side 6000: 2.9-3.4 s and 2.7 s; side 3000: 0.48 s and 0.55 s).

The block elimination. For each column panel of width b (``_PANEL``) of the live block: find the panel's k pivot
rows I and the multipliers G with P_J = G P_I (mod p) for the other rows J (`_panel`), move rows I to the top, update
the trailing columns S_J <- S_J - G S_I (one in-place BLAS call, `tnrnn.rank._blas.gemm_update`), drop rows I and
add k to the rank: rank [[P_I, X_I], [G P_I, X_J]] = k + rank(X_J - G X_I) when P_I has full row rank k = rank(P).

Exactness. Every float64 value is an integer; G and S_I are centred residues, ``|x| <= H = (p-1)/2 + 2``
(`_reduce`). A bound on the trailing block's entries is tracked, and the block is reduced only when the next update
could pass 2^52 (2^53 on the way over GF(p^2), `_update_bounds`): every partial sum of a matmul is an integer below
2^53, exact in any summation order. For p < 2^21 a panel of 256 adds < 2^48.01: a reduction every 16 panels.
Over GF(p^2) a panel of 256 is exact for p < 2^22.5 (three updates a reduction near 2^22); a larger p, which a
cell whose failure bound needs a larger field takes (`tnrnn.rank._run`), gets the widest panel that stays exact
(`extension_panel`: 128 below 2^23, 64 below 2^23.5), and the reductions come more often (about p^2 / 2^44 times).
"""

from __future__ import annotations

import time

import numpy as np

from tnrnn._types import ArgumentError
from tnrnn.rank._blas import gemm_update
from tnrnn.rank._blas import matmul as _mm  # one BLAS (and thread pool) for every matmul
from tnrnn.rank._field import _BASE, _inverse, _inverse_blocks, _is_complex, _pivot, _reduce

__all__ = [
    "blas_modular_rank",
    "extension_panel",
    "EliminationTimeout",
    "BLAS_PRIME_BOUND",
    "EXTENSION_BLAS_PRIME_BOUND",
]

#: primes of the block paths are below these: GF(p) (_PANEL * H^2 + p <= 2^52) and GF(p^2) (`extension_panel`)
BLAS_PRIME_BOUND, EXTENSION_BLAS_PRIME_BOUND = 2**21, 2**24
#: the wide dtype each storage dtype is updated in
_WIDE = {np.dtype(np.float64): np.float64, np.dtype(np.float32): np.float64}
_WIDE |= {np.dtype(np.complex128): np.complex128, np.dtype(np.complex64): np.complex128}
#: entries of a widened tile of the narrow-storage update (16 MiB as complex128)
_TILE_ENTRIES = 2**20
#: columns of such a tile at most (so it has at least 512 rows)
_TILE_COLS = 2048
_EXACT = 2.0**52
#: panel width (inner dimension of the trailing updates), and of narrow prime-field matrices of at least a side
_PANEL, _NARROW_PANEL, _NARROW_PANEL_SIDE = 256, 1024, 4096


class EliminationTimeout(Exception):
    """Raised by an engine when its deadline passes; ``rank_so_far`` pivots were found (a certified lower bound)."""

    def __init__(self, rank_so_far: int):
        self.rank_so_far = rank_so_far
        super().__init__(f"elimination stopped at its deadline after {rank_so_far} pivots")


def _panel_base(P: np.ndarray, p: int):
    """Pivot rows of a narrow panel (width <= `_BASE`), by Gauss-Jordan on a few candidate rows at a time.

    Keeps the reduced basis ``E = T P[piv]`` (``E[:, Q] = I``, so ``T = P[piv][:, Q]^-1``). Each round takes the
    rows whose residual ``X - X[:, Q] E`` is nonzero, runs Gauss-Jordan on the first few of them together with
    the basis (tracking ``T`` in extra columns), and stops when the panel has full column rank or no residual is
    left. Generic panels need one round over ``width + 4`` rows, not the whole height.

    Returns ``(piv, rest, G)``: pivot rows (in pivot order), the other rows (increasing), and centred ``G`` with
    ``P[rest] = G @ P[piv] (mod p)``.
    """
    n, w = P.shape
    E = np.zeros((w, w), P.dtype)
    T = np.zeros((w, w), P.dtype)
    Q: list[int] = []
    piv: list[int] = []
    active = np.ones(n, bool)
    k = 0
    while k < w:
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        X = P[idx]
        if k:
            X -= _mm(X[:, Q], E[:k])
            _reduce(X, p)
        nz = np.flatnonzero(np.any(X != 0, axis=1))
        if nz.size == 0:
            break
        cand = nz[: w - k + 4]
        k0, c = k, cand.size
        # rows: [E | T] of the basis, then [residual | its coefficients on P[piv]]
        W = np.zeros((k0 + c, 2 * w), P.dtype)
        W[:k0, :w] = E[:k0]
        W[:k0, w : w + k0] = T[:k0, :k0]
        W[k0:, :w] = X[cand]
        if k0:
            W[k0:, w : w + k0] = -_mm(P[idx[cand]][:, Q], T[:k0, :k0])
            _reduce(W[k0:], p)
        free = np.zeros(k0 + c, bool)
        free[k0:] = True
        slot_rows = list(range(k0))
        for q in range(w):
            if q in Q:
                continue
            hits = np.flatnonzero(free & (W[:, q] != 0))
            if hits.size == 0:
                continue
            r = int(hits[0])
            W[r, w + k] += 1.0  # the new pivot row's own coefficient
            _pivot(W, r, q, p)
            free[r] = False
            slot_rows.append(r)
            Q.append(q)
            row = int(idx[cand[r - k0]])
            piv.append(row)
            active[row] = False
            k += 1
            if k == w:
                break
        E[:k] = W[slot_rows, :w]
        T[:k, :k] = W[slot_rows, w : w + k]
    rest = np.flatnonzero(active)
    if k == 0:
        return np.empty(0, np.intp), rest, np.zeros((rest.size, 0), P.dtype)
    G = _mm(P[rest][:, Q], T[:k, :k])
    return np.asarray(piv, np.intp), rest, _reduce(G, p)


def _panel(P: np.ndarray, p: int):
    """Pivot rows of a tall panel (centred residues, not modified), halving its columns down to `_BASE`.

    Left half: ``P1[rest1] = G1 P1[piv1]``. Right half of the other rows after elimination,
    ``R = P2[rest1] - G1 P2[piv1]``: ``R[rest2] = G2 R[piv2]``. Together ``P[rest] = [G1[rest2] - G2 G1[piv2], G2]
    P[piv1 + piv2]`` with ``rank P = |piv1| + |piv2|``. Same return as `_panel_base`.
    """
    n, w = P.shape
    if w <= _BASE or n == 0:
        return _panel_base(P, p)
    w1 = -(-(w // 2) // _BASE) * _BASE
    piv1, rest1, G1 = _panel(P[:, :w1], p)
    R = P[rest1, w1:]
    if piv1.size:
        R -= _mm(G1, P[piv1, w1:])
        _reduce(R, p)
    piv2, rest2, G2 = _panel(R, p)
    G1r = G1[rest2]
    if piv1.size and piv2.size:
        G1r -= _mm(G2, G1[piv2])
        _reduce(G1r, p)
    return np.concatenate([piv1, rest1[piv2]]), rest1[rest2], np.hstack([G1r, G2])


#: extra candidate rows tried by the fast panel path beyond the panel's width
_SPARE = 8


def _panel_fast(P: np.ndarray, p: int):
    """`_panel` for the generic case: the pivot rows among the first rows, the multipliers by one matmul.

    The first ``width`` rows are tried as the pivot rows ``I`` by inverting ``P[I]`` blockwise (`_inverse_blocks`,
    which gives up when a leading block is singular); failing that, the pivots of the first ``width + 8`` rows are
    taken when they have full column rank (always, for generic matrices, until the live block runs out of rank).
    Either way every other row's multipliers are ``G = P[J] P[I]^{-1}``, one float64 matmul (centred residues:
    ``w ((p+1)/2)^2 < 2^52``, exact). Otherwise, or for a short panel, this is `_panel`. Same return as `_panel`.
    """
    n, w = P.shape
    c = w + _SPARE
    if n < 4 * c or w < _BASE:
        return _panel(P, p)
    # generic case: the first w rows are independent, and the blockwise inverse finds it without a search
    Pinv = _inverse_blocks(np.ascontiguousarray(P[:w]), p)
    if Pinv is not None:
        piv_c = np.arange(w)
    else:
        piv_c, _, _ = _panel(P[:c], p)
        if piv_c.size < w:
            return _panel(P, p)
        Pinv = _inverse(P[piv_c], p)
    mask = np.ones(n, bool)
    mask[piv_c] = False
    rest = np.flatnonzero(mask)
    G = _mm(P[rest], Pinv)
    return piv_c, rest, _reduce(G, p)


def _check_block_prime(p: int, panel: int, extension: bool = False) -> int:
    """``H``, the bound on centred residues; refuses a prime for which a panel's update would not be exact."""
    H = (p - 1) // 2 + 2
    _, peak, limit = _update_bounds(H, extension)  # the first update, from entries below p, must be exact
    if extension:
        allowed = f"a prime = 3 mod 4 with {panel} * 4 ((p-1)/2 + 2)^2 + p <= 2^53 (every such p < 2^22 for 256)"
    else:
        allowed = f"a prime with {panel} * ((p-1)/2 + 2)^2 + p <= 2^52 (every p < 2^21)"
    if p < 2 or (extension and p % 4 != 3) or panel < 1 or panel * peak + p > limit:
        raise ArgumentError("p", p, allowed)
    return H


def extension_panel(p: int) -> int:
    """The widest panel (256, halved down to 8) whose GF(p^2) update is exact: ``panel * 4 H^2 + p <= 2^53``.

    256 below about ``2^22.5``, 128 below ``2^23``, 64 below ``2^23.5``, 32 below ``2^24`` (`_update_bounds`).
    """
    H = (p - 1) // 2 + 2
    _, peak, limit = _update_bounds(H, True)
    panel = _PANEL
    while panel > 8 and panel * peak + p > limit:
        panel //= 2
    return panel


def _update_bounds(H: int, extension: bool) -> tuple[int, int, float]:
    """``(gain, peak, limit)``: a product adds at most ``gain`` to an entry and ``peak`` on the way (prime: ``H^2``).

    An update of ``k`` columns may start while ``bound + k peak <= limit``. GF(p^2): a part is at most ``2 H^2``, but
    zgemm3m forms ``(a + b)(c + d)`` (``4 H^2``); partial sums stay within 2^53 (three updates a reduction at p ~ 2^22).
    """
    if extension:
        return 2 * H * H, 4 * H * H, 2 * _EXACT
    return H * H, H * H, _EXACT


def _float_copy(matrix, p: int, overwrite: bool) -> np.ndarray:
    """The matrix as C-contiguous float residues (in its own memory when allowed and possible).

    float32, complex64 and complex128 matrices keep their dtype (centred residues, reduced here); integer and
    float64 ones become float64.
    """
    arr = np.asarray(matrix)
    if arr.dtype in (np.float32, np.complex64, np.complex128):
        if not (overwrite and isinstance(matrix, np.ndarray)):
            arr = arr.copy(order="C")
        elif not arr.flags.c_contiguous:
            arr = arr.T if arr.flags.f_contiguous else np.ascontiguousarray(arr)
        if arr.dtype in (np.float32, np.complex64):
            step = max(1, _TILE_ENTRIES // max(1, arr.shape[1]))
            wide = _WIDE[arr.dtype]
            for lo in range(0, arr.shape[0], step):
                arr[lo : lo + step] = _reduce(arr[lo : lo + step].astype(wide), p)
            return arr
        return _reduce(arr, p)
    if isinstance(matrix, np.ndarray) and overwrite:
        if not matrix.flags.c_contiguous and matrix.flags.f_contiguous:
            matrix = matrix.T  # same rank; a C-contiguous view of the same memory
        if matrix.flags.c_contiguous and matrix.dtype == np.float64:
            return _reduce(matrix, p)
        if matrix.flags.c_contiguous and matrix.dtype == np.int64:
            S = matrix.view(np.float64)
            step = max(1, 2**22 // max(1, matrix.shape[1]))
            for lo in range(0, matrix.shape[0], step):
                S[lo : lo + step] = matrix[lo : lo + step] % p  # a temporary, then written over
            return S
    n, m = matrix.shape
    S = np.empty((n, m))
    step = max(1, 2**22 // max(1, m))
    for lo in range(0, n, step):
        blk = np.asarray(matrix[lo : lo + step])
        S[lo : lo + step] = blk % p if blk.dtype.kind != "f" else np.fmod(blk, p)
    return S


def blas_modular_rank(
    matrix: np.ndarray, p: int, *, panel: int | None = None, overwrite: bool = False, deadline=None, progress=None
) -> int:
    """Exact rank of an integer matrix modulo a prime ``p < 2^21`` (or over ``GF(p^2)``) by block elimination (BLAS).

    See the module notes for the algorithm and why it is exact. Works on one float64 copy of the matrix (8 bytes per
    entry), or in the matrix's own memory when ``overwrite`` (a C-contiguous float64 or int64 array, destroyed). A
    float32 matrix (4 bytes an entry) stays float32 and is updated a widened tile at a time; a complex64 or
    complex128 matrix is a matrix over ``GF(p^2)`` (module notes).

    Parameters
    ----------
    matrix : integer array, or float64 holding integers of magnitude below ``2^52``, of shape ``(rows, cols)``;
        or float32 / complex64 / complex128 holding centred residues
    p : int
        A prime with ``panel * ((p-1)/2 + 2)^2 + p <= 2^52`` (every ``p < 2^21`` for the default panel); for a
        complex matrix, ``p = 3 mod 4`` with ``panel * 4 ((p-1)/2 + 2)^2 + p <= 2^53`` (every such ``p < 2^22`` for
        the panel of 256; up to ``2^24`` with `extension_panel`).
    panel : int, optional
        Panel width (the inner dimension of the trailing matmuls): by default `_NARROW_PANEL` for a float32 matrix
        of side at least `_NARROW_PANEL_SIDE` over a prime below ``2^21``, `extension_panel` for a complex matrix,
        else `_PANEL`.
    overwrite : bool
        Eliminate in the memory of ``matrix``, destroying it.
    deadline : float, optional
        ``time.monotonic()`` value after which `EliminationTimeout` is raised (checked between panels).
    progress : callable, optional
        Called as ``progress(columns_done, columns)`` after each panel.
    """
    extension = _is_complex(matrix)
    if panel is None and extension:
        panel = extension_panel(p)
    elif panel is None:  # large float32 prime-field matrices: wider panels (module notes); 1024 H^2 + p < 2^52
        big = getattr(matrix, "dtype", None) == np.float32 and min(matrix.shape) >= _NARROW_PANEL_SIDE
        panel = _NARROW_PANEL if big and p < BLAS_PRIME_BOUND else _PANEL
    H = _check_block_prime(p, panel, extension)
    n, m = matrix.shape
    if n == 0 or m == 0:
        return 0
    S = _float_copy(matrix, p, overwrite)
    n, m = S.shape
    narrow = S.dtype in (np.float32, np.complex64)
    gain, peak, limit = _update_bounds(H, extension)
    bound = float(p)  # bound on |entries| of the live trailing block
    r0 = c0 = 0
    while r0 < n and c0 < m:
        if deadline is not None and time.monotonic() > deadline:
            raise EliminationTimeout(r0)
        c1 = min(c0 + panel, m)
        if narrow:
            piv, rest, G = _panel_narrow(S[r0:, c0:c1], p)
        else:
            piv, rest, G = _panel_fast(_reduce(S[r0:, c0:c1], p), p)
        k = piv.size
        c0 = c1
        if progress is not None:
            progress(c1, m)
        if k == 0:
            continue
        # move the pivot rows to the top of the live block (trailing columns only); at[pos] = local row there
        nr = n - r0
        at = np.arange(nr)
        pos = np.arange(nr)
        for s, i in enumerate(piv):
            j = pos[i]
            if j != s:
                S[[r0 + s, r0 + j], c1:] = S[[r0 + j, r0 + s], c1:]
                other = at[s]
                at[s], at[j] = i, other
                pos[i], pos[other] = s, j
        grow = np.empty(nr, np.intp)
        grow[rest] = np.arange(rest.size)
        G = np.ascontiguousarray(G[grow[at[k:]]])
        r0 += k
        if c1 >= m or r0 >= n:
            break
        if narrow:
            _narrow_update(S[r0:, c1:], G, S[r0 - k : r0, c1:], p)
            continue
        SI = _reduce(S[r0 - k : r0, c1:], p)
        trail = S[r0:, c1:]
        if bound + k * peak > limit:
            for lo in range(0, n - r0, 1024):
                _reduce(trail[lo : lo + 1024], p)
            bound = float(H)
        bound += k * gain
        gemm_update(trail, G, SI)
    if progress is not None:
        progress(m, m)
    return r0


def _narrow_update(trail: np.ndarray, G: np.ndarray, SI: np.ndarray, p: int) -> None:
    """``trail <- reduce(trail - G SI)`` for a narrow (float32 / complex64) ``trail``, one widened tile at a time.

    Entries of ``trail``, ``G`` (narrow or wide) and ``SI`` are centred residues, so each tile's update stays below
    ``2^52`` (module notes); the reduced tile is written back exactly (``|x| <= 2^21`` fits the narrow type). A tile is
    at most `_TILE_COLS` columns wide, so its matmul keeps hundreds of rows at any side (tiles of whole rows had 26
    rows at side 40040, a skinny matmul well below the BLAS's speed). ``SI`` (narrow) is widened a tile at a time too.
    """
    rows, cols = trail.shape
    width = min(cols, _TILE_COLS)
    step = max(1, _TILE_ENTRIES // width)
    wide = _WIDE[trail.dtype]
    for lo in range(0, rows, step):
        Gw = G[lo : lo + step].astype(wide, copy=False)
        for c in range(0, cols, width):
            W = trail[lo : lo + step, c : c + width].astype(wide)
            gemm_update(W, Gw, SI[:, c : c + width].astype(wide))
            trail[lo : lo + step, c : c + width] = _reduce(W, p)


def _panel_narrow(P: np.ndarray, p: int):
    """`_panel_fast` for a narrow (float32 / complex64) panel of centred residues, with narrow multipliers ``G``.

    The generic case widens only the first ``width + 8`` rows (to invert the pivot block) and computes ``G`` a block
    of rows at a time, so a wide panel costs ``rows * width`` narrow entries, not three wide copies of the panel;
    otherwise the panel is widened whole for `_panel_fast`. Same return as `_panel_fast`, ``G`` in the narrow type.
    """
    n, w = P.shape
    wide = _WIDE[P.dtype]
    c = w + _SPARE
    Pinv = None
    if n >= 4 * c and w >= _BASE:
        head = P[:c].astype(wide)
        Pinv = _inverse_blocks(np.ascontiguousarray(head[:w]), p)
        piv = np.arange(w)
        if Pinv is None:
            piv, _, _ = _panel(head, p)
            Pinv = _inverse(head[piv], p) if piv.size == w else None
    if Pinv is None:
        piv, rest, G = _panel_fast(P.astype(wide), p)
        return piv, rest, G.astype(P.dtype)
    mask = np.ones(n, bool)
    mask[piv] = False
    rest = np.flatnonzero(mask)
    G = np.empty((rest.size, w), P.dtype)
    step = max(1, _TILE_ENTRIES // w)
    for lo in range(0, rest.size, step):
        G[lo : lo + step] = _reduce(_mm(P[rest[lo : lo + step]].astype(wide), Pinv), p)
    return piv, rest, G
