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
import datetime
import json
import math
import os
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice, check_domain, check_positive_int, check_sizes, parse_partition
from tnrnn.rank.certificate import check_confidence

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

#: bump whenever a change of the rank engine could change a stored result (rank, status, bound, certificate)
ENGINE_VERSION = 3
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
    "confidence": "certified",
    "max_N": None,
}
#: `tnrnn.rank.engine.METHODS` and ``CONFIDENCES`` (checked equal by a test), for the same reason
_METHODS = ("modp", "svd")
#: the key of a stored min-cut bound (deterministic in these; ``cut_version`` is `CUT_VERSION`)
MIN_CUT_FIELDS = ("cell", "M", "R", "L", "T", "domain", "partition", "cut_version")
#: the one wait (ms) for a lock that an atlas file may cost a process: the first operation that meets a lock waits
#: this long, then the atlas is set aside (see `Atlas`) and every later operation waits at most `_SHORT_MS`
_BUSY_MS = 3_000
#: the wait (ms) of every operation after the first lock: enough for another writer's short transaction
_SHORT_MS = 200
#: seconds a locked atlas is set aside before a queued write is tried again
_RETRY_S = 30.0
#: the files (absolute paths) whose one long wait this process has spent
_WAITED: set[str] = set()


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
        "confidence": check_confidence(o["confidence"]),
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
        The SQLite file (created with its folder if missing, unless ``readonly``).
    readonly : bool
        Open an existing atlas for reading only (``tnrnn atlas list/query/export`` and the sources of ``merge``):
        a read-only SQLite connection that never creates, upgrades or changes the file (not even its journal mode).

    Raises
    ------
    AtlasUnavailable
        The file is not a database, is another program's database, is locked past the one wait of the process, or
        was written by a newer schema; read-only: also an empty or missing file.

    Notes
    -----
    A locked file (another process holds a write transaction or an exclusive lock) costs a process one wait of
    `_BUSY_MS` per file; then the atlas is *set aside*: reads do not wait (they succeed where the lock lets readers
    in), writes are queued and tried again at most every `_RETRY_S` seconds (waiting at most `_SHORT_MS`), with the
    queued ones first; `flush` (called at the end of a sweep, by `close` and at exit) tries once more. Every stored
    row is checked when read: a row that does not make a valid result (invalid JSON, a missing or wrong field) gives
    one `AtlasWarning` naming its key and is skipped (a lookup misses, so the result is computed and replaces it).
    """

    def __init__(self, path, *, readonly: bool = False):
        self.path = os.path.abspath(os.fspath(path))
        self.readonly = bool(readonly)
        self._lock = threading.Lock()
        self._pending: list[tuple] = []  # writes queued while the file is locked: (table, row, final)
        self._locked_at: float | None = None  # set aside: the `time.monotonic()` of the last lock met
        self._aside_message = ""
        self._wait = None
        con = None
        try:
            if readonly:
                con = _connect_readonly(self.path)
            else:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                con = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
            self._con = con
            self._set_wait(_wait_ms(self.path))
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AtlasUnavailable(
                    f"{self.path} has atlas schema {version}, newer than this toolkit's {SCHEMA_VERSION} "
                    "(upgrade tnrnn, or choose another file with --atlas)"
                )
            self._tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if (readonly or self._tables) and not _is_atlas(con, self._tables):
                raise AtlasUnavailable(f"{self.path}: not an atlas (another program's SQLite file, or an empty one)")
            if not readonly:
                con.execute("PRAGMA journal_mode = WAL")
                if version < SCHEMA_VERSION:  # new, or an older layout: add what is missing (rows are kept)
                    con.executescript(_SCHEMA)  # idempotent: a concurrent creator is harmless
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    self._tables = {"results", "min_cuts"}
        except (sqlite3.Error, OSError, AtlasUnavailable) as exc:
            if con is not None:
                with contextlib.suppress(sqlite3.Error):
                    con.close()
            if isinstance(exc, AtlasUnavailable):
                raise
            if isinstance(exc, OSError):
                raise AtlasUnavailable(f"{self.path}: {exc.strerror or exc}") from None
            if _is_busy(exc):
                _WAITED.add(self.path)
            raise AtlasUnavailable(f"{self.path}: {_describe(exc, self._wait)}") from None

    def close(self):
        """Write what is queued (`flush`), then close the file."""
        with contextlib.suppress(AtlasUnavailable):
            self.flush(final=True)
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM results")[0][0]

    # --- the connection: one bounded wait for a lock, then the atlas is set aside ---

    def _set_wait(self, ms: int) -> None:
        if ms != self._wait:
            self._con.execute(f"PRAGMA busy_timeout = {int(ms)}")
            self._wait = ms

    def _failure(self, exc: sqlite3.Error) -> AtlasUnavailable:
        """The `AtlasUnavailable` of a SQLite error; a lock sets the atlas aside for `_RETRY_S` seconds."""
        if not _is_busy(exc):
            return AtlasUnavailable(f"{self.path}: {_describe(exc, self._wait)}")
        _WAITED.add(self.path)
        if self._locked_at is None:
            self._aside_message = (
                f"{self.path}: {_describe(exc, self._wait)}; its results are stored when it is free again"
            )
        self._locked_at = time.monotonic()
        return AtlasUnavailable(self._aside_message)

    def _read(self, fn):
        """``fn(connection)`` under the lock; a set-aside atlas does not wait for a lock at all."""
        with self._lock:
            try:
                self._set_wait(0 if self._locked_at is not None else _wait_ms(self.path))
                return fn(self._con)
            except sqlite3.Error as exc:
                raise self._failure(exc) from None

    def _write(self, entries: list[tuple], *, queue: bool = True, now: bool = False) -> list[bool] | None:
        """Write ``entries`` after the queued ones in one transaction; what each did, or None when queued.

        A locked file queues them (``queue``) and warns once, or raises `AtlasUnavailable` (``queue=False``). While
        the atlas is set aside, they are queued without a try, unless `_RETRY_S` seconds have passed (or ``now``).
        """
        if self.readonly:
            raise AtlasUnavailable(f"{self.path}: opened read-only")
        with self._lock:
            aside = self._locked_at is not None and time.monotonic() - self._locked_at < _RETRY_S
            if queue and aside and not now:
                self._pending.extend(entries)
                return None
            todo = [*self._pending, *entries] if queue else entries
            try:
                self._set_wait(_wait_ms(self.path))
                done = self._transaction(todo)
            except sqlite3.Error as exc:
                failure = self._failure(exc)
                if not (queue and _is_busy(exc)):
                    raise failure from None
                self._pending = todo
                _warn(str(failure))
                return None
            if queue:
                self._pending = []
            self._locked_at = None
            return done[len(todo) - len(entries) :]

    def _transaction(self, entries: list[tuple]) -> list[bool]:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            done = []
            for table, row, final in entries:
                write = True
                if table == "results" and final is not None:  # a result: the better one stays
                    old = _dicts(con.execute("SELECT * FROM results WHERE key = ?", (row["key"],)))
                    write = (
                        not old
                        or not _row_ok(old[0])
                        or _better(row["status"], row["rank"], old[0]["status"], old[0]["rank"], final=final)
                    )
                if write:
                    con.execute(*_insert(table, row))
                done.append(write)
            con.execute("COMMIT")
        except BaseException:  # an interrupt may come after the COMMIT: never mask it by a failed ROLLBACK
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise
        return done

    def flush(self, *, final: bool = False) -> int:
        """Write the results queued while the file was locked (one try); the number still queued.

        ``final`` (the end of a command, `close`, exit): what is still locked is dropped, with one warning that
        says how many results were not stored.
        """
        if not self._pending:
            return 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AtlasWarning)  # still locked: said once already
            self._write([], now=True)
        left = len(self._pending)
        if left and final:
            self._pending = []
            warnings.warn(
                f"tnrnn atlas: {self.path}: still locked; {left} computed result(s) were not stored",
                AtlasWarning,
                stacklevel=2,
            )
        return left

    def _query(self, sql, params=()):
        return self._read(lambda con: con.execute(sql, params).fetchall())

    def _execute(self, sql, params=()) -> None:
        self._read(lambda con: con.execute(sql, params))

    def _dicts(self, sql, params=()) -> list[dict]:
        return self._read(lambda con: _dicts(con.execute(sql, params)))

    # --- results ---

    def get(self, key: dict, *, timeout: float | None = None):
        """The stored `RankResult` for ``key``, or None.

        A result that a timeout stopped (``status="partial"``) is returned only when ``timeout`` is not None and at
        most the timeout it ran under (a longer or no timeout could get further, so it misses and the caller
        recomputes). A partial result that ``max_N`` stopped is final for its key. A row that is not a valid result
        gives one `AtlasWarning` naming its key and misses.
        """
        rows = self._dicts("SELECT * FROM results WHERE key = ?", (_key_text(key),))
        if not rows:
            return None
        row = rows[0]
        try:
            d = _check_row(row)
            result = result_from_dict(d)
        except (_BadRow, TypeError, ValueError, KeyError) as exc:
            _warn_bad_row(self.path, row.get("key"), exc, "it is computed again")
            return None
        if (
            row["status"] == "partial"
            and _timed_out(d)
            and (timeout is None or row["timeout"] is None or timeout > row["timeout"])
        ):
            return None
        return result

    def put(self, key: dict, result, *, timeout: float | None = None, meta: dict | None = None) -> bool:
        """Store ``result`` under ``key``; True when written.

        A partial result never replaces a finished one (nor a partial with a larger rank); a finished one replaces
        a partial one, and any result replaces a stored row that is not a valid result. ``meta``
        (``toolkit_version``, ``created``, ``host``) defaults to this process's values. A locked file queues the
        result (False; see the class notes).
        """
        row = _row(key, result, timeout, meta)
        done = self._write([("results", row, not _timed_out(result.to_dict()))])
        return bool(done and done[0])

    def get_min_cut(self, key: dict) -> int | None:
        """The stored min-cut bound for a `min_cut_key`, or None (also for an invalid row: one warning)."""
        rows = self._dicts("SELECT * FROM min_cuts WHERE key = ?", (_key_text(key, MIN_CUT_FIELDS),))
        if not rows:
            return None
        try:
            return _check_bound(rows[0])
        except _BadRow as exc:
            _warn_bad_row(self.path, rows[0].get("key"), exc, "it is computed again")
            return None

    def put_min_cut(self, key: dict, bound: int) -> None:
        """Store the min-cut ``bound`` of a `min_cut_key` (the value is deterministic: a rewrite is harmless)."""
        row = {
            "key": _key_text(key, MIN_CUT_FIELDS),
            **{k: key[k] for k in MIN_CUT_FIELDS},
            "bound": str(int(bound)),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        self._write([("min_cuts", row, None)])

    def min_cut_rows(self) -> list[dict]:
        """Every valid stored min-cut bound (a dict of columns), sorted by cell, L, M, R, T, domain, partition.

        An invalid row gives one `AtlasWarning` naming its key and is skipped.
        """
        if "min_cuts" not in self._tables:  # a schema-1 atlas opened read-only
            return []
        out = []
        for row in self._dicts("SELECT * FROM min_cuts ORDER BY cell, L, M, R, T, domain, partition, cut_version"):
            try:
                _check_bound(row)
            except _BadRow as exc:
                _warn_bad_row(self.path, row.get("key"), exc, "it is skipped")
                continue
            out.append(row)
        return out

    def result_row(self, key_text: str) -> dict | None:
        """The stored result row of a key (its text, as in a row's ``key``) if it is a valid result, else None."""
        rows = self._dicts("SELECT * FROM results WHERE key = ?", (key_text,))
        return rows[0] if rows and _row_ok(rows[0]) else None

    def has_result(self, key_text: str) -> bool:
        """Whether a result row of this key is stored, valid or not."""
        return bool(self._query("SELECT 1 FROM results WHERE key = ?", (key_text,)))

    def min_cut_row(self, key_text: str) -> dict | None:
        """The stored min-cut row of a key (its text) if its bound is valid, else None."""
        rows = self._dicts("SELECT * FROM min_cuts WHERE key = ?", (key_text,))
        return rows[0] if rows and _row_ok(rows[0], _check_bound) else None

    def put_min_cut_row(self, row: dict) -> None:
        """Write a raw min-cut row (as `min_cut_rows` returns it) unconditionally (used by `merge_atlases`)."""
        self._write([("min_cuts", row, None)], queue=False)

    def put_row(self, row: dict) -> None:
        """Write a raw row (as `rows` returns it) unconditionally (used by `merge_atlases`; a lock raises)."""
        self._write([("results", row, None)], queue=False)

    def rows(self, **filters) -> list[dict]:
        """Every valid row (a dict of columns) whose columns equal the given values, sorted by cell, L, M, R, T, domain.

        Filters are column names: the key fields (``partition`` in its ``"A;B"`` form or ``start-end``; ``cell``
        a name, matching every version of the cell, or one ``name@...`` identity) and ``status``. None values are
        ignored. A row that is not a valid result gives one `AtlasWarning` naming its key and is skipped
        (`read_rows` returns the skipped ones too).
        """
        return self.read_rows(warn=True, **filters)[0]

    def read_rows(self, *, warn: bool = False, **filters) -> tuple[list[dict], list[tuple[str, str]]]:
        """The valid rows of `rows`, and ``(key, reason)`` for each row that is not a valid result.

        ``warn``: one `AtlasWarning` for each of those (naming its key).
        """
        allowed = (*KEY_FIELDS, "status")
        where, params = [], []
        for name, value in filters.items():
            if value is None:
                continue
            check_choice("filter", name, allowed)
            if name == "partition" and value in ("start-end", "interleaved"):
                where.append("(CASE WHEN json_valid(result) THEN json_extract(result, '$.partition.name') END) = ?")
            elif name == "cell" and "@" not in value:  # a name: every version of the cell
                where.append("(cell = ? OR substr(cell, 1, length(?) + 1) = ? || '@')")
                params.extend((value, value))
            else:
                where.append(f"{name} = ?")
            params.append(value)
        sql = "SELECT * FROM results" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY cell, L, M, R, T, domain, partition, seed, n_seeds, method, N0, confidence, max_N"
        good, bad = [], []
        for row in self._dicts(sql, params):
            try:
                _check_row(row)
            except _BadRow as exc:
                bad.append((row.get("key"), str(exc)))
                continue
            good.append(row)
        if warn:
            for key, why in bad:
                _warn_bad_row(self.path, key, why, "it is skipped")
        return good, bad


def _dicts(cur) -> list[dict]:
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _connect_readonly(path: str) -> sqlite3.Connection:
    """A read-only connection to an existing, non-empty file that changes nothing on disk.

    ``mode=ro``; a WAL file that no process has open (no ``-wal`` beside it) is read as ``immutable``, since a
    read-only connection would otherwise leave ``-wal`` and ``-shm`` files beside it.
    """
    from urllib.parse import quote

    if not os.path.isfile(path):
        raise AtlasUnavailable(f"{path}: no such atlas file")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header:
        raise AtlasUnavailable(f"{path}: an empty file, not an atlas")
    wal = len(header) == 100 and header[18] == 2 and not os.path.exists(path + "-wal")
    uri = f"file:{quote(path)}?mode=ro" + ("&immutable=1" if wal else "")
    return sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)


