"""Exact separation ranks of RAC functions, in both input domains.

The separation rank of ``y`` w.r.t. a partition ``(A, B)`` of the time steps is the rank of the matrix
``[y(a_i, b_j)]`` over evaluation points (notes §2.1-2.6):

* ``domain="onehot"``: a discrete alphabet of ``M`` symbols; ``a_i`` and ``b_j`` run over *all* one-hot
  assignments of their side, so the matrix is the matricized grid tensor (order ``T``, ``M^T`` entries).
* ``domain="continuous"``: real inputs (``f`` = identity on ``R^M``); ``N`` random points on each side, with ``N``
  grown until the rank is below ``N``. A deep RAC is not multilinear, so this rank can exceed ``M^{T/2}``.

Ranks are exact: the weights and the continuous points are random residues modulo a prime ``p``, the matrix is
evaluated exactly in ``int64`` (`tnrnn.rac.ModularRAC`) and eliminated exactly, by FLINT (``python-flint``'s
``nmod_mat``) for small matrices and by a float64 block elimination with BLAS matmuls (`blas_modular_rank`, primes
below ``2^21``) from side 128 on, where it is 5-10x faster. The rank modulo ``p`` never exceeds the generic rank over
the rationals and equals it with probability at least ``1 - deg / p`` (Schwartz-Zippel), so the engine repeats over
seeds and primes and reports the maximum. Float SVD silently under-counts these ranks (singular values spread over
20+ orders of magnitude) and is offered only as a labelled diagnostic (``method="svd"``).

Evaluation shares work: the inputs of the side that owns step 1 are run once per point up to the first step of the
other side; only the remaining steps are run per pair of points.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from tnrnn._types import (
    ArgumentError,
    Partition,
    check_choice,
    check_domain,
    check_positive_int,
    check_sizes,
    parse_partition,
    refuse_if_too_large,
)
from tnrnn.bounds import proven_upper_bounds
from tnrnn.rac import ModularRAC, RACSizes, largest_primes_below, max_safe_prime_bound

__all__ = [
    "RankResult",
    "separation_rank",
    "grid_tensor",
    "evaluation_matrix",
    "modular_rank",
    "blas_modular_rank",
    "elimination_engine",
    "METHODS",
]

METHODS = ("modp", "svd")

#: bytes of working memory per pair chunk (int64 carries of all layers plus temporaries)
_CHUNK_BYTES = 96 * 2**20
#: bytes per matrix entry during elimination (int64 array + Python int list + FLINT copy)
_BYTES_PER_ENTRY = 48
#: the same for the BLAS block path (int64 matrix, the copy made when the sample grows; float64 in place)
_BYTES_PER_ENTRY_BLAS = 24


def _bytes_per_entry(shape: tuple[int, int], p: int) -> int:
    return _BYTES_PER_ENTRY_BLAS if elimination_engine(shape, p) == "blas-block" else _BYTES_PER_ENTRY
_SVD_WARNING = (
    "float64 SVD diagnostic: numerical rank of a matrix whose singular values spread over many orders of "
    "magnitude; it under-counts the exact rank. Use method='modp' for the rank."
)


@dataclass(frozen=True)
class RankResult:
    """A separation rank with the certificate of how it was computed.

    Attributes
    ----------
    rank : int
        The maximum rank over the seeds (``modp``) or the float numerical rank (``svd``).
    method : str
        ``"modp"`` (exact elimination modulo primes) or ``"svd"`` (float diagnostic).
    domain : str
        ``"onehot"`` or ``"continuous"``.
    partition : dict
        The partition's name and its two sides ``A``, ``B`` (1-based time steps).
    seeds, primes, ranks : list of int
        One entry per repetition: the seed of weights and points, the prime, and the rank found.
    N : tuple of int
        Number of evaluation points on sides ``A`` and ``B`` (the matrix shape) of the last repetition.
    upper_bound : int
        The smallest proven upper bound that applies (the cap of the sample size).
    singular_values : list of float or None
        The spectrum (``svd`` only), largest first.
    extra : dict
        ``modp``: ``"elimination"``, the engines used (``"flint"``, ``"blas-block"`` or ``"blas-block+flint"``, see
        `elimination_engine`). ``svd``: the tolerance.
    """

    rank: int
    M: int
    R: int
    L: int
    T: int
    domain: str
    method: str
    partition: dict
    seeds: list[int]
    primes: list[int]
    ranks: list[int]
    N: tuple[int, int]
    upper_bound: int
    singular_values: list[float] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.N

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``tnrnn rank --json`` object)."""
        d = asdict(self)
        d["N"] = list(self.N)
        d["shape"] = list(self.N)
        return d


