"""One call's repetitions for `tnrnn.rank.separation_rank`: sample growth, evaluation, elimination, what each proved.

`_Run` carries a call through its repetitions (the certified, fast and rigorous modes), `_Sampler` draws the points
of one repetition (random residues, or distinct one-hot grid rows and columns) so that a grown sample extends the
previous one, and the helpers size each stage's matrix (wide or narrow storage) and refuse one that would not fit.
The public entry point, its arguments and the plan are in `tnrnn.rank.engine`.
"""

from __future__ import annotations

import time

import numpy as np

from tnrnn._types import MemoryRefusal, refuse_if_too_large
from tnrnn.cells.arith import (
    RESIDUE_PRIME_BOUND,
    NumpyModular,
    extension_width_limit,
    int64_prime_bound,
)
from tnrnn.primes import is_prime, largest_primes_below
from tnrnn.rank._pages import populate, stage_buffer
from tnrnn.rank.certificate import RankResult, failure_bound, rigorous_target
from tnrnn.rank.elimination import _rank_with_engine
from tnrnn.rank.evaluation import (
    EvaluationTimeout,
    evaluation_matrix,
    extension_matrix,
    one_hot_points,
    residue_matrix,
)

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


def _seed_seq(seed: int, purpose: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, purpose])


def _primes_below(bound: int, count: int) -> list[int]:
    return largest_primes_below(bound, count)


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
    return 12 * k * n if _is_wide(shape, k) else 4 * k * n


def _stage_dtype(shape, k: int, dtype: str) -> np.dtype:
    """The storage of a stage's matrix: float64 / complex128, or float32 / complex64 when the wide one is too large."""
    if dtype == "int64":
        return np.dtype(np.int64)
    kinds = {(1, True): np.float64, (1, False): np.float32, (2, True): np.complex128, (2, False): np.complex64}
    return np.dtype(kinds[(k, _is_wide(shape, k))])


def _is_wide(shape, k: int = 1) -> bool:
    """Whether a stage's matrix of ``shape`` over a field of degree ``k`` is stored wide (within `_WIDE_BYTES`)."""
    return 8 * k * int(shape[0]) * int(shape[1]) <= _WIDE_BYTES


def _device() -> str:
    try:
        import jax

        return jax.default_backend()
    except Exception:  # noqa: BLE001 - JAX half-imported: a Ctrl-C during its import (the result still goes out)
        return "unknown"


def field_need(rank: int, degree: int, prior: float = 1.0) -> float:
    """The field size one ``GF(p^2)`` repetition needs to bring the failure bound of ``rank`` to `rigorous_target`.

    ``prior``: the bound the run's earlier repetitions already give (`failure_bound`: each repetition of side at
    least ``rank + 1`` counts ``min(1, (rank + 1) degree / |field|)``).
    """
    return (rank + 1) * degree * prior / rigorous_target


def _extension_primes(width: int, count: int, need: float = 0) -> list[int]:
    """The largest primes ``p = 3 mod 4`` below a bound, with ``width <= extension_width_limit(p)``.

    The bound is ``2^22``, unless ``need``, the field size one repetition needs for its failure bound, is larger than
    ``p^2`` there and the least of ``2^22.25``, ``2^22.5``, ..., ``2^23.5`` whose primes give it is taken: one
    repetition over a field of up to ``2^47``, with BLAS panels of 256 to 64 (`tnrnn.rank._block.extension_panel`)
    and reductions up to 12 times as often (an elimination at most 1.6x as long), instead of a second repetition
    over ``2^44`` (twice the evaluation and the elimination; measured, Performance page). A larger ``need`` keeps
    ``2^22`` and its repetitions.
    """
    bound = _EXTENSION_DEFAULT
    if (0.999 * bound) ** 2 < need:  # the largest primes below a bound are within 0.1% of it
        fits = [b for b in _EXTENSION_LARGER if (0.999 * b) ** 2 >= need]
        bound = fits[0] if fits else bound
    while bound > 16 and extension_width_limit(bound) < width:
        bound //= 2
    out, n = [], bound - 1
    while len(out) < count:
        n -= (n - 3) % 4  # the next candidate = 3 mod 4
        if is_prime(n):
            out.append(n)
        n -= 4
    return out


