"""The size model: what a request needs (every array in bytes, every loop count), refused before any work.

Every verb builds a `SizeModel` from its arguments before it computes anything: the arrays it will hold at its peak
(weights, points, matrices, work space), each blamed on the argument that sets its size, and its loop counts
(repetitions, worker processes, training steps), each against its own limit. `SizeModel.refuse` raises
`tnrnn.MemoryRefusal` naming the argument behind the largest array, with the memory the whole request would need
and the memory that may be used (half of what is available now, ``RLIMIT_AS`` and cgroup limits included); a loop
count past its limit raises `tnrnn.ArgumentError` at once. A refused request therefore exits 2 at once, with one
line, instead of dying later for lack of memory (or running for ever).

Sizes are Python ints throughout (no numpy, no JAX): a request for ``10^12`` of anything is measured exactly and
refused in microseconds, and a size too large to print is written as a power of two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tnrnn._types import ArgumentError, MemoryRefusal, available_memory_bytes

__all__ = [
    "SizeModel",
    "Array",
    "BUDGET",
    "MAX_REPETITIONS",
    "MAX_STEPS",
    "MAX_TABLE_CELLS",
    "MAX_RUNS",
    "WORKER_BYTES",
    "check_loop",
    "count_text",
    "gib_text",
    "param_count",
    "rank_model",
    "rac_cap_log2_lower",
    "rank_hints",
    "refuse_rank_request",
    "refuse_workers",
]

#: the share of the available memory a request may use
BUDGET = 0.5
#: most repetitions (seeds) of one rank computation: each uses a prime of its own, and the failure bound falls
#: geometrically with them, so a handful suffice; the limit keeps a mistyped count from running for ever
MAX_REPETITIONS = 4096
#: most steps of one training loop, and of all the runs of an experiment together (optimizer step counters are
#: 32-bit integers)
MAX_STEPS = 2**31 - 1
#: most cells (rows) of one table; a larger sweep is split into several
MAX_TABLE_CELLS = 2**16
#: most training runs of one experiment (depths x seeds x budgets x swept values)
MAX_RUNS = 2**16
#: memory of one worker process before its first cell (the interpreter with numpy and JAX loaded)
WORKER_BYTES = 256 * 2**20
#: pairs of evaluation points per kernel call at the least (8 rows of a 512-column tile; `tnrnn.rank.evaluation`)
_PAIRS_PER_CALL = 8 * 512
#: bytes per entry of a continuous rank's matrix at its peak, for a check made without the engine (`plan` passes the
#: engine's own figure)
_MATRIX_PEAK_BYTES = 12


def count_text(n: int) -> str:
    """``n`` in words: the integer itself below ``10^15``, else ``about 2^x`` (never a thousand-digit number)."""
    n = int(n)
    return str(n) if n < 10**15 else f"about 2^{math.log2(n):.1f}"


def gib_text(n: int) -> str:
    """A byte count in GiB (``about 2^x GiB`` when huge)."""
    n = int(n)
    return f"{n / 2**30:.1f} GiB" if n < 2**80 else f"about 2^{math.log2(n) - 30:.1f} GiB"


def _dims_text(shape) -> str:
    return " x ".join(count_text(s) for s in shape)


def _budget_words(budget: float) -> str:
    share = "half" if budget == 0.5 else f"{budget:.0%}"
    return f"{share} of the available memory, RLIMIT_AS and cgroup limits included"


@dataclass(frozen=True)
class Array:
    """One array of a request: ``what`` of ``shape`` entries of ``bytes_per_entry``, set by argument ``name``."""

    name: str
    value: object
    what: str
    shape: tuple[int, ...]
    bytes_per_entry: int
    at_least: bool = False  # the shape is a lower bound (the true size is too costly to compute before refusing)

    @property
    def nbytes(self) -> int:
        return math.prod(int(s) for s in self.shape) * int(self.bytes_per_entry)


class SizeModel:
    """The arrays a request holds at its peak and its loop counts, checked before any work.

    Examples
    --------
    >>> m = SizeModel("rank").array("R", 10**12, "hidden weights", (10**12, 10**12), 8)
    >>> m.nbytes == 8 * 10**24
    True
    >>> m.refuse()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tnrnn._types.MemoryRefusal: R=1000000000000 is not allowed: ...
    """

    def __init__(self, what: str):
        self.what = what
        self.arrays: list[Array] = []

    def array(self, name: str, value, what: str, shape, bytes_per_entry: int, *, at_least: bool = False) -> SizeModel:
        """Add an array of ``shape`` (Python ints of any size) set by argument ``name`` (given ``value``).

        ``at_least``: the shape is a lower bound, and the refusal says so.
        """
        self.arrays.append(Array(name, value, what, tuple(int(s) for s in shape), int(bytes_per_entry), at_least))
        return self

    def loop(self, name: str, value, what: str, count: int, limit: int) -> SizeModel:
        """Refuse at once (`ArgumentError`) a loop of ``count`` iterations past ``limit``."""
        check_loop(name, value, what, count, limit)
        return self

    @property
    def nbytes(self) -> int:
        """The memory of every array together, in bytes."""
        return sum(a.nbytes for a in self.arrays)

    def refuse(self, *, budget: float = BUDGET, hints: dict | None = None) -> int:
        """Raise `MemoryRefusal` if the arrays together exceed ``budget`` of the available memory; else their bytes.

        The error names the argument of the largest array and gives that array's size, the total and the limit;
        ``hints`` maps an argument name to words appended when that argument is blamed (e.g. which option caps it).
        """
        need = self.nbytes
        if not self.arrays:
            return need
        limit = budget * available_memory_bytes()
        if need <= limit:
            return need
        big = max(self.arrays, key=lambda a: a.nbytes)
        least = "at least " if big.at_least else ""
        total = ("at least " if any(a.at_least for a in self.arrays) else "") + gib_text(need)
        others = "" if len(self.arrays) == 1 else f"; with the rest of the {self.what}, {total} in all"
        raise MemoryRefusal(
            big.name,
            big.value,
            f"the dense {big.what} of {least}{_dims_text(big.shape)} entries would need {least}{gib_text(big.nbytes)}"
            f"{others}, "
            f"more than the {limit / 2**30:.1f} GiB that may be used ({_budget_words(budget)})"
            + (hints or {}).get(big.name, ""),
        )


def check_loop(name: str, value, what: str, count: int, limit: int) -> int:
    """Refuse (`ArgumentError` naming ``name``) a loop of ``count`` ``what`` past ``limit``; return ``count``."""
    if int(count) > int(limit):
        raise ArgumentError(name, value, f"at most {count_text(limit)} {what} (this request needs {count_text(count)})")
    return int(count)


def refuse_workers(name: str, value, jobs: int, *, budget: float = BUDGET) -> int:
    """Refuse ``jobs`` worker processes that would not fit in memory (`WORKER_BYTES` each); return ``jobs``."""
    limit = budget * available_memory_bytes()
    need = int(jobs) * WORKER_BYTES
    if need > limit:
        fit = max(1, int(limit // WORKER_BYTES))
        raise MemoryRefusal(
            name,
            value,
            f"at most {fit} worker processes ({count_text(jobs)} of about {WORKER_BYTES / 2**30:.2f} GiB each would "
            f"need {gib_text(need)}, more than the {limit / 2**30:.1f} GiB that may be used; {_budget_words(budget)})",
        )
    return int(jobs)


# --- the rank engine --------------------------------------------------------------------------------------------


def _blame(M: int, R: int, L: int) -> tuple[str, int]:
    """The size argument behind a cell's weights and work space: the largest of ``M``, ``R`` and ``L``."""
    return max((("R", R), ("M", M), ("L", L)), key=lambda t: t[1])