# ---------------------------------------------------------------------------------------------------------------
# evaluation of [y(a_i, b_j)]


@dataclass(frozen=True)
class _FloatRAC(RACSizes):
    """Float64 numpy twin of `ModularRAC` (same step), used by the SVD diagnostic."""

    W_I: tuple[np.ndarray, ...]
    W_H: tuple[np.ndarray, ...]
    W_O: np.ndarray

    @classmethod
    def random(cls, M, R, L, *, seed):
        rng = np.random.default_rng(seed)
        W_I = tuple(rng.standard_normal((R, M if l == 0 else R)) / math.sqrt(M if l == 0 else R) for l in range(L))
        W_H = tuple(rng.standard_normal((R, R)) / math.sqrt(R) for _ in range(L))
        return cls(W_I, W_H, rng.standard_normal((1, R)) / math.sqrt(R))

    def initial_carry(self, batch_shape=()):
        return tuple(np.ones((*batch_shape, self.R)) for _ in range(self.L))

    def step(self, carry, x):
        inp, new = x, []
        for W_I, W_H, g in zip(self.W_I, self.W_H, carry, strict=True):
            h = g * (inp @ W_I.T)
            new.append(h @ W_H.T)
            inp = h
        return tuple(new), inp

    def output(self, h):
        return h @ self.W_O.T


