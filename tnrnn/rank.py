"""Exact separation ranks of RAC functions, in both input domains.

The separation rank of ``y`` w.r.t. a partition ``(A, B)`` of the time steps is the rank of the matrix
``[y(a_i, b_j)]`` over evaluation points (notes §2.1-2.6):

* ``domain="onehot"``: a discrete alphabet of ``M`` symbols; ``a_i`` and ``b_j`` run over *all* one-hot
  assignments of their side, so the matrix is the matricized grid tensor (order ``T``, ``M^T`` entries).
* ``domain="continuous"``: real inputs (``f`` = identity on ``R^M``); ``N`` random points on each side, with ``N``
  grown until the rank is below ``N``. A deep RAC is not multilinear, so this rank can exceed ``M^{T/2}``.

Ranks are exact: the weights and the continuous points are random residues modulo a large prime ``p``, the
matrix is evaluated exactly in ``int64`` (`tnrnn.rac.ModularRAC`) and eliminated exactly by FLINT
(``python-flint``'s ``nmod_mat``). The rank modulo ``p`` never exceeds the generic rank over the rationals and
equals it with probability at least ``1 - deg / p`` (Schwartz-Zippel), so the engine repeats over seeds and primes
and reports the maximum. Float SVD silently under-counts these ranks (singular values spread over 20+ orders of
magnitude) and is offered only as a labelled diagnostic (``method="svd"``).

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

__all__ = ["RankResult", "separation_rank", "grid_tensor", "evaluation_matrix", "modular_rank", "METHODS"]

METHODS = ("modp", "svd")

#: bytes of working memory per pair chunk (int64 carries of all layers plus temporaries)
_CHUNK_BYTES = 96 * 2**20
#: bytes per matrix entry during elimination (int64 array + Python int list + FLINT copy)
_BYTES_PER_ENTRY = 48
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
    """Exact rank of an integer matrix modulo the prime ``p`` (FLINT ``nmod_mat``)."""
    import flint

    rows, cols = matrix.shape
    if rows == 0 or cols == 0:
        return 0
    return flint.nmod_mat(rows, cols, (np.asarray(matrix, np.int64) % p).ravel().tolist(), p).rank()


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
    Weights are uniform residues modulo the largest primes with ``max(M, R) p^2 < 2^63``. The continuous sample
    size is capped at one more than the smallest proven upper bound (`tnrnn.bounds.proven_upper_bounds`), where the
    rank is certainly below ``N``.

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
        refuse_if_too_large("T", T, "grid matrix", (M ** len(part.A), M ** len(part.B)), _BYTES_PER_ENTRY)

    if method == "svd":
        return _svd_rank(M, R, L, T, domain, part, seed, cap)

    primes = largest_primes_below(max_safe_prime_bound(max(M, R)) + 1, n_seeds)
    seeds, used_primes, ranks = [], [], []
    N = min(N0, cap + 1)
    shape = (0, 0)
    for i in range(n_seeds):
        s, p = seed + i, primes[i]
        model = ModularRAC.random(M, R, L, p=p, seed=_seed_seq(s, 0))
        if domain == "onehot":
            a, b = _one_hot_grid(M, len(part.A)), _one_hot_grid(M, len(part.B))
            r = modular_rank(evaluation_matrix(model, part, a, b), p)
            shape = (a.shape[0], b.shape[0])
        else:
            r, N = _grow_continuous(model, part, M, p, _seed_seq(s, 1), N, cap)
            shape = (N, N)
        seeds.append(s)
        used_primes.append(p)
        ranks.append(r)
        if r >= cap:
            break
    return RankResult(
        rank=max(ranks), M=M, R=R, L=L, T=T, domain=domain, method="modp", partition=part.to_dict(),
        seeds=seeds, primes=used_primes, ranks=ranks, N=shape, upper_bound=cap,
        note="exact rank modulo primes (maximum over seeds)",
    )


def _grow_continuous(model: ModularRAC, part: Partition, M: int, p: int, ss, N: int, cap: int):
    """Rank of ``[y(a_i, b_j)]`` on ``N`` random residue points per side, doubling ``N`` until rank < N."""
    rng_a, rng_b = (np.random.default_rng(s) for s in ss.spawn(2))
    a = rng_a.integers(0, p, (N, len(part.A), M), dtype=np.int64)
    b = rng_b.integers(0, p, (N, len(part.B), M), dtype=np.int64)
    refuse_if_too_large("T", part.T, "evaluation matrix", (N, N), _BYTES_PER_ENTRY)
    Y = evaluation_matrix(model, part, a, b)
    while True:
        r = modular_rank(Y, p)
        if r < N or N > cap:
            return r, N
        new = min(2 * N, cap + 1)
        if 4 * new > 3 * (cap + 1):  # close to the cap: go there at once and save one large elimination
            new = cap + 1
        refuse_if_too_large("T", part.T, "evaluation matrix", (new, new), _BYTES_PER_ENTRY)
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
