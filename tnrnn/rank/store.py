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
transaction, so several processes may read and write one atlas at once. A file written by a newer schema, a locked
file or a corrupted file gives one warning (`AtlasWarning`) and the call falls back to computing without the atlas;
a file of an older schema is upgraded in place (its rows are kept).

Reading is cheap: a key is made, a row read and a `RankResult` rebuilt without importing numpy, JAX or the cut
module, so ``tnrnn table`` over cells the atlas holds takes about the interpreter's start-up (it imports JAX only
when a cell is missing).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sqlite3
import sys
import threading
import warnings
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice, check_domain, check_positive_int, check_sizes, parse_partition

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
]

#: bump whenever a change of the rank engine could change a stored result (rank, status, bound, certificate)
ENGINE_VERSION = 2
#: version of the SQLite layout (``PRAGMA user_version``); a newer file is refused with a warning, an older one is
#: upgraded in place (2: the ``min_cuts`` table)
SCHEMA_VERSION = 2
#: bump whenever a change of the min-cut code (`tnrnn.cuts`) could change a stored min-cut bound
CUT_VERSION = 1
# fmt: off
#: every input that determines a result, in key order (plus ``engine_version``)
KEY_FIELDS = (
    "cell", "M", "R", "L", "T", "domain", "partition", "seed", "n_seeds", "method", "N0", "confidence", "max_N",
    "engine_version",
)
# fmt: on
#: the key inputs that have a default in `tnrnn.rank.separation_rank` (read from its signature: `key_defaults`)
OPTIONAL_KEYS = ("partition", "cell", "seed", "n_seeds", "method", "N0", "confidence", "max_N")
#: `key_defaults`, written out so that a key is made without importing the engine (numpy, JAX); a test checks that
#: it equals the engine's signature
KEY_DEFAULTS = {
    "partition": "start-end",
    "cell": "rac",
    "seed": 0,
    "n_seeds": 2,
    "method": "modp",
    "N0": 64,
    "confidence": "standard",
    "max_N": None,
}
#: `tnrnn.rank.engine.METHODS` and ``CONFIDENCES`` (checked equal by a test), for the same reason
_METHODS, _CONFIDENCES = ("modp", "svd"), ("standard", "rigorous")
#: the key of a stored min-cut bound (deterministic in these; ``cut_version`` is `CUT_VERSION`)
MIN_CUT_FIELDS = ("cell", "M", "R", "L", "T", "domain", "partition", "cut_version")
_BUSY_MS = 30_000


class AtlasWarning(UserWarning):
    """The atlas cannot be used (newer schema, locked, corrupted, unwritable); the call computes without it."""


class AtlasUnavailable(RuntimeError):
    """Raised inside this module when the atlas file cannot be used; callers turn it into one `AtlasWarning`."""


