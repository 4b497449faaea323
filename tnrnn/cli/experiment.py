"""``tnrnn experiment``: the memory-task experiments (`tnrnn.tasks`)."""

from __future__ import annotations

import argparse
import os

# --- experiment (tnrnn.tasks) -------------------------------------------------------------------------------
#: the choices of `tnrnn.tasks`: one definition in `tnrnn._choices` (JAX-free), the cells from the registry
from tnrnn._choices import TASKS as _TASKS  # noqa: E402
from tnrnn._choices import TRAIN_OPTIMIZERS as _OPTIMIZERS  # noqa: E402
from tnrnn._experiment_sizes import TRAIN_SIZE_DEFAULTS, refuse_experiment_sizes
from tnrnn._types import ArgumentError, check_choice, check_float, check_positive_int, check_seed
from tnrnn.cells.trainable import trainable_cell_names
from tnrnn.cli._args import (
    VERBS,
    _float_set,
    _int_list,
    _json_flag,
    _progress,
    _progress_flag,
)

_CELLS = trainable_cell_names()  # from the cell registry (light: no JAX)
_PRESETS, _SCHEDULES = ("cpu", "paper"), ("patience", "plateau")
# what `_check_experiment` assumes when neither a flag nor a preset sets a value (tnrnn.tasks.experiment.DEFAULTS)
_EXPERIMENT_DEFAULTS = {
    "cell": "rac",
    "depths": [1, 2, 3],
    "seeds": [0, 1, 2],
    "n": 4,
    "m": 3,
    "M_c": 5,
    "params": [3000],
}

#: the training-settings defaults used to size the memory check when an option is not given
_TRAIN_DEFAULTS = TRAIN_SIZE_DEFAULTS


def _add_experiment(sub):
    p = sub.add_parser("experiment", help="train RNNs of several depths on Copying Memory or SES")
    p.add_argument("task", help="ses (sweep over --T) | copy (sweep over the delay --B)")
    p.add_argument(
        "--preset",
        default=None,
        help="cpu (about 30 min per task on one core) | paper (the authors' scale; needs a GPU)",
    )
    p.add_argument(
        "--cell",
        default=None,
        help=" | ".join(_CELLS) + " (default rac; paper preset scornn)",
    )
    p.add_argument("--depths", type=_int_list, default=None, help="depths, e.g. 1,2,3 or 1:3")
    p.add_argument(
        "--T",
        type=_int_list,
        default=None,
        help="SES: even sequence lengths, e.g. 20,40,60 or 20:60:20 (--quick: 8,12)",
    )
    p.add_argument("--B", type=_int_list, default=None, help="copy: delays, e.g. 10,20,40 (--quick: 5,10)")
    p.add_argument(
        "--seeds",
        type=_int_list,
        default=None,
        help="the seed values themselves, e.g. 0,1,2 (one run per seed; integers >= 0)",
    )
    p.add_argument("--n", type=int, default=None, help="number of data symbols (default 4)")
    p.add_argument("--m", type=int, default=None, help="SES word length (default 3)")
    p.add_argument("--M-c", dest="M_c", type=int, default=None, help="copy: symbols to memorise (default 5)")
    p.add_argument(
        "--params",
        type=_int_list,
        default=None,
        help="parameter budget(s) matched across depths, e.g. 2000 or 500,2000,8000 (default 3000)",
    )
    p.add_argument("--width", type=int, default=None, help="one width for every depth (overrides --params)")
    p.add_argument("--steps", type=int, default=None, help="maximum training steps per run")
    p.add_argument(
        "--min-steps",
        dest="min_steps",
        type=int,
        default=None,
        help="no early stop and no lr decay before this many steps",
    )
    p.add_argument(
        "--schedule",
        default=None,
        help="patience (stop at the first stall) | plateau (lr x0.1 at the first stall, stop at the second)",
    )
    p.add_argument("--batch", type=int, default=None, help="training batch size")
    p.add_argument("--lr", type=float, default=None, help="learning rate, 0 < lr <= 1 (without tuning)")
    p.add_argument("--lr-A", dest="lr_A", type=float, default=None, help="scoRNN: learning rate of A")
    p.add_argument("--optimizer", default=None, help="adam | rmsprop")
    p.add_argument("--patience", type=int, default=None, help="validation checks without improvement make a stall")
    p.add_argument(
        "--tune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="tune the lr per depth and budget on validation data (default on with --preset)",
    )
    p.add_argument(
        "--lr-grid",
        dest="lr_grid",
        type=_float_set,
        default=None,
        help="learning rates tried by the tuning, e.g. 1e-3,3e-3,1e-2,3e-2 (implies --tune)",
    )
    p.add_argument("--pilot-steps", dest="pilot_steps", type=int, default=None, help="steps of each tuning run")
    p.add_argument(
        "--pilot-seeds",
        dest="pilot_seeds",
        type=_int_list,
        default=None,
        help="seeds of the tuning runs, disjoint from --seeds (default 1000,1001)",
    )
    p.add_argument(
        "--tune-at",
        dest="tune_at",
        type=int,
        default=None,
        help="the T or B the tuning runs at (default the middle value)",
    )
    p.add_argument("--out", required=True, help="directory for the results file (and the plot)")
    p.add_argument("--name", default=None, help="results file stem, a plain file name (default: the task name)")
    p.add_argument("--plot", action="store_true", help="also write the accuracy plot as PNG")
    p.add_argument("--quick", action="store_true", help="smoke-test settings (a few dozen steps)")
    _progress_flag(p, "progress bars")
    _json_flag(p)
    p.set_defaults(func=_run_experiment, check=_check_experiment, jax=True)


