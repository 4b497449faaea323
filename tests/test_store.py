"""The atlas's store under faults (`tnrnn.rank.store`): a locked file, rows that are not valid results."""

import json
import os
import sqlite3
import time
import warnings

import pytest

from tnrnn import atlas as A
from tnrnn.cli import main
from tnrnn.rank import _atlas_file, separation_rank
from tnrnn.rank import store as S

TINY = dict(M=2, R=2, L=2, T=4)
TABLE = ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2:6:2", "--domain", "onehot", "--no-progress", "--json"]


def _atlas_warnings(seen) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, A.AtlasWarning)]


def _main(argv) -> int:
    """`main`, showing every warning (the same text from one place would otherwise show once per process)."""
    S._WARNED.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        return main(argv)


def _cli_warnings(err: str) -> list[str]:
    """The atlas warnings the command line printed (one line each)."""
    return [line for line in err.splitlines() if ": warning: atlas: " in line]


def _hold(path, how: str) -> sqlite3.Connection:
    """Another connection that holds ``path``: a write transaction, or an exclusive lock on the whole file."""
    con = sqlite3.connect(path, isolation_level=None)
    if how == "immediate":
        con.execute("BEGIN IMMEDIATE")
    else:
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        con.execute("SELECT COUNT(*) FROM results").fetchone()
        con.execute("COMMIT")  # the exclusive lock stays until the connection closes
    return con


# --- a locked file: one bounded wait per run, then the run computes without it ---------------------------------


@pytest.mark.parametrize("how", ["immediate", "exclusive"])
def test_a_locked_atlas_costs_one_short_wait_for_a_whole_table(tmp_path, capsys, how):
    assert main([*TABLE, "--no-cache"]) == 0  # compiles the kernels, and the expected rows
    expected = json.loads(capsys.readouterr().out)["rows"]
    path = str(tmp_path / "locked.sqlite")
    A.Atlas(path).close()
    holder = _hold(path, how)
    try:
        t0 = time.monotonic()
        assert _main([*TABLE, "--atlas", path]) == 0
        elapsed = time.monotonic() - t0
    finally:
        holder.close()
    out, err = capsys.readouterr()
    assert json.loads(out)["rows"] == expected
    messages = _cli_warnings(err)
    assert "locked by another process" in messages[0] and path in messages[0], err
    # three rank cells and three min-cut bounds: one wait of a few seconds in all, not one per write
    assert elapsed < 10, elapsed
    if how == "immediate":  # the file could be read, so its writes were queued; at the end it was still locked
        assert len(messages) == 2 and "still locked; 6 computed result(s) were not stored" in messages[1], err
    else:  # the file could not even be opened: computed without it
        assert len(messages) == 1 and S._OPEN.get((os.getpid(), path)) is None, err
    with A.Atlas(path) as a:
        assert len(a) == 0 and a.min_cut_rows() == []


def test_writes_are_queued_while_locked_and_stored_when_free(tmp_path, monkeypatch):
    monkeypatch.setattr(_atlas_file, "_BUSY_MS", 100)
    path = str(tmp_path / "q.sqlite")
    res = separation_rank(**TINY, domain="continuous")
    keys = [S.make_key(**TINY, domain="continuous", seed=s) for s in (0, 1, 2)]
    a = A.Atlas(path)
    holder = _hold(path, "immediate")
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert a.put(keys[0], res) is False  # waited once, then queued
        assert a.put(keys[1], res) is False  # set aside: queued without touching the file
        assert a.get(keys[0]) is None  # reads still work under a write lock, without waiting
    assert len(_atlas_warnings(seen)) == 1
    holder.close()
    assert a.put(keys[2], res) is False  # still set aside (`_RETRY_S`): queued, not written
    assert len(A.Atlas(path, readonly=True)) == 0
    monkeypatch.setattr(_atlas_file, "_RETRY_S", 0.0)
    assert a.put(keys[2], res) is True  # due again: the queued writes go first, in one transaction
    assert a.flush() == 0
    with A.Atlas(path, readonly=True) as r:
        assert [r.get(k) for k in keys] == [res, res, res]


def test_what_is_still_locked_at_the_end_is_reported_once(tmp_path, monkeypatch):
    monkeypatch.setattr(_atlas_file, "_BUSY_MS", 50)
    path = str(tmp_path / "end.sqlite")
    a = A.Atlas(path)
    holder = _hold(path, "immediate")
    S._WARNED.clear()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            a.put_min_cut(S.min_cut_key(**TINY, domain="onehot"), 16)
            a.close()
    finally:
        holder.close()
    messages = _atlas_warnings(seen)
    assert len(messages) == 2 and "1 computed result(s) were not stored" in messages[1], messages


# --- rows that are not valid results: one warning naming the key, then computed again --------------------------


