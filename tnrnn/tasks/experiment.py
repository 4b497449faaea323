"""Sweeps of depth against sequence length (SES) or delay (Copying Memory), and their JSON results file.

`run_experiment` trains one model per (depth, length, seed), with widths chosen per depth so that parameter
counts match a budget (or one fixed width), and returns a JSON-ready dict holding every setting, seed, curve and
final metric. `save_results` / `load_results` (`tnrnn.tasks.results`) write and read it; the presets are
`tnrnn.tasks.presets`, the tables of a results file `tnrnn.tasks.summary` (all re-exported here).
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Sequence

import jax

from tnrnn._io import check_file_name, check_output_dir
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.cells import trainable_cell
from tnrnn.tasks.data import TASKS, make_task
from tnrnn.tasks.models import init_model, match_width, param_count
from tnrnn.tasks.presets import (  # noqa: F401 (re-exported)
    _ADAM_GRID,
    _RMSPROP_GRID,
    DEFAULTS,
    PRESETS,
    QUICK_CONFIG,
    QUICK_VALUES,
    preset_settings,
)
from tnrnn.tasks.results import READ_FORMATS, RESULTS_FORMAT, load_results, save_results  # noqa: F401 (re-exported)
from tnrnn.tasks.stats import SOLVED_THRESHOLD, analyze
from tnrnn.tasks.summary import format_summary, format_tests, summarize  # noqa: F401 (re-exported)
from tnrnn.tasks.train import TrainConfig, train
from tnrnn.tasks.tuning import check_lr_grid, seed_keys, tune_lr

__all__ = [
    "run_experiment",
    "save_results",
    "load_results",
    "summarize",
    "QUICK_CONFIG",
    "RESULTS_FORMAT",
    "PRESETS",
    "preset_settings",
    "format_summary",
    "format_tests",
]


def _check_list(name: str, values, minimum: int) -> list[int]:
    values = list(values)
    if not values:
        raise ArgumentError(name, values, "a non-empty list of integers")
    return [check_positive_int(name, v, minimum=minimum) for v in values]


def run_experiment(
    task: str,
    *,
    cell: str = "rac",
    depths: Sequence[int] = (1, 2, 3),
    values: Sequence[int],
    seeds: Sequence[int] = (0, 1, 2),
    n: int = 4,
    m: int = 3,
    M_c: int = 5,
    C: int = 2,
    params: int | Sequence[int] | None = 3000,
    width: int | None = None,
    config: TrainConfig | None = None,
    quick: bool = False,
    progress: bool | None = None,
    command: str | None = None,
    lr_grid: Sequence[float] | None = None,
    pilot_steps: int | None = None,
    pilot_seeds: Sequence[int] = (1000, 1001),
    tune_at: int | None = None,
    preset: str | None = None,
    on_run=None,
) -> dict:
    """Train every (budget, value, depth, seed), after tuning the learning rate per (depth, budget) if asked.

    Parameters
    ----------
    task : {"ses", "copy"}
        Start-End Similarity (``values`` are lengths ``T``) or Copying Memory (``values`` are delays ``B``).
    cell : str
        One of `tnrnn.tasks.models.CELLS`: ``rac``, ``bilinear``, ``mi``, ``quad``, ``linear`` (the trainable
        polynomial cells, `tnrnn.tasks.models.PolynomialCell`), ``rnn``, ``gru``, ``scornn``
        (`tnrnn.cells.trainable_cell_names`).
    depths : sequence of int
        Depths ``>= 1``.
    values : sequence of int
        ``T`` (SES, even, ``>= 2m``) or ``B`` (copy, ``>= 0``).
    seeds : sequence of int
        One run per seed; the seed fixes the initialisation, the training batches and the validation/test
        sets (`tnrnn.tasks.tuning.seed_keys`), so a seed pairs runs across depths.
    n : int
        Data symbols.
    m, C : int
        SES word length and similarity levels minus one.
    M_c : int
        Copying Memory symbols to memorise.
    params : int, sequence of int or None
        Parameter budget(s): each depth gets the width whose count is closest (`match_width`). Several budgets
        sweep capacity (typically at one value). Ignored if ``width`` is given.
    width : int or None
        One fixed width for every depth.
    config : TrainConfig, optional
        Training settings (`QUICK_CONFIG` when ``quick``; else the `TrainConfig` defaults).
    quick : bool
        Smoke-test settings (a few dozen steps, tiny validation and test sets) when ``config`` is not given.
    progress : bool or None
        tqdm progress bars on stderr; None (default): only when stderr is a terminal or a notebook.
    command : str, optional
        The command line that produced the run (recorded for the plot caption).
    lr_grid : sequence of float, optional
        Tune the learning rate per (depth, budget) over this grid (`tnrnn.tasks.tuning`); None uses
        ``config.lr`` everywhere.
    pilot_steps : int, optional
        Step budget of each pilot run (default a third of ``config.max_steps``).
    pilot_seeds : sequence of int
        Seeds of the pilot runs; must be disjoint from ``seeds``.
    tune_at : int, optional
        The value of the sweep the pilots run at (default the middle of ``values``).
    preset : str, optional
        Name of the preset the settings came from (recorded only).
    on_run : callable, optional
        Called with the results dict so far (settings, tuning, finished runs; no summary) after every tuning
        (depth, budget) and every final run.

    Returns
    -------
    dict
        The results file content (format `RESULTS_FORMAT`): settings, ``protocol``, ``tuning`` (every pilot
        result), ``runs``, ``summary`` (`summarize`) and ``analysis`` (`tnrnn.tasks.stats.analyze`).
    """
    check_choice("task", task, TASKS)
    trainable_cell(cell)
    depths = _check_list("depths", depths, 1)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ArgumentError("seeds", seeds, "a non-empty list of integers")
    sweep = "T" if task == "ses" else "B"
    values = _check_list(sweep, values, 0 if task == "copy" else 1)
    settings = {"n": n, "m": m, "C": C} if task == "ses" else {"n": n, "M_c": M_c}
    tasks = {v: make_task(task, **settings, **{sweep: v}) for v in values}  # validates every setting up front
    if config is None:
        config = QUICK_CONFIG if quick else TrainConfig()
    tuning_on = lr_grid is not None
    if tuning_on:
        lr_grid = check_lr_grid(lr_grid)
        pilot_steps = check_positive_int("pilot_steps", pilot_steps or max(config.eval_every, config.max_steps // 3))
        pilot_seeds = [int(s) for s in pilot_seeds]
        if not pilot_seeds or set(pilot_seeds) & set(seeds):
            raise ArgumentError("pilot_seeds", pilot_seeds, f"a non-empty list of seeds disjoint from seeds={seeds}")
        tune_at = values[len(values) // 2] if tune_at is None else tune_at
        pilot_task = tasks.get(tune_at) or make_task(task, **settings, **{sweep: tune_at})
    probe = tasks[values[0]]
    sizes = {"n_inputs": probe.n_inputs, "n_classes": probe.n_classes}
    if width is not None:
        width = check_positive_int("width", width)
        budgets = [None]
        models = [(None, d, width, param_count(cell, width=width, depth=d, **sizes)) for d in depths]
    else:
        if params is None:
            raise ArgumentError("params", params, "a parameter budget, or give a fixed width")
        budgets = _check_list("params", [params] if isinstance(params, int) else params, 1)
        models = [(b, d, *match_width(cell, d, b, **sizes)) for b in budgets for d in depths]
    metric = "data_accuracy" if task == "copy" else "accuracy"

    start = time.perf_counter()
    results = {
        "format": RESULTS_FORMAT,
        "task": task,
        "cell": cell,
        "sweep": sweep,
        "values": values,
        "depths": depths,
        "seeds": seeds,
        "task_settings": settings,
        "params_target": budgets[0] if len(budgets) == 1 else None,
        "budgets": budgets,
        "models": [],
        "train_config": config.to_dict(),
        "protocol": {
            "tuned": tuning_on,
            "lr_grid": lr_grid,
            "pilot_steps": pilot_steps if tuning_on else None,
            "pilot_seeds": pilot_seeds if tuning_on else None,
            "pilot_value": tune_at if tuning_on else None,
            "selection": (
                "per (cell, depth, budget): highest mean validation " + metric + " of the best checkpoint over the "
                "pilot seeds; ties to lower mean validation loss, then smaller lr; test data never scored"
                if tuning_on
                else "one learning rate (train_config.lr) for every depth"
            ),
            "schedule": config.schedule,
            "min_steps": config.min_steps,
            "solved_threshold": SOLVED_THRESHOLD,
        },
        "tuning": [],
        "preset": preset,
        "quick": bool(quick),
        "metric": metric,
        "baselines": {str(v): tasks[v].baselines() for v in values},
        "command": command,
        "environment": {
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "device": str(jax.devices()[0].device_kind),
            "python": platform.python_version(),
        },
        "wall_s": None,
        "runs": [],
    }
    lrs = {}
    if tuning_on:
        pilot_config = dataclasses.replace(config, max_steps=pilot_steps)
        for b, d, R, count in models:
            rec = tune_lr(
                pilot_task,
                cell,
                depth=d,
                width=R,
                lrs=lr_grid,
                config=pilot_config,
                seeds=pilot_seeds,
                metric=metric,
                progress=progress,
                desc=f"tune {task} {sweep}={tune_at} L={d} P={b}",
            )
            lrs[(b, d)] = rec["chosen_lr"]
            results["tuning"].append({"params": b, "depth": d, "width": R, "n_params": count, **rec})
            if on_run is not None:
                on_run(results)
    results["models"] = [
        {"params": b, "depth": d, "width": R, "n_params": c, "lr": lrs.get((b, d), config.lr)} for b, d, R, c in models
    ]
    for b in budgets:
        for v in values:
            t = tasks[v]
            for bb, d, R, count in models:
                if bb != b:
                    continue
                lr = lrs.get((b, d), config.lr)
                cfg = dataclasses.replace(config, lr=lr, lr_A=config.lr_A * lr / config.lr)
                for s in seeds:
                    k_init, k_data = seed_keys(s)
                    model = init_model(cell, width=R, depth=d, key=k_init, **sizes)
                    _, rec = train(
                        t, model, cfg, key=k_data, progress=progress, desc=f"{task} {sweep}={v} L={d} P={b} s={s}"
                    )
                    results["runs"].append(
                        {
                            "depth": d,
                            sweep: v,
                            "seed": s,
                            "params_target": b,
                            "width": R,
                            "n_params": count,
                            "lr": lr,
                            "task": t.settings(),
                            **rec,
                        }
                    )
                    results["wall_s"] = time.perf_counter() - start
                    if on_run is not None:
                        on_run(results)
    results["wall_s"] = time.perf_counter() - start
    results["summary"] = summarize(results)
    results["analysis"] = analyze(results)
    return results


def run_cli_experiment(
    task: str,
    *,
    T=None,
    B=None,
    out,
    name: str | None = None,
    plot: bool = False,
    quick: bool = False,
    preset: str | None = None,
    progress: bool | None = None,
    **options,
) -> dict:
    """What ``tnrnn experiment`` does: resolve the preset and flags, check the sweep, run it, write its results.

    The results are ``OUT/NAME.json``. ``plot`` is only recorded in the run's command line: the plot itself
    (``NAME.png``) is drawn by the caller, as ``tnrnn experiment --plot`` does with
    `tnrnn.plots.save_memory_accuracy`, so that the tasks do not depend on the plots.

    ``T`` (SES) or ``B`` (copy) is the swept list (the preset's when None). Other ``options`` are the flags, None
    when not given: the sweep (``cell``, ``depths``, ``seeds``, ``n``, ``m``, ``M_c``, ``params``, ``width``),
    tuning (``lr_grid``, ``tune``, ``pilot_steps``, ``pilot_seeds``, ``tune_at``) and training (``steps``,
    ``batch``, ``lr``, ``lr_A``, ``optimizer``, ``patience``, ``min_steps``, ``schedule``). A flag overrides the
    preset, the preset overrides `DEFAULTS` / `TrainConfig`. Every setting is checked before any training.
    Returns a dict with ``path``, ``files``, ``models``, ``summary``, ``tests``, ``wall_s`` and a markdown
    ``table``.
    """
    import os

    check_choice("task", task, TASKS)
    sweep, values, other = ("T", T, B) if task == "ses" else ("B", B, T)
    if values is None and quick and preset is None:
        values = QUICK_VALUES[task]
    if values is None and preset is None:
        what = "even sequence lengths" if task == "ses" else "delays"
        raise ArgumentError(sweep, values, f"a comma-separated list of {what}, required for {task} without --preset")
    if other is not None:
        wrong = "B" if task == "ses" else "T"
        raise ArgumentError(wrong, other, f"not used by {task}; sweep over --{sweep}")
    base = preset_settings(preset, task, cell=options.get("cell"), quick=quick) if preset else {}
    if values is None:
        values = base["values"]
    kw = {}
    for k in ("cell", "depths", "seeds", "n", "m", "M_c", "params", "width", "pilot_steps", "pilot_seeds", "tune_at"):
        given = options.get(k)
        if given is not None:
            kw[k] = given
        elif k in base:
            kw[k] = base[k]
        elif k in DEFAULTS:
            kw[k] = DEFAULTS[k]
    if options.get("width") is not None:
        kw.pop("params", None)
    elif options.get("params") is not None:
        kw.pop("width", None)
    if task == "copy":
        kw.pop("m", None)
    else:
        kw.pop("M_c", None)
    config = base.get("config") or (QUICK_CONFIG if quick else TrainConfig())
    names = {
        "steps": "max_steps",
        "batch": "batch",
        "lr": "lr",
        "lr_A": "lr_A",
        "optimizer": "optimizer",
        "patience": "patience",
        "min_steps": "min_steps",
        "schedule": "schedule",
    }
    overrides = {names[k]: options[k] for k in names if options.get(k) is not None}
    config = dataclasses.replace(config, **overrides)
    lr_grid = options.get("lr_grid")
    tune = options.get("tune")
    if lr_grid is not None:
        kw["lr_grid"] = check_lr_grid(lr_grid)
    elif tune is False:
        pass
    elif tune or "lr_grid" in base:
        kw["lr_grid"] = base.get("lr_grid") or list(_RMSPROP_GRID if config.optimizer == "rmsprop" else _ADAM_GRID)
    stem = check_file_name("name", name) if name is not None else task
    check_output_dir("out", out)
    given = {k: v for k, v in options.items() if v is not None}
    command = _command_line(
        task, sweep, values if T is not None or B is not None else None, out, stem, plot, quick, preset, given
    )
    partial = os.path.join(out, f"{stem}.partial.json")

    def write_partial(res):  # what finished so far survives an interrupted sweep (settings are checked by now)
        os.makedirs(out, exist_ok=True)
        save_results({**res, "partial": True}, partial)

    results = run_experiment(
        task,
        values=values,
        config=config,
        quick=quick,
        command=command,
        progress=progress,
        preset=preset,
        on_run=write_partial,
        **kw,
    )
    os.makedirs(out, exist_ok=True)
    path = save_results(results, os.path.join(out, f"{stem}.json"))
    if os.path.exists(partial):
        os.remove(partial)
    files = [path]
    return {
        "path": path,
        "files": files,
        "task": task,
        "cell": results["cell"],
        "preset": preset,
        "models": results["models"],
        "tuning": [{k: t[k] for k in ("params", "depth", "chosen_lr")} for t in results["tuning"]],
        "summary": [{k: v for k, v in row.items() if k != "values"} for row in results["summary"]],
        "largest_solved": results["analysis"]["largest_solved"],
        "tests": results["analysis"]["paired"],
        "wall_s": results["wall_s"],
        "table": format_summary(results) + "\n\n" + format_tests(results),
    }


def _command_line(task, sweep, values, out, stem, plot, quick, preset, given) -> str:
    """The canonical ``tnrnn experiment`` command that reproduces a run (recorded in the results file)."""

    def fmt(v):
        return ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)

    flags = {
        "M_c": "--M-c",
        "lr_A": "--lr-A",
        "min_steps": "--min-steps",
        "lr_grid": "--lr-grid",
        "pilot_steps": "--pilot-steps",
        "pilot_seeds": "--pilot-seeds",
        "tune_at": "--tune-at",
    }
    parts = ["tnrnn experiment", task]
    if values is not None:
        parts.append(f"--{sweep} {fmt(values)}")
    if preset:
        parts.append(f"--preset {preset}")
    for k, v in given.items():
        if k == "tune":
            parts.append("--tune" if v else "--no-tune")
        else:
            parts.append(f"{flags.get(k, '--' + k)} {fmt(v)}")
    parts.append(f"--out {out}")
    if stem != task:
        parts.append(f"--name {stem}")
    parts += [f for f, on in (("--plot", plot), ("--quick", quick)) if on]
    return " ".join(parts)
