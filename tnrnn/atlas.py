r"""The rank atlas: a persistent store of certified separation ranks, and sweeps that fill it (local or on Dask).

Exact ranks are expensive and are asked for again and again. The atlas is one SQLite file holding every
`tnrnn.rank.RankResult` computed so far, keyed by every input that determines it; `separation_rank(..., cache=...)`,
``tnrnn rank``, ``tnrnn table`` and ``tnrnn figures`` look a result up before computing it and store what they
compute. ``tnrnn atlas`` lists, queries, exports and merges atlases.

The file itself, its keys and where it lives are described in `tnrnn.rank.store` (every name of which this module
re-exports: `Atlas`, `make_key`, `open_atlas`, ...). This module adds the sweeps, merging, export and the command
line's operations.

Sweeps
------
`run_sweep` computes a list of cells: first from the atlas, then the rest serially, in ``jobs`` local worker
processes (spawned, each limited to ``cores // jobs`` BLAS/XLA threads so that the workers do not oversubscribe the
machine), or on a Dask cluster (``scheduler=ADDRESS``). Cells run longest first by the cost model of
`tnrnn.rank.plan` (or in increasing ``T`` with ``order="T"``); each finished cell is stored at once, so an
interrupted sweep keeps what it finished and a rerun resumes (an interrupt raises `SweepInterrupted`, which says how
many cells were kept; worker processes ignore SIGINT and are stopped by the parent, and they end with the parent
whatever kills it, SIGKILL included, so that no worker outlives a sweep). A per-cell ``timeout`` records
partial results as such; ``frontier=True`` skips the larger ``T`` of a series once one of its cells was partial or
refused. Workers also take the parent's ``JAX_ENABLE_X64`` and JAX compilation-cache settings from its environment
(``tnrnn table`` sets them), so that a kernel compiled by one worker is loaded by the other.

Running a sweep on a cluster
----------------------------
Install ``tnrnn[distributed]`` (the same version) on the scheduler, the workers and the submitting machine. Start
one single-threaded worker per core, so that the workers do not oversubscribe the cores::

    dask scheduler --port 8786                                          # on the head node
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
      XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
      dask worker tcp://HEAD:8786 --nworkers auto --nthreads 1          # on each compute node
    tnrnn table --L 1,2,3,4 --M 2,3,4 --R 2,3,4 --T 2,4,6,8 --scheduler tcp://HEAD:8786 --timeout 600

(on a batch system, ``dask_jobqueue.SLURMCluster(...).scheduler_address`` gives the address). The cells the local
atlas already holds are not sent; results come back to the submitting process, which stores them in its atlas.
When that process goes away, however it ends (SIGKILL included), the scheduler releases its cells: those not
started never run, and a running one finishes (within ``--timeout``) with its result dropped. The address is checked
before any work (`check_scheduler`).
Atlases made on several machines are combined with ``tnrnn atlas merge``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tnrnn._progress import progress_bar, show_progress
from tnrnn._types import ArgumentError, check_choice, check_positive_int, parse_partition
from tnrnn.rank.store import (
    _STATUS_ORDER,
    CUT_VERSION,
    ENGINE_VERSION,
    KEY_DEFAULTS,
    KEY_FIELDS,
    MIN_CUT_FIELDS,
    OPTIONAL_KEYS,
    SCHEMA_VERSION,
    Atlas,
    AtlasUnavailable,
    AtlasWarning,
    _check_bound,
    _insert,
    _row_ok,
    _warn,
    cached_call,
    default_atlas_path,
    make_key,
    min_cut_key,
    open_atlas,
    result_from_dict,
)

__all__ = [
    "Atlas",
    "AtlasWarning",
    "AtlasUnavailable",
    "CellSpec",
    "ENGINE_VERSION",
    "SCHEMA_VERSION",
    "KEY_FIELDS",
    "OPTIONAL_KEYS",
    "key_defaults",
    "EXPORT_COLUMNS",
    "cached_separation_rank",
    "cached_min_cut",
    "cached_min_cut_or_reason",
    "cached_bounds_with_min_cuts",
    "min_cut_key",
    "CUT_VERSION",
    "KEY_DEFAULTS",
    "MIN_CUT_FIELDS",
    "SweepInterrupted",
    "default_atlas_path",
    "open_atlas",
    "make_key",
    "result_from_dict",
    "run_sweep",
    "check_scheduler",
    "merge_atlases",
    "export_rows",
    "AtlasRecords",
    "query_atlas",
    "AtlasQuery",
    "format_rows",
    "write_atomic",
]


# --- keys -----------------------------------------------------------------------------------------------------


def key_defaults() -> dict:
    """The defaults of `separation_rank` for the optional key inputs, read from its signature (they cannot drift)."""
    import inspect

    from tnrnn.rank.engine import separation_rank

    params = inspect.signature(separation_rank).parameters
    return {k: params[k].default for k in OPTIONAL_KEYS}


# --- cached_separation_rank -----------------------------------------------------------------------------------


def _compute(M, R, L, T, **kwargs):
    """One call of the engine without the atlas (`tnrnn.rank.engine._compute`; a sweep's unit of work)."""
    from tnrnn.rank import engine

    return engine._compute(M, R, L, T, **kwargs)


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


# --- sweeps ---------------------------------------------------------------------------------------------------


class SweepInterrupted(KeyboardInterrupt):
    """An interrupt (SIGINT) of `run_sweep`.

    ``finished`` of ``total`` cells are kept in the atlas at ``path`` (``None``: no atlas, nothing kept); running cells
    are lost and their workers stopped. A rerun resumes.
    """

    def __init__(self, finished: int, total: int, path: str | None):
        super().__init__(finished, total, path)
        self.finished, self.total, self.path = finished, total, path

    def __str__(self) -> str:
        if self.path is None:
            return f"{self.finished} of {self.total} cells were finished; none kept (no atlas)"
        return (
            f"{self.finished} of {self.total} cells finished and kept in the atlas {self.path}; "
            "run the same command again to resume"
        )


@dataclass(frozen=True)
class CellSpec:
    """One cell of a sweep: sizes, domain and the other `separation_rank` inputs (seed, n_seeds, ...)."""

    M: int
    R: int
    L: int
    T: int
    domain: str
    options: tuple = ()  # sorted (name, value) pairs of the other key inputs

    @property
    def kwargs(self) -> dict:
        return {"domain": self.domain, **dict(self.options)}

    def plan(self) -> dict:
        """`tnrnn.rank.plan` of this cell: sizes, memory and time estimates (raises `MemoryRefusal` if too large)."""
        from tnrnn.rank.engine import plan

        kw = self.kwargs
        return plan(
            self.M,
            self.R,
            self.L,
            self.T,
            domain=self.domain,
            partition=kw.get("partition", "start-end"),
            cell=kw.get("cell", "rac"),
            max_N=kw.get("max_N"),
            min_cut=False,  # the cost model: the closed forms suffice (a min-cut only lowers the cap)
        )

    @property
    def series(self) -> tuple:
        """The cells that differ only in T (for ``frontier=True``)."""
        return (self.M, self.R, self.L, self.domain, self.options)

    def key(self) -> dict:
        return make_key(self.M, self.R, self.L, self.T, **self.kwargs)

    def label(self) -> str:
        return f"L={self.L} M={self.M} R={self.R} T={self.T} {self.domain}"


#: JAX settings that a worker takes from its parent's environment (x64, the persistent compilation cache)
_JAX_ENV = ("JAX_ENABLE_X64", "JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS")


def _threads_env(threads: int) -> dict:
    """The environment of a worker: ``threads`` BLAS/OpenMP/XLA threads, and the parent's JAX settings."""
    t = str(max(1, int(threads)))
    env = {
        "OMP_NUM_THREADS": t,
        "OPENBLAS_NUM_THREADS": t,
        "MKL_NUM_THREADS": t,
        "VECLIB_MAXIMUM_THREADS": t,
        "NUMEXPR_NUM_THREADS": t,
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=" + t,
    }
    env.update({k: os.environ[k] for k in _JAX_ENV if os.environ.get(k)})
    return env


def _worker_init(env: dict, parent: int | None = None) -> None:
    """Worker initializer: thread limits first (before numpy/jax start their thread pools), then the parent watch.

    SIGINT is left to the parent, which stops the workers (so that Ctrl-C prints no traceback per worker). The
    worker dies with ``parent`` (the sweep's process), whatever kills it: see `_die_with_parent`.
    """
    import signal

    os.environ.update(env)
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        _die_with_parent(parent)


#: seconds between two looks of a worker at its parent (where the kernel cannot tell it at once)
_PARENT_POLL = 0.5


def _die_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` (its parent process) is gone, whatever killed it (SIGKILL included).

    On Linux the kernel sends SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``), even while this process
    runs C code that holds the GIL; everywhere a daemon thread also looks every `_PARENT_POLL` seconds whether the
    process was handed to another parent, and exits. The parent must be the process that started this one (the
    pool's workers are spawned by the sweep itself, not by a fork server that would outlive it).
    """
    import threading

    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the watch was set
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="tnrnn-parent-watch", daemon=True).start()


def _compute_cell(M, R, L, T, kwargs, timeout):
    """Worker entry point (local pool or Dask): one cell computed by the engine, no atlas (the parent stores it)."""
    t0 = time.perf_counter()
    try:
        res = _compute(M, R, L, T, timeout=timeout, **kwargs)
    except ArgumentError as exc:  # a memory refusal: the frontier of this series
        return ("refused", str(exc), time.perf_counter() - t0)
    return ("ok", res, time.perf_counter() - t0)


@contextlib.contextmanager
def _environ(env: dict):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cost(spec: CellSpec) -> float | None:
    """Estimated seconds (`tnrnn.rank.plan`), or None when the cell would be refused for memory."""
    from tnrnn._types import MemoryRefusal

    try:
        info = spec.plan()
    except MemoryRefusal:
        return None
    return max(float(info["estimate_seconds"]), 1e-12)


ORDERS = ("cost", "T")


def run_sweep(
    specs: Sequence[CellSpec],
    *,
    cache=True,
    jobs: int = 1,
    timeout: float | None = None,
    scheduler=None,
    order: str = "cost",
    frontier: bool = False,
    progress: bool | None = None,
    on_result=None,
) -> dict:
    """Compute every cell of ``specs``: from the atlas where it holds them, the rest serially, in parallel or on Dask.

    Parameters
    ----------
    specs : sequence of CellSpec
        The cells (validated before any work: a bad size raises `ArgumentError` at once).
    cache : None, True, path or Atlas
        The atlas to read and to store every finished cell in (None: none; an interrupted sweep then keeps nothing).
    jobs : int
        Local worker processes (1: in this process). Each worker gets ``cores // jobs`` BLAS and XLA threads.
    timeout : float, optional
        Seconds per cell; a cell that runs out is recorded with ``status="partial"``.
    scheduler : str or dask.distributed.Client, optional
        Address of a Dask scheduler (needs the ``distributed`` extra); overrides ``jobs``.
    order : {"cost", "T"}
        Longest cells first by the cost model of the cap (`tnrnn.rank.plan`), or increasing ``T`` (useful
        whenever the sweep stops).
    frontier : bool
        Skip the larger ``T`` of a series (same cell, M, R, L, domain) once one of its cells is partial or would be
        refused for memory (the extent of what can be computed within ``timeout``).
    progress : bool or None
        A tqdm bar on stderr, weighted by the estimated cost of each cell (so its ETA is in seconds of work); None
        (default): only when stderr is a terminal or a notebook.
    on_result : callable, optional
        Called as ``on_result(spec, result_or_None, source)`` with source ``"atlas"``, ``"computed"``,
        ``"refused"`` or ``"skipped"``.

    Returns
    -------
    dict
        ``spec -> RankResult`` (cells refused or skipped are absent), in the order of ``specs``.

    Raises
    ------
    SweepInterrupted
        On an interrupt (a `KeyboardInterrupt`): the workers are stopped and the exception says how many cells
        were finished and kept in the atlas (every finished cell is stored as it finishes).

    Notes
    -----
    When the atlas holds every cell, nothing but the atlas is read: no cost model, no engine, no numpy or JAX.
    """
    jobs = check_positive_int("jobs", jobs)
    if scheduler is None:  # local worker processes: each must fit in memory
        from tnrnn.sizes import refuse_workers

        refuse_workers("jobs", jobs, jobs)
    order = check_choice("order", order, ORDERS)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf
    ):
        raise ArgumentError("timeout", timeout, "a finite number of seconds > 0, or None")
    for s in specs:  # validate every cell before any work
        s.key()
    client = _dask_client(scheduler) if scheduler is not None else None
    atlas = open_atlas(cache)
    notify = on_result or (lambda *a: None)
    done: dict = {}
    todo = []
    # series -> smallest T that was partial or refused (frontier mode: larger T are skipped)
    blocked: dict = {}
    read = atlas is not None
    for s in specs:
        hit = None
        if read:
            try:
                hit = atlas.get(s.key(), timeout=timeout)
            except AtlasUnavailable as exc:  # no more reads; results are still stored (or queued) if it allows
                _warn(str(exc))
                read = False
        if hit is not None:
            done[s] = hit
            notify(s, hit, "atlas")
            if hit.status == "partial":  # a stored partial cell (same or longer timeout) is a frontier too
                blocked[s.series] = min(blocked.get(s.series, s.T), s.T)
        else:
            todo.append(s)
    costs = {s: _cost(s) for s in todo}  # the cost model imports the engine: only for cells to compute
    for s in todo:
        if costs[s] is None:  # refused for memory, before any work
            if not frontier:
                _raise_refusal(s)
            blocked[s.series] = min(blocked.get(s.series, s.T), s.T)
    if order == "cost":
        todo.sort(key=lambda s: -(costs[s] or 0.0))
    else:
        todo.sort(key=lambda s: (s.T, costs[s] or 0.0))
    bar = _CostBar(sum(c or 0.0 for c in costs.values()), len(done), len(specs), progress)

    def runnable(s) -> bool:
        """False (and reported) for a refused cell, or a cell beyond its series' frontier."""
        if costs[s] is None:
            bar.advance(0.0, s)
            notify(s, None, "refused")
            return False
        if frontier and s.T > blocked.get(s.series, math.inf):
            bar.advance(costs[s], s)
            notify(s, None, "skipped")
            return False
        return True

    def finish(s, outcome):
        kind, value, _secs = outcome
        bar.advance(costs[s], s)
        if kind == "refused" or value.status == "partial":
            blocked[s.series] = min(blocked.get(s.series, s.T), s.T)
        if kind == "refused":
            notify(s, None, "refused")
            return
        done[s] = value
        if atlas is not None:
            try:
                atlas.put(s.key(), value, timeout=timeout)
            except AtlasUnavailable as exc:
                _warn(str(exc))
        notify(s, value, "computed")

    try:
        if client is not None:
            _run_dask(client, todo, timeout, runnable, finish)
        elif jobs == 1:
            for s in todo:
                if runnable(s):
                    finish(s, _compute_cell(s.M, s.R, s.L, s.T, s.kwargs, timeout))
        else:
            _run_pool(todo, jobs, timeout, runnable, finish)
    except KeyboardInterrupt:
        if atlas is None:
            raise SweepInterrupted(len(done), len(specs), None) from None
        with contextlib.suppress(AtlasUnavailable):
            atlas.flush()  # before counting what a rerun will find
        raise SweepInterrupted(_count_kept(atlas, specs, timeout), len(specs), atlas.path) from None
    finally:
        bar.close()
        if client is not None and client is not scheduler:  # a client this call opened from an address
            client.close()
        if atlas is not None:  # results queued while the file was locked: one more try
            with contextlib.suppress(AtlasUnavailable):
                atlas.flush()
    return {s: done[s] for s in specs if s in done}


def _count_kept(atlas: Atlas, specs, timeout) -> int:
    """How many of ``specs`` a rerun would take from the atlas.

    Asked after an interrupt: exact, whenever the interrupt came.
    """
    try:
        return sum(atlas.get(s.key(), timeout=timeout) is not None for s in specs)
    except AtlasUnavailable:
        return 0


def _raise_refusal(s: CellSpec):
    s.plan()  # raises the MemoryRefusal with its message


def _run_pool(todo, jobs, timeout, runnable, finish):
    import concurrent.futures as cf
    import multiprocessing as mp

    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = _threads_env(threads)
    # spawned, not forked by a fork server: a worker's parent is this process, which it watches (`_worker_init`);
    # a fork server would be the parent instead, and would itself live as long as any worker holds its pipe
    with _environ(env):  # spawned workers inherit the limits before they import numpy or jax
        pool = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init, initargs=(env, os.getpid())
        )
        futures = {}
        try:
            pending = list(todo)
            # at most `jobs` cells in flight, so that frontier skips act on the cells that have not started
            while pending or futures:
                while pending and len(futures) < jobs:
                    s = pending.pop(0)
                    if runnable(s):
                        futures[pool.submit(_compute_cell, s.M, s.R, s.L, s.T, s.kwargs, timeout)] = s
                if not futures:
                    continue
                finished, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
                for f in finished:
                    finish(futures.pop(f), f.result())
        except BaseException:
            _terminate(pool)
            raise
    pool.shutdown(wait=True)


def _terminate(pool):
    """Stop a pool at once (on an interrupt): running cells are lost, finished ones are already stored."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()


#: the protocols of a Dask scheduler address that a client can connect to
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")
_SCHEDULER_FORM = "a Dask scheduler address [PROTOCOL://]HOST:PORT such as tcp://head:8786"


def check_scheduler(address) -> str:
    """Validate a Dask scheduler address (``[PROTOCOL://]HOST:PORT``) without connecting; returns it.

    ``PROTOCOL`` is one of `SCHEDULER_PROTOCOLS` (default ``tcp``), ``HOST`` a host name, an IPv4 address or an IPv6
    address in brackets, ``PORT`` an integer 1-65535. Raises `ArgumentError` (naming ``scheduler``) otherwise.
    Needs no Dask, so that ``tnrnn table --scheduler`` refuses a bad address before any work.
    """
    import ipaddress
    import re

    def bad(why):
        return ArgumentError("scheduler", address, f"{_SCHEDULER_FORM} ({why})")

    if not isinstance(address, str) or not address:
        raise ArgumentError("scheduler", address, _SCHEDULER_FORM)
    protocol, sep, rest = address.partition("://")
    if not sep:
        protocol, rest = "tcp", address
    if protocol not in SCHEDULER_PROTOCOLS:
        raise bad(f"the protocol must be one of {', '.join(SCHEDULER_PROTOCOLS)}")
    host, colon, port = rest.rpartition(":")
    if not colon or not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
        raise bad("a port 1-65535 is required")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise bad("not an IPv6 address in brackets") from None
    elif not re.fullmatch(
        r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*", host
    ):
        raise bad("not a host name or IP address")
    return address


def _dask_client(scheduler):
    if not _is_dask_client(scheduler):
        check_scheduler(scheduler)
    try:
        from dask.distributed import Client
    except ImportError:
        raise ArgumentError(
            "scheduler",
            scheduler,
            "an address of a Dask scheduler, which needs the optional extra 'distributed' "
            "(pip install 'tnrnn[distributed]'); dask.distributed is not installed",
        ) from None
    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ArgumentError("scheduler", scheduler, f"a reachable Dask scheduler address ({exc})") from None


def _is_dask_client(obj) -> bool:
    """Whether ``obj`` is a `dask.distributed.Client` (without importing Dask when it was never imported)."""
    mod = sys.modules.get("distributed")
    return mod is not None and isinstance(obj, mod.Client)


def _run_dask(client, todo, timeout, runnable, finish):
    from dask.distributed import as_completed

    futures = {}
    for s in todo:
        if runnable(s):
            key = f"tnrnn-rank-{s.L}-{s.M}-{s.R}-{s.T}-{s.domain}-{os.getpid()}-{time.time_ns()}"
            futures[client.submit(_compute_cell, s.M, s.R, s.L, s.T, s.kwargs, timeout, pure=False, key=key)] = s
    try:
        for f in as_completed(list(futures)):
            s = futures[f]
            if f.cancelled():
                continue
            finish(s, f.result())
            # frontier: cancel what has not started beyond a blocked cell (runnable() reports it as skipped)
            for g, t in futures.items():
                if t.series == s.series and t.T > s.T and not g.done() and not runnable(t):
                    g.cancel()
    except BaseException:
        client.cancel(list(futures))
        raise


class _CostBar:
    """tqdm bar over the estimated cost (seconds of work), so its ETA weighs big cells by their cost."""

    def __init__(self, total_cost, n_done, n_total, enabled):
        self.bar = None
        self.n_done, self.n_total = n_done, n_total
        if show_progress(enabled) and total_cost > 0:
            self.bar = progress_bar(
                total=total_cost,
                progress=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]",
            )
            self._show("")

    def _show(self, label):
        if self.bar is not None:
            self.bar.set_description_str(f"ranks {self.n_done}/{self.n_total} cells", refresh=False)
            self.bar.set_postfix_str(label)

    def advance(self, cost, spec):
        self.n_done += 1
        if self.bar is not None:
            self.bar.update(min(cost, max(self.bar.total - self.bar.n, 0.0)))  # no overshoot from rounding
            self._show(spec.label())

    def close(self):
        if self.bar is not None:
            self.bar.close()


# --- merging and exporting ------------------------------------------------------------------------------------


def merge_atlases(target: Atlas, sources: Iterable[Atlas]) -> dict:
    """Merge the rows of ``sources`` into ``target``.

    For one key: a missing row is copied; a finished row replaces a partial one; proven beats lower-bound; among
    lower bounds (or partials) the higher certified rank wins (a rank modulo primes is a certified lower bound, so
    the larger one is the better bound). Two proven rows with different ranks, or a certified lower bound above a
    proven rank, contradict each other: the target row is kept as it was and the disagreement is reported in
    ``errors``.

    Min-cut bounds (deterministic) missing from the target are copied; two different bounds for one key are
    reported in ``errors``.

    A source row that is not a valid result is skipped (one `AtlasWarning` naming its key; counted in
    ``skipped``); a target row that is not one is replaced.

    Returns
    -------
    dict
        ``added``, ``replaced``, ``kept``, ``skipped`` (counts), ``min_cuts_added`` and ``errors`` (one line per
        proven disagreement).
    """
    out = {"added": 0, "replaced": 0, "kept": 0, "skipped": 0, "min_cuts_added": 0, "errors": []}
    for src in sources:
        for row in src.min_cut_rows():
            old = target._dicts("SELECT * FROM min_cuts WHERE key = ?", (row["key"],))
            if not old or not _row_ok(old[0], _check_bound):
                target._execute(*_insert("min_cuts", row))
                out["min_cuts_added"] += 1
            elif old[0]["bound"] != row["bound"]:
                out["errors"].append(
                    f"min-cut bounds disagree for {row['key']}: {old[0]['bound']} in {target.path}, "
                    f"{row['bound']} in {src.path}"
                )
        good, bad = src.read_rows(warn=True)
        out["skipped"] += len(bad)
        for row in good:
            rows = target._dicts("SELECT * FROM results WHERE key = ?", (row["key"],))
            if not rows or not _row_ok(rows[0]):
                target.put_row(row)
                out["added" if not rows else "replaced"] += 1
                continue
            old_status, old_rank = rows[0]["status"], rows[0]["rank"]
            if old_status == "proven" and row["status"] == "proven" and old_rank != row["rank"]:
                out["errors"].append(
                    f"proven ranks disagree for {_row_label(row)}: {old_rank} in {target.path}, "
                    f"{row['rank']} in {src.path}"
                )
                continue
            sides = ((old_status, old_rank, target.path), (row["status"], row["rank"], src.path))
            proven = [(r, p) for s, r, p in sides if s == "proven"]
            other = max(old_rank, row["rank"])
            if proven and other > proven[0][0]:
                out["errors"].append(
                    f"a certified lower bound {other} exceeds the proven rank {proven[0][0]} ({proven[0][1]}) for "
                    f"{_row_label(row)}"
                )
                continue
            new = (_STATUS_ORDER.get(row["status"], 0), row["rank"])
            old = (_STATUS_ORDER.get(old_status, 0), old_rank)
            if row["status"] != "partial" and old_status != "partial" and row["status"] != old_status:
                better = row["status"] == "proven"
            else:
                better = new > old
            if better:
                target.put_row(row)
                out["replaced"] += 1
            else:
                out["kept"] += 1
    return out


def _row_label(row) -> str:
    return (
        f"cell={row['cell']} M={row['M']} R={row['R']} L={row['L']} T={row['T']} domain={row['domain']} "
        f"partition={row['partition']} seed={row['seed']} n_seeds={row['n_seeds']}"
    )


# fmt: off
#: export columns: the key, the certificate, the bounds and the marks (see `export_rows`)
EXPORT_COLUMNS = (
    "cell", "L", "M", "R", "T", "domain", "partition", "rank", "status", "failure_bound", "lower", "conjecture",
    "conjecture_holds", "state_upper", "degree_upper", "alphabet_upper", "min_cut", "best_upper", "attained", "primes",
    "seeds",
    "N", "elimination", "evaluation", "device", "wall_seconds", "timeout", "seed", "n_seeds", "method", "N0",
    "confidence", "max_N", "engine_version", "toolkit_version", "created", "host",
)
# fmt: on


class AtlasRecords(list):
    """Export records (`export_rows`): a plain list of dicts in every use, a table in a notebook (status coloured)."""

    def _repr_html_(self) -> str:
        from tnrnn._display import records_table

        return records_table(self, QUERY_COLUMNS, caption=f"<b>{len(self)}</b> stored result(s)")


class AtlasQuery(dict):
    """The dict of `query_atlas` (``path``, ``count``, ``skipped``, ``rows``, ``text``); a table in a notebook."""

    def _repr_html_(self) -> str:
        import html

        from tnrnn._display import records_table

        caption = f"<b>{self['count']}</b> stored result(s) in {html.escape(str(self['path']))}"
        return records_table(self["rows"], QUERY_COLUMNS, caption=caption)


def export_rows(rows: list[dict]) -> AtlasRecords:
    """Rows of `Atlas.rows` as export records: the certificate, the best proven bounds and the marks.

    The bounds are what the row's cell proves (`tnrnn.cells.bound_columns`; for a cell not registered in this
    process, the upper bounds stored with its result): ``lower`` (the proven lower bound: the RAC's for Start-End
    and L <= 2), ``conjecture`` (the RAC's depth-L conjecture, Start-End, L >= 2), the proven upper bounds and
    ``min_cut`` (the min-cut of the cell's network, stored with results since the certified engine) and
    ``best_upper`` (their minimum); ``conjecture_holds``:
    ``yes`` (the certified rank reaches it), ``no`` (a proven rank below it: the conjecture fails), ``no?`` (a
    lower-bound rank below it: fails unless the rank is wrong, probability at most ``failure_bound``) or ``open``
    (a partial rank below it); ``attained``: the bounds equal to the rank, ``+``-joined.
    """
    from tnrnn.cells.report import bound_columns

    out = []
    for row in rows:
        rec = {k: row.get(k) for k in EXPORT_COLUMNS if k in row}
        for k in ("primes", "seeds", "N"):
            rec[k] = json.loads(row[k]) if row.get(k) else None
        result = json.loads(row["result"])
        rec["partition"] = (
            result.get("partition", {}).get("name")
            if result.get("partition", {}).get("name") != "custom"
            else row["partition"]
        )
        M, R, L, T, d = row["M"], row["R"], row["L"], row["T"], row["domain"]
        low = conj = None
        ups = {k: v for k, v in (result.get("extra", {}).get("bounds") or {}).items()}
        try:  # what the cell proves (its protocol); a cell not registered here keeps the bounds stored with it
            cols = bound_columns(row["cell"], M, R, L, T, domain=d, partition=row["partition"])
        except ArgumentError:
            cols = None
        if cols is not None:
            low, conj = cols.pop("lower"), cols.pop("conjecture")
            cut = ups.get("min_cut")  # the min-cut the engine computed and stored with the result (its cap)
            ups = {k: v for k, v in cols.items() if v is not None}
            if cut is not None:
                ups["min_cut"] = cut
        rank, status = row["rank"], row["status"]
        rec.update(
            lower=low,
            conjecture=conj,
            state_upper=ups.get("state_upper"),
            degree_upper=ups.get("degree_upper"),
            alphabet_upper=ups.get("alphabet_upper"),
            min_cut=ups.get("min_cut"),
            best_upper=min(ups.values()) if ups else None,
        )
        if conj is None:
            rec["conjecture_holds"] = None
        elif rank >= conj:
            rec["conjecture_holds"] = "yes"
        else:
            rec["conjecture_holds"] = {"proven": "no", "lower-bound": "no?"}.get(status, "open")
        named = {"lower": low, "conjecture": conj, **ups}
        rec["attained"] = "+".join(k for k, v in named.items() if v is not None and v == rank) or None
        out.append({k: rec.get(k) for k in EXPORT_COLUMNS})
    return AtlasRecords(out)


EXPORT_FORMATS = ("csv", "json", "markdown")


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "x".join(map(str, v)) if len(v) == 2 and all(isinstance(x, int) for x in v) else " ".join(map(str, v))
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def format_rows(records: list[dict], fmt: str, columns: Sequence[str] = EXPORT_COLUMNS) -> str:
    """Records as CSV, JSON or a Markdown table (``columns`` in that order)."""
    import csv
    import io

    from tnrnn._io import strict_json

    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    if fmt == "json":
        return strict_json([{k: r.get(k) for k in columns} for r in records], indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in records:
            w.writerow([_csv_cell(r.get(k)) for k in columns])
        return buf.getvalue()
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(_text(r.get(k)) or "–" for k in columns) + " |" for r in records]
    return "\n".join([head, sep, *body]) + "\n"


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return " ".join(map(str, v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: `tnrnn._io.write_text` (kept under this name)."""
    from tnrnn._io import write_text

    write_text(path, text)


# --- the command line's operations (``tnrnn atlas ...``, ``--atlas``/``--no-cache``) ------------------------

#: the filters of ``tnrnn atlas query/export`` (every key field and the status)
FILTERS = (*KEY_FIELDS, "status")


def cache_argument(atlas, no_cache: bool = False):
    """The ``cache=`` value of ``--atlas PATH`` / ``--no-cache``: None, the path, or True (the default atlas)."""
    if no_cache:
        return None
    if atlas is None:
        return True
    return _check_atlas_path(atlas)


def _check_atlas_path(path, *, must_exist=False, name="atlas") -> str:
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ArgumentError(name, path, "a file path")
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if os.path.isdir(full) or os.fspath(path).endswith(("/", os.sep)):
        raise ArgumentError(name, path, "a file path (this is a directory)")
    if must_exist and not os.path.exists(full):
        raise ArgumentError(name, path, "an existing atlas file")
    if not os.path.isdir(os.path.dirname(full)):
        raise ArgumentError(name, path, "a file in an existing directory")
    return full


def check_filters(filters: dict) -> dict:
    """Validate ``tnrnn atlas`` filters (raises `ArgumentError` naming the filter); drops the None ones."""
    from tnrnn._types import DOMAINS
    from tnrnn.rank.certificate import STATUSES
    from tnrnn.rank.engine import CONFIDENCES, METHODS

    out = {}
    for name, value in filters.items():
        if value is None:
            continue
        check_choice("filter", name, FILTERS)
        if name in ("M", "R", "L", "T", "n_seeds", "N0", "max_N", "engine_version"):
            value = check_positive_int(name, value)
        elif name == "seed":
            value = check_positive_int(name, value, minimum=0)
        elif name in ("domain", "method", "confidence", "status"):
            value = check_choice(
                name, value, {"domain": DOMAINS, "method": METHODS, "confidence": CONFIDENCES, "status": STATUSES}[name]
            )
        elif name == "partition":
            if value not in ("start-end", "interleaved"):
                T = filters.get("T")
                if T is None:
                    import re

                    if not re.fullmatch(r"\d+(,\d+)*;\d+(,\d+)*", value):
                        raise ArgumentError("partition", value, "start-end, interleaved or explicit sides '1,2;3,4'")
                else:
                    value = parse_partition(value, T).spec()
        elif name == "cell" and not value:
            raise ArgumentError("cell", value, "a cell name such as rac")
        out[name] = value
    return out


def _open_for_cli(path, *, must_exist) -> Atlas | None:
    """The atlas of ``--atlas`` (or the default one): read-only (``must_exist``: list, query, export), or to write."""
    given = path is not None
    full = _check_atlas_path(path, must_exist=must_exist and given) if given else default_atlas_path()
    if not os.path.exists(full):
        if must_exist:
            return None  # the default atlas does not exist yet: nothing stored
        os.makedirs(os.path.dirname(full), exist_ok=True)
    try:
        return Atlas(full, readonly=must_exist)
    except AtlasUnavailable as exc:
        raise ArgumentError("atlas", path or full, f"a usable atlas file ({exc})") from None


# fmt: off
#: the columns of ``tnrnn atlas list/query`` in a terminal
QUERY_COLUMNS = (
    "cell", "L", "M", "R", "T", "domain", "partition", "rank", "status", "failure_bound", "conjecture",
    "conjecture_holds", "best_upper", "attained", "N", "elimination", "wall_seconds",
)
# fmt: on


def query_atlas(path, filters: dict, *, fmt: str = "markdown") -> AtlasQuery:
    """``tnrnn atlas list/query``: ``rows`` (export records), ``count``, ``skipped``, ``path`` and the ``text``.

    A dict; in a notebook it shows as a table of the rows (status coloured). The file is opened read-only;
    ``skipped`` counts the rows that are not valid results (one warning each).
    """
    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    filters = check_filters(filters)
    atlas = _open_for_cli(path, must_exist=True)
    rows, skipped = _valid_rows(atlas, filters)
    records = export_rows(rows)
    columns = QUERY_COLUMNS if fmt == "markdown" else EXPORT_COLUMNS
    return AtlasQuery(
        path=atlas.path if atlas is not None else default_atlas_path(),
        count=len(records),
        skipped=skipped,
        rows=records,
        text=format_rows(records, fmt, columns),
    )


def _valid_rows(atlas: Atlas | None, filters: dict) -> tuple[list[dict], int]:
    """The valid rows of ``atlas`` under ``filters``, and how many were skipped (one warning each)."""
    if atlas is None:
        return [], 0
    good, bad = atlas.read_rows(warn=True, **filters)
    return good, len(bad)


_EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}


def export_atlas(path, out: str, filters: dict, *, fmt: str | None = None) -> dict:
    """``tnrnn atlas export``: write the records (certificate, bounds, marks) to ``out`` atomically."""
    if not isinstance(out, str) or not out:
        raise ArgumentError("out", out, "a file path")
    if fmt is None:
        ext = os.path.splitext(out)[1].lower()
        if ext not in _EXTENSIONS:
            raise ArgumentError("out", out, "a file ending in .csv, .json or .md (or give --format)")
        fmt = _EXTENSIONS[ext]
    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    from tnrnn._io import check_output_file

    target = check_output_file("out", out)
    filters = check_filters(filters)
    atlas = _open_for_cli(path, must_exist=True)
    rows, skipped = _valid_rows(atlas, filters)
    records = export_rows(rows)
    write_atomic(target, format_rows(records, fmt))
    return {
        "path": atlas.path if atlas is not None else default_atlas_path(),
        "out": out,
        "format": fmt,
        "count": len(records),
        "skipped": skipped,
    }


def merge_atlas_files(target, sources: Sequence[str]) -> dict:
    """``tnrnn atlas merge``: merge the source files into ``target`` (see `merge_atlases`).

    The sources are opened read-only (never created, upgraded or changed, not even their journal mode); an empty
    file, another program's database or a newer atlas is refused (`ArgumentError`) before the target is opened.
    """
    if not sources:
        raise ArgumentError("sources", sources, "one or more atlas files")
    paths = [_check_atlas_path(s, must_exist=True, name="sources") for s in sources]
    first: dict = {}
    for s, p in zip(sources, paths, strict=True):  # a file named twice is merged once
        first.setdefault(p, s)
    paths, sources = list(first), list(first.values())
    dest = _check_atlas_path(target) if target is not None else default_atlas_path()
    for s, p in zip(sources, paths, strict=True):
        if p == os.path.abspath(dest):
            raise ArgumentError("sources", s, "atlas files other than the target --atlas")
    opened = []
    for s, p in zip(sources, paths, strict=True):
        try:
            opened.append(Atlas(p, readonly=True))
        except AtlasUnavailable as exc:
            raise ArgumentError("sources", s, f"usable atlas files ({exc})") from None
    atlas = _open_for_cli(target, must_exist=False)
    try:
        res = merge_atlases(atlas, opened)
    except AtlasUnavailable as exc:  # the target locked (or damaged) while merging
        raise ArgumentError("atlas", target or atlas.path, f"an atlas file this process can write ({exc})") from None
    finally:
        for a in opened:
            a.close()
    return {"path": atlas.path, "sources": sources, **res}
