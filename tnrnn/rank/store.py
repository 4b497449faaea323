r"""The store of the rank atlas: certified separation ranks in one SQLite file, keyed by every input of a call.

This is the part of the atlas that `separation_rank(..., cache=...) <tnrnn.rank.separation_rank>` uses: keys,
`Atlas` (the file), `open_atlas` and `cached_call`. It knows nothing of the engine (the engine hands it the
function that computes), so the rank package does not depend on the atlas above it. Sweeps, merging, export and
the frontier table are in `tnrnn.atlas`, which re-exports every name of this module.

Exact ranks are expensive and are asked for again and again. The atlas is one SQLite file holding every
`tnrnn.rank.RankResult` computed so far, keyed by every input that determines it; `separation_rank(..., cache=...)`,
``tnrnn rank``, ``tnrnn table`` and ``tnrnn figures`` look a result up before computing it and store what they
compute. ``tnrnn atlas`` lists, queries, exports and merges atlases.

Where the atlas lives
---------------------
``--atlas PATH`` (or ``cache=PATH``); else the ``TNRNN_ATLAS`` environment variable; else
``$XDG_CACHE_HOME/tnrnn/atlas.sqlite`` (``~/.cache/tnrnn/atlas.sqlite`` without ``XDG_CACHE_HOME``). ``--no-cache``
(``cache=None``) bypasses it.

What a key is
-------------
``cell, M, R, L, T, domain, partition (its explicit "A;B" form), seed, n_seeds, method, N0, confidence, max_N`` and
`ENGINE_VERSION`, bumped whenever a change of the engine could change a result. Not in the key: ``timeout`` (a
partial result is stored as partial with the timeout it ran under; a later call without a timeout, or with a longer
one, recomputes and replaces it), and the engine choices ``elimination``/``evaluation`` (exact engines give the same
rank; the engines used are recorded in the row). The cell is its spec: the name with the options that differ from
their defaults (``gru:act_degree=3``, `tnrnn.cells.Cell.spec`). Only registered cells (given by name or spec) and
``method="modp"`` are stored; a `Cell` object or the float SVD diagnostic is always computed.

The ``cell`` of a key identifies the cell's definition, not only its name (`tnrnn.cells.cell_identity`): the
toolkit's own cells by their name (so stored rows stay valid; a change of a built-in cell bumps `ENGINE_VERSION`), a
cell of a user's by ``name@v=<version>`` when it declares a ``version``, else by ``name@src=<fingerprint>`` (its
source and the code of its methods). Redefining a cell under the same name therefore never returns the old
definition's result. A cell defined in ``__main__`` or a notebook without a declared ``version`` is computed, not
stored, with one `AtlasWarning`. Query filters on ``cell`` match the name with or without its ``@`` suffix.

A row holds the whole certificate: ``RankResult.to_dict()`` as JSON (``RankResult(**row)`` equals the original),
plus indexed columns (sizes, status, rank, failure bound, primes, seeds, N, engines, wall time, toolkit version,
date, host). A second table, ``min_cuts``, holds the min-cut bounds of ``tnrnn table`` (`cached_min_cut`; keyed by
`MIN_CUT_FIELDS`, with `CUT_VERSION`). The file is in WAL mode and every write is one short ``BEGIN IMMEDIATE``
transaction, so several processes may read and write one atlas at once. A file written by a newer schema, a
corrupted file or another program's SQLite file gives one warning (`AtlasWarning`) and the call falls back to
computing without the atlas (the file is left as it was); a file of an older schema is upgraded in place (its rows
are kept).

Faults
------
*A locked file* (another process holds a write transaction, or an exclusive lock) costs a process one wait of a few
seconds (`_BUSY_MS`) per file, whatever the number of cells: then one warning, and the atlas is set aside: reads
do not wait (they still succeed where the lock lets readers in), results are queued and written when the file is
free again (tried at most every `_RETRY_S` seconds, at the end of a sweep and at exit; what is still locked then is
reported once). *A stored row that is not a valid result* (invalid JSON, a missing or mistyped field, columns that
disagree with the result) gives one warning naming its key: a lookup misses, so the result is computed again and
replaces the row; listing, export and merge skip it and say how many they skipped. *Read-only opening*
(``Atlas(path, readonly=True)``: ``tnrnn atlas list/query/export`` and the sources of ``merge``): a ``mode=ro``
connection that never creates, upgrades or changes the file, not even its journal mode; an empty file, another
program's database or a newer atlas is refused.

Reading is cheap: a key is made, a row read and a `RankResult` rebuilt without importing numpy, JAX or the cut
module, so ``tnrnn table`` over cells the atlas holds takes about the interpreter's start-up (it imports JAX only
when a cell is missing).
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import sys
import time
import warnings

from tnrnn._types import ArgumentError
from tnrnn.rank._atlas_file import _BUSY_MS, _RETRY_S, _SHORT_MS, Atlas
from tnrnn.rank._keys import (
    _METHODS,
    _UNIDENTIFIED,
    _WARNED,
    CUT_VERSION,
    ENGINE_VERSION,
    KEY_DEFAULTS,
    KEY_FIELDS,
    MIN_CUT_FIELDS,
    OPTIONAL_KEYS,
    SCHEMA_VERSION,
    AtlasUnavailable,
    AtlasWarning,
    _cell_fields,
    _cell_identity,
    _key_text,
    _warn,
    default_atlas_path,
    make_key,
    min_cut_key,
    result_from_dict,
)
from tnrnn.rank._rows import _STATUS_ORDER, _better, _check_bound, _check_row, _row_ok, better_result

__all__ = [
    "Atlas",
    "AtlasWarning",
    "AtlasUnavailable",
    "ENGINE_VERSION",
    "SCHEMA_VERSION",
    "CUT_VERSION",
    "KEY_FIELDS",
    "OPTIONAL_KEYS",
    "KEY_DEFAULTS",
    "MIN_CUT_FIELDS",
    "default_atlas_path",
    "make_key",
    "min_cut_key",
    "result_from_dict",
    "open_atlas",
    "cached_call",
    "better_result",
]

#: names of the parts (`tnrnn.rank._keys`, `_rows`, `_atlas_file`) that callers and tests read from here
_PARTS = (
    _key_text,
    _BUSY_MS,
    _SHORT_MS,
    _METHODS,
    _WARNED,
    _STATUS_ORDER,
    _better,
    _check_bound,
    _check_row,
    _row_ok,
    _cell_fields,
)

# --- opening, once per process and path ------------------------------------------------------------------------

_OPEN: dict[tuple[int, str], Atlas] = {}
#: (pid, path) -> `time.monotonic()` before which a file that could not be opened is not tried again
_SET_ASIDE: dict[tuple[int, str], float] = {}


def _flush_open() -> None:
    """At exit: write what the atlases of this process queued while their files were locked."""
    for (pid, _), atlas in list(_OPEN.items()):
        if pid == os.getpid():
            with contextlib.suppress(Exception):
                atlas.flush(final=True)


def open_atlas(cache) -> Atlas | None:
    """The `Atlas` for a ``cache=`` value: None/False (no atlas), True (the default path), a path, or an `Atlas`.

    A file that cannot be used gives one `AtlasWarning` and None (and is not tried again for `_RETRY_S` seconds).
    """
    if cache is None or cache is False:
        return None
    if isinstance(cache, Atlas):
        return cache
    if cache is True:
        path = default_atlas_path()
    elif isinstance(cache, (str, os.PathLike)):
        path = os.fspath(cache)
    else:
        raise ArgumentError("cache", cache, "None, True, a path or an Atlas")
    ident = (os.getpid(), os.path.abspath(os.path.expanduser(path)))
    if ident not in _OPEN:
        if time.monotonic() < _SET_ASIDE.get(ident, -math.inf):  # failed a moment ago: no second wait
            return None
        try:
            atlas = Atlas(ident[1])
        except AtlasUnavailable as exc:
            _SET_ASIDE[ident] = time.monotonic() + _RETRY_S
            _warn(str(exc))
            return None
        if not _OPEN:
            atexit.register(_flush_open)
        _OPEN[ident] = atlas
    return _OPEN[ident]


# --- a call through the atlas -----------------------------------------------------------------------------------


def cached_call(cache, compute, plan, M, R, L, T, **kwargs):
    """``compute(M, R, L, T, **kwargs)`` through the atlas: look the result up, else compute it and store it.

    Parameters
    ----------
    cache : None, True, path or Atlas
        None: compute only. True: the default atlas (`default_atlas_path`). A path or an `Atlas`: that file.
    compute : callable
        The engine call without the atlas (`tnrnn.rank.separation_rank` with ``cache=None``).
    plan : callable
        ``plan(M, R, L, T, domain=, partition=, cell=, max_N=)``: the engine's plan, given to ``on_plan`` on a hit.
    M, R, L, T, **kwargs
        As for `separation_rank` (``timeout``, ``elimination``, ``evaluation``, ``progress`` and ``on_plan`` are
        passed on and are not part of the key).

    Notes
    -----
    A `Cell` object (rather than a registered name) and ``method="svd"`` bypass the atlas. An atlas that cannot be
    used (newer schema, locked, corrupted) gives one `AtlasWarning` and the result is computed.
    """
    atlas = open_atlas(cache)
    cell = kwargs.get("cell", "rac")
    if atlas is None or not isinstance(cell, str) or kwargs.get("method", "modp") != "modp":
        return compute(M, R, L, T, **kwargs)
    if _cell_identity(cell) is None:
        module = getattr(sys.modules["tnrnn.cells.base"].CELL_REGISTRY[cell.partition(":")[0]], "__module__", "?")
        message = f"tnrnn atlas: cell {cell!r} (defined in {module}) is computed, not cached: {_UNIDENTIFIED}"
        if message not in _WARNED:
            _WARNED.add(message)
            warnings.warn(message, AtlasWarning, stacklevel=3)
        return compute(M, R, L, T, **kwargs)
    key_args = {k: kwargs[k] for k in OPTIONAL_KEYS if k in kwargs}
    key = make_key(M, R, L, T, domain=kwargs.get("domain"), **key_args)
    timeout = kwargs.get("timeout")
    try:
        hit = atlas.get(key, timeout=timeout)
    except AtlasUnavailable as exc:  # the result is computed, and stored if the file allows (or queued)
        _warn(str(exc))
        hit = None
    if hit is not None:
        if kwargs.get("on_plan") is not None:
            kwargs["on_plan"](
                plan(
                    M,
                    R,
                    L,
                    T,
                    domain=key["domain"],
                    partition=kwargs.get("partition", "start-end"),
                    cell=cell,
                    max_N=kwargs.get("max_N"),
                )
            )
        return hit
    result = compute(M, R, L, T, **kwargs)
    try:
        atlas.put(key, result, timeout=timeout)
    except AtlasUnavailable as exc:
        _warn(str(exc))
    return result
