"""The atlas file: the SQLite store (`Atlas`) with its schema, locking and queued writes.

Part of `tnrnn.rank.store` (its module notes describe the file); opened once a process by `open_atlas`.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
import threading
import time
import warnings

from tnrnn._types import check_choice
from tnrnn.rank._keys import (
    KEY_FIELDS,
    MIN_CUT_FIELDS,
    SCHEMA_VERSION,
    AtlasUnavailable,
    AtlasWarning,
    _key_text,
    _warn,
    result_from_dict,
)
from tnrnn.rank._rows import (
    _BadRow,
    _better,
    _check_bound,
    _check_row,
    _row,
    _row_ok,
    _timed_out,
    _warn_bad_row,
)

#: the one wait (ms) for a lock that an atlas file may cost a process: the first operation that meets a lock waits
#: this long, then the atlas is set aside (see `Atlas`) and every later operation waits at most `_SHORT_MS`
_BUSY_MS = 3_000
#: the wait (ms) of every operation after the first lock: enough for another writer's short transaction
_SHORT_MS = 200
#: seconds a locked atlas is set aside before a queued write is tried again
_RETRY_S = 30.0
#: the files (absolute paths) whose one long wait this process has spent
_WAITED: set[str] = set()


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


def _describe(exc: sqlite3.Error, wait_ms=None) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not a usable atlas ({text}); move it away or choose another file with --atlas"
    if _is_busy(exc):
        return f"locked by another process (waited {(wait_ms or 0) / 1000:g} s: {text})"
    return text
