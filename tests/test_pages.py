"""The stage buffer of a rank run (`tnrnn.rank._pages`): pages made resident in one call, nothing else touched."""

import mmap
import os
import types

import numpy as np
import pytest

from tnrnn.rank import _pages
from tnrnn.rank._pages import populate, stage_buffer

P = mmap.PAGESIZE
linux_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident size from /proc")


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * P


@linux_proc
@pytest.mark.parametrize("advice", ["populate", "refused"])
def test_populate_makes_exactly_the_range_resident(monkeypatch, advice):
    if advice == "refused":  # a kernel without MADV_POPULATE_WRITE: the pages are written instead
        monkeypatch.setattr(_pages, "_MADV_POPULATE_WRITE", -1)
    size = 64 * 2**20
    buf = stage_buffer(size)
    assert buf.nbytes == size and buf.flags.writeable and buf.__array_interface__["data"][0] % P == 0
    before = _resident_bytes()
    populate(buf, 0, size // 2)
    grown = _resident_bytes() - before
    assert 0.45 * size <= grown <= 0.6 * size  # half the buffer, not none of it and not all of it


@pytest.mark.parametrize("advice", ["populate", "refused"])
def test_populate_keeps_what_is_written_below_the_range(monkeypatch, advice):
    if advice == "refused":
        monkeypatch.setattr(_pages, "_MADV_POPULATE_WRITE", -1)
    buf = stage_buffer(8 * P)
    buf[: P + 100] = 7  # an earlier stage's data, ending inside a page
    buf[P + 100 :] = 9
    populate(buf, P + 100, 8 * P)
    assert (buf[: P + 100] == 7).all()


def test_memory_the_system_cannot_back_is_a_memory_error(monkeypatch):
    import errno

    def refuse(m, start, length):
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(_pages, "_advise", refuse)
    buf = stage_buffer(4 * P)
    if not hasattr(buf.base, "obj"):
        pytest.skip("no anonymous mappings here: numpy's allocation serves")
    with pytest.raises(MemoryError, match=f"cannot make {3 * P} bytes of a stage matrix resident"):
        populate(buf, P, 4 * P)


def test_the_written_fallback_touches_every_page_of_the_range_and_nothing_outside():
    buf = np.ones(10 * P, np.uint8)  # not a mapping: the pages are written, one byte each
    lo, hi = 100, 5 * P + 7
    populate(buf, lo, hi)
    assert buf[:lo].all() and buf[hi:].all()
    for page in range(6):  # every page the range meets, the last one (7 bytes of it) included
        assert (buf[max(lo, page * P) : min(hi, (page + 1) * P)] == 0).any(), page


def test_a_run_populates_only_the_bytes_a_stage_adds(monkeypatch):
    from tnrnn.rank import _run as engine

    calls = []
    monkeypatch.setattr(engine, "populate", lambda buf, lo, hi: calls.append((lo, hi)) if hi > lo else None)
    run = types.SimpleNamespace(buffer=None, reserve=2, resident=0)
    engine._Run._empty(run, (300, 300), 1, "float64")
    engine._Run._empty(run, (200, 250), 1, "float64")  # smaller: nothing new
    engine._Run._empty(run, (299, 299), 2, "extension")  # the GF(p^2) stage: the rest of the reserved buffer
    assert calls == [(0, 300 * 300 * 8), (300 * 300 * 8, 299 * 299 * 16)]
    assert run.buffer.nbytes >= 299 * 299 * 16 and run.resident == 299 * 299 * 16
