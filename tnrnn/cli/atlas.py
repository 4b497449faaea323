"""``tnrnn atlas``: query, export and merge the store of certified ranks (`tnrnn.atlas`)."""

from __future__ import annotations

import sys

from tnrnn.cli._args import (
    VERBS,
    _json_flag,
    _Parser,
)

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
        q.set_defaults(func=_run_atlas_query, check=_check_atlas, jax=False)
    e = asub.add_parser("export", help="write stored results with the certificate columns (atomically)")
    e.add_argument("--atlas", default=None, help="atlas file (default $TNRNN_ATLAS or the user cache)")
    e.add_argument("--out", required=True, help="output file (.csv, .json or .md)")
    e.add_argument("--format", default=None, help="csv | json | markdown (default: from the file extension)")
    _atlas_filters(e)
    _json_flag(e)
    e.set_defaults(func=_run_atlas_export, check=_check_atlas, jax=False)
    m = asub.add_parser("merge", help="merge atlases made elsewhere into --atlas (proven or higher bound wins)")
    m.add_argument("sources", nargs="+", help="atlas files to merge in")
    m.add_argument("--atlas", default=None, help="target atlas file (default $TNRNN_ATLAS or the user cache)")
    _json_flag(m)
    m.set_defaults(func=_run_atlas_merge, check=_check_atlas, jax=False)


def _check_atlas(args):
    """The atlas verbs check their arguments in `tnrnn.atlas` before they open or write anything."""


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


VERBS.register("atlas", _add_atlas)
