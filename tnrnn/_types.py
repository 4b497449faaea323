"""Shared small types: argument errors, validation helpers and partitions of time steps.

This module imports neither JAX nor matplotlib, so that the structure-only modules
(`network`, `bounds`, `cuts`) can use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "MemoryRefusal",
    "Partition",
    "DOMAINS",
    "check_choice",
    "check_domain",
    "check_positive_int",
    "check_sizes",
    "parse_partition",
    "available_memory_bytes",
    "refuse_if_too_large",
]

DOMAINS = ("onehot", "continuous")


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
    if isinstance(value, bool) or not isinstance(value, (int, *_np_integer_types())):
        raise ArgumentError(name, value, f"an integer >= {minimum}")
    if int(value) < minimum:
        raise ArgumentError(name, value, f"an integer >= {minimum}")
    return int(value)


def _np_integer_types():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        return ()
    return (np.integer,)


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """The one check for every pluggable strategy: raise an error listing the valid names."""
    if value not in choices:
        raise ArgumentError(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def check_domain(domain) -> str:
    """Validate an input domain name (``"onehot"`` or ``"continuous"``)."""
    return check_choice("domain", domain, DOMAINS)


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
    if isinstance(partition, Partition):
        if partition.T != T:
            raise ArgumentError("partition", partition.spec(), f"a partition of 1..{T}")
        return partition
    if partition == "start-end":
        if T % 2:
            raise ArgumentError("T", T, "an even integer with the start-end partition")
        return Partition(T, tuple(range(1, T // 2 + 1)), tuple(range(T // 2 + 1, T + 1)), "start-end")
    if partition == "interleaved":
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
        try:
            sides = [tuple(int(v) for v in p.split(",") if v.strip()) for p in parts]
        except ValueError:
            raise ArgumentError("partition", text, "comma-separated integer time steps such as '1,2;3,4'") from None
        A, B = sides
    else:
        try:
            A, B = (tuple(int(v) for v in side) for side in partition)
        except (TypeError, ValueError):
            raise ArgumentError(
                "partition", partition, "'start-end', 'interleaved', 'A;B' text or a pair of sequences"
            ) from None
        text = ",".join(map(str, A)) + ";" + ",".join(map(str, B))
    _check_cover(text, A, B, T)
    return Partition(T, tuple(sorted(A)), tuple(sorted(B)), "custom")


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


def available_memory_bytes() -> int:
    """Physical memory currently available, in bytes (a conservative 8 GiB if it cannot be read)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 * 2**30


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
            f"more than the {budget * avail / 2**30:.1f} GiB that may be used (half of the available memory)",
        )