def _leaf_shapes(tree):
    """The shapes (tuples of ints) at the leaves of a `param_shapes` tree (dicts, tuples of shapes)."""
    if isinstance(tree, dict):
        for v in tree.values():
            yield from _leaf_shapes(v)
    elif isinstance(tree, tuple) and tree and all(isinstance(s, int) for s in tree):
        yield tree
    elif isinstance(tree, (tuple, list)):
        for v in tree:
            yield from _leaf_shapes(v)


def _count_shapes(cell) -> int:
    return sum(math.prod(s) for s in _leaf_shapes(cell.param_shapes()))


def param_count(cell) -> int:
    """The number of parameters of ``cell``, without listing its layers when there are many.

    A stacked cell's layers from the second on have one shape each, so for ``L > 3`` the count is extrapolated from
    copies of the cell with 2 and 3 layers (``type(cell)(M, R, L, K)``, as `tnrnn.cells.make_cell` builds them):
    exact, and free of a tuple of ``L`` shapes (``L = 10^12`` would not fit in memory).
    """
    L = int(cell.L)
    if L <= 3:
        return _count_shapes(cell)
    try:
        c2, c3 = (_count_shapes(type(cell)(cell.M, cell.R, n, getattr(cell, "K", 1))) for n in (2, 3))
    except Exception:  # noqa: BLE001 - a cell of one's own with another constructor: count its own shapes
        return _count_shapes(cell)
    return c2 + (L - 2) * (c3 - c2)