def _stored(path):
    """A real result stored under its key; the row's key text."""
    res = separation_rank(**TINY, domain="continuous", cache=path)
    return res, S._key_text(S.make_key(**TINY, domain="continuous"))


CORRUPTIONS = {
    "invalid JSON": ("result", "{not json"),
    "missing fields": ("result", json.dumps({"rank": 5})),
    "not an object": ("result", "[1, 2, 3]"),
    "wrong type": ("result", None),  # replaced below by the stored result with a string rank
    "column disagrees": ("M", 3),
}


def _corrupt(path, key_text, what):
    column, value = CORRUPTIONS[what]
    con = sqlite3.connect(path, isolation_level=None)
    if what == "wrong type":
        d = json.loads(con.execute("SELECT result FROM results WHERE key = ?", (key_text,)).fetchone()[0])
        value = json.dumps({**d, "rank": str(d["rank"])})
    con.execute(f"UPDATE results SET {column} = ? WHERE key = ?", (value, key_text))
    con.close()


@pytest.mark.parametrize("what", list(CORRUPTIONS))
def test_a_bad_row_is_one_warning_and_is_computed_again(tmp_path, counted, what):
    path = str(tmp_path / "bad.sqlite")
    res, key_text = _stored(path)
    _corrupt(path, key_text, what)
    S._OPEN.clear()
    S._WARNED.clear()
    counted.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        again = [separation_rank(**TINY, domain="continuous", cache=path) for _ in range(2)]
    assert again == [res, res]
    messages = _atlas_warnings(seen)
    assert len(messages) == 1 and key_text in messages[0] and "not a valid result" in messages[0], messages
    assert len(counted) == 1  # computed once; the second call found the row that replaced the bad one
    with A.Atlas(path, readonly=True) as a:
        assert a.read_rows()[1] == []


@pytest.mark.parametrize("what", ["invalid JSON", "missing fields"])
def test_the_cli_skips_bad_rows_and_export_counts_them(tmp_path, capsys, what):
    path = str(tmp_path / "cli.sqlite")
    assert main([*TABLE, "--atlas", path]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    with A.Atlas(path) as a:
        key_text = a.rows(T=4)[0]["key"]
    _corrupt(path, key_text, what)
    out = tmp_path / "x.json"
    assert _main(["atlas", "export", "--atlas", path, "--out", str(out), "--json"]) == 0
    report, err = capsys.readouterr()
    report = json.loads(report)
    assert (report["count"], report["skipped"]) == (2, 1) and len(json.loads(out.read_text())) == 2
    assert len(_cli_warnings(err)) == 1 and key_text in err and "skipped" in err, err
    assert main(["atlas", "list", "--atlas", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 1
    rank = ["rank", "--M", "2", "--R", "2", "--L", "1", "--T", "4", "--domain", "onehot", "--atlas", path]
    assert _main([*rank, "--json"]) == 0  # computed again, and the bad row replaced
    out, err = capsys.readouterr()
    assert json.loads(out)["rank"] == next(r["rank"] for r in rows if r["T"] == 4)
    assert len(_cli_warnings(err)) == 1 and key_text in err and "computed again" in err, err
    _corrupt(path, key_text, what)
    assert _main([*TABLE, "--atlas", path]) == 0  # the table too
    out, err = capsys.readouterr()
    assert json.loads(out)["rows"] == rows
    assert len(_cli_warnings(err)) == 1 and key_text in err, err
    with A.Atlas(path, readonly=True) as a:
        assert a.read_rows()[1] == [] and len(a) == 3


def test_a_bad_min_cut_row_is_computed_again(tmp_path, capsys):
    path = str(tmp_path / "cut.sqlite")
    assert main([*TABLE, "--atlas", path]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("UPDATE min_cuts SET bound = 'many' WHERE T = 4")
    con.close()
    S._OPEN.clear()
    assert _main([*TABLE, "--atlas", path]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rows"] == rows
    assert len(_cli_warnings(err)) == 1 and "'many'" in err, err
    with A.Atlas(path, readonly=True) as a:
        assert sorted(int(r["bound"]) for r in a.min_cut_rows()) == sorted(r["min_cut"] for r in rows)


def test_better_result_is_the_one_merge_rule():
    from tnrnn.rank.store import better_result

    assert better_result("proven", 10, "lower-bound", 12)  # proven beats a (contradicting) lower bound
    assert not better_result("lower-bound", 12, "proven", 10)
    assert better_result("lower-bound", 9, "partial", 11)  # finished beats partial
    assert better_result("lower-bound", 12, "lower-bound", 11) and not better_result(
        "lower-bound", 11, "lower-bound", 11
    )
    assert better_result("partial", 12, "partial", 11) and not better_result("partial", 10, "partial", 11)
