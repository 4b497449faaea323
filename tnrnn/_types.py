"""Shared small types: argument errors, validation helpers and partitions of time steps.

This module imports neither JAX nor matplotlib, so that the structure-only modules
(`network`, `bounds`, `cuts`) can use it.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "MemoryRefusal",
    "Partition",
    "DOMAINS",
    "MAX_PARTITION_T",
    "check_choice",
    "check_domain",
    "check_positive_int",
    "check_seed",
    "check_float",
    "check_sizes",
    "parse_partition",
    "available_memory_bytes",
    "refuse_if_too_large",
    "refuse_count",
]

DOMAINS = ("onehot", "continuous")

#: the longest sequence a `Partition` may cover (its sides are tuples of time steps)
MAX_PARTITION_T = 2**22


class ArgumentError(ValueError):
    """A bad argument. The message names the argument, the value given and what is allowed.

    The CLI turns it into one line on stderr and exit status 2.
    """

    def __init__(self, name: str, value, allowed: str):
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"{name}={value!r} is not allowed: {allowed}")


class MemoryRefusal(ArgumentError):
    """A request whose dense data would not fit in memory; the message gives the size it would need."""


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer ``>= minimum``, else raise `ArgumentError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):  # numpy integers are Integral
        raise ArgumentError(name, value, f"an integer >= {minimum}")
    if int(value) < minimum:
        raise ArgumentError(name, value, f"an integer >= {minimum}")
    return int(value)


def check_seed(value, name: str = "seed") -> int:
    """Validate a random seed: a non-negative integer (numpy and JAX both refuse negative seeds)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ArgumentError(name, value, "a non-negative integer")
    if int(value) >= 2**63:
        raise ArgumentError(name, value, "a non-negative integer below 2**63")
    return int(value)


