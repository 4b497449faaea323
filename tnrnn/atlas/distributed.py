"""Sweeps on a Dask cluster: the scheduler address check and the client side of `tnrnn.atlas.run_sweep`."""

from __future__ import annotations

import os
import sys
import time

from tnrnn._types import ArgumentError
from tnrnn.atlas._work import _compute_cell

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