#: the columns every atlas's ``results`` table has (a file without them is another program's)
_ATLAS_COLUMNS = frozenset({"key", *KEY_FIELDS, "rank", "status", "timeout", "result"})


def _is_atlas(con: sqlite3.Connection, tables) -> bool:
    if "results" not in tables:
        return False
    return _ATLAS_COLUMNS <= {r[1] for r in con.execute("PRAGMA table_info(results)")}


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _wait_ms(path: str) -> int:
    """How long the next operation on ``path`` may wait for a lock: `_BUSY_MS` once per process, then `_SHORT_MS`."""
    return _SHORT_MS if path in _WAITED else _BUSY_MS


# --- checking stored rows -------------------------------------------------------------------------------------


class _BadRow(ValueError):
    """A stored row that is not a valid result (the message says why)."""


def _is_int(v, minimum=0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _is_ints(v) -> bool:
    return isinstance(v, list) and all(_is_int(x) for x in v)


#: the checks of a stored result's fields (`RankResult`'s), by field
_FIELD_CHECKS = {
    "rank": _is_int,
    "M": lambda v: _is_int(v, 1),
    "R": lambda v: _is_int(v, 1),
    "L": lambda v: _is_int(v, 1),
    "T": lambda v: _is_int(v, 1),
    "domain": lambda v: isinstance(v, str),
    "method": lambda v: isinstance(v, str),
    "partition": lambda v: isinstance(v, dict),
    "seeds": _is_ints,
    "primes": _is_ints,
    "ranks": _is_ints,
    "N": lambda v: _is_ints(v) and len(v) == 2,
    "upper_bound": lambda v: v is None or _is_int(v),
    "status": lambda v: isinstance(v, str),
    "failure_bound": lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)),
    "cell": lambda v: isinstance(v, str),
    "extra": lambda v: isinstance(v, dict),
    "timing": lambda v: isinstance(v, dict),
}


