"""`separation_rank`: the exact-rank engine (evaluate, eliminate, certify), for every cell and both domains.

The separation rank of ``y`` with respect to a partition ``(A, B)`` of the time steps is the rank of the matrix
``[y(a_i, b_j)]`` over evaluation points:

* ``domain="onehot"``: a discrete alphabet of ``M`` symbols; ``a_i`` and ``b_j`` run over *all* one-hot
  assignments of their side, so the matrix is the matricized grid tensor (``M^|A| x M^|B|``).
* ``domain="continuous"``: real inputs; ``N`` random points on each side, with ``N`` grown until the rank is below
  ``N`` or ``N`` reaches the smallest proven upper bound. A deep RAC is not multilinear, so this rank can exceed
  ``M^{T/2}``.

Weights and points are uniform residues modulo a prime; the matrix is evaluated exactly (`tnrnn.rank.evaluation`)
and eliminated exactly (`tnrnn.rank.elimination`); the result is certified as described in
`tnrnn.rank.certificate`. Growth without waste: the sample size never exceeds the proven cap (at ``N = cap`` a
full-rank matrix proves the rank); when ``N`` grows, only the new rows and columns are evaluated (the old block is
kept as an int32 copy while it is eliminated, half the memory of the float64 matrix; no copy is kept at the cap,
where no growth can follow); the factorisation is not reused, since for a doubling it would save at most about
12% of the elimination for twice the memory; later repetitions start at the size the first one ended with.
"""

from __future__ import annotations

import math
import time

import numpy as np

from tnrnn._types import (
    ArgumentError,
    check_choice,
    check_domain,
    check_float,
    check_positive_int,
    check_seed,
    check_sizes,
    parse_partition,
)
from tnrnn.cells.arith import RESIDUE_PRIME_BOUND, FloatArith, NumpyModular, int64_prime_bound
from tnrnn.cells.base import make_cell
from tnrnn.primes import largest_primes_below
from tnrnn.rank.certificate import RankInterrupted, RankResult, failure_bound, rigorous_target
from tnrnn.rank.elimination import ELIMINATIONS, EliminationTimeout, _rank_with_engine
from tnrnn.rank.evaluation import (
    EvaluationTimeout,
    evaluation_matrix,
    one_hot_grid,
    residue_matrix,
)
from tnrnn.sizes import rank_hints, rank_model, refuse_rank_request

__all__ = ["separation_rank", "METHODS", "CONFIDENCES", "EVALUATIONS", "plan"]

METHODS = ("modp", "svd")
CONFIDENCES = ("standard", "rigorous")
EVALUATIONS = ("auto", "jax", "numpy")
#: the numpy path is used below this many pair-step operations (its ~0.5 s beat a JAX compilation)
_JAX_MIN_OPS = 1e8
#: the sample jumps to the cap once a doubling would pass this fraction of it. Generic ranks sit near the cap
#: (over the committed atlas, every certified continuous cell with cap >= 1000 has rank >= 0.88 cap), so the
#: elimination at the last doubling below the cap is usually wasted (about 12% of the final one at 0.6); jumping
#: the price, when the rank is far below the cap, is an elimination of side cap instead of 2N: at most
#: (cap / 2N)^2 <= 16 times the doubling's, in a case the atlas has not met.
_JUMP = 0.25
#: largest number of repetitions the rigorous confidence may use
_MAX_RIGOROUS = 8
#: bytes per entry at the peak of a continuous run: float64 matrix + int32 copy of the previous block
_BYTES_PEAK = 12

_SVD_WARNING = (
    "float64 SVD diagnostic: numerical rank of a matrix whose singular values spread over many orders of "
    "magnitude; it under-counts the exact rank. Use method='modp' for the rank."
)


def _seed_seq(seed: int, purpose: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, purpose])


def _primes_below(bound: int, count: int) -> list[int]:
    return largest_primes_below(bound, count)


def _cell_bounds(cellobj, T, domain, part) -> dict:
    return dict(cellobj.proven_upper_bounds(T, domain=domain, partition=part))


def _compute(M, R, L, T, **kwargs):
    """One call of the engine without the atlas (a separate function, so that tests can count the computations)."""
    return separation_rank(M, R, L, T, cache=None, **kwargs)


