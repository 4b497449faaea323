"""The unit of a sweep's work: one cell computed by the engine without the atlas (local worker or Dask task)."""

from __future__ import annotations

import time

from tnrnn._types import ArgumentError


def _compute(M, R, L, T, **kwargs):
    """One call of the engine without the atlas (`tnrnn.rank.engine._compute`; a sweep's unit of work)."""
    from tnrnn.rank import engine

    return engine._compute(M, R, L, T, **kwargs)


# --- sweeps ---------------------------------------------------------------------------------------------------


def _compute_cell(M, R, L, T, kwargs, timeout):
    """Worker entry point (local pool or Dask): one cell computed by the engine, no atlas (the parent stores it)."""
    t0 = time.perf_counter()
    try:
        res = _compute(M, R, L, T, timeout=timeout, **kwargs)
    except ArgumentError as exc:  # a memory refusal: the frontier of this series
        return ("refused", str(exc), time.perf_counter() - t0)
    return ("ok", res, time.perf_counter() - t0)