def default_atlas_path() -> str:
    """``$TNRNN_ATLAS``, else ``$XDG_CACHE_HOME/tnrnn/atlas.sqlite``, else ``~/.cache/tnrnn/atlas.sqlite``."""
    env = os.environ.get("TNRNN_ATLAS")
    if env:
        return os.path.expanduser(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tnrnn", "atlas.sqlite")


# --- keys -----------------------------------------------------------------------------------------------------


def make_key(M, R, L, T, *, domain, engine_version=None, **options) -> dict:
    """The validated, canonical key of a `separation_rank` call (a dict over `KEY_FIELDS`).

    ``options`` are the other key inputs (`OPTIONAL_KEYS`); the missing ones take `separation_rank`'s defaults.
    Raises `ArgumentError` for an invalid input and for inputs the atlas does not store (a `Cell` object rather
    than a registered name). Imports neither numpy nor JAX.
    """
    for name in options:
        check_choice("key input", name, OPTIONAL_KEYS)
    o = {**KEY_DEFAULTS, **options}
    return {
        **_cell_fields(o["cell"], M, R, L, T, domain, o["partition"]),
        "seed": check_positive_int("seed", o["seed"], minimum=0),
        "n_seeds": check_positive_int("n_seeds", o["n_seeds"]),
        "method": check_choice("method", o["method"], _METHODS),
        "N0": check_positive_int("N0", o["N0"]),
        "confidence": check_choice("confidence", o["confidence"], _CONFIDENCES),
        "max_N": None if o["max_N"] is None else check_positive_int("max_N", o["max_N"]),
        "engine_version": ENGINE_VERSION if engine_version is None else int(engine_version),
    }


def _key_text(key: dict, fields: Sequence[str] = KEY_FIELDS) -> str:
    return json.dumps([key[k] for k in fields], separators=(",", ":"))


def _cell_fields(cell, M, R, L, T, domain, partition) -> dict:
    """The validated fields shared by both keys: the cell's name, its sizes, the domain, the partition's spec."""
    M, R, L, T = check_sizes(M, R, L, T)
    if not isinstance(cell, str):
        raise ArgumentError("cell", cell, "a registered cell name (the atlas stores results of named cells only)")
    if ":" in cell:  # a cell with options, "gru:act_degree=3": its canonical spec (loads the cells, hence numpy)
        from tnrnn.cells.base import cell_spec

        cell = cell_spec(cell)
    ident = _cell_identity(cell)
    if ident is None:
        raise ArgumentError("cell", cell, "a cell whose definition can be identified (" + _UNIDENTIFIED + ")")
    return {
        "cell": ident,
        "M": M,
        "R": R,
        "L": L,
        "T": T,
        "domain": check_domain(domain),
        "partition": parse_partition(partition, T).spec(),
    }


_UNIDENTIFIED = "give the class a `version`, bumped on every change, or define it in a module of its own"


def _cell_identity(name: str) -> str | None:
    """The key's ``cell`` for a cell name: `tnrnn.cells.cell_identity` of the registered class (None: unidentified).

    The toolkit's own cells keep their name, so their rows stay valid across runs and versions of a user's cell get
    rows of their own (``name@v=...``, ``name@src=...``). No cell module loaded means no cell of a user's registered:
    the name is returned as it is, without importing numpy.
    """
    name, sep, options = name.partition(":")  # a spec, "gru:act_degree=3", keeps its options
    base = sys.modules.get("tnrnn.cells.base")
    cls = None if base is None else base.CELL_REGISTRY.get(name)
    ident = name if cls is None else base.cell_identity(cls)
    return None if ident is None else ident + sep + options


def min_cut_key(M, R, L, T, *, domain, partition="start-end", cell="rac") -> dict:
    """The validated key of a min-cut bound (a dict over `MIN_CUT_FIELDS`; the partition in its ``"A;B"`` form)."""
    return {**_cell_fields(cell, M, R, L, T, domain, partition), "cut_version": CUT_VERSION}


def result_from_dict(d: dict):
    """The `RankResult` of a ``to_dict()`` object (JSON round trip: lists back to tuples, ``shape`` dropped)."""
    from tnrnn.rank.certificate import RankResult

    d = dict(d)
    d.pop("shape", None)
    d["N"] = tuple(d["N"])
    return RankResult(**d)


# --- the store ------------------------------------------------------------------------------------------------

_INT_KEYS = ("M", "R", "L", "T", "seed", "n_seeds", "N0", "max_N", "engine_version")
_KEY_COLUMNS = ", ".join(f"{k} {'INTEGER' if k in _INT_KEYS else 'TEXT'}" for k in KEY_FIELDS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    {_KEY_COLUMNS},
    rank INTEGER, status TEXT, failure_bound REAL, upper_bound TEXT, primes TEXT, seeds TEXT, N TEXT,
    elimination TEXT, evaluation TEXT, device TEXT, wall_seconds REAL, timeout REAL, toolkit_version TEXT,
    created TEXT, host TEXT, result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_sizes ON results (L, M, R, T, domain);
CREATE INDEX IF NOT EXISTS results_status ON results (status);
CREATE TABLE IF NOT EXISTS min_cuts (
    key TEXT PRIMARY KEY, cell TEXT, M INTEGER, R INTEGER, L INTEGER, T INTEGER, domain TEXT, partition TEXT,
    cut_version INTEGER, bound TEXT NOT NULL, created TEXT
);
"""


def _insert(table: str, row: dict) -> tuple[str, tuple]:
    """The SQL and parameters that write ``row`` (column -> value) into ``table``, replacing a row of its key."""
    sql = f"INSERT OR REPLACE INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
    return sql, tuple(row.values())


class Atlas:
    """One atlas file: ``get``/``put`` of results by key, ``rows`` for queries.

    Parameters
    ----------
    path : str
        The SQLite file (created with its folder if missing).

    Raises
    ------
    AtlasUnavailable
        The file is not a database, is locked past the busy timeout, or was written by a newer schema.
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        self._lock = threading.Lock()
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._con = sqlite3.connect(
                self.path, timeout=_BUSY_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._con.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            version = self._con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                self._con.close()
                raise AtlasUnavailable(
                    f"{self.path} has atlas schema {version}, newer than this toolkit's {SCHEMA_VERSION} "
                    "(upgrade tnrnn, or choose another file with --atlas)"
                )
            self._con.execute("PRAGMA journal_mode = WAL")
            if version < SCHEMA_VERSION:  # new, or an older layout: add what is missing (rows are kept)
                self._con.executescript(_SCHEMA)  # idempotent: a concurrent creator is harmless
                self._con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise AtlasUnavailable(f"{self.path}: {_describe(exc)}") from None
        except OSError as exc:
            raise AtlasUnavailable(f"{self.path}: {exc.strerror or exc}") from None

    def close(self):
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM results")[0][0]

    def _query(self, sql, params=()):
        try:
            with self._lock:
                return self._con.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise AtlasUnavailable(f"{self.path}: {_describe(exc)}") from None

    def get(self, key: dict, *, timeout: float | None = None):
        """The stored `RankResult` for ``key``, or None.

        A result that a timeout stopped (``status="partial"``) is returned only when ``timeout`` is not None and at
        most the timeout it ran under (a longer or no timeout could get further, so it misses and the caller
        recomputes). A partial result that ``max_N`` stopped is final for its key.
        """
        rows = self._query("SELECT status, timeout, result FROM results WHERE key = ?", (_key_text(key),))
        if not rows:
            return None
        status, stored_timeout, text = rows[0]
        d = json.loads(text)
        if (
            status == "partial"
            and _timed_out(d)
            and (timeout is None or stored_timeout is None or timeout > stored_timeout)
        ):
            return None
        return result_from_dict(d)

    def put(self, key: dict, result, *, timeout: float | None = None, meta: dict | None = None) -> bool:
        """Store ``result`` under ``key``; True when written.

        A partial result never replaces a finished one (nor a partial with a larger rank); a finished one replaces
        a partial one. ``meta`` (``toolkit_version``, ``created``, ``host``) defaults to this process's values.
        """
        row = _row(key, result, timeout, meta)
        try:
            with self._lock:
                self._con.execute("BEGIN IMMEDIATE")
                try:
                    old = self._con.execute("SELECT status, rank FROM results WHERE key = ?", (row["key"],)).fetchone()
                    write = old is None or _better(
                        row["status"], row["rank"], old[0], old[1], final=not _timed_out(result.to_dict())
                    )
                    if write:
                        self._con.execute(*_insert("results", row))
                    self._con.execute("COMMIT")
                except BaseException:  # an interrupt may come after the COMMIT: never mask it by a failed ROLLBACK
                    if self._con.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            self._con.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise AtlasUnavailable(f"{self.path}: {_describe(exc)}") from None
        return write

    def get_min_cut(self, key: dict) -> int | None:
        """The stored min-cut bound for a `min_cut_key`, or None."""
        rows = self._query("SELECT bound FROM min_cuts WHERE key = ?", (_key_text(key, MIN_CUT_FIELDS),))
        return int(rows[0][0]) if rows else None

    def put_min_cut(self, key: dict, bound: int) -> None:
        """Store the min-cut ``bound`` of a `min_cut_key` (the value is deterministic: a rewrite is harmless)."""
        row = {
            "key": _key_text(key, MIN_CUT_FIELDS),
            **{k: key[k] for k in MIN_CUT_FIELDS},
            "bound": str(int(bound)),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        self._execute(*_insert("min_cuts", row))

    def min_cut_rows(self) -> list[dict]:
        """Every stored min-cut bound (a dict of columns), sorted by cell, L, M, R, T, domain, partition."""
        return self._dicts("SELECT * FROM min_cuts ORDER BY cell, L, M, R, T, domain, partition, cut_version")

    def _execute(self, sql, params=()) -> None:
        try:
            with self._lock:
                self._con.execute(sql, params)
        except sqlite3.Error as exc:
            raise AtlasUnavailable(f"{self.path}: {_describe(exc)}") from None

    def _dicts(self, sql, params=()) -> list[dict]:
        try:
            with self._lock:
                cur = self._con.execute(sql, params)
                names = [c[0] for c in cur.description]
                return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        except sqlite3.Error as exc:
            raise AtlasUnavailable(f"{self.path}: {_describe(exc)}") from None

    def put_row(self, row: dict) -> None:
        """Write a raw row (as `rows` returns it) unconditionally (used by `merge_atlases`)."""
        self._execute(*_insert("results", row))

    def rows(self, **filters) -> list[dict]:
        """Every row (a dict of columns) whose columns equal the given values, sorted by cell, L, M, R, T, domain.

        Filters are column names: the key fields (``partition`` in its ``"A;B"`` form or ``start-end``; ``cell``
        a name, matching every version of the cell, or one ``name@...`` identity) and ``status``. None values are
        ignored.
        """
        allowed = (*KEY_FIELDS, "status")
        where, params = [], []
        for name, value in filters.items():
            if value is None:
                continue
            check_choice("filter", name, allowed)
            if name == "partition" and value in ("start-end", "interleaved"):
                where.append("json_extract(result, '$.partition.name') = ?")
            elif name == "cell" and "@" not in value:  # a name: every version of the cell
                where.append("(cell = ? OR substr(cell, 1, length(?) + 1) = ? || '@')")
                params.extend((value, value))
            else:
                where.append(f"{name} = ?")
            params.append(value)
        sql = "SELECT * FROM results" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY cell, L, M, R, T, domain, partition, seed, n_seeds, method, N0, confidence, max_N"
        return self._dicts(sql, params)


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not a usable atlas ({text}); move it away or choose another file with --atlas"
    if "locked" in text or "busy" in text:
        return f"locked by another process for more than {_BUSY_MS // 1000} s ({text})"
    return text


_STATUS_ORDER = {"partial": 0, "lower-bound": 1, "proven": 2}


def _better(status, rank, old_status, old_rank, *, final=True) -> bool:
    """Whether a new (status, rank) replaces a stored one.

    Finished beats partial; among partials the larger rank, or the one no timeout stopped (``final``).
    """
    if old_status == "partial":
        return status != "partial" or rank > old_rank or final
    return status != "partial"


def _timed_out(d: dict) -> bool:
    """Did a timeout stop this (partial) result? ``max_N`` partials are final for their key."""
    return d.get("status") == "partial" and str((d.get("extra") or {}).get("stopped", "")).startswith("timeout")


def _toolkit_version() -> str:
    try:
        from importlib.metadata import version

        return version("tnrnn")
    except Exception:  # noqa: BLE001 - not installed: the source tree's version
        return "0.1.0"


def _row(key: dict, result, timeout, meta) -> dict:
    import socket  # only when writing

    d = result.to_dict()
    extra = d.get("extra") or {}
    meta = dict(meta or {})
    row = {"key": _key_text(key), **{k: key[k] for k in KEY_FIELDS}}
    row.update(
        rank=int(d["rank"]),
        status=d["status"],
        failure_bound=d["failure_bound"],
        upper_bound=None if d["upper_bound"] is None else str(d["upper_bound"]),
        primes=json.dumps(d["primes"]),
        seeds=json.dumps(d["seeds"]),
        N=json.dumps(d["N"]),
        elimination=extra.get("elimination"),
        evaluation=extra.get("evaluation"),
        device=extra.get("device"),
        wall_seconds=(d.get("timing") or {}).get("total"),
        timeout=timeout,
        toolkit_version=meta.get("toolkit_version") or _toolkit_version(),
        created=meta.get("created") or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        host=meta.get("host") or socket.gethostname(),
        result=json.dumps(d),
    )
    return row


# --- opening, once per process and path ------------------------------------------------------------------------

_OPEN: dict[tuple[int, str], Atlas] = {}
_WARNED: set[str] = set()


def _warn(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(f"tnrnn atlas: {message}; computing without it", AtlasWarning, stacklevel=3)


def open_atlas(cache) -> Atlas | None:
    """The `Atlas` for a ``cache=`` value: None/False (no atlas), True (the default path), a path, or an `Atlas`.

    A file that cannot be used gives one `AtlasWarning` and None.
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
        try:
            _OPEN[ident] = Atlas(ident[1])
        except AtlasUnavailable as exc:
            _warn(str(exc))
            return None
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
    except AtlasUnavailable as exc:
        _warn(str(exc))
        return compute(M, R, L, T, **kwargs)
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