def rank_model(
    cell,
    part,
    domain: str,
    *,
    side: int | None = None,
    side_log2: float | None = None,
    matrix_bytes: int = _MATRIX_PEAK_BYTES,
) -> SizeModel:
    """The arrays of one `tnrnn.rank.separation_rank` repetition of ``cell`` on partition ``part``.

    ``cell`` is an object with ``M``, ``R``, ``L`` and ``param_shapes()`` (a `tnrnn.cells.Cell`).
    Counted: the weights (random residues on the host and their centred copy for the kernel: 16 bytes a
    parameter); the kernel's work space (the live arrays of each evaluation pair, for at least one tile of pairs,
    plus the host prefix per row point); and the matrix: in the one-hot domain the grid matrix and its one-hot
    points, in the continuous domain the ``side x side`` matrix at its peak (``matrix_bytes`` an entry) and its
    points. For the continuous domain give ``side`` (the largest sample) or ``side_log2`` (a lower bound on its
    base-2 logarithm, when it is too expensive to compute exactly), or neither (no matrix counted); for the
    one-hot domain ``side`` bounds the sample of grid rows and columns (none: no matrix counted).
    """
    M, R, L = int(cell.M), int(cell.R), int(cell.L)
    model = SizeModel("rank computation")
    name, value = _blame(M, R, L)
    n_params = param_count(cell)
    model.array(name, value, "weights (host residues and the kernel's copy)", (n_params,), 16)
    live = 3 * L * R + 2 * M + 4  # per-pair arrays alive at once in the kernel (`tnrnn.rank.evaluation`)
    model.array(name, value, "evaluation work space (pairs x live values)", (_PAIRS_PER_CALL, live), 8)
    nA, nB = len(part.A), len(part.B)
    if domain == "onehot" and side is not None:
        # a sample of the grid's rows and columns, at most ``side`` of each (the engine evaluates the whole grid
        # only when a sample falls short of every cap, and stops as partial when that would not fit)
        rows, cols = min(side, _power(M, nA)), min(side, _power(M, nB))
        grid = ("M", M) if M > part.T else ("T", part.T)
        model.array(*grid, "sample of the grid matrix", (rows, cols), matrix_bytes)
        # the one-hot points: int64 on the host, float64 on the device
        model.array(*grid, "one-hot points", (rows * nA + cols * nB, M), 16)
        model.array(name, value, "prefix carries (rows x live values)", (rows, live), 8)
    elif domain == "onehot" and side_log2 is not None and side_log2 > 0:
        side = 2 ** min(int(side_log2), _MAX_BITS)  # a lower bound on the sample that can reach the cap
        model.array("T", part.T, "sample of the grid matrix", (side, side), matrix_bytes, at_least=True)
    elif domain == "onehot":
        pass  # the sample side is known once the bounds are (see `tnrnn.rank.plan`)
    elif side is not None:
        model.array("T", part.T, "evaluation matrix", (side, side), matrix_bytes)
        model.array("T", part.T, "continuous points", (side * (nA + nB), M), 16)
        model.array(name, value, "prefix carries (rows x live values)", (side, live), 8)
    elif side_log2 is not None and side_log2 > 0:
        side = 2 ** min(int(side_log2), _MAX_BITS)  # a lower bound: the matrix is at least this large
        model.array("T", part.T, "evaluation matrix", (side, side), matrix_bytes, at_least=True)
    return model