def _check_experiment(args):

    from tnrnn._io import check_file_name, check_output_dir, check_output_file

    check_choice("task", args.task, _TASKS)
    if args.preset is not None:
        check_choice("preset", args.preset, _PRESETS)
    # flags left unset take the preset's values (checked again, resolved, in run_cli_experiment) or the defaults
    defaults = {**_EXPERIMENT_DEFAULTS, "cell": "scornn" if args.preset == "paper" else "rac"}
    args = argparse.Namespace(**{**vars(args), **{k: v for k, v in defaults.items() if getattr(args, k) is None}})
    check_choice("cell", args.cell, _CELLS)
    if args.schedule is not None:
        check_choice("schedule", args.schedule, _SCHEDULES)
    if args.min_steps is not None:
        check_positive_int("min_steps", args.min_steps, minimum=0)
    for name in ("pilot_steps", "tune_at"):
        if getattr(args, name) is not None:
            check_positive_int(name, getattr(args, name), minimum=0 if name == "tune_at" else 1)
    for lr in args.lr_grid or ():
        check_float("lr_grid", lr, minimum=0, maximum=1, open_min=True)
    if args.lr_A is not None:
        check_float("lr_A", args.lr_A, minimum=0, maximum=1, open_min=True)
    for s in args.pilot_seeds or ():
        check_seed(s, "pilot_seeds")
    sweep, other = ("T", "B") if args.task == "ses" else ("B", "T")
    if getattr(args, other) is not None:
        raise ArgumentError(other, getattr(args, other), f"not used by {args.task}; sweep over --{sweep}")
    values = getattr(args, sweep)
    if values is None and not args.quick and args.preset is None:
        what = "even sequence lengths" if args.task == "ses" else "delays"
        raise ArgumentError(sweep, values, f"a list of {what}, required for {args.task} without --quick")
    for v in values or ():
        check_positive_int(sweep, v, minimum=4 if sweep == "T" else 0)
        if sweep == "T" and v % 2:
            raise ArgumentError("T", v, "an even integer (two halves of T/2 steps)")
        if sweep == "T" and v // 2 < args.m:
            raise ArgumentError("m", args.m, f"a word length 2 <= m <= T/2 = {v // 2} (T={v})")
    for d in args.depths:
        check_positive_int("depths", d)
    for s in args.seeds:
        check_seed(s, "seeds")
    check_positive_int("n", args.n, minimum=2)
    check_positive_int("m", args.m, minimum=2)
    check_positive_int("M_c", args.M_c)
    for budget in args.params:
        check_positive_int("params", budget)
    for name in ("width", "steps", "batch", "patience"):
        if getattr(args, name) is not None:
            check_positive_int(name, getattr(args, name))
    if args.lr is not None:
        check_float("lr", args.lr, minimum=0, maximum=1, open_min=True)
    if args.optimizer is not None:
        check_choice("optimizer", args.optimizer, _OPTIMIZERS)
    stem = check_file_name("name", args.name) if args.name is not None else args.task
    check_output_dir("out", args.out)
    for ext in (".json", ".png") if args.plot else (".json",):
        if os.path.exists(args.out):
            check_output_file("name", os.path.join(args.out, stem + ext))
    _refuse_experiment_sizes(args, sweep, values)


def _refuse_experiment_sizes(args, sweep: str, values):
    """`tnrnn._experiment_sizes.refuse_experiment_sizes` on the flags."""
    keys = ("depths", "seeds", "params", "n", "M_c", "width", "batch", "tune_at", "steps", "min_steps", "pilot_steps")
    refuse_experiment_sizes(args.cell, sweep=sweep, values=values, **{k: getattr(args, k) for k in keys})


# fmt: off
_EXPERIMENT_OPTIONS = (
    "cell", "depths", "seeds", "n", "m", "M_c", "params", "width", "steps", "min_steps", "schedule", "batch", "lr",
    "lr_A", "optimizer", "patience", "tune", "lr_grid", "pilot_steps", "pilot_seeds", "tune_at",
)
# fmt: on


def _run_experiment(args):
    from tnrnn.tasks.experiment import run_cli_experiment

    options = {k: getattr(args, k) for k in _EXPERIMENT_OPTIONS}
    res = run_cli_experiment(
        args.task,
        T=args.T,
        B=args.B,
        out=args.out,
        name=args.name,
        plot=args.plot,
        quick=args.quick,
        preset=args.preset,
        progress=_progress(args),
        **options,
    )
    if args.plot:
        from tnrnn.plots import save_memory_accuracy

        res["files"].append(save_memory_accuracy(res["path"], os.path.splitext(res["path"])[0] + ".png"))
    if not args.json:
        print(res.pop("table"))
        print(f"wrote {', '.join(res['files'])}")
        res["_quiet"] = True
    else:
        res.pop("table")
    return res


VERBS.register("experiment", _add_experiment)