#: the extension primes are below this unless a cell's failure bound needs a larger field (`_extension_primes`)
_EXTENSION_DEFAULT = 2**22
#: the larger bounds a field may be sized to (below `tnrnn.cells.arith.EXTENSION_PRIME_BOUND`): 2^22.25 to 2^23.5
_EXTENSION_LARGER = [int(2 ** (22 + j / 4)) for j in range(1, 7)]


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
        self.buffer = None  # the memory every stage's matrix is a view of (`_empty`)
        self.resident = 0  # bytes of it made resident so far: memory a later stage reuses (`_refusal` credits it)
        self.reserve = 1  # field degree a stage's buffer is sized for (2 while a GF(p^2) stage is expected next)

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
        failure bound is at most `rigorous_target`. The field is sized so that one repetition suffices where a prime
        below ``2^23.5`` allows it (`_extension_primes`).
        """
        self.reserve = _EXTENSION_FIELD[0]  # a GF(p^2) stage of at most the same side may reuse the memory
        self.repetition(seed, _primes_below(RESIDUE_PRIME_BOUND, 1)[0], _PRIME_FIELD, self.first_side(N0))
        if self.capped() or self.stopped:
            return  # proven, or stopped at the sample limit with a full-rank sample (partial)
        # one-hot: a Schwartz-Zippel bound speaks of the whole grid, so the extension field evaluates all of it
        start = self.limit if self.domain == "onehot" else min(self.best + 1, self.limit)
        grid = (self.cell.M ** len(self.part.A), self.cell.M ** len(self.part.B)) if self.domain == "onehot" else None
        refusal = _refusal(self._sides(start, grid), _EXTENSION_FIELD[0], self.resident)
        if refusal:
            self.stopped = f"no GF(p^2) certificate: {refusal}"
            return
        need = field_need(self.best, degree, self.failure(degree))  # times what the prime-field pass gave
        for i, q in enumerate(_extension_primes(self.cell.width(), _MAX_RIGOROUS, need)):
            # its first stage is expected to be the last (at r + 1 points, full rank means the prime field
            # under-counted): its block is not kept for a growth that would be evaluated whole instead
            self.repetition(seed + 1 + i, q, _EXTENSION_FIELD, start, keep_blocks=False)
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

    def repetition(self, seed: int, p: int, field, N: int, keep_blocks: bool = True) -> int:
        """Grow one repetition's sample from side ``N``; returns its rank (recorded with its prime and field).

        Continuous: the sample doubles (or jumps to the limit, `_next_size`) while it has full rank. One-hot: a
        sample of distinct grid rows and columns (random order) doubles while its rank grows, since a random
        sub-grid can fall short of the grid's rank; once a doubling finds no more rank below every cap, the whole
        grid decides (a Schwartz-Zippel bound speaks of every row), or the run stops as partial when the grid
        would not fit in memory. ``keep_blocks``: keep a narrow copy of a stage's matrix, so that a larger stage
        evaluates only its new rows and columns (off: a stage not expected to grow skips the copy, and a growth
        evaluates the whole new matrix).
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
            keep = None if last or narrow or not keep_blocks else Y.astype(copy)
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
            refusal = _refusal(new_sides, k, self.resident)
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
        """The matrix of a stage, stored as `_stage_dtype` says.

        Every stage's matrix is a view of one buffer (`tnrnn.rank._pages`), which grows only when a stage needs more:
        the stages and repetitions of a run come one after another. Memory touched for the first time is slow (page
        faults; on the 2-core virtual machine a fresh 1.1 GiB matrix added 1.5 to 4 s to its evaluation), so the
        bytes a stage needs beyond what earlier stages touched are made resident in one call before it is written.
        While a GF(p^2) stage is expected next (`certified`), the buffer is sized for it too, so it is not mapped
        again (the part not yet needed costs address space only).
        """
        kind = _stage_dtype(shape, k, dtype)
        n = int(shape[0]) * int(shape[1])
        need = n * kind.itemsize
        if self.buffer is None or self.buffer.nbytes < need:
            self.buffer, self.resident = None, 0  # the old buffer goes first
            # address space only, but counted under RLIMIT_AS: reserved when such a stage would be allowed
            ahead = 0
            if self.reserve > k and not _refusal(shape, self.reserve):
                ahead = n * _stage_dtype(shape, self.reserve, _EXTENSION_FIELD[1]).itemsize
            self.buffer = stage_buffer(max(need, ahead))
        populate(self.buffer, self.resident, need)  # the stage's new pages, resident at once (`_pages`)
        self.resident = max(self.resident, need)
        return self.buffer[:need].view(kind).reshape(shape)

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


def _refusal(shape, k: int, credit: int = 0) -> str:
    """Why a stage's matrix (and the narrow copy of the previous one) cannot be allocated, or ``""``.

    ``credit``: bytes the run already holds for its matrices and will reuse or free first (`_Run.resident`).
    """
    try:
        need = max(0, _peak_bytes(shape, k) - credit)
        refuse_if_too_large("T", shape, "evaluation matrix", shape, _per_entry(need, shape))
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