def plan(M, R, L, T, *, domain, partition="start-end", cell="rac", max_N=None) -> dict:
    """The sizes a `separation_rank` call would reach at most: matrix side, peak memory and a rough time estimate.

    Raises `MemoryRefusal` (before any work) when its arrays would not fit in memory: the weights, the kernel's work
    space, the points and the largest matrix (`tnrnn.sizes.rank_model`). Weights and work space, and for the RAC a
    lower bound on the matrix, are checked before the proven bounds are computed (`tnrnn.sizes.refuse_rank_request`),
    so a request past any machine is refused at once whatever its ``T`` or ``L``.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    cellobj = make_cell(cell, M, R, L)
    part = parse_partition(partition, T)
    if max_N is not None:
        max_N = check_positive_int("max_N", max_N)
    refuse_rank_request(cellobj, part, domain, max_N=max_N)
    bounds = _cell_bounds(cellobj, T, domain, part)
    cap = min(bounds.values()) if bounds else None
    side = None
    if domain == "onehot":
        shape = (M ** len(part.A), M ** len(part.B))
    else:
        if cap is None and max_N is None:
            raise ArgumentError("max_N", None, "a sample-size limit (no proven upper bound is known for this cell)")
        side = min(v for v in (cap, max_N) if v is not None)
        shape = (side, side)
    model = rank_model(cellobj, part, domain, side=side, matrix_bytes=_BYTES_PEAK)
    peak = model.refuse(hints=rank_hints(domain, max_N))
    n = min(shape)
    steps = T - part.prefix_side[1]
    eval_s = shape[0] * shape[1] * steps * L * R * (R + M) / 1.0e10
    elim_s = 0.7 * n * n * max(shape) / 1.0e11
    return {
        "cap": cap,
        "bounds": bounds,
        "shape": shape,
        "peak_bytes": peak,
        "estimate_seconds": eval_s + elim_s,
        "cell": cellobj.spec,
    }


class _Bar:
    """One tqdm bar per stage (evaluate / eliminate), on stderr; a no-op without ``progress``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def stage(self, desc: str, total: int):
        self.close()
        if self.enabled:
            from tnrnn._progress import progress_bar

            unit = "row" if "evaluate" in desc else "col"
            self.bar = progress_bar(total=total, desc=desc, unit=unit, progress=self.enabled)
        return self.update

    def update(self, done: int, total: int):
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _Timer:
    def __init__(self):
        self.seconds = {"evaluate": 0.0, "eliminate": 0.0}

    def add(self, stage, t0):
        self.seconds[stage] += time.perf_counter() - t0


