"""``tnrnn bounds``, ``network``, ``cut``, ``draw``: proven bounds and the tensor network's structure."""

from __future__ import annotations

from tnrnn._types import ArgumentError, check_choice
from tnrnn.cli._args import (
    VERBS,
    _cache,
    _cache_flags,
    _cell_flag,
    _check_out_file,
    _check_sizes_domain,
    _json_flag,
    _sizes,
)

# --- bounds -------------------------------------------------------------------------------------------------


def _add_bounds(sub):
    p = sub.add_parser("bounds", help="closed-form bounds on the separation rank (Start-End or --partition)")
    _sizes(p)
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    _cell_flag(p)
    _cache_flags(p)  # the min-cut bounds are kept in the atlas: a repeated summary imports no numpy
    _json_flag(p)
    p.set_defaults(func=_run_bounds, check=_check_bounds, jax=False)


def _check_bounds(args):
    from tnrnn.bounds import check_closed_form_size

    _check_sizes_domain(args, partition=True)
    check_closed_form_size(args.M, args.R, args.L, args.T, args.partition)


def _run_bounds(args):
    from tnrnn.atlas import cached_bounds_with_min_cuts

    return cached_bounds_with_min_cuts(
        args.M, args.R, args.L, args.T, cell=args.cell, partition=args.partition, cache=_cache(args)
    )


# --- network / cut ------------------------------------------------------------------------------------------


def _add_network(sub):
    p = sub.add_parser("network", help="node and edge counts of the compiled RAC tensor network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--out", default=None, help="also write the network's JSON (tnrnn.TNGraph) to this file")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_network, check=_check_network, jax=False)


def _refuse_large_network(args):
    """Refuse, from closed-form node counts, a network too large to build, or a cell that has none (one line)."""
    from tnrnn.build import refuse_large_network

    refuse_large_network(args.M, args.R, args.L, args.T, domain=args.domain, cell=getattr(args, "cell", "rac"))


def _check_network(args):
    _check_sizes_domain(args)
    _refuse_large_network(args)
    _check_out_file(args)


def _run_network(args):
    from tnrnn._io import atomic_write
    from tnrnn.build import build_network

    graph = build_network(args.M, args.R, args.L, args.T, domain=args.domain, cell=args.cell)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(graph.to_json())
    return {
        "M": args.M,
        "R": args.R,
        "L": args.L,
        "T": args.T,
        "domain": args.domain,
        "cell": args.cell,
        **graph.summary(),
    }


def _add_cut(sub):
    p = sub.add_parser("cut", help="certified min-cut upper bound on the separation rank of the RAC network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--engine", default="auto", help="auto | networkx | scipy | tree")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_cut, check=_check_cut, jax=False)


def _check_cut(args):
    from tnrnn.cuts import ENGINES, MAX_DIM

    _check_sizes_domain(args, partition=True)
    _refuse_large_network(args)
    check_choice("engine", args.engine, ENGINES)
    for name in ("M", "R"):
        if getattr(args, name) > MAX_DIM:
            raise ArgumentError(name, getattr(args, name), "an integer <= 2^62 for a min-cut (int64 bond dimensions)")


def _run_cut(args):
    from tnrnn.cuts import start_end_min_cut

    res = start_end_min_cut(
        args.M,
        args.R,
        args.L,
        args.T,
        domain=args.domain,
        partition=args.partition,
        engine=args.engine,
        cell=args.cell,
    )
    return {
        "M": args.M,
        "R": args.R,
        "L": args.L,
        "T": args.T,
        "domain": args.domain,
        "cell": args.cell,
        **res.to_dict(),
    }


def _add_draw(sub):
    p = sub.add_parser("draw", help="draw a cell's tensor network with its min-cut (SVG, PDF or PNG by extension)")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--no-cut", action="store_true", help="draw no min-cut")
    p.add_argument("--out", required=True, help="output file: .svg (editable text), .pdf or .png")
    p.add_argument("--width", type=float, default=None, help="figure width in inches, 1-100 (default: fit the labels)")
    p.add_argument("--height", type=float, default=None, help="figure height in inches, 1-100 (default: fit)")
    p.add_argument("--font-size", dest="font_size", type=float, default=10.0, help="label size in points, 4-48")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_draw, check=_check_draw, jax=False)


def _check_draw(args):
    from tnrnn.draw import check_drawing_size

    _check_sizes_domain(args, partition=True)
    check_drawing_size(args.width, args.height, args.font_size)
    _refuse_large_network(args)
    _check_out_file(args)


def _run_draw(args):
    from tnrnn.draw import draw_to_file

    return draw_to_file(
        args.M,
        args.R,
        args.L,
        args.T,
        out=args.out,
        domain=args.domain,
        partition=args.partition,
        cut=not args.no_cut,
        cell=args.cell,
        width=args.width,
        height=args.height,
        font_size=args.font_size,
    )


VERBS.register("bounds", _add_bounds)
VERBS.register("network", _add_network)
VERBS.register("cut", _add_cut)
VERBS.register("draw", _add_draw)
