"""The rank atlas (`tnrnn.atlas`): store, keys, concurrency, damaged files, sweeps (resume, parallel, Dask), merge."""

import contextlib
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings

import pytest

from tnrnn import atlas as A
from tnrnn._types import ArgumentError
from tnrnn.cli import main
from tnrnn.rank import RankResult, _atlas_file, _keys, separation_rank
from tnrnn.rank import store as S
from tnrnn.table import rank_table
from tnrnn.testing import sigint_as_in_a_terminal

TINY = dict(M=2, R=2, L=2, T=4, domain="continuous")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fake(rank, status="lower-bound", *, M=2, R=2, L=2, T=4, domain="continuous", note="", stopped=None):
    """A RankResult built by hand (merge and store tests need chosen statuses, not computed ones)."""
    fb = {"proven": 0.0, "lower-bound": 1e-9, "partial": None}[status]
    return RankResult(
        rank=rank,
        M=M,
        R=R,
        L=L,
        T=T,
        domain=domain,
        method="modp",
        partition={"name": "start-end", "A": list(range(1, T // 2 + 1)), "B": list(range(T // 2 + 1, T + 1))},
        seeds=[0],
        primes=[2097143],
        ranks=[rank],
        N=(rank + 1, rank + 1),
        upper_bound=10**30,
        status=status,
        failure_bound=fb,
        degree=7,
        cell="rac",
        note=note,
        extra={
            "elimination": "flint",
            "bounds": {"x": 10**30},
            "stopped": stopped or ("timeout after 5 s" if status == "partial" else ""),
        },
        timing={"total": 1.5},
    )


def _key(**over):
    args = {**TINY, **over}
    return A.make_key(args.pop("M"), args.pop("R"), args.pop("L"), args.pop("T"), **args)


@pytest.fixture
def atlas(tmp_path):
    with A.Atlas(tmp_path / "a.sqlite") as a:
        yield a


# --- the store ------------------------------------------------------------------------------------------------


def test_round_trip_is_exact(atlas):
    res = separation_rank(**_sizes(TINY), domain="continuous")
    key = _key()
    assert atlas.put(key, res)
    back = atlas.get(key)
    assert back == res and back is not res
    row = atlas.rows()[0]
    again = RankResult(
        **{k: (tuple(v) if k == "N" else v) for k, v in json.loads(row["result"]).items() if k != "shape"}
    )
    assert again == res
    assert (row["rank"], row["status"], json.loads(row["primes"])) == (res.rank, res.status, res.primes)
    assert row["elimination"] == res.extra["elimination"] and row["wall_seconds"] == res.timing["total"]


def test_round_trip_keeps_big_integers_and_floats(atlas):
    res = _fake(5)
    atlas.put(_key(), res)
    back = atlas.get(_key())
    assert back == res and back.upper_bound == 10**30 and back.extra["bounds"]["x"] == 10**30
    assert back.failure_bound == res.failure_bound


def _sizes(d):
    return {k: d[k] for k in ("M", "R", "L", "T")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cell", "other"),
        ("M", 3),
        ("R", 3),
        ("L", 3),
        ("T", 6),
        ("domain", "onehot"),
        ("partition", "interleaved"),
        ("seed", 1),
        ("n_seeds", 3),
        ("method", "svd"),
        ("N0", 32),
        ("confidence", "rigorous"),
        ("max_N", 100),
        ("engine_version", A.ENGINE_VERSION + 1),
    ],
)
def test_changing_any_key_input_misses(atlas, field, value):
    atlas.put(_key(), _fake(5))
    assert atlas.get(_key()) is not None
    assert atlas.get(_key(**{field: value})) is None
    assert set(A.KEY_FIELDS) == set(_key()), "every key field is in the key"


def test_engine_version_constant_is_the_default(atlas, monkeypatch):
    atlas.put(_key(), _fake(5))
    monkeypatch.setattr(_keys, "ENGINE_VERSION", S.ENGINE_VERSION + 1)
    assert atlas.get(_key()) is None


def test_cached_call_hits_and_misses(tmp_path, counted):
    path = tmp_path / "c.sqlite"
    first = separation_rank(**_sizes(TINY), domain="continuous", cache=path)
    second = separation_rank(**_sizes(TINY), domain="continuous", cache=path)
    assert second == first and len(counted) == 1
    separation_rank(**_sizes(TINY), domain="continuous", cache=path, timeout=100.0)  # timeout: not in the key
    assert len(counted) == 1
    separation_rank(**_sizes(TINY), domain="continuous", cache=path, seed=1)
    separation_rank(**_sizes(TINY), domain="onehot", cache=path)
    assert len(counted) == 3
    separation_rank(**_sizes(TINY), domain="continuous")  # cache=None: the engine, not the atlas
    assert len(counted) == 3


def test_default_atlas_comes_from_the_environment(tmp_path, monkeypatch, counted):
    monkeypatch.setenv("TNRNN_ATLAS", str(tmp_path / "env.sqlite"))
    separation_rank(**_sizes(TINY), domain="continuous", cache=True)
    assert os.path.exists(tmp_path / "env.sqlite")
    monkeypatch.delenv("TNRNN_ATLAS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert A.default_atlas_path() == str(tmp_path / "xdg" / "tnrnn" / "atlas.sqlite")


def test_partial_results_are_not_final(atlas):
    atlas.put(_key(), _fake(3, "partial"), timeout=5.0)
    assert atlas.get(_key()) is None  # no timeout now: it could get further
    assert atlas.get(_key(), timeout=10.0) is None  # a longer timeout could too
    assert atlas.get(_key(), timeout=5.0).status == "partial"
    assert not atlas.put(_key(), _fake(2, "partial"), timeout=5.0)  # a smaller partial rank does not replace it
    assert atlas.put(_key(), _fake(6, "proven"))
    assert not atlas.put(_key(), _fake(4, "partial"), timeout=50.0)  # nor does any partial replace a finished one
    assert atlas.get(_key()).rank == 6


def test_a_partial_result_of_max_N_is_final(atlas):
    atlas.put(_key(max_N=4), _fake(4, "partial", stopped="max_N=4 reached with a full-rank sample"), timeout=None)
    assert atlas.get(_key(max_N=4)).rank == 4  # no timeout stopped it: the same call gives the same result
    res = separation_rank(2, 2, 2, 6, domain="continuous", max_N=4, cache=atlas)
    assert res.status == "partial" and res.extra["stopped"].startswith("max_N")
    assert separation_rank(2, 2, 2, 6, domain="continuous", max_N=4, cache=atlas) == res


def test_partial_then_full_call_recomputes(tmp_path, counted):
    path = tmp_path / "p.sqlite"
    a = separation_rank(3, 3, 3, 8, domain="continuous", cache=path, timeout=0.05)
    assert a.status == "partial"
    separation_rank(3, 3, 3, 8, domain="continuous", cache=path, timeout=0.05)
    assert len(counted) == 1  # the same (or a shorter) timeout reuses the partial result


def _writer(path, start, n, shared):
    with A.Atlas(path) as a:
        for i in range(n):
            a.put(_key(seed=start + i), _fake(start + i))
            a.put(_key(seed=shared), _fake(1000 + start + i))


def test_two_processes_write_at_once(tmp_path):
    path = str(tmp_path / "w.sqlite")
    A.Atlas(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, start, 60, 10**6)) for start in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with A.Atlas(path) as a:
        assert len(a) == 121
        assert {r["seed"] for r in a.rows()} == set(range(60)) | set(range(1000, 1060)) | {10**6}
        for i in (0, 59, 1000, 1059):
            assert a.get(_key(seed=i)).rank == i
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- damaged, newer or locked files: one warning, then compute -------------------------------------------


def _one_warning(fn):
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = [fn(), fn()]
    atlas_warnings = [w for w in seen if issubclass(w.category, A.AtlasWarning)]
    assert len(atlas_warnings) == 1, [str(w.message) for w in seen]
    return out, str(atlas_warnings[0].message)


def test_corrupted_file_warns_once_and_computes(tmp_path, counted):
    path = tmp_path / "bad.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    (a, b), message = _one_warning(lambda: separation_rank(**_sizes(TINY), domain="continuous", cache=path))
    assert a == b == separation_rank(**_sizes(TINY), domain="continuous")
    assert "not a usable atlas" in message and str(path) in message and "\n" not in message
    assert len(counted) == 2  # both calls through the atlas computed
    assert path.read_bytes().startswith(b"this is not")  # the file is left as it was


def test_newer_schema_warns_once_and_computes(tmp_path, counted):
    path = tmp_path / "new.sqlite"
    A.Atlas(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {A.SCHEMA_VERSION + 1}")
    con.close()
    (a, _), message = _one_warning(lambda: separation_rank(**_sizes(TINY), domain="continuous", cache=path))
    assert "newer" in message and a.rank == separation_rank(**_sizes(TINY), domain="continuous").rank
    assert len(counted) == 2


def test_locked_file_warns_once_and_computes(tmp_path, monkeypatch, counted):
    path = tmp_path / "locked.sqlite"
    A.Atlas(path).close()
    monkeypatch.setattr(_atlas_file, "_BUSY_MS", 50)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        (a, _), message = _one_warning(lambda: separation_rank(**_sizes(TINY), domain="continuous", cache=path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in message and a.status == "proven" and len(counted) == 2


# --- sweeps ---------------------------------------------------------------------------------------------------

CELLS = [
    A.CellSpec(M, R, L, T, d)
    for L in (1, 2)
    for M, R in ((2, 2), (2, 3))
    for T in (2, 4)
    for d in ("onehot", "continuous")
]


def test_resume_after_interrupt(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    calls = []
    real = A._work._compute

    def dies_on_the_fourth(M, R, L, T, **kw):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append((M, R, L, T, kw["domain"]))
        return real(M, R, L, T, **kw)

    monkeypatch.setattr(A._work, "_compute", dies_on_the_fourth)
    with pytest.raises(A.SweepInterrupted) as info:
        A.run_sweep(CELLS, cache=path, progress=False)
    assert len(calls) == 3 and len(A.Atlas(path)) == 3
    assert isinstance(info.value, KeyboardInterrupt) and (info.value.finished, info.value.total) == (3, len(CELLS))
    assert f"3 of {len(CELLS)} cells finished and kept in the atlas {path}" in str(info.value)
    monkeypatch.setattr(A._work, "_compute", lambda *a, **k: calls.append(a) or real(*a, **k))
    resumed = A.run_sweep(CELLS, cache=path, progress=False)
    assert len(calls) == len(CELLS)  # the rerun computed only the cells the first run had not finished
    fresh = A.run_sweep(CELLS, cache=None, progress=False)
    assert list(resumed) == CELLS and resumed == fresh


def test_frontier_skips_beyond_a_partial_cell(monkeypatch):
    real = A._work._compute
    seen = []

    def partial_at_4(M, R, L, T, **kw):
        seen.append(T)
        res = real(M, R, L, T, **kw)
        if T == 4:
            from dataclasses import replace

            res = replace(res, status="partial", failure_bound=None)
        return res

    monkeypatch.setattr(A._work, "_compute", partial_at_4)
    specs = [A.CellSpec(2, 2, 2, T, "continuous") for T in (2, 4, 6, 8)]
    got = []
    out = A.run_sweep(
        specs, cache=None, order="T", frontier=True, progress=False, on_result=lambda s, r, src: got.append((s.T, src))
    )
    assert seen == [2, 4] and [s.T for s in out] == [2, 4]
    assert got == [(2, "computed"), (4, "computed"), (6, "skipped"), (8, "skipped")]


def test_frontier_resumes_from_a_stored_partial_cell(tmp_path, monkeypatch):
    from dataclasses import replace

    path = tmp_path / "f.sqlite"
    real = A._work._compute

    def timed_out(M, R, L, T, **kw):
        res = real(M, R, L, T, **kw)
        return replace(res, status="partial", failure_bound=None, extra={**res.extra, "stopped": "timeout after 60 s"})

    monkeypatch.setattr(A._work, "_compute", timed_out)
    A.run_sweep([A.CellSpec(2, 2, 2, 4, "continuous")], cache=path, timeout=60.0, progress=False)
    seen = []
    monkeypatch.setattr(A._work, "_compute", lambda M, R, L, T, **kw: seen.append(T) or real(M, R, L, T, **kw))
    specs = [A.CellSpec(2, 2, 2, T, "continuous") for T in (2, 4, 6, 8)]
    out = A.run_sweep(specs, cache=path, timeout=60.0, order="T", frontier=True, progress=False)
    assert seen == [2] and [s.T for s in out] == [2, 4] and out[specs[1]].status == "partial"
    out = A.run_sweep(specs, cache=path, timeout=120.0, order="T", frontier=True, progress=False)
    assert seen == [2, 4, 6, 8]  # a longer timeout retries the partial cell, and the series goes on


def test_cost_order_runs_the_longest_cell_first(monkeypatch):
    order = []
    real = A._work._compute
    monkeypatch.setattr(A._work, "_compute", lambda M, R, L, T, **kw: order.append((L, T)) or real(M, R, L, T, **kw))
    specs = [A.CellSpec(2, 2, L, T, "continuous") for L, T in ((1, 2), (3, 6), (2, 4))]
    A.run_sweep(specs, cache=None, progress=False)
    costs = [A.sweep._cost(A.CellSpec(2, 2, L, T, "continuous")) for L, T in order]
    assert costs == sorted(costs, reverse=True) and order[0] == (3, 6)


def test_sweep_arguments_are_checked_before_work(counted):
    for kwargs, name in (({"jobs": 0}, "jobs"), ({"timeout": -1.0}, "timeout"), ({"order": "random"}, "order")):
        with pytest.raises(ArgumentError, match=name):
            A.run_sweep(CELLS, cache=None, progress=False, **kwargs)
    with pytest.raises(ArgumentError, match="T=5"):
        A.run_sweep([*CELLS, A.CellSpec(2, 2, 2, 5, "onehot")], cache=None, progress=False)
    assert counted == []


def test_parallel_equals_serial(tmp_path):
    args = {"L": [1, 2], "M": [2], "R": [2, 3], "T": [2, 4]}
    serial = rank_table(**args, progress=False, cache=None, min_cut=False)
    parallel = rank_table(**args, progress=False, cache=tmp_path / "j.sqlite", jobs=2, min_cut=False)
    assert parallel == serial and len(serial) == 16
    with A.Atlas(tmp_path / "j.sqlite") as a:
        assert len(a) == 16  # the parent stored what the workers computed


def test_dask_local_cluster_equals_serial(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    serial = A.run_sweep(CELLS, cache=None, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            remote = A.run_sweep(CELLS, cache=tmp_path / "d.sqlite", scheduler=client, progress=False)
    assert list(remote) == CELLS and remote == serial
    with A.Atlas(tmp_path / "d.sqlite") as a:
        assert len(a) == len(CELLS)


@pytest.mark.slow
def test_dask_worker_processes_equal_serial(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    serial = A.run_sweep(CELLS, cache=None, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        remote = A.run_sweep(CELLS, cache=tmp_path / "d.sqlite", scheduler=c.scheduler_address, progress=False)
    assert remote == serial


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals a process")
def test_dask_work_is_cancelled_when_the_client_is_killed(monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    ran = []

    def slow(M, R, L, T, **kw):  # the worker runs in this process: a stand-in cell of half a second
        ran.append(T)
        time.sleep(0.5)
        return _fake(2, "proven", M=M, R=R, L=L, T=T, domain=kw["domain"])

    monkeypatch.setattr(A._work, "_compute", slow)
    argv = ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2:24:2", "--domain", "onehot", "--no-cache"]
    code = "import sys\nfrom tnrnn.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv, "--scheduler", address, "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not ran:  # the client has submitted its twelve cells, and the first one runs
                assert proc.poll() is None, "the client ended before its cells ran"
                assert time.monotonic() < deadline, "no cell started within two minutes"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)  # the client goes away without a word
            proc.wait()
            deadline = time.monotonic() + 10
            while cluster.scheduler.tasks and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not cluster.scheduler.tasks  # every submitted cell released: none queued, none kept
            time.sleep(1.0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert 1 <= len(ran) < 12, ran  # the cells not yet started never ran


def test_scheduler_without_dask_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ArgumentError, match=r"tnrnn\[distributed\]"):
        A.run_sweep(CELLS, cache=None, scheduler="tcp://localhost:8786", progress=False)


BAD_SCHEDULERS = [
    "not a url",
    "tcp://head",
    "tcp://head:0",
    "tcp://head:65536",
    "tcp://head:port",
    "http://head:8786",
    "tcp://:8786",
    "tcp://[not-ipv6]:8786",
    "tcp://-head:8786",
    "",
]


@pytest.mark.parametrize("address", BAD_SCHEDULERS)
def test_bad_scheduler_addresses_exit_2_before_work(address, capsys, tmp_path, monkeypatch, counted):
    monkeypatch.chdir(tmp_path)
    argv = ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--atlas", str(tmp_path / "s.sqlite")]
    assert main([*argv, "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"scheduler={address!r}" in err and "HOST:PORT" in err, err
    assert counted == [] and os.listdir(tmp_path) == []  # no work, no atlas created
    with pytest.raises(ArgumentError, match="scheduler="):
        A.run_sweep(CELLS, cache=tmp_path / "s.sqlite", scheduler=address, progress=False)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "head:8786", "tls://[::1]:8786", "ws://node-3.local:1"])
def test_good_scheduler_addresses_pass_the_check(address):
    assert A.check_scheduler(address) == address


# --- merge ----------------------------------------------------------------------------------------------------


def _atlas_with(path, entries):
    a = A.Atlas(path)
    for over, res in entries:
        a.put(_key(**over), res)
    return a


def test_merge_rules(tmp_path):
    target = _atlas_with(
        tmp_path / "t.sqlite",
        [
            ({"seed": 1}, _fake(5, "lower-bound")),  # the source's proven result wins
            ({"seed": 2}, _fake(5, "lower-bound")),  # the higher certified lower bound wins
            ({"seed": 3}, _fake(7, "lower-bound")),  # a lower source bound is not taken
            ({"seed": 4}, _fake(6, "proven")),  # a proven rank stays above a lower source bound
            ({"seed": 5}, _fake(6, "proven")),  # two proven ranks that disagree: an error
            ({"seed": 6}, _fake(2, "partial")),  # a finished result replaces a partial one
            ({"seed": 8}, _fake(6, "proven")),  # a certified lower bound above a proven rank: an error
        ],
    )
    source = _atlas_with(
        tmp_path / "s.sqlite",
        [
            ({"seed": 1}, _fake(6, "proven")),
            ({"seed": 2}, _fake(7, "lower-bound")),
            ({"seed": 3}, _fake(6, "lower-bound")),
            ({"seed": 4}, _fake(5, "lower-bound")),
            ({"seed": 5}, _fake(8, "proven")),
            ({"seed": 6}, _fake(3, "lower-bound")),
            ({"seed": 7}, _fake(4, "lower-bound")),  # new key: added
            ({"seed": 8}, _fake(7, "lower-bound")),
        ],
    )
    res = A.merge_atlases(target, [source])
    got = {s: (target.get(_key(seed=s)).rank, target.get(_key(seed=s)).status) for s in range(1, 8)}
    assert got == {
        1: (6, "proven"),
        2: (7, "lower-bound"),
        3: (7, "lower-bound"),
        4: (6, "proven"),
        5: (6, "proven"),
        6: (3, "lower-bound"),
        7: (4, "lower-bound"),
    }
    assert (res["added"], res["replaced"], res["kept"]) == (1, 3, 2)
    assert target.get(_key(seed=8)).rank == 6
    assert len(res["errors"]) == 2 and "seed=5" in res["errors"][0] and "seed=8" in res["errors"][1]


def test_merge_cli_reports_disagreement_and_exits_nonzero(tmp_path, capsys):
    _atlas_with(tmp_path / "t.sqlite", [({}, _fake(6, "proven"))]).close()
    _atlas_with(tmp_path / "s.sqlite", [({}, _fake(8, "proven")), ({"seed": 9}, _fake(4))]).close()
    code = main(["atlas", "merge", str(tmp_path / "s.sqlite"), "--atlas", str(tmp_path / "t.sqlite"), "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "proven ranks disagree" in err and json.loads(out)["added"] == 1
    _atlas_with(tmp_path / "ok.sqlite", [({"seed": 10}, _fake(4))]).close()
    assert main(["atlas", "merge", str(tmp_path / "ok.sqlite"), "--atlas", str(tmp_path / "t.sqlite")]) == 0


def _snapshot(path) -> tuple:
    """The bytes and modification time of a file, and the names in its folder."""
    return path.read_bytes(), os.stat(path).st_mtime_ns, sorted(os.listdir(path.parent))


@pytest.mark.parametrize("open_elsewhere", [False, True])
def test_merge_leaves_its_sources_byte_identical(tmp_path, capsys, open_elsewhere):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    source = src_dir / "s.sqlite"
    a = _atlas_with(source, [({}, _fake(6, "proven")), ({"seed": 3}, _fake(4))])
    a.put_min_cut(A.min_cut_key(**_sizes(TINY), domain="onehot"), 16)
    a.close()
    old = src_dir / "v1.sqlite"  # a schema-1 atlas: read as it is, never upgraded
    _atlas_with(old, [({"seed": 5}, _fake(5))]).close()
    con = sqlite3.connect(old, isolation_level=None)
    con.execute("DROP TABLE min_cuts")
    con.execute("PRAGMA user_version = 1")
    con.close()
    reader = sqlite3.connect(source) if open_elsewhere else None  # a live connection: -wal and -shm exist
    if reader is not None:
        reader.execute("SELECT COUNT(*) FROM results").fetchone()
    try:
        before = [_snapshot(source), _snapshot(old)]
        time.sleep(0.01)  # a write would show in the modification time
        target = tmp_path / "t.sqlite"
        assert main(["atlas", "merge", str(source), str(old), "--atlas", str(target), "--json"]) == 0
        after = [_snapshot(source), _snapshot(old)]
    finally:
        if reader is not None:
            reader.close()
    assert after == before
    res = json.loads(capsys.readouterr().out)
    assert (res["added"], res["min_cuts_added"], res["skipped"]) == (3, 1, 0)
    with A.Atlas(target, readonly=True) as t:
        assert t.get(_key()) == _fake(6, "proven") and t.get(_key(seed=5)) == _fake(5)
    con = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()


def test_merge_skips_bad_source_rows_and_replaces_bad_target_rows(tmp_path):
    source = _atlas_with(tmp_path / "s.sqlite", [({}, _fake(6, "proven")), ({"seed": 2}, _fake(4))])
    target = _atlas_with(tmp_path / "t.sqlite", [({}, _fake(5))])
    for a, seed in ((source, 2), (target, 0)):
        con = sqlite3.connect(a.path, isolation_level=None)
        con.execute("UPDATE results SET result = '{\"rank\": 5}' WHERE seed = ?", (seed,))
        con.close()
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = A.merge_atlases(target, [A.Atlas(source.path, readonly=True)])
    assert (res["added"], res["replaced"], res["skipped"]) == (0, 1, 1)
    messages = [str(w.message) for w in seen if issubclass(w.category, A.AtlasWarning)]
    assert len(messages) == 1 and S._key_text(_key(seed=2)) in messages[0]
    assert target.get(_key()) == _fake(6, "proven") and target.get(_key(seed=2)) is None


def _foreign(path):
    """Another program's SQLite file (rollback journal, no atlas tables)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE people (name TEXT)")
    con.execute("INSERT INTO people VALUES ('ada')")
    con.close()


@pytest.mark.parametrize("kind", ["empty", "foreign", "not sqlite"])
def test_merge_refuses_an_empty_or_foreign_source_and_leaves_it_alone(tmp_path, capsys, kind):
    source = tmp_path / "s.db"
    if kind == "empty":
        source.write_bytes(b"")
    elif kind == "foreign":
        _foreign(source)
    else:
        source.write_bytes(b"a text file, not a database\n" * 40)
    before = _snapshot(source)
    target = tmp_path / "t.sqlite"
    assert main(["atlas", "merge", str(source), "--atlas", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"sources={str(source)!r}" in err, err
    assert _snapshot(source) == before and not target.exists()  # nothing touched, nothing created
    if kind == "foreign":
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        con.close()


def test_the_atlas_verbs_leave_another_programs_file_alone(tmp_path, capsys):
    path = tmp_path / "other.db"
    _foreign(path)
    before = _snapshot(path)
    for argv in (["atlas", "list"], ["atlas", "export", "--out", str(tmp_path / "x.csv")]):
        assert main([*argv, "--atlas", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not an atlas" in err, err
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        a = separation_rank(**_sizes(TINY), domain="continuous", cache=path)  # computed without it
    assert a.rank == separation_rank(**_sizes(TINY), domain="continuous").rank
    assert any("not an atlas" in str(w.message) for w in seen)
    assert _snapshot(path) == before and sorted(os.listdir(tmp_path)) == ["other.db"]


# --- the CLI --------------------------------------------------------------------------------------------------


def test_table_from_the_atlas_and_query_export(tmp_path, capsys):
    path = str(tmp_path / "cli.sqlite")
    argv = ["table", "--L", "1,2", "--M", "2", "--R", "2", "--T", "2,4", "--no-progress", "--atlas", path, "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)["rows"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == first
    assert {"status", "failure_bound", "primes", "engine"} <= set(first[0])
    assert (
        main(["atlas", "query", "--atlas", path, "--L", "2", "--domain", "continuous", "--status", "proven", "--json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {(r["L"], r["T"], r["domain"]) for r in rows} == {(2, 2, "continuous"), (2, 4, "continuous")}
    ours = {(r["L"], r["T"]): r["rank"] for r in first if r["domain"] == "continuous" and r["L"] == 2}
    assert {(r["L"], r["T"]): r["rank"] for r in rows} == ours
    out = tmp_path / "x.csv"
    assert main(["atlas", "export", "--atlas", path, "--out", str(out)]) == 0
    capsys.readouterr()
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == list(A.EXPORT_COLUMNS) and len(lines) == 1 + len(first)
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]  # the temporary file was renamed into place


def test_rank_cli_uses_the_atlas_and_no_cache_bypasses_it(tmp_path, capsys, counted):
    path = str(tmp_path / "rank.sqlite")
    argv = ["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--json", "--atlas", path]
    assert main(argv) == 0 and main(argv) == 0
    assert len(counted) == 1
    outs = capsys.readouterr().out.splitlines()
    assert main([*argv, "--no-cache"]) == 0  # the engine alone: the atlas module is not called
    fresh = capsys.readouterr().out
    assert len(counted) == 1 and len(A.Atlas(path)) == 1
    assert json.loads(fresh)["rank"] == json.loads(outs[0])["rank"] == json.loads(outs[1])["rank"]


def test_conjecture_and_attained_marks():
    recs = A.export_rows(
        [
            _row_for(_fake(9, "proven", M=3, R=3, L=3, T=4, domain="onehot")),
            _row_for(_fake(30, "proven", M=3, R=3, L=3, T=4)),
            _row_for(_fake(9, "lower-bound", M=3, R=3, L=3, T=4)),
        ]
    )
    from tnrnn.bounds import conjectured_lower_bound, proven_upper_bounds

    conj = conjectured_lower_bound(3, 3, 3, 4)
    assert [r["conjecture"] for r in recs] == [conj] * 3
    assert [r["conjecture_holds"] for r in recs] == [
        "no" if 9 < conj else "yes",
        "yes" if 30 >= conj else "no",
        "no?" if 9 < conj else "yes",
    ]
    ups = proven_upper_bounds(3, 3, 3, 4, domain="onehot")
    assert recs[0]["best_upper"] == min(ups.values())
    assert ("alphabet_upper" in (recs[0]["attained"] or "")) == (ups["alphabet_upper"] == 9)


def _row_for(res):
    with _MemAtlas() as a:
        a.put(A.make_key(res.M, res.R, res.L, res.T, domain=res.domain), res)
        return a.rows()[0]


class _MemAtlas(A.Atlas):
    def __init__(self):
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        super().__init__(os.path.join(self._dir.name, "m.sqlite"))

    def close(self):
        super().close()
        self._dir.cleanup()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["atlas", "query", "--status", "exact"], "status='exact'"),
        (["atlas", "query", "--domain", "real"], "domain='real'"),
        (["atlas", "query", "--M", "0"], "M=0"),
        (["atlas", "query", "--format", "xml"], "format='xml'"),
        (["atlas", "query", "--partition", "halves"], "partition='halves'"),
        (["atlas", "list", "--atlas", "/nonexistent/dir/a.sqlite"], "atlas='/nonexistent/dir/a.sqlite'"),
        (["atlas", "export", "--out", "x.xml"], "out='x.xml'"),
        (["atlas", "export", "--out", "/nonexistent/dir/x.csv"], "out="),
        (["atlas", "merge", "/nonexistent.sqlite"], "sources='/nonexistent.sqlite'"),
        (["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--jobs", "0"], "jobs=0"),
        (["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--timeout", "-3"], "timeout=-3"),
        (["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--order", "fast"], "order='fast'"),
    ],
)
def test_bad_arguments_exit_2_in_one_line(argv, needle, capsys, tmp_path, monkeypatch, counted):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert counted == [] and os.listdir(tmp_path) == []


def test_corrupted_atlas_is_an_argument_error_for_the_atlas_verb(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 50)
    assert main(["atlas", "list", "--atlas", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "usable atlas" in err


# --- figures read the frontier export (or the atlas) instead of recomputing ----------------------------------


def _export_dir(tmp_path, specs):
    path = tmp_path / "fig.sqlite"
    A.run_sweep(specs, cache=path, progress=False)
    results = tmp_path / "results"
    results.mkdir()
    A.export_atlas(str(path), str(results / "atlas.csv"), {})
    return results


def test_figures_take_ranks_from_the_export(tmp_path, monkeypatch):
    from tnrnn import figures

    specs = [A.CellSpec(2, 2, 2, T, d) for T in (2, 4) for d in ("onehot", "continuous")]
    truth = {  # keyed as `tnrnn.plots.measured_ranks` keys its cache: (M, R, L, domain, T, seed)
        (s.M, s.R, s.L, s.domain, s.T, 0): r.rank for s, r in A.run_sweep(specs, cache=None, progress=False).items()
    }
    results = _export_dir(tmp_path, specs)
    monkeypatch.setattr(A._work, "_compute", lambda *a, **k: pytest.fail("recomputed a rank the export holds"))
    context = {"results_dir": str(results), "cache": None}
    figures._prefill_ranks(context, 2, 2, [(2, d, T) for T in (2, 4) for d in ("onehot", "continuous")])
    assert context["ranks"] == truth


def test_figures_without_export_use_the_atlas_or_leave_it_to_the_plots(tmp_path, counted):
    from tnrnn import figures

    context = {"results_dir": str(tmp_path / "none"), "cache": None}
    figures._prefill_ranks(context, 2, 2, [(2, "continuous", 4)])
    assert context["ranks"] == {} and counted == []  # a fresh clone without an atlas: the plots compute as before
    context = {"results_dir": str(tmp_path / "none"), "cache": str(tmp_path / "f.sqlite")}
    figures._prefill_ranks(context, 2, 2, [(2, "continuous", 4)])
    assert context["ranks"] == {(2, 2, 2, "continuous", 4, 0): separation_rank(2, 2, 2, 4, domain="continuous").rank}
    assert len(counted) == 1 and len(A.Atlas(tmp_path / "f.sqlite")) == 1


def test_frontier_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from tnrnn.figures import FigureUnavailable, fig_rank_frontier

    with pytest.raises(FigureUnavailable, match="atlas.csv"):
        fig_rank_frontier(str(tmp_path / "out"), results_dir=str(tmp_path / "none"), cache=None)
    results = _export_dir(tmp_path, [A.CellSpec(2, 2, L, T, "onehot") for L in (1, 3) for T in (2, 4)])
    paths = fig_rank_frontier(str(tmp_path / "out"), results_dir=str(results), cache=None)
    assert [os.path.basename(p) for p in paths] == ["fig_rank_frontier.png", "fig_rank_frontier.pdf"]
    assert all(os.path.getsize(p) > 1000 for p in paths)


# --- the cached command line: cheap hits, min-cut bounds, --rigorous, Ctrl-C ---------------------------------

#: modules that a table served from the atlas must not import
HEAVY = ("jax", "numpy", "tensornetwork", "flint", "networkx", "scipy", "matplotlib")
SMALL = ["--L", "1,2", "--M", "2", "--R", "2", "--T", "2,4"]


def _in_subprocess(code: str, *args, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, **kw
    )


def test_key_defaults_and_choices_match_the_engine():
    from tnrnn.rank import engine

    assert A.KEY_DEFAULTS == A.key_defaults()  # the signature takes its defaults from the key's module
    assert S._METHODS is engine.METHODS  # one definition


def test_table_from_the_atlas_imports_no_heavy_module(tmp_path, capsys):
    path = str(tmp_path / "light.sqlite")
    argv = ["table", *SMALL, "--no-progress", "--atlas", path, "--json"]
    assert main(argv) == 0  # computed here (this process has JAX already)
    computed = json.loads(capsys.readouterr().out)["rows"]
    code = (
        "import json, sys\nfrom tnrnn.cli import main\nrc = main(sys.argv[1:])\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
        "sys.exit(rc)"
    )
    out = _in_subprocess(code, *argv)
    assert out.returncode == 0, out.stderr
    table, heavy = out.stdout.strip().rsplit("\n", 1)
    assert json.loads(heavy) == []
    assert json.loads(table)["rows"] == computed and all(r["min_cut"] is not None for r in computed)


def test_rank_from_the_atlas_loads_no_jax(tmp_path, capsys):
    path = str(tmp_path / "rank-light.sqlite")
    argv = ["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "6", "--atlas", path, "--json"]
    assert main(argv) == 0  # computed here
    computed = json.loads(capsys.readouterr().out)
    code = (
        "import json, sys\nfrom tnrnn.cli import main\nrc = main(sys.argv[1:])\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'jaxlib', 'matplotlib'})))\n"
        "sys.exit(rc)"
    )
    out = _in_subprocess(code, *argv)
    assert out.returncode == 0, out.stderr
    result, heavy = out.stdout.strip().rsplit("\n", 1)
    assert json.loads(heavy) == []
    assert json.loads(result) == computed


@pytest.mark.parametrize(
    "argv",
    [
        ["table", *SMALL, "--jobs", "2", "--rigorous"],
        ["atlas", "query", "--L", "2"],
        ["linear", "lag-weights", "--rho2", "0.5"],
    ],
)
def test_the_parser_of_one_verb_parses_as_the_whole_one(argv):
    from tnrnn.cli import build_parser

    one, whole = build_parser(argv[0]), build_parser()
    assert len(one._subparsers._group_actions[0].choices) == 1  # only the verb named: a quicker start-up
    assert vars(one.parse_args(argv)).keys() == vars(whole.parse_args(argv)).keys()
    assert {k: v for k, v in vars(one.parse_args(argv)).items() if not callable(v)} == {
        k: v for k, v in vars(whole.parse_args(argv)).items() if not callable(v)
    }
    assert (
        build_parser("nonsense")._subparsers._group_actions[0].choices.keys()
        == whole._subparsers._group_actions[0].choices.keys()
    )


def test_min_cut_bounds_are_stored_and_reused(tmp_path, monkeypatch):
    from tnrnn.cuts import start_end_min_cut

    calls = []
    real = A.cache._compute_min_cut
    monkeypatch.setattr(A.cache, "_compute_min_cut", lambda *a, **k: calls.append(a) or real(*a, **k))
    path = tmp_path / "cuts.sqlite"
    args = {"L": [1, 2], "M": [2], "R": [2, 3], "T": [2, 4]}
    first = rank_table(**args, progress=False, cache=path)
    assert len(calls) == len(first) == 16
    again = rank_table(**args, progress=False, cache=path)
    assert again == first and len(calls) == 16  # the second table computed no min-cut
    for r in first:
        assert r["min_cut"] == start_end_min_cut(r["M"], r["R"], r["L"], r["T"], domain=r["domain"]).bound
    rank_table(**args, progress=False, cache=None)  # no atlas: computed again
    assert len(calls) == 32


def test_min_cut_bounds_of_another_cell_are_stored_too(tmp_path, monkeypatch):
    from tnrnn.cuts import start_end_min_cut

    calls = []
    real = A.cache._compute_min_cut
    monkeypatch.setattr(A.cache, "_compute_min_cut", lambda *a, **k: calls.append(k["cell"]) or real(*a, **k))
    path = tmp_path / "cuts.sqlite"
    first = rank_table(M=[2], R=[2], L=[1, 2], T=[2, 4], domains=("continuous",), progress=False, cache=path, cell="mi")
    assert calls == ["mi"] * 4
    again = rank_table(M=[2], R=[2], L=[1, 2], T=[2, 4], domains=("continuous",), progress=False, cache=path, cell="mi")
    assert [r["min_cut"] for r in again] == [r["min_cut"] for r in first] and len(calls) == 4
    for r in first:
        assert r["min_cut"] == start_end_min_cut(r["M"], r["R"], r["L"], r["T"], domain="continuous", cell="mi").bound
    lin = rank_table(M=[2], R=[2], L=[1], T=[2], domains=("continuous",), progress=False, cache=path, cell="linear")
    assert lin[0]["min_cut"] is None  # no tensor network: no bound, nothing stored


@pytest.mark.parametrize(
    ("field", "value"),
    [("M", 3), ("R", 3), ("L", 1), ("T", 6), ("domain", "onehot"), ("partition", "1,3;2,4"), ("cell", "mi")],
)
def test_changing_any_min_cut_key_input_misses(atlas, field, value):
    base = {"M": 2, "R": 2, "L": 2, "T": 4, "domain": "continuous", "partition": "start-end", "cell": "rac"}
    key = A.min_cut_key(**base)
    atlas.put_min_cut(key, 7)
    assert atlas.get_min_cut(key) == 7
    assert atlas.get_min_cut(A.min_cut_key(**{**base, field: value})) is None


def test_min_cut_version_is_part_of_the_key(atlas, monkeypatch):
    key = A.min_cut_key(2, 2, 2, 4, domain="continuous")
    atlas.put_min_cut(key, 7)
    monkeypatch.setattr(_keys, "CUT_VERSION", S.CUT_VERSION + 1)
    assert atlas.get_min_cut(A.min_cut_key(2, 2, 2, 4, domain="continuous")) is None


def test_a_schema_1_atlas_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    with A.Atlas(path) as a:
        a.put(_key(), _fake(5))
    con = sqlite3.connect(path)  # the layout of schema 1: no min_cuts table
    con.execute("DROP TABLE min_cuts")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with A.Atlas(path) as a:
        assert a.get(_key()) == _fake(5)
        key = A.min_cut_key(2, 2, 2, 4, domain="continuous")
        a.put_min_cut(key, 11)
        assert a.get_min_cut(key) == 11
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == A.SCHEMA_VERSION == 2
    con.close()


def test_merge_copies_min_cuts_and_reports_different_ones(tmp_path):
    key = A.min_cut_key(2, 2, 2, 4, domain="continuous")
    other = A.min_cut_key(2, 2, 2, 6, domain="continuous")
    with A.Atlas(tmp_path / "t.sqlite") as t, A.Atlas(tmp_path / "s.sqlite") as s:
        t.put_min_cut(key, 8)
        s.put_min_cut(key, 9)
        s.put_min_cut(other, 16)
        out = A.merge_atlases(t, [s])
        assert out["min_cuts_added"] == 1 and t.get_min_cut(other) == 16
        assert t.get_min_cut(key) == 8 and len(out["errors"]) == 1 and "min-cut" in out["errors"][0]


def test_table_rigorous_is_part_of_the_key(tmp_path, capsys, counted):
    path = str(tmp_path / "rig.sqlite")
    argv = [
        "table",
        "--L",
        "2",
        "--M",
        "2",
        "--R",
        "2",
        "--T",
        "4",
        "--domain",
        "continuous",
        "--no-progress",
        "--atlas",
        path,
        "--json",
    ]
    assert main([*argv, "--rigorous"]) == 0
    rigorous = json.loads(capsys.readouterr().out)["rows"]
    assert main(argv) == 0  # the default (certified) confidence is another key: computed again
    standard = json.loads(capsys.readouterr().out)["rows"]
    assert len(counted) == 2
    assert main([*argv, "--rigorous"]) == 0 and len(counted) == 2  # and the rigorous one is a hit
    assert json.loads(capsys.readouterr().out)["rows"] == rigorous
    with A.Atlas(path) as a:
        assert sorted(r["confidence"] for r in a.rows()) == ["certified", "rigorous"]
    assert min(rigorous[0]["primes"]) > max(standard[0]["primes"])  # word-size primes, not the float64 ones
    assert rigorous[0]["rank"] == standard[0]["rank"]


class _InterruptAfterCommit:
    """A connection whose COMMIT succeeds and is followed at once by an interrupt (Ctrl-C at the worst moment)."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        cur = self.con.execute(sql, *args)
        if sql == "COMMIT":
            raise KeyboardInterrupt
        return cur

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_an_interrupt_right_after_a_commit_stays_an_interrupt(atlas):
    atlas._con = _InterruptAfterCommit(atlas._con)
    with pytest.raises(KeyboardInterrupt):  # not an AtlasUnavailable from a ROLLBACK outside any transaction
        atlas.put(_key(), _fake(5))
    assert atlas.get(_key()) == _fake(5)  # and the row is stored


def _session_processes(sid: int) -> list[int]:
    """The live processes of session ``sid`` (Linux ``/proc``)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == sid:
                out.append(int(name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; signals a process group")
def test_ctrl_c_during_a_parallel_table_keeps_finished_cells(tmp_path, monkeypatch):
    path = tmp_path / "int.sqlite"
    # T=2 is done in a moment, T=10 (continuous, N = 8568) takes many seconds: Ctrl-C comes while it runs (one-hot
    # cells no longer take long: a sample of the grid reaches their cap)
    argv = [
        "table",
        "--L",
        "3",
        "--M",
        "3",
        "--R",
        "3",
        "--T",
        "2,10",
        "--domain",
        "continuous",
        "--order",
        "T",
        "--no-progress",
        "--atlas",
        str(path),
    ]
    code = "import sys\nfrom tnrnn.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    with sigint_as_in_a_terminal():
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv, "--jobs", "2"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while _stored(path) < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no cell was stored within two minutes"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    kept = _stored(path)
    assert f"{kept} of 2 cells finished and kept in the atlas" in err and kept == 1, err
    deadline = time.monotonic() + 20
    while _session_processes(proc.pid) and time.monotonic() < deadline:  # the workers were stopped
        time.sleep(0.1)
    assert _session_processes(proc.pid) == []
    with A.Atlas(path) as a:
        before = a.rows()
    missing = [(3, 3, 3, T, "continuous") for T in (2, 10) if T != before[0]["T"]]
    asked = []  # the rerun resumes: only the unfinished cell is asked for (a stand-in result saves computing it)
    monkeypatch.setattr(
        A._work,
        "_compute",
        lambda M, R, L, T, **kw: (
            asked.append((M, R, L, T, kw["domain"])) or _fake(5, "proven", M=M, R=R, L=L, T=T, domain=kw["domain"])
        ),
    )
    assert main([*argv, "--jobs", "1"]) == 0
    assert asked == missing
    with A.Atlas(path) as a:
        assert len(a) == 2 and before[0] in a.rows()  # the kept row is as it was


def _stored(path) -> int:
    if not os.path.exists(path):
        return 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # not created yet
        return 0


def _spawned_workers(sid: int) -> list[int]:
    """The live pool workers (spawned by `multiprocessing`) of session ``sid``."""
    out = []
    for pid in _session_processes(sid):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"multiprocessing.spawn" in fh.read():
                    out.append(pid)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_a_parallel_table_leaves_no_process_behind(tmp_path):
    # as the kernel's OOM killer would: SIGKILL of the parent alone, while its workers run; the sweep runs in a
    # session of its own, so that every process it started (workers, resource tracker) can be found
    argv = ["table", "--L", "2", "--M", "3", "--R", "3", "--T", "10,12", "--domain", "onehot", "--jobs", "2"]
    argv += ["--no-progress", "--atlas", str(tmp_path / "k.sqlite")]
    code = "import sys\nfrom tnrnn.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_spawned_workers(proc.pid)) < 2:
            assert proc.poll() is None, "the table ended before its workers started"
            assert time.monotonic() < deadline, "no two workers within two minutes"
            time.sleep(0.05)
        time.sleep(1.0)  # the workers import the engine and start their cells
        assert len(_spawned_workers(proc.pid)) == 2
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _session_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _session_processes(proc.pid)
        assert left == [], [open(f"/proc/{p}/cmdline", "rb").read() for p in left]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_rank_table_takes_the_sizes_by_name_and_the_old_order_with_a_warning():
    from tnrnn.table import rank_table

    new = rank_table(M=[2], R=[2], L=[1], T=[2, 4], domains=("onehot",), progress=False, cache=None, min_cut=False)
    with pytest.warns(DeprecationWarning, match=r"rank_table\(Ls, Ms, Rs, Ts\)"):
        old = rank_table([1], [2], [2], [2, 4], domains=("onehot",), progress=False, cache=None, min_cut=False)
    assert [(r["L"], r["M"], r["R"], r["T"], r["rank"]) for r in new] == [
        (r["L"], r["M"], r["R"], r["T"], r["rank"]) for r in old
    ]
    with pytest.raises(ArgumentError, match="^T=None"):
        rank_table(M=[2], R=[2], L=[1], progress=False)
