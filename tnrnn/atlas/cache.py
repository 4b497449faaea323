"""Ranks and min-cut bounds through the atlas: `cached_separation_rank`, `cached_min_cut` and the bounds table."""

from __future__ import annotations

from tnrnn.rank.store import (
    OPTIONAL_KEYS,
    AtlasUnavailable,
    _warn,
    cached_call,
    min_cut_key,
    open_atlas,
)

# --- keys -----------------------------------------------------------------------------------------------------


def key_defaults() -> dict:
    """The defaults of `separation_rank` for the optional key inputs, read from its signature (they cannot drift)."""
    import inspect

    from tnrnn.rank.engine import separation_rank

    params = inspect.signature(separation_rank).parameters
    return {k: params[k].default for k in OPTIONAL_KEYS}


# --- cached_separation_rank -----------------------------------------------------------------------------------


def cached_separation_rank(M, R, L, T, *, cache=True, **kwargs):
    """`tnrnn.rank.separation_rank` through the atlas (`tnrnn.rank.store.cached_call`; ``cache=True`` by default).

    Parameters
    ----------
    M, R, L, T, **kwargs
        As for `separation_rank` (``timeout``, ``elimination``, ``evaluation``, ``progress`` and ``on_plan`` are
        passed on and are not part of the key).
    cache : None, True, path or Atlas
        None: compute only. True: the default atlas (`default_atlas_path`). A path or an `Atlas`: that file.
    """
    from tnrnn.rank import engine

    return cached_call(cache, engine._compute, engine.plan, M, R, L, T, **kwargs)


# --- min-cut bounds -------------------------------------------------------------------------------------------


def _compute_min_cut(M, R, L, T, *, domain, partition, cell) -> int:
    """One min-cut computation (a separate function, so that tests can count them)."""
    from tnrnn.cuts import start_end_min_cut

    return start_end_min_cut(M, R, L, T, domain=domain, partition=partition, cell=cell).bound


def cached_min_cut(M, R, L, T, *, domain, partition="start-end", cell="rac", cache=True) -> int:
    """The min-cut bound of `tnrnn.cuts.start_end_min_cut`, through the atlas's ``min_cuts`` table.

    The bound is deterministic in (cell, M, R, L, T, domain, partition) and `CUT_VERSION`, so a stored one is
    final; a hit imports neither the cut module (networkx, scipy) nor numpy. ``cache`` as for
    `cached_separation_rank`; an atlas that cannot be used gives one `AtlasWarning` and the bound is computed.
    """
    key = min_cut_key(M, R, L, T, domain=domain, partition=partition, cell=cell)

    def compute():
        return _compute_min_cut(M, R, L, T, domain=key["domain"], partition=partition, cell=cell), None

    return _min_cut_through_atlas(key, cache, compute)[0]


def cached_min_cut_or_reason(M, R, L, T, *, domain, partition="start-end", cell="rac", cache=True):
    """`tnrnn.cuts.min_cut_or_reason` through the atlas: ``(bound, None)`` or ``(None, reason)``.

    A bound the atlas holds is read without importing numpy, the cut module or JAX; a network too large to cut, or
    a cell without one, gives the reason (not stored).
    """
    key = min_cut_key(M, R, L, T, domain=domain, partition=partition, cell=cell)

    def compute():
        from tnrnn.cuts import min_cut_or_reason

        cut, reason = min_cut_or_reason(M, R, L, T, domain=key["domain"], partition=partition, cell=cell)
        return (None if cut is None else cut.bound), reason

    return _min_cut_through_atlas(key, cache, compute)


def cached_bounds_with_min_cuts(M, R, L, T, *, cell="rac", partition="start-end", cache=True) -> dict:
    """`tnrnn.cuts.bounds_with_min_cuts` with its min-cut bounds through the atlas (``tnrnn bounds``).

    The same keys; a summary whose min-cuts the atlas holds imports neither the cut module (numpy, scipy) nor JAX,
    so a repeated ``tnrnn bounds`` costs about the interpreter's start-up.
    """
    from tnrnn.cells.report import bounds_report

    out = bounds_report(M, R, L, T, cell=cell, partition=partition)
    for key, domain in (("min_cut", "continuous"), ("min_cut_onehot", "onehot")):
        out[key], out[key + "_note"] = cached_min_cut_or_reason(
            M, R, L, T, domain=domain, partition=partition, cell=cell, cache=cache
        )
    return out


def _min_cut_through_atlas(key, cache, compute):
    """``compute() -> (bound or None, reason)`` unless the atlas holds the bound of ``key``; a new bound is stored."""
    atlas = open_atlas(cache)
    if atlas is not None:
        try:
            hit = atlas.get_min_cut(key)
        except AtlasUnavailable as exc:
            _warn(str(exc))
            atlas, hit = None, None
        if hit is not None:
            return hit, None
    bound, reason = compute()
    if atlas is not None and bound is not None:
        try:
            atlas.put_min_cut(key, bound)
        except AtlasUnavailable as exc:
            _warn(str(exc))
    return bound, reason
