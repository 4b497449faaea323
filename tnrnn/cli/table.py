"""``tnrnn table``: a table of ranks and bounds over sizes (through the sweep and the atlas)."""

from __future__ import annotations

import sys

from tnrnn._types import DOMAINS, check_choice, check_float, check_positive_int
from tnrnn.cli._args import (
    VERBS,
    _cache,
    _cache_flags,
    _cell_flag,
    _check_cell,
    _check_out_file,
    _confidence,
    _confidence_flags,
    _int_list,
    _jax_env,
    _json_flag,
    _name_list,
    _progress,
    _progress_flag,
)

# --- table --------------------------------------------------------------------------------------------------


def _add_table(sub):
    p = sub.add_parser("table", help="exact ranks beside every bound, over lists of sizes and both domains")
    p.add_argument("--L", type=_int_list, default=[1, 2, 3], help="depths, e.g. 1,2,3 or 1:3")
    p.add_argument("--M", type=_int_list, default=[2, 3], help="input dimensions")
    p.add_argument("--R", type=_int_list, default=[2, 3], help="widths")
    p.add_argument("--T", type=_int_list, default=[2, 4, 6], help="even lengths, e.g. 2,4,6 or 2:12:2")
    p.add_argument("--domain", type=_name_list, default=list(DOMAINS), help="comma-separated domains")
    p.add_argument("--domains", type=_name_list, default=None, help="deprecated alias of --domain")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (an integer >= 0)")
    p.add_argument("--format", default="markdown", help="markdown | csv | json")
    p.add_argument("--out", default=None, help="write the table to this file instead of stdout")
    _progress_flag(p)
    _cell_flag(p)
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per cell (partial results are marked)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (needs tnrnn[distributed])")
    p.add_argument("--order", default="cost", help="cost (longest cells first, default) | T (increasing T)")
    p.add_argument(
        "--frontier",
        action="store_true",
        help="skip the larger T of a series once a cell is partial or too big for memory",
    )
    _confidence_flags(p)
    _cache_flags(p)
    _json_flag(p)
    # no JAX up front: a table the atlas holds is printed without importing it (JAX settings go by the environment)
    p.set_defaults(func=_run_table, check=_check_table, jax=False)


def _check_table(args):
    from tnrnn.table import FORMATS, check_table_request

    domains = args.domains if args.domains is not None else args.domain
    _check_cell(args)
    check_table_request(args.L, args.M, args.R, args.T, domains=domains, seed=args.seed)
    check_choice("format", args.format, FORMATS)
    check_positive_int("jobs", args.jobs)
    if args.scheduler is not None:
        from tnrnn.atlas import check_scheduler

        check_scheduler(args.scheduler)
    _refuse_workers(args)
    check_choice("order", args.order, ("cost", "T"))
    if args.timeout is not None:
        check_float("timeout", args.timeout, minimum=0, open_min=True)
    _check_out_file(args)
    if args.domains is not None:
        print("tnrnn table: warning: --domains is deprecated; use --domain", file=sys.stderr)
        args.domain = args.domains


def _refuse_workers(args):
    """``--jobs`` worker processes must fit in memory (`tnrnn.sizes.refuse_workers`)."""
    from tnrnn.sizes import refuse_workers

    refuse_workers("jobs", args.jobs, args.jobs)


def _run_table(args):
    from tnrnn._io import atomic_write
    from tnrnn.table import format_table, rank_table

    _jax_env()
    rows = rank_table(
        M=args.M,
        R=args.R,
        L=args.L,
        T=args.T,
        domains=args.domain,
        seed=args.seed,
        progress=_progress(args),
        cell=args.cell,
        cache=_cache(args),
        jobs=args.jobs,
        timeout=args.timeout,
        scheduler=args.scheduler,
        order=args.order,
        frontier=args.frontier,
        confidence=_confidence(args),
    )
    text = format_table(rows, args.format)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(text)
    elif not args.json:
        print(text)
    return {"rows": rows, "format": args.format, "out": args.out, "_quiet": True}


VERBS.register("table", _add_table)
