"""``tnrnn figures``: every figure of the toolkit (`tnrnn.figures`)."""

from __future__ import annotations

import os

from tnrnn._types import ArgumentError, check_choice
from tnrnn.cli._args import (
    VERBS,
    _cache,
    _cache_flags,
    _json_flag,
    _name_list,
    _progress,
    _progress_flag,
)

# --- figures (tnrnn.figures: every figure of the toolkit) --------------------------------------------------


def _add_figures(sub):
    p = sub.add_parser("figures", help="regenerate every figure (PNG + PDF) into --out")
    p.add_argument("--out", required=True, help="output directory, e.g. figures/ (created if needed)")
    p.add_argument("--quick", action="store_true", help="small sizes (under a minute; used by the tests)")
    p.add_argument("--only", type=_name_list, default=None, help="comma-separated figure names (default: all)")
    p.add_argument("--results", default="results", help="folder of the experiments' results files")
    _progress_flag(p)
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_figures, check=_check_figures, jax=True)


def _check_figures(args):
    from tnrnn._io import check_output_dir
    from tnrnn.figures import figure_names

    for name in args.only or ():
        check_choice("only", name, figure_names())
    check_output_dir("out", args.out)
    if os.path.exists(args.results) and not os.path.isdir(args.results):
        raise ArgumentError("results", args.results, "a folder of results files")


def _run_figures(args):
    from tnrnn.figures import make_figures

    res = make_figures(
        args.out,
        quick=args.quick,
        only=args.only,
        results_dir=args.results,
        progress=_progress(args),
        cache=_cache(args),
        read_atlas_csv=not args.no_cache,
    )
    if not args.json:
        for fig in res["figures"]:
            print(f"{fig['name']}: {', '.join(fig['files'])}  ({fig['seconds']} s)")
        for skip in res["skipped"]:
            print(f"{skip['name']}: left out ({skip['reason']})")
        print(f"{len(res['files'])} files in {res['seconds']} s")
        res["_quiet"] = True
    return res


VERBS.register("figures", _add_figures)
