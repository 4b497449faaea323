"""Memory for a rank run's stage matrices: one buffer, its pages made resident in one call before a stage writes.

Memory touched for the first time is slow on virtual machines: every 4 KiB page costs a fault, and with transparent
huge pages on request (numpy asks for them on large arrays) a fault may wait for the kernel to compact memory. On
the 2-core machine the matrix of a GF(p^2) stage (1.1 GiB complex128 at side 8389, 830 MB of it new to the run)
took 1.5 to 3.4 s longer to evaluate when the kernel's tiles wrote into fresh pages than after those pages had been
made resident in one ``MADV_POPULATE_WRITE`` call (Linux 5.14 and later) without huge pages, which took 0.14 to
0.22 s (with huge pages: 1.2 to 1.3 s). So `stage_buffer` maps anonymous memory without huge pages (a matrix
eliminates at the same speed in either: GF(p^2) side 8389 17.2 to 17.4 s, float32 side 8568 6.6 to 7.2 s) and
`populate` makes a byte range resident; where either call is missing (another system, an older kernel) it falls
back to numpy's allocation and one write a page.
"""

from __future__ import annotations

import errno
import mmap

import numpy as np

__all__ = ["stage_buffer", "numpy_buffer", "populate"]

#: ``madvise`` advice that faults a range in, writable, in one call (Linux 5.14); absent from Python's constants
_MADV_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)
_PAGE = mmap.PAGESIZE


def stage_buffer(nbytes: int) -> np.ndarray:
    """A writable ``uint8`` array of ``nbytes`` bytes, page-aligned, none of it resident yet (address space only)."""
    nbytes = max(int(nbytes), 1)
    if hasattr(mmap, "MAP_ANONYMOUS") and hasattr(mmap.mmap, "madvise"):
        try:
            m = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        except OSError as e:
            raise MemoryError(f"cannot map {nbytes} bytes for a stage matrix: {e.strerror}") from e
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            m.madvise(mmap.MADV_NOHUGEPAGE)
        return np.frombuffer(m, np.uint8)  # the array keeps the mapping alive; it is unmapped with the last view
    return numpy_buffer(nbytes)


def numpy_buffer(nbytes: int) -> np.ndarray:
    """An ordinary numpy array of ``nbytes`` bytes, 16-byte aligned (pages faulted in by writes): the fallback."""
    return np.empty(-(-int(nbytes) // 16), np.complex128).view(np.uint8)[: int(nbytes)]


def populate(buffer: np.ndarray, lo: int, hi: int) -> None:
    """Make bytes ``lo`` to ``hi`` of a `stage_buffer` resident (their content is unspecified afterwards).

    Raises `MemoryError` when the system cannot back them (rather than leaving the stage's writes to fail later).
    """
    if hi <= lo:
        return
    m = getattr(buffer.base, "obj", None)
    if isinstance(m, mmap.mmap):
        start = lo // _PAGE * _PAGE
        try:
            _advise(m, start, hi - start)
            return
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.ENOSYS):
                raise MemoryError(f"cannot make {hi - lo} bytes of a stage matrix resident: {e.strerror}") from e
            # an older kernel, which does not know the advice: fault the pages in by writing to them
    buffer[lo:hi:_PAGE] = 0  # one byte in every page-sized window...
    buffer[hi - 1] = 0  # ...and the last page, which the stride may end short of


def _advise(m: mmap.mmap, start: int, length: int) -> None:
    m.madvise(_MADV_POPULATE_WRITE, start, length)