def separation_rank(
    M: int,
    R: int,
    L: int,
    T: int,
    *,
    domain: str,
    partition="start-end",
    cell="rac",
    seed: int = 0,
    n_seeds: int = 2,
    method: str = "modp",
    N0: int = 64,
    confidence: str = "standard",
    timeout: float | None = None,
    max_N: int | None = None,
    elimination: str = "auto",
    evaluation: str = "auto",
    progress: bool = False,
    on_plan=None,
    cache=None,
) -> RankResult:
    """Separation rank of the first output of a generic cell (default the RAC), with its certificate.

    Parameters
    ----------
    M, R, L, T : int
        Input dimension (alphabet size in the one-hot domain), width, depth and length.
    domain : {"onehot", "continuous"}
        The input domain; the two differ for deep cells. Required: always name it.
    partition : str, Partition or pair
        ``"start-end"`` (default), ``"interleaved"``, ``"1,2;3,4"`` or ``(A, B)``.
    cell : str or `tnrnn.cells.Cell`
        A registered cell name (``"rac"``) or a cell of your own (`tnrnn.cells.Cell` subclass or instance).
    seed : int
        First seed (``>= 0``); repetition ``i`` uses seed ``seed + i`` for its weights and points.
    n_seeds : int
        Repetitions; the maximum rank is reported (a rank modulo ``p`` never exceeds the generic rank). Stops early
        when a repetition reaches the proven upper bound.
    method : {"modp", "svd"}
        ``"modp"``: exact elimination (default). ``"svd"``: float64 numerical rank with its spectrum, a labelled
        diagnostic that under-counts.
    N0 : int
        Initial number of continuous points per side (doubled until the rank is below it).
    confidence : {"standard", "rigorous"}
        ``"standard"``: primes below ``2^21`` (float64 kernel, BLAS elimination). ``"rigorous"``: the largest primes
        with ``width (p-1)^2 < 2^63`` (int64 kernel, FLINT elimination), and repetitions until the failure bound is
        at most ``1e-6`` (at most 8); slower.
    timeout : float, optional
        Seconds; when they pass, the run stops cleanly and returns the best certified lower bound so far with
        ``status="partial"``.
    max_N : int, optional
        Largest continuous sample side (needed for a cell without a proven upper bound); reaching it with a
        full-rank matrix gives ``status="partial"``.
    elimination : {"auto", "flint", "blas-block", "jax-block"}
        Elimination engine (`tnrnn.rank.elimination`; ``"auto"`` picks per size, prime and device).
    evaluation : {"auto", "jax", "numpy"}
        The jitted kernel on JAX's default device, or the numpy int64 path; ``"auto"`` (default) takes numpy for
        blocks small enough that it beats a JAX compilation, JAX otherwise.
    progress : bool
        Show a progress bar per stage on stderr.
    on_plan : callable, optional
        Called with the `plan` dict before any heavy work (the CLI prints it).
    cache : None, True, path or `tnrnn.rank.store.Atlas`
        Look the result up in the rank atlas, or compute and store it (`tnrnn.rank.store`): None (default) computes
        only; True uses the default atlas.

    Returns
    -------
    RankResult
        ``rank`` with ``status`` (``"proven"``, ``"lower-bound"`` or ``"partial"``), ``failure_bound`` and the
        certificate (seeds, primes, per-seed ranks, matrix shape, engines, times).

    Notes
    -----
    A rank modulo a prime is a certified lower bound on the generic rank; it is proven exact when it meets the
    smallest proven upper bound (`tnrnn.bounds.proven_upper_bounds`), and otherwise exact except with probability
    at most ``failure_bound`` (Schwartz-Zippel, `tnrnn.rank.certificate`). Float SVD silently under-counts these
    ranks (singular values spread over 20+ orders of magnitude) and is only a diagnostic.

    References
    ----------
    Levine, Sharir, Ziv, Shashua, "On the Long-Term Memory of Deep Recurrent Networks" (separation rank, grid
    tensors, the Start-End partition); the toolkit's theory page, sections on the two input domains and on the
    certificate.
    """
    if cache is not None:  # the rank atlas looks the call up, or computes it (with cache=None) and stores it
        args = dict(locals())
        from tnrnn.rank.store import cached_call

        return cached_call(args.pop("cache"), _compute, plan, **args)
    t_start = time.perf_counter()
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    method = check_choice("method", method, METHODS)
    confidence = check_choice("confidence", confidence, CONFIDENCES)
    elimination = check_choice("elimination", elimination, ELIMINATIONS)
    evaluation = check_choice("evaluation", evaluation, EVALUATIONS)
    seed = check_seed(seed)
    n_seeds = check_positive_int("n_seeds", n_seeds)
    N0 = check_positive_int("N0", N0)
    if timeout is not None:
        timeout = check_float("timeout", timeout, minimum=0, open_min=True)
    cellobj = make_cell(cell, M, R, L)
    part = parse_partition(partition, T)
    info = plan(M, R, L, T, domain=domain, partition=part, cell=cellobj, max_N=max_N)
    cap = info["cap"]
    if on_plan is not None:
        on_plan(info)
    if method == "svd":
        return _svd_rank(cellobj, T, domain, part, seed, info)

    deadline = None if timeout is None else time.monotonic() + float(timeout)
    width = cellobj.width()
    if confidence == "rigorous":
        primes = _primes_below(int64_prime_bound(width), _MAX_RIGOROUS)
        dtype = "int64"
        reps = max(n_seeds, _MAX_RIGOROUS)
    else:
        primes = _primes_below(RESIDUE_PRIME_BOUND, n_seeds)
        dtype = "float64"
        reps = n_seeds
    degree = cellobj.output_degree(T, input_degree=1 if domain == "continuous" else 0)
    N_limit = info["shape"][0] if domain == "continuous" else None
    ctx = _Run(cellobj, part, domain, dtype, elimination, evaluation, deadline, _Bar(progress), _Timer())
    seeds, used, ranks, sizes, engines = [], [], [], [], set()
    best_partial = 0
    stopped = ""
    N = min(N0, N_limit) if N_limit else None
    shape = (0, 0)
    try:
        for i in range(reps):
            s, p = seed + i, primes[i]
            params = cellobj.random_residues(p, _seed_seq(s, 0))
            if domain == "onehot":
                r, shape = ctx.onehot(params, p, engines)
            else:
                r, N = ctx.continuous(params, p, _seed_seq(s, 1), N, N_limit, cap, engines)
                shape = (N, N)
                if r == N and (cap is None or N < cap):
                    stopped = f"max_N={N} reached with a full-rank sample"
            seeds.append(s)
            used.append(p)
            ranks.append(r)
            sizes.append(min(shape))
            best = max(ranks)
            if cap is not None and best >= cap:
                break
            if confidence == "rigorous" and i + 1 >= n_seeds:
                if failure_bound(best, degree, used, sizes) <= rigorous_target:
                    break
    except (EvaluationTimeout, EliminationTimeout) as exc:
        best_partial = getattr(exc, "rank_so_far", 0)
        stopped = f"timeout after {timeout} s"
    except KeyboardInterrupt:  # Ctrl-C: the finished repetitions are certified; they go with the interrupt
        stopped = "interrupted (SIGINT)"
    finally:
        ctx.bar.close()
    rank = max(ranks + [best_partial])
    if stopped:
        status, fb = "partial", None
    elif cap is not None and rank >= cap:
        status, fb = "proven", 0.0
    else:
        status, fb = "lower-bound", failure_bound(rank, degree, used, sizes)
    if status == "partial" and cap is not None and rank >= cap:
        status, fb = "proven", 0.0
    secs = dict(ctx.timer.seconds, total=time.perf_counter() - t_start)
    result = RankResult(
        rank=rank,
        M=M,
        R=R,
        L=L,
        T=T,
        domain=domain,
        method="modp",
        partition=part.to_dict(),
        seeds=seeds,
        primes=used,
        ranks=ranks,
        N=shape,
        upper_bound=cap,
        status=status,
        failure_bound=fb,
        degree=degree,
        confidence=confidence,
        cell=cellobj.spec,
        note="certified lower bound (rank modulo primes, maximum over repetitions); proven when it meets a bound",
        extra={
            "elimination": "+".join(sorted(engines)),
            "evaluation": f"{evaluation}-{dtype}",
            "device": _device(),
            "stopped": stopped,
            "bounds": info["bounds"],
        },
        timing=secs,
    )
    if stopped.startswith("interrupted"):
        raise RankInterrupted(result)
    return result