def evaluation_matrix(model, partition: Partition, a_points: np.ndarray, b_points: np.ndarray) -> np.ndarray:
    """The matrix ``[y(a_i, b_j)]`` of the first output.

    Parameters
    ----------
    model : ModularRAC or a float twin with the same ``initial_carry``/``step``/``output`` methods
    partition : Partition
    a_points, b_points : arrays of shape ``(N_A, |A|, M)`` and ``(N_B, |B|, M)``
        The inputs at the time steps of each side, in increasing time order.

    Returns
    -------
    array of shape ``(N_A, N_B)``
    """
    side, k = partition.prefix_side
    if side == "B":  # evaluate with the roles swapped so that rows own step 1
        swapped = Partition(partition.T, partition.B, partition.A, partition.name)
        return evaluation_matrix(model, swapped, b_points, a_points).T
    pos_a = {t: i for i, t in enumerate(partition.A)}
    pos_b = {t: i for i, t in enumerate(partition.B)}
    n_a, n_b = a_points.shape[0], b_points.shape[0]
    # shared prefix: steps 1..k belong to side A, run once per row point
    carry = model.initial_carry((n_a,))
    h = None
    for t in range(1, k + 1):
        carry, h = model.step(carry, a_points[:, pos_a[t], :])
    if k == partition.T:  # pragma: no cover - a partition has two non-empty sides
        raise AssertionError("side B is empty")
    per_pair = model.L * model.R * 8 * 6
    chunk = max(1, min(n_a, _CHUNK_BYTES // max(1, per_pair * n_b)))
    out = np.empty((n_a, n_b), dtype=a_points.dtype if a_points.dtype.kind == "f" else np.int64)
    for lo in range(0, n_a, chunk):
        hi = min(n_a, lo + chunk)
        c = tuple(g[lo:hi, None, :] for g in carry)
        for t in range(k + 1, partition.T + 1):
            x = a_points[lo:hi, None, pos_a[t], :] if t in pos_a else b_points[None, :, pos_b[t], :]
            c, h = model.step(c, x)
        out[lo:hi] = model.output(h)[..., 0]
    return out


def _one_hot_grid(M: int, steps: int) -> np.ndarray:
    """All ``M^steps`` one-hot assignments, shape ``(M^steps, steps, M)``, lexicographic order."""
    idx = np.array(list(itertools.product(range(M), repeat=steps)), dtype=np.int64).reshape(-1, steps)
    return np.eye(M, dtype=np.int64)[idx]


def modular_rank(matrix: np.ndarray, p: int) -> int:
    """Exact rank of an integer matrix modulo the prime ``p``.

    Dispatches on size and prime (`elimination_engine`): the float64 block elimination `blas_modular_rank` when
    ``p < 2^21`` and both sides are at least ``128``, FLINT's ``nmod_mat`` otherwise. Both are exact.
    """
    return _modular_rank_with_engine(matrix, p)[0]


def elimination_engine(shape: tuple[int, int], p: int) -> str:
    """``"blas-block"`` or ``"flint"``: the engine `modular_rank` uses for this shape and prime.

    Crossover measured on the 2-core dev machine (random full-rank square matrices, ``p = 2^21 - 9``): 64: FLINT
    1.4 ms, block 5 ms; 128: 4.7 / 3.7 ms; 512: 95 / 23 ms; 1024: 0.43 / 0.06 s; 2048: 1.5 / 0.22 s; 4000: 9.3 /
    1.3 s. So the block path is used from ``min(shape) >= 128`` on (FLINT with a ~2^31 prime is slightly slower
    still).
    """
    if min(shape) >= _BLAS_MIN_SIZE and p < BLAS_PRIME_BOUND:
        return "blas-block"
    return "flint"


def _modular_rank_with_engine(matrix: np.ndarray, p: int, overwrite: bool = False) -> tuple[int, str]:
    rows, cols = matrix.shape
    engine = elimination_engine((rows, cols), p)
    if rows == 0 or cols == 0:
        return 0, engine
    if engine == "blas-block":
        return blas_modular_rank(matrix, p, overwrite=overwrite), engine
    import flint

    return flint.nmod_mat(rows, cols, (np.asarray(matrix, np.int64) % p).ravel().tolist(), p).rank(), engine


# ---------------------------------------------------------------------------------------------------------------
# exact rank modulo a small prime by float64 block elimination
#
# Right-looking block elimination. For each column panel of width b (``_PANEL``) of the live block: find the
# panel's k pivot rows I and the multipliers G with P_J = G P_I (mod p) for the other rows J (`_panel`), move rows I
# to the top, and update the trailing columns S_J <- S_J - G S_I with one float64 matmul per tile of rows; then drop
# rows I and add k to the rank: rank [[P_I, X_I], [G P_I, X_J]] = k + rank(X_J - G X_I) when P_I has full row rank
# k = rank(P).
#
# Exactness. Every float64 value is an integer. G and S_I are centred residues, |x| <= H = (p-1)/2 + 2 (`_reduce`),
# so one update adds at most k H^2 to an entry. The trailing block is not reduced after every update: a bound on
# its entries is tracked, and it is reduced (np.fmod, exact) only when the next update could push it past 2^52.
# Every partial sum of a matmul is then an integer of magnitude < 2^53, hence exact in any summation order.
# p < 2^21 gives H^2 < 2^40.01, so a panel of 256 adds < 2^48.01 and the trailing block is reduced about
# once every 16 panels (4096 pivots).

#: primes for the block path are below this (exactness needs _PANEL * H^2 + p <= 2^52, see above)
BLAS_PRIME_BOUND = 2**21
#: smallest side for which `modular_rank` uses the block path (measured crossover, see `elimination_engine`)
_BLAS_MIN_SIZE = 128
_EXACT = 2.0**52
#: panel width (measured on 8569 x 8569: 256 and 384 within noise, 128 about 1.5x slower)
_PANEL = 256
#: width below which a panel's pivots are found by Gauss-Jordan on candidate rows
_BASE = 32
#: rows per matmul tile of the trailing update (temporary of _ROW_TILE x columns float64)
_ROW_TILE = 1024


def _reduce(X: np.ndarray, p: int) -> np.ndarray:
    """Centred residues of the float64 integers ``X`` (``|X| <= 2^52``), in place: ``|result| <= (p-1)/2 + 2``.

    ``X * (1/p)`` is within ``2.1/p`` of ``X/p``, so the rounded quotient is the nearest integer or off by one near a
    half; ``q p`` and ``X - q p`` are exact integers below ``2^53``.
    """
    q = np.rint(X * (1.0 / p))
    q *= p
    X -= q
    return X


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
    E = np.zeros((w, w))
    T = np.zeros((w, w))
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
            X -= X[:, Q] @ E[:k]
            _reduce(X, p)
        nz = np.flatnonzero(np.any(X != 0, axis=1))
        if nz.size == 0:
            break
        cand = nz[: w - k + 4]
        k0, c = k, cand.size
        W = np.zeros((k0 + c, 2 * w))  # rows: [E | T] of the basis, then [residual | its coefficients on P[piv]]
        W[:k0, :w] = E[:k0]
        W[:k0, w : w + k0] = T[:k0, :k0]
        W[k0:, :w] = X[cand]
        if k0:
            W[k0:, w : w + k0] = -(P[idx[cand]][:, Q] @ T[:k0, :k0])
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
            W[r] *= float(pow(int(W[r, q]) % p, -1, p))
            _reduce(W[r], p)
            g = W[:, q].copy()
            g[r] = 0.0
            W -= np.outer(g, W[r])
            _reduce(W, p)
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
        return np.empty(0, np.intp), rest, np.zeros((rest.size, 0))
    G = P[rest][:, Q] @ T[:k, :k]
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
        R -= G1 @ P[piv1, w1:]
        _reduce(R, p)
    piv2, rest2, G2 = _panel(R, p)
    G1r = G1[rest2]
    if piv1.size and piv2.size:
        G1r -= G2 @ G1[piv2]
        _reduce(G1r, p)
    return np.concatenate([piv1, rest1[piv2]]), rest1[rest2], np.hstack([G1r, G2])


def blas_modular_rank(matrix: np.ndarray, p: int, *, panel: int = _PANEL, overwrite: bool = False) -> int:
    """Exact rank of an integer matrix modulo a prime ``p < 2^21`` by float64 block elimination (BLAS matmuls).

    See the comment above this function for the algorithm and why it is exact. Works on one float64 copy of the
    matrix (8 bytes per entry) plus a ``1024 x columns`` temporary; the input is not modified unless
    ``overwrite``.

    Parameters
    ----------
    matrix : integer array of shape ``(rows, cols)``
    p : int
        A prime with ``panel * ((p-1)/2 + 2)^2 + p <= 2^52`` (every ``p < 2^21`` for the default panel).
    panel : int
        Panel width (the inner dimension of the trailing matmuls).
    overwrite : bool
        Eliminate in the memory of ``matrix`` itself when it is a C-contiguous ``int64`` array, destroying it. Saves
        allocating and first touching a fresh float64 copy (1.7 s for 8569 x 8569 on the 2-core dev VM).

    Notes
    -----
    A small prime raises the chance that the rank modulo ``p`` falls below the rank over the rationals (heuristically
    about ``1/p`` per matrix, 5e-7 for ``p ~ 2^21``); `separation_rank` takes the maximum over seeds and primes.
    """
    n, m = matrix.shape
    H = (p - 1) // 2 + 2
    if p < 2 or panel < 1 or panel * H * H + p > _EXACT:
        raise ArgumentError("p", p, f"a prime with {panel} * ((p-1)/2 + 2)^2 + p <= 2^52")
    if n == 0 or m == 0:
        return 0
    if overwrite and isinstance(matrix, np.ndarray) and not matrix.flags.c_contiguous and matrix.flags.f_contiguous:
        matrix = matrix.T  # same rank; a C-contiguous view of the same memory
        n, m = m, n
    in_place = overwrite and isinstance(matrix, np.ndarray) and matrix.dtype == np.int64 and matrix.flags.c_contiguous
    S = matrix.view(np.float64) if in_place else np.empty((n, m))
    step = max(1, 2**22 // m)
    for lo in range(0, n, step):
        S[lo : lo + step] = np.asarray(matrix[lo : lo + step], np.int64) % p  # a temporary, then written over
    bound = float(p - 1)  # bound on |entries| of the live trailing block
    buf = np.empty(min(n, _ROW_TILE) * m)
    r0 = c0 = 0
    while r0 < n and c0 < m:
        c1 = min(c0 + panel, m)
        Pv = _reduce(S[r0:, c0:c1], p)
        piv, rest, G = _panel(Pv, p)
        k = piv.size
        c0 = c1
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
        G = G[grow[at[k:]]]
        r0 += k
        if c1 >= m or r0 >= n:
            break
        SI = _reduce(S[r0 - k : r0, c1:], p)
        trail = S[r0:, c1:]
        if bound + k * H * H > _EXACT:
            for lo in range(0, n - r0, _ROW_TILE):
                blk = trail[lo : lo + _ROW_TILE]
                np.fmod(blk, p, out=blk)
            bound = float(p - 1)
        bound += k * H * H
        mt = m - c1
        for lo in range(0, n - r0, _ROW_TILE):
            hi = min(n - r0, lo + _ROW_TILE)
            tmp = buf[: (hi - lo) * mt].reshape(hi - lo, mt)
            np.matmul(G[lo:hi], SI, out=tmp)
            blk = trail[lo:hi]
            blk -= tmp
    return r0

# ---------------------------------------------------------------------------------------------------------------
# the engine


def _seed_seq(seed: int, purpose: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, purpose])


def separation_rank(
    M: int,
    R: int,
    L: int,
    T: int,
    *,
    domain: str,
    partition="start-end",
    seed: int = 0,
    n_seeds: int = 2,
    method: str = "modp",
    N0: int = 64,
) -> RankResult:
    """Exact separation rank of the output of a generic depth-``L`` RAC.

    Parameters
    ----------
    M, R, L, T : int
        Input dimension (alphabet size in the one-hot domain), width, depth and length.
    domain : {"onehot", "continuous"}
        The input domain; the two differ for deep RACs (notes §2.6). Required: always name it.
    partition : str, Partition or pair
        ``"start-end"`` (default), ``"interleaved"``, ``"1,2;3,4"`` or ``(A, B)``.
    seed : int
        First seed; repetition ``i`` uses seed ``seed + i`` for its weights, points and prime.
    n_seeds : int
        Repetitions; the maximum rank is reported (rank mod ``p`` never exceeds the generic rank). Stops early
        when a repetition reaches the proven upper bound.
    method : {"modp", "svd"}
        ``"modp"``: exact elimination (default). ``"svd"``: float64 numerical rank with its spectrum, a diagnostic
        that under-counts.
    N0 : int
        Initial number of continuous points per side (doubled until the rank is below it).

    Returns
    -------
    RankResult

    Notes
    -----
    Weights are uniform residues modulo the largest primes with ``max(M, R) p^2 < 2^63`` when every matrix of the
    run is eliminated by FLINT (its smaller side below 128: the one-hot grid, or the continuous cap + 1). Otherwise
    they are the largest primes below ``2^21`` (`BLAS_PRIME_BOUND`), valid for the block elimination at any ``N``
    the run may reach. The trade-off: the chance that a rank modulo ``p`` falls below the generic rank grows like
    ``1/p`` (heuristically about 5e-7 per seed for ``p ~ 2^21``, against 3e-19 for a 61-bit prime); the maximum
    over the default 2 seeds makes a wrong answer need two independent drops. The continuous sample size is capped
    at one more than the smallest proven upper bound (`tnrnn.bounds.proven_upper_bounds`), where the rank is
    certainly below ``N``.

    References
    ----------
    Notes §2.4 (grid tensors), §2.5 (generic weights), §2.6 (the two domains), §7 (values).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    method = check_choice("method", method, METHODS)
    n_seeds = check_positive_int("n_seeds", n_seeds)
    N0 = check_positive_int("N0", N0)
    part = parse_partition(partition, T)
    bounds = proven_upper_bounds(M, R, L, T, domain=domain, partition=part)
    cap = min(bounds.values())
    if domain == "onehot":
        grid_shape = (M ** len(part.A), M ** len(part.B))
        refuse_if_too_large("T", T, "grid matrix", grid_shape, _BYTES_PER_ENTRY_BLAS)

    if method == "svd":
        return _svd_rank(M, R, L, T, domain, part, seed, cap)

    if domain == "onehot":
        largest = (M ** len(part.A), M ** len(part.B))
    else:
        largest = (cap + 1, cap + 1)
    prime_bound = max_safe_prime_bound(max(M, R)) + 1
    if elimination_engine(largest, min(prime_bound, BLAS_PRIME_BOUND) - 1) == "blas-block":
        prime_bound = min(prime_bound, BLAS_PRIME_BOUND)
    primes = largest_primes_below(prime_bound, n_seeds)
    if domain == "onehot":
        refuse_if_too_large("T", T, "grid matrix", grid_shape, _bytes_per_entry(grid_shape, primes[0]))
    seeds, used_primes, ranks, engines = [], [], [], set()
    N = min(N0, cap + 1)
    shape = (0, 0)
    for i in range(n_seeds):
        s, p = seed + i, primes[i]
        model = ModularRAC.random(M, R, L, p=p, seed=_seed_seq(s, 0))
        if domain == "onehot":
            a, b = _one_hot_grid(M, len(part.A)), _one_hot_grid(M, len(part.B))
            r, engine = _modular_rank_with_engine(evaluation_matrix(model, part, a, b), p, overwrite=True)
            engines.add(engine)
            shape = (a.shape[0], b.shape[0])
        else:
            r, N = _grow_continuous(model, part, M, p, _seed_seq(s, 1), N, cap, engines)
            shape = (N, N)
        seeds.append(s)
        used_primes.append(p)
        ranks.append(r)
        if r >= cap:
            break
    return RankResult(
        rank=max(ranks), M=M, R=R, L=L, T=T, domain=domain, method="modp", partition=part.to_dict(),
        seeds=seeds, primes=used_primes, ranks=ranks, N=shape, upper_bound=cap,
        note="exact rank modulo primes (maximum over seeds)", extra={"elimination": "+".join(sorted(engines))},
    )


def _grow_continuous(model: ModularRAC, part: Partition, M: int, p: int, ss, N: int, cap: int, engines: set):
    """Rank of ``[y(a_i, b_j)]`` on ``N`` random residue points per side, doubling ``N`` until rank < N."""
    rng_a, rng_b = (np.random.default_rng(s) for s in ss.spawn(2))
    a = rng_a.integers(0, p, (N, len(part.A), M), dtype=np.int64)
    b = rng_b.integers(0, p, (N, len(part.B), M), dtype=np.int64)
    refuse_if_too_large("T", part.T, "evaluation matrix", (N, N), _bytes_per_entry((N, N), p))
    Y = evaluation_matrix(model, part, a, b)
    while True:
        r, engine = _modular_rank_with_engine(Y, p, overwrite=N > cap)  # Y is not grown after N = cap + 1
        engines.add(engine)
        if r < N or N > cap:
            return r, N
        new = min(2 * N, cap + 1)
        if 4 * new > 3 * (cap + 1):  # close to the cap: go there at once and save one large elimination
            new = cap + 1
        refuse_if_too_large("T", part.T, "evaluation matrix", (new, new), _bytes_per_entry((new, new), p))
        a2 = rng_a.integers(0, p, (new - N, len(part.A), M), dtype=np.int64)
        b2 = rng_b.integers(0, p, (new - N, len(part.B), M), dtype=np.int64)
        top_right = evaluation_matrix(model, part, a, b2)
        a, b = np.concatenate([a, a2]), np.concatenate([b, b2])
        bottom = evaluation_matrix(model, part, a2, b)
        Y = np.block([[Y, top_right], [bottom]])
        N = new


def _svd_rank(M, R, L, T, domain, part, seed, cap) -> RankResult:
    model = _FloatRAC.random(M, R, L, seed=_seed_seq(seed, 0))
    if domain == "onehot":
        a = _one_hot_grid(M, len(part.A)).astype(float)
        b = _one_hot_grid(M, len(part.B)).astype(float)
    else:
        N = cap + 1
        refuse_if_too_large("T", T, "evaluation matrix", (N, N), _BYTES_PER_ENTRY)
        rng_a, rng_b = (np.random.default_rng(s) for s in _seed_seq(seed, 1).spawn(2))
        a = rng_a.standard_normal((N, len(part.A), M))
        b = rng_b.standard_normal((N, len(part.B), M))
    Y = evaluation_matrix(model, part, a, b)
    s = np.linalg.svd(Y, compute_uv=False)
    tol = s.max(initial=0.0) * max(Y.shape) * np.finfo(float).eps
    rank = int(np.sum(s > tol))
    return RankResult(
        rank=rank, M=M, R=R, L=L, T=T, domain=domain, method="svd", partition=part.to_dict(), seeds=[seed],
        primes=[], ranks=[rank], N=Y.shape, upper_bound=cap, singular_values=[float(v) for v in s],
        note=_SVD_WARNING, extra={"tolerance": float(tol)},
    )


# ---------------------------------------------------------------------------------------------------------------
# float grid tensor (for checks against the tensor-network contraction)


def grid_tensor(model, T: int):
    """The order-``T`` grid tensor ``G[d_1..d_T] = y(e_{d_1}, ..., e_{d_T})`` of a float `tnrnn.rac.RAC`.

    The first output is used. Shape ``(M,) * T``. In the one-hot domain its Start-End matricization rank is the
    separation rank.
    """
    import jax
    import jax.numpy as jnp

    from tnrnn.rac import rac_forward

    T = check_positive_int("T", T)
    M = model.M
    refuse_if_too_large("T", T, "grid tensor", (M,) * T, 8 * (T * M + 1))
    if M**T > 2**24:
        raise ArgumentError("T", T, f"M^T <= 2^24 grid entries (M={M})")
    idx = jnp.asarray(list(itertools.product(range(M), repeat=T)), dtype=jnp.int32).reshape(-1, T)
    xs = jax.nn.one_hot(idx, M, dtype=model.W_O.dtype)
    ys = jax.vmap(rac_forward, in_axes=(None, 0))(model, xs)[:, 0]
    return ys.reshape((M,) * T)
