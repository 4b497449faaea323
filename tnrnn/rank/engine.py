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
)
from tnrnn.cells.arith import (
    FloatArith,
)
from tnrnn.cells.base import make_cell
from tnrnn.rank._block import extension_panel
from tnrnn.rank._keys import KEY_DEFAULTS, METHODS
from tnrnn.rank._run import (
    _extension_primes,
    _is_wide,
    _peak_bytes,
    _per_entry,
    _Run,
    _seed_seq,
    field_need,
)
from tnrnn.rank.certificate import (
    CONFIDENCES,
    RankInterrupted,
    RankResult,
    check_confidence,
)
from tnrnn.rank.elimination import ELIMINATIONS, EliminationTimeout
from tnrnn.rank.evaluation import (
    EvaluationTimeout,
    _calls,
    evaluation_matrix,
    one_hot_grid,
)
from tnrnn.sizes import MAX_REPETITIONS, check_loop, rank_hints, rank_model, refuse_rank_request

__all__ = ["separation_rank", "METHODS", "CONFIDENCES", "EVALUATIONS", "plan"]

EVALUATIONS = ("auto", "jax", "numpy")


_SVD_WARNING = (
    "float64 SVD diagnostic: numerical rank of a matrix whose singular values spread over many orders of "
    "magnitude; it under-counts the exact rank. Use method='modp' for the rank."
)


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
        if closed_form_counts(L=cellobj.L, T=T, domain=domain)["nodes"] > _MIN_CUT_NODES:
            return {}
        cut = start_end_min_cut(cellobj.M, cellobj.R, cellobj.L, T, domain=domain, partition=part, cell=cellobj.name)
    except (ArgumentError, MemoryRefusal, ValueError, KeyError):
        return {}
    return {"min_cut": int(cut.bound)}


def _compute(M, R, L, T, **kwargs):
    """One call of the engine without the atlas (a separate function, so that tests can count the computations)."""
    return separation_rank(M, R, L, T, cache=None, **kwargs)


#: a narrow (float32) matrix is widened a tile at a time for each update: its elimination took 1.43x the float64
#: rate's estimate at side 40040 (643 s with 1024-wide panels; 766 s, 1.7x, with 256)
_NARROW_SLOWDOWN = 1.45
#: a GF(p^2) repetition against a prime-field one of about the same side: 3.0x at (L, M, R, T) = (3, 3, 3, 10)
#: (evaluation 3.5x, elimination 2.7x; 22 s at side 8389 against 7.3 s at 8568)
_CERTIFY_FACTOR = 3.0
#: a GF(p^2) elimination with a narrower panel (a field sized past 2^44, `tnrnn.rank._run._extension_primes`)
#: against the panel of 256: complex64 side 6000, 8.0 s (256), 10.0 s (128), 13.5 s (64); complex128 side 5000,
#: 3.55 s (256), 5.3 to 5.7 s (64)
_PANEL_COST = {256: 1.0, 128: 1.25, 64: 1.7}  # (the sizing takes no narrower panel)
#: a GF(p^2) step before the last fused kernel call (one call a step, returning the carry, `_fused_steps`) against a
#: step inside it: 45 against 14 ns a pair at (M, R, L, T) = (2, 4, 2, 34), N = 1024. On the CPU such a schedule runs
#: whole with XLA's loop emitter (`tnrnn.rank.evaluation._calls`), so only schedules past its 36 steps pay this.
_CARRY_STEP_COST = 3.2


def plan(M, R, L, T, *, domain, partition="start-end", cell="rac", max_N=None, min_cut: bool = True) -> dict:
    """The sizes a `separation_rank` call would reach at most: matrix side, peak memory and a rough time estimate.

    Raises `MemoryRefusal` (before any work) when its arrays would not fit in memory: the weights, the kernel's work
    space, the points and the largest matrix (`tnrnn.sizes.rank_model`). Weights and work space, and for the RAC a
    lower bound on the matrix, are checked before the proven bounds are computed (`tnrnn.sizes.refuse_rank_request`),
    so a request past any machine is refused at once whatever its ``T`` or ``L``. The cap is the smallest proven
    upper bound, the min-cut of the cell's network included (``min_cut=False`` leaves it out: a cost model that
    plans many cells at once).

    ``estimate_seconds`` is a rough time for one prime-field repetition up to the largest side (calibrated on the
    2-core CPU); ``certify_seconds`` for the ``GF(p^2)`` repetition the certified default adds when that pass falls
    short of the cap (at most the largest side; none is needed when the rank meets the cap), its elimination counted
    longer where the field is sized past ``2^44`` and so takes a narrower BLAS panel (`_PANEL_COST`), and its
    evaluation longer for the steps of a long schedule that run before the last fused kernel call (`_CARRY_STEP_COST`).
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
    if not _is_wide(shape):
        elim_s *= _NARROW_SLOWDOWN
    panel_cost = _PANEL_COST.get(_certify_panel(cellobj, T, domain, n), 1.7)
    fused, _ = _calls(cellobj, steps, "extension", start_jax=False)
    fused = min(steps, fused)
    carry_cost = (fused + _CARRY_STEP_COST * (steps - fused)) / max(1, steps)
    return {
        "cap": cap,
        "bounds": bounds,
        "shape": shape,
        "sample_limit": sample_limit,
        "grid": grid if domain == "onehot" else None,
        "peak_bytes": peak,
        "estimate_seconds": eval_s + elim_s,
        "certify_seconds": _CERTIFY_FACTOR * (eval_s * carry_cost + elim_s * panel_cost),
        "cell": cellobj.spec,
    }


def _degree(cell, T: int, domain: str) -> int:
    """Total degree of one matrix entry in the random quantities (weights, and points in the continuous domain)."""
    return cell.output_degree(T, input_degree=1 if domain == "continuous" else 0)


def _certify_panel(cell, T: int, domain: str, n: int) -> int:
    """The BLAS panel of the GF(p^2) field a repetition of rank below ``n`` would take (sized to the bound)."""
    return extension_panel(_extension_primes(cell.width(), 1, field_need(n - 1, _degree(cell, T, domain)))[0])


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
    partition=KEY_DEFAULTS["partition"],
    cell=KEY_DEFAULTS["cell"],
    seed: int = KEY_DEFAULTS["seed"],
    n_seeds: int = KEY_DEFAULTS["n_seeds"],
    method: str = KEY_DEFAULTS["method"],
    N0: int = KEY_DEFAULTS["N0"],
    confidence: str = KEY_DEFAULTS["confidence"],
    timeout: float | None = None,
    max_N: int | None = KEY_DEFAULTS["max_N"],
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
    elimination = check_choice("elimination", elimination, ELIMINATIONS.choices())
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
    degree = _degree(cellobj, T, domain)
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