#: powers past this many bits are represented by a power of two of about their size (a lower bound), and none
#: by more than `_MAX_BITS` bits (a lower bound still: such requests are refused either way)
_HUGE_BITS, _MAX_BITS = 2**16, 2**24


def _power(base: int, exponent: int) -> int:
    """``base ** exponent``, or, past `_HUGE_BITS` bits, ``2 ** floor(log2)`` of it (never a slow huge power)."""
    bits = exponent * math.log2(base) if base > 1 else 0.0
    return base**exponent if bits <= _HUGE_BITS else 2 ** min(int(bits), _MAX_BITS)


def _log2_comb_lower(a: int, b: int) -> float:
    """A lower bound on ``log2 C(a, b)``: ``k log2(a / k)`` with ``k = min(b, a - b)`` (``C(a, k) >= (a/k)^k``)."""
    k = min(b, a - b)
    if k <= 0:
        return 0.0
    return k * (math.log2(a) - math.log2(k))


def rac_cap_log2_lower(M: int, R: int, L: int, part) -> float:
    """A lower bound on ``log2`` of the RAC's smallest proven upper bound (continuous domain), in O(1) time.

    Every factor of the degree bound is ``((M; n_j)) >= M`` (``n_j >= 1``), so it is at least the alphabet bound
    ``M^min(|A|, |B|)``. For the Start-End partition the state bound (`tnrnn.bounds.state_upper_bound`) has the
    factor ``R`` (layer ``L``) and, for ``L >= 2``, the factor ``((R; T/2))`` (layer ``L - 1``); its other factors
    are at least 1. The result is lowered by a margin for rounding, so the bound holds in floating point.
    """
    alphabet = min(len(part.A), len(part.B)) * math.log2(M) if M > 1 else 0.0
    if not part.is_start_end:
        return max(0.0, alphabet * (1 - 1e-9) - 1e-6)
    half = part.T // 2
    state = math.log2(R) + (_log2_comb_lower(R + half - 1, half) if L >= 2 else 0.0)
    return max(0.0, min(alphabet, state) * (1 - 1e-9) - 1e-6)


def refuse_rank_request(cell, part, domain: str, *, max_N: int | None = None, n_seeds: int | None = None) -> None:
    """Refuse, before any bound is computed, a rank whose arrays or repetitions cannot be afforded.

    Uses `rank_model` with the sample side lower-bounded in O(1) by the cell's ``cap_log2_lower`` (the RAC:
    `rac_cap_log2_lower`; other cells' bounds come from their own degree arithmetic) or capped by ``max_N``;
    ``n_seeds`` is checked against `MAX_REPETITIONS`.
    """
    if n_seeds is not None:
        check_loop("seeds", n_seeds, "repetitions", n_seeds, MAX_REPETITIONS)
    estimate = getattr(cell, "cap_log2_lower", None)  # the cell's O(1) estimate (`tnrnn.cells.Cell`), if any
    # one-hot too: the sample that can reach the cap (the grid is evaluated only when a sample falls short)
    side_log2 = estimate(part) if estimate is not None else None
    if side_log2 is not None and max_N is not None:
        side_log2 = min(side_log2, math.log2(max_N))
    rank_model(cell, part, domain, side_log2=side_log2).refuse(hints=rank_hints(domain, max_N))


def rank_hints(domain: str, max_N) -> dict:
    """The words a rank's refusal adds when the continuous matrix (``T``) is to blame and no ``max_N`` caps it."""
    if domain != "continuous" or max_N is not None:
        return {}
    return {"T": " (max_N / --max-N caps the sample: a certified lower bound)"}
