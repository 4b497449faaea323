"""Sweeps of depth against sequence length (SES) or delay (Copying Memory), and their JSON results file.

`run_experiment` trains one model per (depth, length, seed), with widths chosen per depth so that parameter
counts
match a budget (or one fixed width), and returns a JSON-ready dict holding every setting, seed, curve and
final
metric. `save_results` / `load_results` write and read it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
from collections.abc import Sequence

import jax
import numpy as np

from tnrnn._io import atomic_savefig, atomic_write, check_file_name, check_output_dir
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.tasks.data import TASKS, make_task
from tnrnn.tasks.models import CELLS, init_model, match_width, param_count
from tnrnn.tasks.train import TrainConfig, train

__all__ = [
    "run_experiment",
    "save_results",
    "load_results",
    "summarize",
    "QUICK_CONFIG",
    "RESULTS_FORMAT",
    "format_summary",
]

RESULTS_FORMAT = "tnrnn-memory-experiment/1"

#: training settings of ``quick=True``: a smoke run of a few seconds
QUICK_CONFIG = TrainConfig(batch=32, max_steps=40, eval_every=20, patience=2, n_val=64, n_test=64)

#: the swept values of ``quick=True`` when none are given (SES lengths ``T``, Copying Memory delays ``B``)
QUICK_VALUES = {"ses": [8, 12], "copy": [5, 10]}


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
    params: int | None = 3000,
    width: int | None = None,
    config: TrainConfig | None = None,
    quick: bool = False,
    progress: bool = True,
    command: str | None = None,
) -> dict:
    """Train every (depth, value, seed) and collect the results.

    Parameters
    ----------
    task : {"ses", "copy"}
        Start-End Similarity (``values`` are lengths ``T``) or Copying Memory (``values`` are delays ``B``).
    cell : {"rac", "rnn", "gru"}
    depths : sequence of int
        Depths ``>= 1``.
    values : sequence of int
        ``T`` (SES, even, ``>= 2m``) or ``B`` (copy, ``>= 0``).
    seeds : sequence of int
        One run per seed; the seed fixes the initialisation, the training batches and the validation/test
        sets.
    n : int
        Data symbols.
    m, C : int
        SES word length and similarity levels minus one.
    M_c : int
        Copying Memory symbols to memorise.
    params : int or None
        Parameter budget: each depth gets the width whose count is closest (`match_width`). Ignored if
        ``width``
        is given.
    width : int or None
        One fixed width for every depth.
    config : TrainConfig, optional
        Training settings (`QUICK_CONFIG` when ``quick``; else the `TrainConfig` defaults).
    quick : bool
        Smoke-test settings (a few dozen steps, tiny validation and test sets).
    progress : bool
        tqdm progress bars on stderr.
    command : str, optional
        The command line that produced the run (recorded for the plot caption).

    Returns
    -------
    dict
        The results file content (format `RESULTS_FORMAT`); see `summarize` for the ``summary`` table.
    """
    check_choice("task", task, TASKS)
    check_choice("cell", cell, CELLS)
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
    probe = tasks[values[0]]
    sizes = {"n_inputs": probe.n_inputs, "n_classes": probe.n_classes}
    if width is not None:
        width = check_positive_int("width", width)
        models = [(d, width, param_count(cell, width=width, depth=d, **sizes)) for d in depths]
        params = None
    else:
        if params is None:
            raise ArgumentError("params", params, "a parameter budget, or give a fixed width")
        models = [(d, *match_width(cell, d, params, **sizes)) for d in depths]

    start = time.perf_counter()
    runs = []
    for v in values:
        t = tasks[v]
        for d, R, count in models:
            for s in seeds:
                k_init, k_data = jax.random.split(jax.random.key(s))
                model = init_model(cell, width=R, depth=d, key=k_init, **sizes)
                _, rec = train(t, model, config, key=k_data, progress=progress, desc=f"{task} {sweep}={v} L={d} s={s}")
                runs.append(
                    {
                        "depth": d,
                        sweep: v,
                        "seed": s,
                        "width": R,
                        "n_params": count,
                        "task": t.settings(),
                        **rec,
                    }
                )
    results = {
        "format": RESULTS_FORMAT,
        "task": task,
        "cell": cell,
        "sweep": sweep,
        "values": values,
        "depths": depths,
        "seeds": seeds,
        "task_settings": settings,
        "params_target": params,
        "models": [{"depth": d, "width": R, "n_params": c} for d, R, c in models],
        "train_config": config.to_dict(),
        "quick": bool(quick),
        "metric": "data_accuracy" if task == "copy" else "accuracy",
        "baselines": {str(v): tasks[v].baselines() for v in values},
        "command": command,
        "environment": {
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "python": platform.python_version(),
        },
        "wall_s": time.perf_counter() - start,
        "runs": runs,
    }
    results["summary"] = summarize(results)
    return results


def summarize(results: dict) -> list[dict]:
    """Mean and sample standard deviation over seeds of the test metric, per (depth, value).

    Returns rows ``{"depth", sweep, "mean", "sd", "n", "values"}`` with ``sd = 0`` for a single seed.
    """
    sweep, metric = results["sweep"], results["metric"]
    rows = []
    for d in results["depths"]:
        for v in results["values"]:
            accs = [r["test"][metric] for r in results["runs"] if r["depth"] == d and r[sweep] == v]
            if not accs:
                continue
            sd = float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0
            rows.append({"depth": d, sweep: v, "mean": float(np.mean(accs)), "sd": sd, "n": len(accs), "values": accs})
    return rows


def save_results(results: dict, path) -> str:
    """Write ``results`` as JSON (indented, keys in insertion order); returns the path."""
    path = str(path)
    with atomic_write(path) as fh:
        json.dump(results, fh, indent=1, allow_nan=True, default=_jsonable)
        fh.write("\n")
    return path


def load_results(source) -> dict:
    """A results dict from a path (or the dict itself, returned unchanged)."""
    if isinstance(source, dict):
        return source
    with open(source) as fh:
        results = json.load(fh)
    if results.get("format") != RESULTS_FORMAT:
        raise ArgumentError("results", str(source), f"a results file of format {RESULTS_FORMAT!r}")
    return results


def _jsonable(obj):
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and math.isnan(obj):  # pragma: no cover - json handles floats itself
        return None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def format_summary(results: dict, *, digits: int = 3) -> str:
    """A markdown table of the test metric: one row per depth (with width and parameter count), one column per
    swept value, entries ``mean ± sd`` over seeds, plus the baseline row."""
    results = load_results(results)
    sweep, rows = results["sweep"], results["summary"]
    values = results["values"]
    models = {m["depth"]: m for m in results["models"]}
    head = "| depth (width, params) | " + " | ".join(f"{sweep}={v}" for v in values) + " |"
    lines = [head, "|" + "---|" * (len(values) + 1)]
    for d in results["depths"]:
        cells = []
        for v in values:
            row = next((r for r in rows if r["depth"] == d and r[sweep] == v), None)
            cells.append("" if row is None else f"{row['mean']:.{digits}f} ± {row['sd']:.{digits}f}")
        mdl = models[d]
        lines.append(f"| {d} ({mdl['width']}, {mdl['n_params']}) | " + " | ".join(cells) + " |")
    base = [f"{results['baselines'][str(v)][results['metric']]:.{digits}f}" for v in values]
    lines.append("| baseline | " + " | ".join(base) + " |")
    return "\n".join(lines)


def run_cli_experiment(
    task: str,
    *,
    T=None,
    B=None,
    out,
    name: str | None = None,
    plot: bool = False,
    quick: bool = False,
    steps: int | None = None,
    batch: int | None = None,
    lr: float | None = None,
    optimizer: str | None = None,
    patience: int | None = None,
    **kwargs,
) -> dict:
    """What ``tnrnn experiment`` does: check the sweep, run it, write ``OUT/NAME.json`` (and ``NAME.png``).

    ``T`` (SES) or ``B`` (copy) is the swept list; ``steps``, ``batch``, ``lr``, ``optimizer`` and ``patience``
    override the training settings (`TrainConfig` or `QUICK_CONFIG`). Other keywords go to `run_experiment`.
    Returns a dict with ``path``, ``files``, ``models``, ``summary``, ``wall_s`` and a markdown ``table``.
    """
    import os

    check_choice("task", task, TASKS)
    sweep, values, other = ("T", T, B) if task == "ses" else ("B", B, T)
    if values is None and quick:
        values = QUICK_VALUES[task]
    if values is None:
        what = "even sequence lengths" if task == "ses" else "delays"
        raise ArgumentError(sweep, values, f"a comma-separated list of {what}, required for {task}")
    if other is not None:
        wrong = "B" if task == "ses" else "T"
        raise ArgumentError(wrong, other, f"not used by {task}; sweep over --{sweep}")
    base = QUICK_CONFIG if quick else TrainConfig()
    overrides = {"max_steps": steps, "batch": batch, "lr": lr, "optimizer": optimizer, "patience": patience}
    config = dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})
    stem = check_file_name("name", name) if name is not None else task
    check_output_dir("out", out)
    command = _command_line(task, sweep, values, out, stem, plot, quick, overrides, kwargs)
    results = run_experiment(task, values=values, config=config, quick=quick, command=command, **kwargs)
    os.makedirs(out, exist_ok=True)
    path = save_results(results, os.path.join(out, f"{stem}.json"))
    files = [path]
    if plot:
        from tnrnn.plots import plot_memory_accuracy

        fig, _ = plot_memory_accuracy(results)
        png = atomic_savefig(fig, os.path.join(out, f"{stem}.png"), dpi=150, bbox_inches="tight")
        files.append(png)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return {
        "path": path,
        "files": files,
        "task": task,
        "cell": results["cell"],
        "models": results["models"],
        "summary": [{k: v for k, v in row.items() if k != "values"} for row in results["summary"]],
        "wall_s": results["wall_s"],
        "table": format_summary(results),
    }


def _command_line(task, sweep, values, out, stem, plot, quick, overrides, kwargs) -> str:
    """The canonical ``tnrnn experiment`` command that reproduces a run (recorded in the results file)."""

    def fmt(v):
        return ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)

    flags = {"M_c": "--M-c"}
    parts = ["tnrnn experiment", task, f"--{sweep} {fmt(values)}"]
    keys = ("cell", "depths", "seeds", "n", "m" if task == "ses" else "M_c", "params", "width")
    for k in keys:
        if kwargs.get(k) is not None and not (k == "params" and kwargs.get("width") is not None):
            parts.append(f"{flags.get(k, '--' + k)} {fmt(kwargs[k])}")
    parts += [f"--{'steps' if k == 'max_steps' else k} {v}" for k, v in overrides.items() if v is not None]
    parts.append(f"--out {out}")
    if stem != task:
        parts.append(f"--name {stem}")
    parts += [f for f, on in (("--plot", plot), ("--quick", quick)) if on]
    return " ".join(parts)
