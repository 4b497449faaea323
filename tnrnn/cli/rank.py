"""``tnrnn rank``: the separation rank of a cell, with its certificate."""

from __future__ import annotations

import sys

from tnrnn._types import check_float, check_positive_int, check_seed
from tnrnn.cli._args import (
    VERBS,
    _cache,
    _cache_flags,
    _cell_flag,
    _check_sizes_domain,
    _confidence,
    _confidence_flags,
    _jax_env,
    _json_flag,
    _progress,
    _progress_flag,
    _sizes,
)

# --- rank ---------------------------------------------------------------------------------------------------


def _add_rank(sub):
    p = sub.add_parser("rank", help="separation rank of a cell (certified lower bound; proven when it meets a bound)")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="onehot | continuous")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--seed", type=int, default=0, help="first seed of the random weights (an integer >= 0)")
    p.add_argument(
        "--seeds", type=int, default=2, help="how many seeds: seed, seed+1, ... (a count; the maximum rank is reported)"
    )
    p.add_argument("--method", default="modp", help="modp (exact) | svd (float diagnostic)")
    _confidence_flags(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds; stop cleanly with the best certified lower bound (status partial, exit 3)",
    )
    _progress_flag(p, "a progress bar per stage")
    _cell_flag(p)
    p.add_argument(
        "--max-N",
        dest="max_N",
        type=int,
        default=None,
        help="largest continuous sample side (needed for cells without a proven upper bound)",
    )
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_rank, check=_check_rank, jax=False)  # JAX only when the atlas misses


def _check_rank(args):
    _check_sizes_domain(args, partition=True)
    check_seed(args.seed)
    check_positive_int("seeds", args.seeds)
    if args.max_N is not None:
        check_positive_int("max_N", args.max_N)
    if args.timeout is not None:
        check_float("timeout", args.timeout, minimum=0, open_min=True)
    _refuse_rank_sizes(args)


def _refuse_rank_sizes(args):
    """The size model of the request (`tnrnn.sizes`): repetitions, weights, work space and matrix, before any work."""
    from tnrnn._types import parse_partition
    from tnrnn.cells import make_cell  # light: importing the cells loads no numpy
    from tnrnn.sizes import refuse_rank_request

    cell = make_cell(args.cell, args.M, args.R, args.L)
    part = parse_partition(args.partition, args.T)
    refuse_rank_request(cell, part, args.domain, max_N=args.max_N, n_seeds=args.seeds)


def _plan_printer(confidence: str):
    """``on_plan`` of a run: the plan's sizes and rough times on stderr, when the run is not instant."""

    def show(info):
        if info["estimate_seconds"] < 2 and max(info["shape"]) < 2048:
            return
        rows, cols = info["shape"]
        seconds = f"rough estimate {info['estimate_seconds']:.0f} s"
        if confidence == "certified":
            seconds += f" for the prime-field pass, roughly {info['certify_seconds']:.0f} s more when a GF(p^2) "
            seconds += "repetition must certify it"
        else:
            seconds += " per repetition"
        grid = info.get("grid")
        if grid and tuple(grid) != (rows, cols):  # one-hot: the grid only when a sample falls short of every cap
            seconds += f"; the whole {grid[0]} x {grid[1]} grid, not counted here, if the rank falls short of every cap"
        print(
            f"tnrnn rank: plan: matrix up to {rows} x {cols}, peak memory ~{info['peak_bytes'] / 2**30:.2f} GiB, "
            + seconds,
            file=sys.stderr,
        )

    return show


def _run_rank(args):
    from tnrnn.rank import separation_rank

    _jax_env()  # read by JAX if the result is not in the atlas and the engine runs
    confidence = _confidence(args)
    res = _certified_on_interrupt(separation_rank)(
        args.M,
        args.R,
        args.L,
        args.T,
        domain=args.domain,
        partition=args.partition,
        seed=args.seed,
        n_seeds=args.seeds,
        method=args.method,
        confidence=confidence,
        timeout=args.timeout,
        progress=_progress(args),
        on_plan=_plan_printer(confidence),
        cell=args.cell,
        max_N=args.max_N,
        cache=_cache(args),
    )
    out = res.to_dict()
    if not args.json:
        print(res.summary())
        out["_quiet"] = True
    if res.status == "partial":
        out["_exit"] = 3
    if str(res.extra.get("stopped", "")).startswith("interrupted"):
        print("tnrnn rank: interrupted (SIGINT); the result is what was certified by then", file=sys.stderr)
        out["_exit"] = 130
    return out


def _certified_on_interrupt(rank_fn):
    """``rank_fn`` returning on Ctrl-C the certified partial result (`tnrnn.rank.RankInterrupted`), as on a timeout."""
    from tnrnn.rank import RankInterrupted

    def call(*args, **kwargs):
        try:
            return rank_fn(*args, **kwargs)
        except RankInterrupted as exc:
            return exc.result

    return call


VERBS.register("rank", _add_rank)
