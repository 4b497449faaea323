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
    MemoryRefusal,
    check_choice,
    check_domain,
    check_float,
    check_positive_int,
    check_seed,
    check_sizes,
    parse_partition,
    refuse_if_too_large,
)
from tnrnn.cells.arith import (
    EXTENSION_PRIME_BOUND,
    RESIDUE_PRIME_BOUND,
    FloatArith,
    NumpyModular,
    extension_width_limit,
    int64_prime_bound,
)
from tnrnn.cells.base import make_cell
from tnrnn.primes import is_prime, largest_primes_below
from tnrnn.rank.certificate import (
    CONFIDENCES,
    RankInterrupted,
    RankResult,
    check_confidence,
    failure_bound,
    rigorous_target,
)
from tnrnn.rank.elimination import ELIMINATIONS, EliminationTimeout, _rank_with_engine
from tnrnn.rank.evaluation import (
    EvaluationTimeout,
    evaluation_matrix,
    extension_matrix,
    one_hot_grid,
    one_hot_points,
    residue_matrix,
)
from tnrnn.sizes import MAX_REPETITIONS, check_loop, rank_hints, rank_model, refuse_rank_request

__all__ = ["separation_rank", "METHODS", "CONFIDENCES", "EVALUATIONS", "plan"]

METHODS = ("modp", "svd")
EVALUATIONS = ("auto", "jax", "numpy")
#: the numpy path is used below this many pair-step operations (its ~0.5 s beat a JAX compilation)
_JAX_MIN_OPS = 1e8
#: the sample jumps to the cap once a doubling would pass this fraction of it. Generic ranks sit near the cap
#: (over the committed atlas, every certified continuous cell with cap >= 1000 has rank >= 0.88 cap), so the
#: elimination at the last doubling below the cap is usually wasted (about 12% of the final one at 0.6); jumping
#: the price, when the rank is far below the cap, is an elimination of side cap instead of 2N: at most
#: (cap / 2N)^2 <= 16 times the doubling's, in a case the atlas has not met.
_JUMP = 0.25
#: largest number of repetitions the certified and rigorous confidences may use
_MAX_RIGOROUS = 8

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


#: largest network (nodes, closed form) whose min-cut the engine computes for its cap (0.1 s at 10^4 nodes)
_MIN_CUT_NODES = 200_000


def _min_cut_bound(cellobj, T, domain, part) -> dict:
    key = (type(cellobj), cellobj.spec, cellobj.M, cellobj.R, cellobj.L, T, domain, part.spec())
    if key not in _MIN_CUTS:
        _MIN_CUTS[key] = _compute_min_cut_bound(cellobj, T, domain, part)
    return dict(_MIN_CUTS[key])


#: min-cut bounds computed in this process (deterministic in the key; `plan` runs more than once per rank)
_MIN_CUTS: dict = {}


def _compute_min_cut_bound(cellobj, T, domain, part) -> dict:
    """``{"min_cut": bound}`` for a cell with a tensor network of at most `_MIN_CUT_NODES` nodes, else ``{}``.

    The min-cut of the cell's network is a proven upper bound on every rank of the partition (theory page, the
    min-cut bound), so it belongs in the cap with the closed forms; it is part of the result's bounds, stored with
    it in the atlas.
    """
    from tnrnn.cells.base import CELL_REGISTRY

    if CELL_REGISTRY.get(cellobj.name) is not type(cellobj):
        return {}  # the networks are built from registered cells (a cell of one's own has none here)
    from tnrnn.build import closed_form_counts
    from tnrnn.cuts import start_end_min_cut

    try:
        if closed_form_counts(T, cellobj.L, domain=domain)["nodes"] > _MIN_CUT_NODES:
            return {}
        cut = start_end_min_cut(cellobj.M, cellobj.R, cellobj.L, T, domain=domain, partition=part, cell=cellobj.name)
    except (ArgumentError, MemoryRefusal, ValueError, KeyError):
        return {}
    return {"min_cut": int(cut.bound)}


def _compute(M, R, L, T, **kwargs):
    """One call of the engine without the atlas (a separate function, so that tests can count the computations)."""
    return separation_rank(M, R, L, T, cache=None, **kwargs)


