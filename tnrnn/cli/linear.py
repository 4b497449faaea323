"""``tnrnn linear``: the implicit bias of linear RNNs (`tnrnn.linear`)."""

from __future__ import annotations

import os

# --- linear (tnrnn.linear: implicit bias of linear RNNs) ---------------------------------------------------
#: `tnrnn.linear.experiments` parts and parameterisations (checked against the module by a test)
from tnrnn._choices import LINEAR_PARTS as _LINEAR_PARTS  # noqa: E402
from tnrnn._choices import PARAMETERISATIONS as _PARAMS  # noqa: E402
from tnrnn._types import ArgumentError, check_choice, check_float, check_positive_int
from tnrnn.cli._args import (
    VERBS,
    _float_list,
    _json_flag,
    _name_list,
    _Parser,
)


def _add_linear(sub):
    p = sub.add_parser("linear", help="implicit bias of linear RNNs: lag weights and experiments")
    lsub = p.add_subparsers(dest="linear_cmd", required=True, parser_class=_Parser)
    q = lsub.add_parser("lag-weights", help="analytic lag weights beta_j^2 and the memory lags they imply")
    q.add_argument(
        "--rho2",
        type=float,
        required=True,
        help="initial transition variance sigma_W^2 = rho^2, finite >= 0 (>= 1: no decay)",
    )
    q.add_argument("--sigma-c2", type=float, default=1.0, help="output-weight variance, finite >= 0")
    q.add_argument("--sigma-f2", type=float, default=1.0, help="input-weight variance, finite >= 0")
    q.add_argument("--J", type=int, default=20, help="largest lag, 0 <= J <= 100000")
    q.add_argument("--param", default="ntk", help="ntk | standard")
    q.add_argument("--lr-scale", type=_float_list, default=[1.0, 1.0, 1.0], help="relative rates W,F,C, each >= 0")
    _json_flag(q)
    q.set_defaults(func=_run_linear_lag_weights, check=_check_lag_weights, jax=True)
    e = lsub.add_parser("experiment", help="run the linear-RNN experiments and write a results JSON")
    e.add_argument("--out", required=True, help="output folder (linear.json or linear_quick.json is written)")
    e.add_argument("--quick", action="store_true", help="smoke-sized settings (seconds)")
    e.add_argument("--parts", type=_name_list, default=list(_LINEAR_PARTS), help="comma-separated subset")
    _json_flag(e)
    e.set_defaults(func=_run_linear_experiment, check=_check_linear_experiment, jax=True)


def _check_lag_weights(args):
    for name in ("rho2", "sigma_c2", "sigma_f2"):
        check_float(name, getattr(args, name), minimum=0)
    check_positive_int("J", args.J, minimum=0)
    if args.J > 100_000:
        raise ArgumentError("J", args.J, "an integer 0 <= J <= 100000 (one lag weight per lag is listed)")
    check_choice("param", args.param, _PARAMS)
    if len(args.lr_scale) != 3:
        raise ArgumentError("lr_scale", args.lr_scale, "three relative learning rates (lr_W, lr_F, lr_C)")
    for v in args.lr_scale:
        check_float("lr_scale", v, minimum=0)


def _run_linear_lag_weights(args):
    from tnrnn.linear import lag_weight_summary

    return lag_weight_summary(
        args.J,
        rho2=args.rho2,
        sigma_c2=args.sigma_c2,
        sigma_f2=args.sigma_f2,
        param=args.param,
        lr_scale=args.lr_scale,
    )


def _check_linear_experiment(args):
    from tnrnn._io import check_output_dir, check_output_file

    for part in args.parts:
        check_choice("parts", part, _LINEAR_PARTS)
    check_output_dir("out", args.out)
    if os.path.exists(args.out):
        check_output_file("out", os.path.join(args.out, "linear_quick.json" if args.quick else "linear.json"))


def _run_linear_experiment(args):
    from tnrnn.linear.experiments import run_linear_experiments, summarise_results

    res = run_linear_experiments(args.out, quick=args.quick, parts=args.parts)
    return {"path": res["path"], "mode": res["mode"], "summary": summarise_results(res)}


VERBS.register("linear", _add_linear)
