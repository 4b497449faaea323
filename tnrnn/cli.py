"""The ``tnrnn`` command: a thin layer over the public API (no logic of its own).

Each verb has an ``_add_<verb>(sub)`` function that declares its arguments and sets ``func`` to a runner
``_run_<verb>(args) -> dict``. With ``--json`` the runner's dict is printed as exactly one JSON object; without it,
a readable rendering. A bad argument exits 2 with one line on stderr naming the argument, the value and what is
allowed (`tnrnn.ArgumentError`).
"""

from __future__ import annotations

import argparse
import json
import sys

from tnrnn._types import ArgumentError


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exits 2."""

    def error(self, message):  # noqa: D401 - argparse API
        print(f"tnrnn: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None


def _float_list(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None


def _sizes(p, *, T_required=True):
    p.add_argument("--M", type=int, required=True, help="input dimension (alphabet size for onehot)")
    p.add_argument("--R", type=int, required=True, help="width: hidden channels per layer")
    p.add_argument("--L", type=int, required=True, help="depth: number of stacked recurrent layers")
    p.add_argument("--T", type=int, required=T_required, help="sequence length")


def _json_flag(p):
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")


def _cache_flags(p):
    p.add_argument("--atlas", default=None, help="rank atlas file (default $TNRNN_ATLAS or the user cache)")
    p.add_argument("--no-cache", action="store_true", help="compute everything; neither read nor write the atlas")


def _cache(args):
    from tnrnn.atlas import cache_argument

    return cache_argument(args.atlas, args.no_cache)


def _enable_x64():
    import jax

    jax.config.update("jax_enable_x64", True)


# --- rank ---------------------------------------------------------------------------------------------------


def _add_rank(sub):
    p = sub.add_parser("rank", help="exact Start-End (or any) separation rank of a RAC")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="onehot | continuous (default continuous)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--seed", type=int, default=0, help="first seed of the random weights")
    p.add_argument("--seeds", type=int, default=2, help="number of seeds (the maximum rank is reported)")
    p.add_argument("--method", default="modp", help="modp (exact, default) | svd (float diagnostic)")
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_rank)


def _run_rank(args):
    from tnrnn.rank import separation_rank

    res = separation_rank(
        args.M, args.R, args.L, args.T, domain=args.domain, partition=args.partition, seed=args.seed,
        n_seeds=args.seeds, method=args.method, cache=_cache(args),
    )
    return res.to_dict()


# --- bounds -------------------------------------------------------------------------------------------------


def _add_bounds(sub):
    p = sub.add_parser("bounds", help="closed-form bounds on the Start-End separation rank")
    _sizes(p)
    _json_flag(p)
    p.set_defaults(func=_run_bounds)


def _run_bounds(args):
    from tnrnn.bounds import bounds_report
    from tnrnn.cuts import start_end_min_cut

    out = bounds_report(args.M, args.R, args.L, args.T)
    # the continuous network's min-cut bounds both domains (one-hot rank <= continuous rank)
    out["min_cut"] = start_end_min_cut(args.M, args.R, args.L, args.T, domain="continuous").bound
    out["min_cut_onehot"] = start_end_min_cut(args.M, args.R, args.L, args.T, domain="onehot").bound
    return out


# --- table --------------------------------------------------------------------------------------------------


def _add_table(sub):
    p = sub.add_parser("table", help="exact ranks beside every bound, over lists of sizes and both domains")
    p.add_argument("--L", type=_int_list, default=[1, 2, 3], help="depths, e.g. 1,2,3")
    p.add_argument("--M", type=_int_list, default=[2, 3], help="input dimensions")
    p.add_argument("--R", type=_int_list, default=[2, 3], help="widths")
    p.add_argument("--T", type=_int_list, default=[2, 4, 6], help="even lengths")
    p.add_argument("--domains", default="onehot,continuous", help="comma-separated domains")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", default="markdown", help="markdown | csv | json")
    p.add_argument("--out", default=None, help="write the table to this file instead of stdout")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per cell (partial results are marked)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (needs tnrnn[distributed])")
    p.add_argument("--order", default="cost", help="cost (longest cells first, default) | T (increasing T)")
    p.add_argument("--frontier", action="store_true",
                   help="skip the larger T of a series once a cell is partial or too big for memory")
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_table)


def _run_table(args):
    from tnrnn._types import check_choice
    from tnrnn.table import FORMATS, format_table, rank_table

    check_choice("format", args.format, FORMATS)
    rows = rank_table(
        args.L, args.M, args.R, args.T, domains=args.domains.split(","), seed=args.seed,
        progress=not args.no_progress, cache=_cache(args), jobs=args.jobs, timeout=args.timeout,
        scheduler=args.scheduler, order=args.order, frontier=args.frontier,
    )
    text = format_table(rows, args.format)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    elif not args.json:
        print(text)
    return {"rows": rows, "format": args.format, "out": args.out, "_quiet": True}


# --- network / cut ------------------------------------------------------------------------------------------


def _add_network(sub):
    p = sub.add_parser("network", help="node and edge counts of the compiled RAC tensor network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--out", default=None, help="also write the network's JSON (tnrnn.TNGraph) to this file")
    _json_flag(p)
    p.set_defaults(func=_run_network)


def _run_network(args):
    from tnrnn.build import build_network

    graph = build_network(args.M, args.R, args.L, args.T, domain=args.domain)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(graph.to_json())
    return {"M": args.M, "R": args.R, "L": args.L, "T": args.T, "domain": args.domain, **graph.summary()}


def _add_cut(sub):
    p = sub.add_parser("cut", help="certified min-cut upper bound on the separation rank of the RAC network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--engine", default="auto", help="auto | networkx | scipy | tree")
    _json_flag(p)
    p.set_defaults(func=_run_cut)


def _run_cut(args):
    from tnrnn.cuts import start_end_min_cut

    res = start_end_min_cut(
        args.M, args.R, args.L, args.T, domain=args.domain, partition=args.partition, engine=args.engine
    )
    return {"M": args.M, "R": args.R, "L": args.L, "T": args.T, "domain": args.domain, **res.to_dict()}


# --- experiment (tnrnn.tasks) -------------------------------------------------------------------------------


def _add_experiment(sub):
    p = sub.add_parser("experiment", help="train RNNs of several depths on Copying Memory or SES")
    p.add_argument("task", help="ses (sweep over --T) | copy (sweep over the delay --B)")
    p.add_argument("--cell", default="rac", help="rac | rnn | gru (default rac)")
    p.add_argument("--depths", type=_int_list, default=[1, 2, 3], help="depths, e.g. 1,2,3")
    p.add_argument("--T", type=_int_list, default=None, help="SES: even sequence lengths, e.g. 20,40,60")
    p.add_argument("--B", type=_int_list, default=None, help="copy: delays, e.g. 10,20,40")
    p.add_argument("--seeds", type=_int_list, default=[0, 1, 2], help="seed values, e.g. 0,1,2")
    p.add_argument("--n", type=int, default=4, help="number of data symbols (default 4)")
    p.add_argument("--m", type=int, default=3, help="SES word length (default 3)")
    p.add_argument("--M-c", dest="M_c", type=int, default=5, help="copy: symbols to memorise (default 5)")
    p.add_argument("--params", type=int, default=3000, help="parameter budget matched across depths")
    p.add_argument("--width", type=int, default=None, help="one width for every depth (overrides --params)")
    p.add_argument("--steps", type=int, default=None, help="maximum training steps per run")
    p.add_argument("--batch", type=int, default=None, help="training batch size")
    p.add_argument("--lr", type=float, default=None, help="learning rate")
    p.add_argument("--optimizer", default=None, help="adam | rmsprop")
    p.add_argument("--patience", type=int, default=None, help="validation checks without improvement to stop")
    p.add_argument("--out", required=True, help="directory for the results file (and the plot)")
    p.add_argument("--name", default=None, help="results file stem (default: the task name)")
    p.add_argument("--plot", action="store_true", help="also write the accuracy plot as PNG")
    p.add_argument("--quick", action="store_true", help="smoke-test settings (a few dozen steps)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    _json_flag(p)
    p.set_defaults(func=_run_experiment)


def _run_experiment(args):
    from tnrnn.tasks.experiment import run_cli_experiment

    options = {k: getattr(args, k) for k in ("steps", "batch", "lr", "optimizer", "patience")}
    res = run_cli_experiment(
        args.task, cell=args.cell, depths=args.depths, T=args.T, B=args.B, seeds=args.seeds, n=args.n,
        m=args.m, M_c=args.M_c, params=args.params, width=args.width, out=args.out, name=args.name,
        plot=args.plot, quick=args.quick, progress=not args.no_progress, **options,
    )
    if not args.json:
        print(res.pop("table"))
        print(f"wrote {', '.join(res['files'])}")
        res["_quiet"] = True
    else:
        res.pop("table")
    return res


# --- linear (tnrnn.linear: implicit bias of linear RNNs) ---------------------------------------------------


def _add_linear(sub):
    p = sub.add_parser("linear", help="implicit bias of linear RNNs: lag weights and experiments")
    lsub = p.add_subparsers(dest="linear_cmd", required=True, parser_class=_Parser)
    q = lsub.add_parser("lag-weights", help="analytic lag weights beta_j^2 and the memory lags they imply")
    q.add_argument("--rho2", type=float, required=True, help="initial transition variance sigma_W^2 = rho^2")
    q.add_argument("--sigma-c2", type=float, default=1.0, help="output-weight variance (default 1)")
    q.add_argument("--sigma-f2", type=float, default=1.0, help="input-weight variance (default 1)")
    q.add_argument("--J", type=int, default=20, help="largest lag (default 20)")
    q.add_argument("--param", default="ntk", help="ntk | standard (default ntk)")
    q.add_argument("--lr-scale", type=_float_list, default=[1.0, 1.0, 1.0], help="relative rates W,F,C")
    _json_flag(q)
    q.set_defaults(func=_run_linear_lag_weights)
    e = lsub.add_parser("experiment", help="run the linear-RNN experiments and write a results JSON")
    e.add_argument("--out", required=True, help="output folder (linear.json or linear_quick.json is written)")
    e.add_argument("--quick", action="store_true", help="smoke-sized settings (seconds)")
    e.add_argument("--parts", default="ntk,equivalence,sweep,sunspots", help="comma-separated subset")
    _json_flag(e)
    e.set_defaults(func=_run_linear_experiment)


def _run_linear_lag_weights(args):
    from tnrnn.linear import lag_weight_summary

    return lag_weight_summary(
        args.J, rho2=args.rho2, sigma_c2=args.sigma_c2, sigma_f2=args.sigma_f2, param=args.param,
        lr_scale=args.lr_scale,
    )


def _run_linear_experiment(args):
    from tnrnn.linear.experiments import run_linear_experiments, summarise_results

    res = run_linear_experiments(args.out, quick=args.quick, parts=[v for v in args.parts.split(",") if v])
    return {"path": res["path"], "mode": res["mode"], "summary": summarise_results(res)}


# --- figures (tnrnn.figures: every figure of the toolkit) --------------------------------------------------


def _add_figures(sub):
    p = sub.add_parser("figures", help="regenerate every figure (PNG + PDF) into --out")
    p.add_argument("--out", required=True, help="output directory, e.g. figures/")
    p.add_argument("--quick", action="store_true", help="small sizes (under a minute; used by the tests)")
    p.add_argument("--only", default=None, help="comma-separated figure names (default: all)")
    p.add_argument("--results", default="results", help="folder of the experiments' results files")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_figures)


def _run_figures(args):
    from tnrnn.figures import make_figures

    only = [v for v in args.only.split(",") if v] if args.only else None
    res = make_figures(args.out, quick=args.quick, only=only, results_dir=args.results,
                       progress=not args.no_progress, cache=_cache(args), read_atlas_csv=not args.no_cache)
    if not args.json:
        for fig in res["figures"]:
            print(f"{fig['name']}: {', '.join(fig['files'])}  ({fig['seconds']} s)")
        for skip in res["skipped"]:
            print(f"{skip['name']}: left out ({skip['reason']})")
        print(f"{len(res['files'])} files in {res['seconds']} s")
        res["_quiet"] = True
    return res


# --- atlas (tnrnn.atlas: the store of certified ranks) -----------------------------------------------------


def _atlas_filters(p):
    for name in ("M", "R", "L", "T", "seed", "N0"):
        p.add_argument(f"--{name}", type=int, default=None, help=f"only rows with this {name}")
    p.add_argument("--n-seeds", dest="n_seeds", type=int, default=None, help="only rows with this n_seeds")
    p.add_argument("--max-N", dest="max_N", type=int, default=None, help="only rows with this max_N")
    p.add_argument("--engine-version", dest="engine_version", type=int, default=None)
    for name in ("cell", "domain", "partition", "method", "confidence", "status"):
        p.add_argument(f"--{name}", default=None, help=f"only rows with this {name}")


def _add_atlas(sub):
    p = sub.add_parser("atlas", help="the rank atlas: list, query, export and merge stored certified ranks")
    asub = p.add_subparsers(dest="atlas_cmd", required=True, parser_class=_Parser)
    for name, text in (("list", "every stored result"), ("query", "stored results matching filters")):
        q = asub.add_parser(name, help=text)
        q.add_argument("--atlas", default=None, help="atlas file (default $TNRNN_ATLAS or the user cache)")
        q.add_argument("--format", default="markdown", help="markdown | csv | json (without --json)")
        _atlas_filters(q)
        _json_flag(q)
        q.set_defaults(func=_run_atlas_query)
    e = asub.add_parser("export", help="write stored results with the certificate columns (atomically)")
    e.add_argument("--atlas", default=None, help="atlas file (default $TNRNN_ATLAS or the user cache)")
    e.add_argument("--out", required=True, help="output file (.csv, .json or .md)")
    e.add_argument("--format", default=None, help="csv | json | markdown (default: from the file extension)")
    _atlas_filters(e)
    _json_flag(e)
    e.set_defaults(func=_run_atlas_export)
    m = asub.add_parser("merge", help="merge atlases made elsewhere into --atlas (proven or higher bound wins)")
    m.add_argument("sources", nargs="+", help="atlas files to merge in")
    m.add_argument("--atlas", default=None, help="target atlas file (default $TNRNN_ATLAS or the user cache)")
    _json_flag(m)
    m.set_defaults(func=_run_atlas_merge)


def _filters(args):
    from tnrnn.atlas import FILTERS

    return {k: getattr(args, k) for k in FILTERS}


def _run_atlas_query(args):
    from tnrnn.atlas import query_atlas

    res = query_atlas(args.atlas, _filters(args), fmt=args.format)
    if not args.json:
        print(res.pop("text"), end="")
        res["_quiet"] = True
    else:
        res.pop("text")
    return res


def _run_atlas_export(args):
    from tnrnn.atlas import export_atlas

    return export_atlas(args.atlas, args.out, _filters(args), fmt=args.format)


def _run_atlas_merge(args):
    from tnrnn.atlas import merge_atlas_files

    res = merge_atlas_files(args.atlas, args.sources)
    for line in res["errors"]:
        print(f"tnrnn atlas merge: error: {line}", file=sys.stderr)
    res["_exit"] = 1 if res["errors"] else 0
    return res


# --- registry -----------------------------------------------------------------------------------------------

_VERBS = [_add_rank, _add_bounds, _add_table]
_VERBS.append(_add_experiment)
_VERBS += [_add_network, _add_cut]

_VERBS.append(_add_linear)
_VERBS.append(_add_figures)
_VERBS.append(_add_atlas)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tnrnn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for add in _VERBS:
        add(sub)
    return parser


def _render(result: dict) -> str:
    lines = []
    for k, v in result.items():
        if k.startswith("_"):
            continue
        lines.append(f"{k}: {v}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _enable_x64()
    try:
        result = args.func(args)
    except ArgumentError as exc:
        print(f"tnrnn {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    quiet = result.pop("_quiet", False)
    code = int(result.pop("_exit", 0))
    if getattr(args, "json", False):
        print(json.dumps(result))
    elif not quiet:
        print(_render(result))
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
