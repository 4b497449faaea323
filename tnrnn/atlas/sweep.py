"""Sweeps that fill the atlas: `run_sweep` over cells, serially, in local worker processes or on Dask.

The module notes of `tnrnn.atlas` describe the scheduling, interrupts and the cluster set-up.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tnrnn._progress import progress_bar, show_progress
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.atlas._work import _compute_cell
from tnrnn.atlas.distributed import _dask_client, _run_dask
from tnrnn.rank.store import (
    Atlas,
    AtlasUnavailable,
    _warn,
    make_key,
    open_atlas,
)


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