def _device() -> str:
    import jax

    return jax.default_backend()


class _Run:
    """The evaluate / eliminate steps of one call, with its engines, deadline, progress bar and timers."""

    def __init__(self, cell, part, domain, dtype, elimination, evaluation, deadline, bar, timer):
        self.cell, self.part, self.domain, self.dtype = cell, part, domain, dtype
        self.elimination, self.evaluation, self.deadline = elimination, evaluation, deadline
        self.bar, self.timer = bar, timer

    def evaluate(self, params, p, a, b, out, r0=0, c0=0):
        t0 = time.perf_counter()
        label = f"evaluate N={out.shape[0]}"
        steps = self.part.T - self.part.prefix_side[1]
        ops = a.shape[0] * b.shape[0] * steps * self.cell.L * self.cell.R * (self.cell.R + self.cell.M)
        use_jax = self.evaluation == "jax" or (self.evaluation == "auto" and ops >= _JAX_MIN_OPS)
        if use_jax:
            residue_matrix(
                self.cell,
                params,
                self.part,
                a,
                b,
                p,
                dtype=self.dtype,
                out=out,
                row_offset=r0,
                col_offset=c0,
                deadline=self.deadline,
                progress=self.bar.stage(label, a.shape[0] + b.shape[0]),
            )
        else:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise EvaluationTimeout()
            Y = evaluation_matrix(self.cell, params, NumpyModular(p), self.part, a, b)
            out[r0 : r0 + a.shape[0], c0 : c0 + b.shape[0]] = Y
        self.timer.add("evaluate", t0)

    def eliminate(self, Y, p, engines):
        t0 = time.perf_counter()
        bar = self.bar.stage(f"eliminate N={Y.shape[0]}", Y.shape[1])
        engine = self.elimination
        if self.dtype == "int64" and engine in ("auto", "blas-block", "jax-block"):
            engine = "flint"  # block engines need p < 2^21
        r, used = _rank_with_engine(Y, p, engine=engine, overwrite=True, deadline=self.deadline, progress=bar)
        engines.add(used)
        self.timer.add("eliminate", t0)
        return r

    def _empty(self, shape):
        return np.empty(shape, np.float64 if self.dtype == "float64" else np.int64)

    def onehot(self, params, p, engines):
        a = one_hot_grid(self.cell.M, len(self.part.A))
        b = one_hot_grid(self.cell.M, len(self.part.B))
        Y = self._empty((a.shape[0], b.shape[0]))
        self.evaluate(params, p, a, b, Y)
        return self.eliminate(Y, p, engines), Y.shape

    def continuous(self, params, p, ss, N, N_limit, cap, engines):
        rng_a, rng_b = (np.random.default_rng(s) for s in ss.spawn(2))
        M, nA, nB = self.cell.M, len(self.part.A), len(self.part.B)
        a = rng_a.integers(0, p, (N, nA, M), dtype=np.int64)
        b = rng_b.integers(0, p, (N, nB, M), dtype=np.int64)
        Y = self._empty((N, N))
        self.evaluate(params, p, a, b, Y)
        while True:
            keep = Y.astype(np.int32) if N < N_limit and self.dtype == "float64" else None
            keep = Y.copy() if N < N_limit and keep is None else keep
            r = self.eliminate(Y, p, engines)
            if r < N or N >= N_limit:
                return r, N
            new = _next_size(N, N_limit, cap)
            del Y
            a2 = rng_a.integers(0, p, (new - N, nA, M), dtype=np.int64)
            b2 = rng_b.integers(0, p, (new - N, nB, M), dtype=np.int64)
            Y = self._empty((new, new))
            Y[:N, :N] = keep
            del keep
            self.evaluate(params, p, a, b2, Y, 0, N)
            a, b = np.concatenate([a, a2]), np.concatenate([b, b2])
            self.evaluate(params, p, a2, b, Y, N, 0)
            N = new