def _required_fields() -> tuple[str, ...]:
    """`RankResult`'s fields without a default: what every stored result must hold."""
    import dataclasses

    from tnrnn.rank.certificate import RankResult

    missing = dataclasses.MISSING
    return tuple(
        f.name for f in dataclasses.fields(RankResult) if f.default is missing and f.default_factory is missing
    )


def _check_row(row: dict) -> dict:
    """The result (a dict) of a stored ``results`` row, after checking it and the columns readers use.

    Raises `_BadRow` (saying what is wrong): the result is not a JSON object, lacks a field of `RankResult`, has a
    field of the wrong type, or disagrees with the row's columns.
    """
    from tnrnn.rank.certificate import STATUSES

    try:
        d = json.loads(row.get("result"))
    except (TypeError, ValueError) as exc:
        raise _BadRow(f"its result is not valid JSON ({exc})") from None
    if not isinstance(d, dict):
        raise _BadRow("its result is not a JSON object")
    missing = [k for k in _required_fields() if k not in d]
    if missing:
        raise _BadRow(f"its result lacks {', '.join(missing)}")
    wrong = [k for k, ok in _FIELD_CHECKS.items() if k in d and not ok(d[k])]
    if d.get("status", "lower-bound") not in STATUSES:
        wrong.append("status")
    if wrong:
        raise _BadRow(f"its result has a wrong {', '.join(wrong)}")
    differ = [k for k in ("M", "R", "L", "T", "domain", "rank", "status") if row.get(k) != d.get(k, row.get(k))]
    if differ:
        raise _BadRow(f"its columns {', '.join(differ)} differ from its result")
    for k in ("primes", "seeds", "N"):
        if row.get(k) is not None:
            try:
                json.loads(row[k])
            except (TypeError, ValueError):
                raise _BadRow(f"its column {k} is not valid JSON") from None
    return d