def plan(M, R, L, T, *, domain, partition="start-end", cell="rac", max_N=None, min_cut: bool = True) -> dict:
    """The sizes a `separation_rank` call would reach at most: matrix side, peak memory and a rough time estimate.

    Raises `MemoryRefusal` (before any work) when its arrays would not fit in memory: the weights, the kernel's work
    space, the points and the largest matrix (`tnrnn.sizes.rank_model`). Weights and work space, and for the RAC a
    lower bound on the matrix, are checked before the proven bounds are computed (`tnrnn.sizes.refuse_rank_request`),
    so a request past any machine is refused at once whatever its ``T`` or ``L``. The cap is the smallest proven
    upper bound, the min-cut of the cell's network included (``min_cut=False`` leaves it out: a cost model that
    plans many cells at once).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    cellobj = make_cell(cell, M, R, L)
    part = parse_partition(partition, T)
    if max_N is not None:
        max_N = check_positive_int("max_N", max_N)
    refuse_rank_request(cellobj, part, domain, max_N=max_N)
    bounds = _cell_bounds(cellobj, T, domain, part)
    if min_cut:  # the min-cut only lowers the cap; a cost model can do without it (`min_cut=False`)
        bounds.update(_min_cut_bound(cellobj, T, domain, part))
    cap = min(bounds.values()) if bounds else None
    side = None
    if domain == "onehot":
        grid = (M ** len(part.A), M ** len(part.B))
        # the largest sample before a proof (the cap) or the grid; the whole grid is evaluated only when a sample
        # falls short of every cap, and a run that would then not fit stops as partial (checked at that point)
        side = max(grid) if cap is None else min(cap, max(grid))
        shape = (min(side, grid[0]), min(side, grid[1]))
        sample_limit = max(grid)
    else:
        if cap is None and max_N is None:
            raise ArgumentError("max_N", None, "a sample-size limit (no proven upper bound is known for this cell)")
        side = min(v for v in (cap, max_N) if v is not None)
        shape = (side, side)
        sample_limit = side
    # the prime-field pass: a GF(p^2) stage (side rank + 1, twice the bytes) is checked when it starts, and one that
    # would not fit stops the run as partial with what the prime field proved
    model = rank_model(cellobj, part, domain, side=side, matrix_bytes=_per_entry(_peak_bytes(shape), shape))
    peak = model.refuse(hints=rank_hints(domain, max_N))
    n = min(shape)
    steps = T - part.prefix_side[1]
    eval_s = shape[0] * shape[1] * steps * L * R * (R + M) / 1.0e10
    elim_s = 0.7 * n * n * max(shape) / 1.0e11
    return {
        "cap": cap,
        "bounds": bounds,
        "shape": shape,
        "sample_limit": sample_limit,
        "peak_bytes": peak,
        "estimate_seconds": eval_s + elim_s,
        "cell": cellobj.spec,
    }


def _per_entry(peak: int, shape) -> int:
    """Bytes per matrix entry at the peak (rounded up), for a refusal that names the matrix's shape."""
    return -(-peak // max(1, int(shape[0]) * int(shape[1])))


def _peak_bytes(shape, k: int = 1) -> int:
    """Peak bytes of a stage of side ``shape`` over a field of degree ``k``: its matrix and the previous block's copy.

    float64 (complex128 for ``k = 2``) while that stays within `_WIDE_BYTES`, with a narrow copy of the previous
    block kept while the sample grows; beyond, the matrix is stored narrow (float32, complex64: 4 bytes a part) and
    the previous block is evaluated again instead of kept.
    """
    n = int(shape[0]) * int(shape[1])
    return 12 * k * n if 8 * k * n <= _WIDE_BYTES else 4 * k * n


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
    confidence: str = "certified",
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
        Repetitions of the ``fast`` and ``rigorous`` confidences; the maximum rank is reported (a rank over a finite
        field never exceeds the generic rank). Stops early when a repetition reaches the proven upper bound. The
        ``certified`` confidence chooses its repetitions by its failure bound instead.
    method : {"modp", "svd"}
        ``"modp"``: exact elimination (default). ``"svd"``: float64 numerical rank with its spectrum, a labelled
        diagnostic that under-counts.
    N0 : int
        Initial number of continuous points per side (doubled until the rank is below it).
    confidence : {"certified", "fast", "rigorous"}
        ``"certified"`` (default): every result is proven or carries a failure bound of at most ``1e-6``. A fast
        pass over a prime field (``p < 2^21``) finds the rank (its full-rank samples prove lower bounds); when it
        does not meet a proven upper bound, repetitions over the extension field ``GF(p^2)`` (about ``2^44``
        elements, still float64 kernels and BLAS elimination) certify it. ``"fast"``: ``n_seeds`` repetitions over
        primes below ``2^21`` only; faster, but its failure bound can be vacuous (up to 1) for deep cells.
        ``"rigorous"``: word-size primes (int64 kernel, FLINT elimination) until the bound is at most ``1e-6``; the
        slow route to the same guarantee, kept for comparison. ``"standard"`` is the earlier name of ``"fast"``.
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
    confidence = check_confidence(confidence)
    elimination = check_choice("elimination", elimination, ELIMINATIONS)
    evaluation = check_choice("evaluation", evaluation, EVALUATIONS)
    seed = check_seed(seed)
    n_seeds = check_loop("n_seeds", check_positive_int("n_seeds", n_seeds), "repetitions", n_seeds, MAX_REPETITIONS)
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
    degree = cellobj.output_degree(T, input_degree=1 if domain == "continuous" else 0)
    limit = info["shape"][0] if domain == "continuous" else info["sample_limit"]
    run = _Run(cellobj, part, domain, elimination, evaluation, deadline, _Bar(progress), _Timer(), cap, limit)
    try:
        if confidence == "certified":
            run.certified(seed, N0, degree)
        else:
            run.repeated(confidence, seed, n_seeds, N0, degree)
    except (EvaluationTimeout, EliminationTimeout) as exc:
        run.proved(getattr(exc, "rank_so_far", 0))
        run.stopped = f"timeout after {timeout} s"
        run.record_current()
    except KeyboardInterrupt:  # Ctrl-C: what completed stages certified goes with the interrupt
        run.stopped = "interrupted (SIGINT)"
        run.record_current()
    finally:
        run.bar.close()
    result = run.result(M, R, L, T, degree, confidence, evaluation, info, time.perf_counter() - t_start)
    if run.stopped.startswith("interrupted"):
        raise RankInterrupted(result)
    return result


def _device() -> str:
    try:
        import jax

        return jax.default_backend()
    except Exception:  # noqa: BLE001 - JAX half-imported: a Ctrl-C during its import (the result still goes out)
        return "unknown"


def _extension_primes(width: int, count: int) -> list[int]:
    """The largest primes ``p = 3 mod 4`` below ``2^22`` with ``width <= extension_width_limit(p)``."""
    bound = EXTENSION_PRIME_BOUND
    while bound > 16 and extension_width_limit(bound) < width:
        bound //= 2
    out, n = [], bound - 1
    while len(out) < count:
        n -= (n - 3) % 4  # the next candidate = 3 mod 4
        if is_prime(n):
            out.append(n)
        n -= 4
    return out


def _field_name(p: int, k: int) -> str:
    return f"GF({p}^2)" if k == 2 else f"GF({p})"


#: the fields of a repetition: (extension degree, kernel dtype)
_PRIME_FIELD, _EXTENSION_FIELD, _INT64_FIELD = (1, "float64"), (2, "extension"), (1, "int64")


class _Run:
    """One call's repetitions: sample growth, evaluation, elimination, and what each completed stage proved.

    A repetition draws weights and points (or grid rows and columns, one-hot) in one field and grows its sample
    until the rank falls below the sample side, or reaches the proven cap or the sample limit. Every completed
    elimination is a certified lower bound (a full-rank sample of ``N`` points proves ``rank >= N``), kept in
    ``best`` even when a later stage is interrupted.
    """

    def __init__(self, cell, part, domain, elimination, evaluation, deadline, bar, timer, cap, limit):
        self.cell, self.part, self.domain = cell, part, domain
        self.elimination, self.evaluation, self.deadline = elimination, evaluation, deadline
        self.bar, self.timer, self.cap, self.limit = bar, timer, cap, limit
        self.seeds, self.primes, self.fields, self.ranks, self.sizes = [], [], [], [], []
        self.engines: set = set()
        self.best = 0  # the largest rank certified by a completed stage
        self.shape = (0, 0)
        self.stopped = ""
        self.kernel = set()
        self.current = None  # the repetition in progress: seed, prime, field degree, rank so far, sample sides

    # -- what was proved ---------------------------------------------------------------------------------------
    def proved(self, r: int) -> None:
        self.best = max(self.best, int(r))

    def capped(self) -> bool:
        return self.cap is not None and self.best >= self.cap

    def failure(self, degree: int) -> float:
        sizes = [p**k for p, k in zip(self.primes, self.fields, strict=True)]
        return failure_bound(self.best, degree, sizes, self.sizes)

    # -- the modes ---------------------------------------------------------------------------------------------
    def certified(self, seed: int, N0: int, degree: int) -> None:
        """A fast prime-field pass (its full-rank stages prove ranks), then ``GF(p^2)`` until the bound is met.

        The prime-field pass finds the rank ``r`` cheaply; when it does not meet the cap, repetitions over
        ``GF(p^2)`` start at side ``r + 1`` (the least that can certify ``r``) and grow if they find more, until the
        failure bound is at most `rigorous_target`.
        """
        self.repetition(seed, _primes_below(RESIDUE_PRIME_BOUND, 1)[0], _PRIME_FIELD, self.first_side(N0))
        if self.capped() or self.stopped:
            return  # proven, or stopped at the sample limit with a full-rank sample (partial)
        # one-hot: a Schwartz-Zippel bound speaks of the whole grid, so the extension field evaluates all of it
        start = self.limit if self.domain == "onehot" else min(self.best + 1, self.limit)
        grid = (self.cell.M ** len(self.part.A), self.cell.M ** len(self.part.B)) if self.domain == "onehot" else None
        refusal = _refusal(self._sides(start, grid), _EXTENSION_FIELD[0])
        if refusal:
            self.stopped = f"no GF(p^2) certificate: {refusal}"
            return
        for i, q in enumerate(_extension_primes(self.cell.width(), _MAX_RIGOROUS)):
            self.repetition(seed + 1 + i, q, _EXTENSION_FIELD, start)
            if self.capped() or self.stopped or self.failure(degree) <= rigorous_target:
                return

    def repeated(self, confidence: str, seed: int, n_seeds: int, N0: int, degree: int) -> None:
        """``fast``: ``n_seeds`` prime-field repetitions; ``rigorous``: int64 primes until the bound is met."""
        if confidence == "rigorous":
            primes = _primes_below(int64_prime_bound(self.cell.width()), max(n_seeds, _MAX_RIGOROUS))
            field = _INT64_FIELD
        else:
            primes, field = _primes_below(RESIDUE_PRIME_BOUND, n_seeds), _PRIME_FIELD
        N = self.first_side(N0)
        for i, p in enumerate(primes):
            self.repetition(seed + i, p, field, N)
            N = self.sizes[-1]  # later repetitions start at the size the first one ended with
            if self.capped() or self.stopped:
                return
            if confidence == "rigorous" and i + 1 >= n_seeds and self.failure(degree) <= rigorous_target:
                return

    # -- one repetition --------------------------------------------------------------------------------------
    def first_side(self, N0: int) -> int:
        """The first sample side: ``N0``, at most the limit (continuous: the cap or ``max_N``)."""
        return min(N0, self.limit)

    def repetition(self, seed: int, p: int, field, N: int) -> int:
        """Grow one repetition's sample from side ``N``; returns its rank (recorded with its prime and field).

        Continuous: the sample doubles (or jumps to the limit, `_next_size`) while it has full rank. One-hot: a
        sample of distinct grid rows and columns (random order) doubles while its rank grows, since a random
        sub-grid can fall short of the grid's rank; once a doubling finds no more rank below every cap, the whole
        grid decides (a Schwartz-Zippel bound speaks of every row), or the run stops as partial when the grid
        would not fit in memory.
        """
        k, dtype = field
        params = self.cell.random_residues(p, _seed_seq(seed, 0), degree=k)
        sampler = _Sampler(self.cell, self.part, self.domain, p, k, _seed_seq(seed, 1), self.limit)
        grid = sampler.grid
        N = max(1, min(N, self.limit))
        previous = -1
        sides = self._sides(N, grid)
        self.current = {"seed": seed, "p": p, "k": k, "rank": 0, "sides": sides}
        Y = self._empty(sides, k, dtype)
        self.evaluate(params, p, dtype, sampler.rows(0, sides[0]), sampler.cols(0, sides[1]), Y)
        while True:
            last = sides == grid if grid is not None else N >= self.limit
            # the previous block is kept (narrow) while the sample grows; with narrow storage (memory tight) it is
            # evaluated again instead, so the peak stays one narrow matrix
            narrow = Y.dtype in (np.float32, np.complex64)
            copy = np.complex64 if k == 2 else Y.dtype if dtype == "int64" else np.int32
            keep = None if last or narrow else Y.astype(copy)
            r = self.eliminate(Y, p)
            self.proved(r)
            self.current["rank"] = max(self.current["rank"], r)
            if last or self.capped():
                break
            if grid is None:
                if r < N:
                    break  # continuous: the rank is below the sample side
                new = _next_size(N, self.limit, self.cap)
            elif r < min(sides) and r <= previous:
                new = max(grid)  # one-hot: a doubling found no more rank; the whole grid decides
            else:
                new = min(2 * N, max(grid))
            previous = r
            new_sides = self._sides(new, grid)
            refusal = _refusal(new_sides, k)
            if refusal:
                self.stopped = refusal
                break
            del Y
            Y = self._empty(new_sides, k, dtype)
            old = sides if keep is not None else (0, 0)
            if keep is not None:
                Y[: old[0], : old[1]] = keep
                del keep
            rows, cols = sampler.rows, sampler.cols
            self.evaluate(params, p, dtype, rows(0, old[0]), cols(old[1], new_sides[1]), Y, 0, old[1])
            self.evaluate(params, p, dtype, rows(old[0], new_sides[0]), cols(0, new_sides[1]), Y, old[0], 0)
            N, sides = new, new_sides
            self.current["sides"] = sides
        if grid is None and r == N and N >= self.limit and not self.capped():
            self.stopped = f"max_N={N} reached with a full-rank sample"
        self.record_current()
        return r

    def record_current(self) -> None:
        """Record the repetition in progress (also when a timeout or Ctrl-C stopped it part way)."""
        c, self.current = self.current, None
        if c is None:
            return
        self.seeds.append(c["seed"])
        self.primes.append(c["p"])
        self.fields.append(c["k"])
        self.ranks.append(c["rank"])
        self.sizes.append(min(c["sides"]))
        self.shape = c["sides"]

    def _sides(self, N: int, grid) -> tuple[int, int]:
        if grid is None:
            return (N, N)
        return (min(N, grid[0]), min(N, grid[1]))

    def _empty(self, shape, k: int, dtype: str):
        """The matrix of a stage: float64 / complex128, or float32 / complex64 when the wide one is too large."""
        if dtype == "int64":
            return np.empty(shape, np.int64)
        wide = shape[0] * shape[1] * 8 * k <= _WIDE_BYTES
        kinds = {(1, True): np.float64, (1, False): np.float32, (2, True): np.complex128, (2, False): np.complex64}
        return np.empty(shape, kinds[(k, wide)])

    def evaluate(self, params, p, dtype, a, b, out, r0=0, c0=0):
        if a.shape[0] == 0 or b.shape[0] == 0:
            return
        t0 = time.perf_counter()
        label = f"evaluate N={out.shape[0]}"
        steps = self.part.T - self.part.prefix_side[1]
        ops = a.shape[0] * b.shape[0] * steps * self.cell.L * self.cell.R * (self.cell.R + self.cell.M)
        use_jax = self.evaluation == "jax" or (self.evaluation == "auto" and ops >= _JAX_MIN_OPS)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise EvaluationTimeout()
        if use_jax:
            residue_matrix(
                self.cell,
                params,
                self.part,
                a,
                b,
                p,
                dtype=dtype,
                out=out,
                row_offset=r0,
                col_offset=c0,
                deadline=self.deadline,
                progress=self.bar.stage(label, a.shape[0] + b.shape[0]),
            )
        elif dtype == "extension":
            extension_matrix(self.cell, params, self.part, a, b, p, out=out, row_offset=r0, col_offset=c0)
        else:
            Y = evaluation_matrix(self.cell, params, NumpyModular(p), self.part, a, b)
            out[r0 : r0 + a.shape[0], c0 : c0 + b.shape[0]] = Y
        self.kernel.add(("jax-" if use_jax else "numpy-") + dtype)
        self.timer.add("evaluate", t0)

    def eliminate(self, Y, p):
        t0 = time.perf_counter()
        bar = self.bar.stage(f"eliminate N={Y.shape[0]}", Y.shape[1])
        engine = self.elimination
        if Y.dtype == np.int64 and engine in ("auto", "blas-block", "jax-block"):
            engine = "flint"  # block engines need p < 2^21
        r, used = _rank_with_engine(Y, p, engine=engine, overwrite=True, deadline=self.deadline, progress=bar)
        self.engines.add(used)
        self.timer.add("eliminate", t0)
        return r

    # -- the result --------------------------------------------------------------------------------------------
    def result(self, M, R, L, T, degree, confidence, evaluation, info, seconds) -> RankResult:
        rank = self.best
        if self.cap is not None and rank >= self.cap:
            status, fb = "proven", 0.0
        elif self.stopped:
            status, fb = "partial", None
        else:
            status, fb = "lower-bound", self.failure(degree)
        return RankResult(
            rank=rank,
            M=M,
            R=R,
            L=L,
            T=T,
            domain=self.domain,
            method="modp",
            partition=self.part.to_dict(),
            seeds=self.seeds,
            primes=self.primes,
            ranks=self.ranks,
            N=self.shape,
            upper_bound=self.cap,
            status=status,
            failure_bound=fb,
            degree=degree,
            confidence=confidence,
            cell=self.cell.spec,
            note=(
                "certified lower bound (rank over finite fields, maximum over repetitions and completed stages); "
                "proven when it meets a proven upper bound"
            ),
            extra={
                "elimination": "+".join(sorted(self.engines)),
                "evaluation": "+".join(sorted(self.kernel)) or evaluation,
                "fields": [_field_name(p, k) for p, k in zip(self.primes, self.fields, strict=True)],
                "device": _device(),
                "stopped": self.stopped,
                "bounds": info["bounds"],
            },
            timing=dict(self.timer.seconds, total=seconds),
        )


def _refusal(shape, k: int) -> str:
    """Why a stage's matrix (and the narrow copy of the previous one) cannot be allocated, or ``""``."""
    try:
        refuse_if_too_large("T", shape, "evaluation matrix", shape, _per_entry(_peak_bytes(shape, k), shape))
    except MemoryRefusal as exc:
        return f"the next sample ({shape[0]} x {shape[1]}) would not fit in memory: {exc.allowed}"
    return ""


#: largest matrix kept in the wide dtype (float64 / complex128); larger ones are stored narrow (4 bytes a part)
_WIDE_BYTES = 2 * 2**30


class _Sampler:
    """The evaluation points of one repetition, drawn in order so that a grown sample extends the previous one.

    Continuous: uniform residues (pairs of them over ``GF(p^2)``) for each side. One-hot: distinct rows and
    columns of the grid, in a random order (the whole grid in its natural order once a sample covers it); a
    one-hot point is a fixed 0/1 vector (imaginary part 0 over ``GF(p^2)``).
    """

    def __init__(self, cell, part, domain, p, k, ss, limit):
        self.M, self.k, self.p, self.domain = cell.M, k, p, domain
        self.steps = (len(part.A), len(part.B))
        self.rngs = [np.random.default_rng(s) for s in ss.spawn(2)]
        self.drawn = [np.empty((0, s, self.M, *((2,) if k == 2 else ())), np.int64) for s in self.steps]
        self.grid = None
        if domain == "onehot":
            self.grid = tuple(self.M**s for s in self.steps)
            self.order = [np.empty(0, np.int64), np.empty(0, np.int64)]

    def rows(self, lo: int, hi: int) -> np.ndarray:
        return self._points(0, lo, hi)

    def cols(self, lo: int, hi: int) -> np.ndarray:
        return self._points(1, lo, hi)

    def _extend_order(self, side: int, hi: int) -> None:
        """Make the random order of grid rows (columns) at least ``hi`` long; earlier entries never change."""
        order, n, rng = self.order[side], self.grid[side], self.rngs[side]
        if hi <= order.size:
            return
        if n <= _PERMUTE:
            self.order[side] = rng.permutation(n)  # a small side: the whole of it, in a random order
            return
        seen = set(order.tolist())
        new = [int(i) for i in rng.integers(0, n, 2 * (hi - order.size)) if not (int(i) in seen or seen.add(int(i)))]
        self.order[side] = np.concatenate([order, np.asarray(new[: max(hi - order.size, 0)], np.int64)])
        self._extend_order(side, hi)  # the rare draw with too many repeats

    def _points(self, side: int, lo: int, hi: int) -> np.ndarray:
        if self.domain == "onehot":
            self._extend_order(side, hi)
            x = one_hot_points(self.M, self.steps[side], self.order[side][lo:hi])
            return np.stack([x, np.zeros_like(x)], -1) if self.k == 2 else x
        have = self.drawn[side]
        if hi > have.shape[0]:
            shape = (hi - have.shape[0], self.steps[side], self.M, *((2,) if self.k == 2 else ()))
            have = self.drawn[side] = np.concatenate([have, self.rngs[side].integers(0, self.p, shape)])
        return have[lo:hi]


#: a one-hot side of at most this many rows (columns) is ordered by one permutation; a larger one is sampled
_PERMUTE = 2**22


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