def _next_size(N: int, N_limit: int, cap: int | None) -> int:
    """The sample size after a full-rank sample of ``N`` points a side: doubled, or ``N_limit`` from ``_JUMP * cap``."""
    new = min(2 * N, N_limit)
    if cap is not None and new >= _JUMP * cap:
        new = N_limit
    return new


def _svd_rank(cellobj, T, domain, part, seed, info) -> RankResult:
    rng = np.random.default_rng(_seed_seq(seed, 0))
    params = cellobj.make_params(**cellobj._arrays(lambda s: rng.standard_normal(s) / math.sqrt(s[-1])))
    if domain == "onehot":
        a = one_hot_grid(cellobj.M, len(part.A)).astype(float)
        b = one_hot_grid(cellobj.M, len(part.B)).astype(float)
    else:
        N = info["shape"][0] + (1 if info["cap"] is not None and info["shape"][0] == info["cap"] else 0)
        rng_a, rng_b = (np.random.default_rng(s) for s in _seed_seq(seed, 1).spawn(2))
        a = rng_a.standard_normal((N, len(part.A), cellobj.M))
        b = rng_b.standard_normal((N, len(part.B), cellobj.M))
    Y = evaluation_matrix(cellobj, params, FloatArith(np), part, a, b)
    s = np.linalg.svd(Y, compute_uv=False)
    tol = s.max(initial=0.0) * max(Y.shape) * np.finfo(float).eps
    rank = int(np.sum(s > tol))
    return RankResult(
        rank=rank,
        M=cellobj.M,
        R=cellobj.R,
        L=cellobj.L,
        T=T,
        domain=domain,
        method="svd",
        partition=part.to_dict(),
        seeds=[seed],
        primes=[],
        ranks=[rank],
        N=Y.shape,
        upper_bound=info["cap"],
        status="diagnostic",
        failure_bound=None,
        degree=None,
        cell=cellobj.spec,
        singular_values=[float(v) for v in s],
        note=_SVD_WARNING,
        extra={"tolerance": float(tol)},
    )