def check_float(
    name: str,
    value,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """Return ``value`` as a finite float in ``[minimum, maximum]``, else raise `ArgumentError` stating the range.

    An end is excluded with ``open_min`` / ``open_max``; ``None`` leaves it unbounded.
    """
    lo = "" if minimum is None else f"{minimum:g} {'<' if open_min else '<='} "
    hi = "" if maximum is None else f" {'<' if open_max else '<='} {maximum:g}"
    allowed = f"a finite number {lo}x{hi}" if (lo or hi) else "a finite number"
    if isinstance(value, (bool, str)):
        raise ArgumentError(name, value, allowed)
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(name, value, allowed) from None
    if not math.isfinite(f):
        raise ArgumentError(name, value, allowed)
    if minimum is not None and (f < minimum or (open_min and f == minimum)):
        raise ArgumentError(name, value, allowed)
    if maximum is not None and (f > maximum or (open_max and f == maximum)):
        raise ArgumentError(name, value, allowed)
    return f


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """The one check for every pluggable strategy: raise an error listing the valid names."""
    if value not in choices:
        raise ArgumentError(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def check_domain(domain) -> str:
    """Validate an input domain name (``"onehot"`` or ``"continuous"``)."""
    return check_choice("domain", domain, DOMAINS)


def named_domain(domain, where: str) -> str:
    """``domain`` validated; None (not given) is ``"continuous"`` with a `DeprecationWarning` naming ``where``.

    The domain changes the answer (a deep RAC is not multilinear), so it is to be named at every call; the silent
    default goes in a later release.
    """
    if domain is None:
        import warnings

        warnings.warn(
            f"{where}: domain not given, 'continuous' assumed; pass domain='continuous' or 'onehot' (the domain "
            "changes the answer; the default goes in a later release)",
            DeprecationWarning,
            stacklevel=3,
        )
        return "continuous"
    return check_domain(domain)


def check_sizes(M, R, L, T) -> tuple[int, int, int, int]:
    """Validate the four sizes of a RAC: input dimension, width, depth, length."""
    return (
        check_positive_int("M", M),
        check_positive_int("R", R),
        check_positive_int("L", L),
        check_positive_int("T", T),
    )


@dataclass(frozen=True)
class Partition:
    """A partition of the time steps ``1..T`` into two non-empty sides ``A`` and ``B``.

    Time steps are 1-based, as in the papers. ``A`` plays the role of Start, ``B`` of End.
    """

    T: int
    A: tuple[int, ...]
    B: tuple[int, ...]
    name: str = "custom"

    @property
    def is_start_end(self) -> bool:
        """True when ``A`` is the prefix ``1..T/2`` and ``B`` the suffix."""
        return self.A == tuple(range(1, self.T // 2 + 1)) and self.B == tuple(range(self.T // 2 + 1, self.T + 1))

    @property
    def prefix_side(self) -> tuple[str, int]:
        """The side owning time step 1 and the length of its leading run of consecutive steps."""
        side, steps = ("A", set(self.A)) if 1 in self.A else ("B", set(self.B))
        k = 0
        while k + 1 in steps:
            k += 1
        return side, k

    def spec(self) -> str:
        """The explicit text form ``"1,2;3,4"`` accepted by `parse_partition`."""
        return ",".join(map(str, self.A)) + ";" + ",".join(map(str, self.B))

    def to_dict(self) -> dict:
        return {"name": self.name, "A": list(self.A), "B": list(self.B)}


def parse_partition(partition, T: int) -> Partition:
    """Turn a partition request into a validated `Partition` of ``1..T``.

    Parameters
    ----------
    partition : str, Partition or pair of sequences
        ``"start-end"`` (``A = 1..T/2``, needs even T), ``"interleaved"`` (odd steps vs even steps),
        an explicit ``"1,2;3,4"`` text, or a pair ``(A, B)`` of sequences of 1-based time steps.
    T : int
        Sequence length.
    """
    T = check_positive_int("T", T)
    if T > MAX_PARTITION_T:
        raise ArgumentError("T", T, f"at most {MAX_PARTITION_T} time steps in a partition")
    if isinstance(partition, Partition):
        if partition.T != T:
            raise ArgumentError("partition", partition.spec(), f"a partition of 1..{T}")
        return partition
    if isinstance(partition, str) and partition == "start-end":
        if T % 2:
            raise ArgumentError("T", T, "an even integer with the start-end partition")
        return Partition(T, tuple(range(1, T // 2 + 1)), tuple(range(T // 2 + 1, T + 1)), "start-end")
    if isinstance(partition, str) and partition == "interleaved":
        if T < 2:
            raise ArgumentError("T", T, "an integer >= 2 with the interleaved partition")
        return Partition(T, tuple(range(1, T + 1, 2)), tuple(range(2, T + 1, 2)), "interleaved")
    if isinstance(partition, str):
        text = partition
        parts = text.split(";")
        if len(parts) != 2:
            raise ArgumentError(
                "partition", text, "'start-end', 'interleaved' or two ';'-separated lists such as '1,2;3,4'"
            )
        entries = [[v.strip() for v in p.split(",")] for p in parts]
        if any(not v.isascii() or not v.isdigit() for side in entries for v in side if side != [""]):
            raise ArgumentError("partition", text, "comma-separated integer time steps such as '1,2;3,4'")
        A, B = (tuple(int(v) for v in side if v) for side in entries)
    else:
        A, B = _partition_pair(partition)
        text = ",".join(map(str, A)) + ";" + ",".join(map(str, B))
    _check_cover(text, A, B, T)
    return Partition(T, tuple(sorted(A)), tuple(sorted(B)), "custom")


def _partition_pair(partition) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The two sides of a partition given as a pair of sequences of integer time steps (strictly typed)."""
    allowed = "'start-end', 'interleaved', 'A;B' text or a pair (A, B) of sequences of integer time steps"
    np = sys.modules.get("numpy")  # an array can only be given once numpy is imported
    if np is not None and isinstance(partition, np.ndarray):
        if partition.ndim != 2 or partition.shape[0] != 2 or partition.dtype.kind not in "iu":
            raise ArgumentError("partition", f"array of shape {partition.shape} ({partition.dtype})", allowed)
        partition = list(partition)
    if not isinstance(partition, (tuple, list)) or len(partition) != 2:
        raise ArgumentError("partition", partition, allowed)
    sides = []
    for side in partition:
        if np is not None and isinstance(side, np.ndarray):
            if side.ndim != 1 or side.dtype.kind not in "iu":
                raise ArgumentError("partition", f"array of shape {side.shape} ({side.dtype})", allowed)
            side = side.tolist()
        if not isinstance(side, (tuple, list, range)):
            raise ArgumentError("partition", partition, allowed)
        if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in side):
            raise ArgumentError("partition", partition, allowed + " (an entry is not an integer)")
        sides.append(tuple(int(v) for v in side))
    return sides[0], sides[1]


def _check_cover(text: str, A: Iterable[int], B: Iterable[int], T: int) -> None:
    A, B = list(A), list(B)
    if not A or not B:
        raise ArgumentError("partition", text, "two non-empty sides")
    allowed = f"a partition of the time steps 1..{T} into two disjoint non-empty sides"
    everything = A + B
    if any(t < 1 or t > T for t in everything):
        raise ArgumentError("partition", text, allowed + " (a time step is out of range)")
    if len(set(everything)) != len(everything):
        raise ArgumentError("partition", text, allowed + " (a time step appears twice)")
    if len(everything) != T:
        raise ArgumentError("partition", text, allowed + " (some time steps are missing)")


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def _read_int(path: str) -> int | None:
    """The integer in a one-line file (``None`` if missing, unreadable or ``max``)."""
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _rlimit_as_left() -> int | None:
    """Address space left under ``RLIMIT_AS`` (soft limit minus the current virtual size), or ``None``."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = 0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return max(0, soft - used)


#: the cgroup file system (tests point it elsewhere)
CGROUP_ROOT = "/sys/fs/cgroup"


def _cgroup_left(root: str | None = None) -> int | None:
    """Memory left under the process's cgroup limit (v2 ``memory.max``, v1 ``memory.limit_in_bytes``), or None.

    The cgroup paths come from ``/proc/self/cgroup``; the root of the hierarchy is tried as well, since inside a
    container the process's own cgroup is usually mounted there.
    """
    root = CGROUP_ROOT if root is None else root
    v2_paths, v1_paths = [""], [""]
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controllers == "":
                    v2_paths.insert(0, path.lstrip("/"))
                elif "memory" in controllers.split(","):
                    v1_paths.insert(0, path.lstrip("/"))
    except (OSError, ValueError):
        pass
    best = None
    candidates = [(os.path.join(root, p), "memory.max", "memory.current") for p in v2_paths]
    candidates += [
        (os.path.join(root, "memory", p), "memory.limit_in_bytes", "memory.usage_in_bytes") for p in v1_paths
    ]
    for folder, limit_file, usage_file in candidates:
        limit = _read_int(os.path.join(folder, limit_file))
        if limit is None or limit >= 2**62:  # "max", or v1's "unlimited" (a huge page-aligned number)
            continue
        left = max(0, limit - (_read_int(os.path.join(folder, usage_file)) or 0))
        best = left if best is None else min(best, left)
    return best


def available_memory_bytes() -> int:
    """Memory this process may still use, in bytes.

    The least of the physical memory available now, the address space left under ``RLIMIT_AS`` and the memory left under
    the cgroup limit (8 GiB if none can be read).
    """
    values = [v for v in (_meminfo_available(), _rlimit_as_left(), _cgroup_left()) if v is not None]
    return min(values) if values else 8 * 2**30


def refuse_if_too_large(
    name: str, value, what: str, shape: tuple[int, ...], bytes_per_entry: int, *, budget: float = 0.5
) -> None:
    """Raise `MemoryRefusal` naming argument ``name`` if a dense ``what`` of ``shape`` would not fit.

    The limit is ``budget`` (default half) of the memory available now; the message gives the size needed.
    """
    n = 1
    for s in shape:
        n *= int(s)
    need = n * bytes_per_entry
    avail = available_memory_bytes()
    if need > budget * avail:
        dims = " x ".join(str(s) for s in shape)
        raise MemoryRefusal(
            name,
            value,
            f"the dense {what} of {dims} entries would need {need / 2**30:.1f} GiB, "
            f"more than the {budget * avail / 2**30:.1f} GiB that may be used ({_budget_words(budget)})",
        )


def _budget_words(budget: float) -> str:
    share = "half" if budget == 0.5 else f"{budget:.0%}"
    return f"{share} of the available memory, RLIMIT_AS and cgroup limits included"


def refuse_count(name: str, value, what: str, count: int, bytes_per_item: int, *, budget: float = 0.5) -> None:
    """Raise `MemoryRefusal` naming ``name`` if ``count`` items of ``what`` (``bytes_per_item`` each) would not fit.

    Works with counts far beyond any array (Python ints): the message gives the count, the memory it needs and the
    limit, e.g. for a tensor network of ``C(T+L, L)`` nodes.
    """
    need = int(count) * int(bytes_per_item)
    avail = available_memory_bytes()
    if need > budget * avail:
        limit = int(budget * avail) // int(bytes_per_item)
        raise MemoryRefusal(
            name,
            value,
            f"{_count_words(count)} {what} would need {_gib(need)}; at most {limit} fit in the "
            f"{budget * avail / 2**30:.1f} GiB that may be used ({_budget_words(budget)})",
        )


def _count_words(n: int) -> str:
    return str(n) if n < 10**15 else f"about 2^{math.log2(n):.1f}"


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n < 2**80 else f"about 2^{math.log2(n) - 30:.1f} GiB"