def _row_ok(row: dict, check=None) -> bool:
    """Whether ``check(row)`` (default `_check_row`; `_check_bound` for a min-cut row) passes."""
    try:
        (check or _check_row)(row)
    except _BadRow:
        return False
    return True


def _check_bound(row: dict) -> int:
    """The bound of a stored ``min_cuts`` row (a decimal integer >= 1); raises `_BadRow`."""
    text = row.get("bound")
    if not isinstance(text, str) or not text.isdigit() or int(text) < 1:
        raise _BadRow(f"its bound {text!r} is not an integer >= 1")
    return int(text)


def _warn_bad_row(path: str, key, why, action: str) -> None:
    """One `AtlasWarning` for a stored row that is not valid (naming its key)."""
    _warn(f"{path}: the stored row {key} is not a valid result ({why}); {action}", suffix="")


def _describe(exc: sqlite3.Error, wait_ms=None) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not a usable atlas ({text}); move it away or choose another file with --atlas"
    if _is_busy(exc):
        return f"locked by another process (waited {(wait_ms or 0) / 1000:g} s: {text})"
    return text


_STATUS_ORDER = {"partial": 0, "lower-bound": 1, "proven": 2}


def better_result(status: str, rank: int, old_status: str, old_rank: int) -> bool:
    """Whether a result (``status``, ``rank``) is better than another for the same key: the rule of a merge.

    Finished beats partial; proven beats lower-bound; otherwise (two lower bounds, two partials) the larger certified
    rank. (Two proven ranks that differ contradict each other: `tnrnn.atlas.merge_atlases` reports them.) A
    recomputation written to the atlas follows `_better` instead, which also lets a newer finished result replace an
    older one.
    """
    if status != "partial" and old_status != "partial" and status != old_status:
        return status == "proven"
    return (_STATUS_ORDER.get(status, 0), rank) > (_STATUS_ORDER.get(old_status, 0), old_rank)


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
#: (pid, path) -> `time.monotonic()` before which a file that could not be opened is not tried again
_SET_ASIDE: dict[tuple[int, str], float] = {}
_WARNED: set[str] = set()


def _warn(message: str, suffix: str = "; computing without it") -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(f"tnrnn atlas: {message}{suffix}", AtlasWarning, stacklevel=3)


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
