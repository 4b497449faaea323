"""Learning-rate tuning fixed in advance: a small grid per (cell, depth, parameter budget), validation data only.

Protocol (recorded in the results file by `tnrnn.tasks.run_experiment`)
-----------------------------------------------------------------------
For each (cell, depth, budget), every learning rate of the grid trains one model per *pilot seed* for at most
``pilot_steps`` steps on the *pilot value* of the sweep (one length ``T`` or delay ``B``), with the final runs'
schedule otherwise. Pilot seeds are disjoint from the final seeds, so the pilot never sees a final run's
initialisation, batches, validation or test set. A learning rate's score is the mean over pilot seeds of the
validation metric of the best checkpoint (accuracy; data accuracy for Copying Memory); ties go to the lower mean
validation loss, then to the smaller learning rate. `train` is called with ``test=False``: the test set is never
scored, so it cannot influence the choice. For scoRNN the ``A`` learning rate keeps its ratio to ``lr``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import numpy as np

from tnrnn._types import ArgumentError
from tnrnn.tasks.models import init_model
from tnrnn.tasks.train import TrainConfig, train

__all__ = ["seed_keys", "tune_lr", "check_lr_grid"]


def seed_keys(seed: int):
    """``(init_key, data_key)`` of a run: the one place where a seed becomes PRNG keys."""
    return jax.random.split(jax.random.key(int(seed)))


def check_lr_grid(lrs) -> list[float]:
    """A non-empty list of distinct positive finite learning rates, sorted ascending."""
    try:
        out = sorted({float(v) for v in lrs})
    except (TypeError, ValueError):
        raise ArgumentError("lr_grid", lrs, "a comma-separated list of positive learning rates") from None
    if not out or not all(0 < v < np.inf for v in out):
        raise ArgumentError("lr_grid", list(lrs), "a non-empty list of positive, finite learning rates")
    return out


def _config_for(config: TrainConfig, lr: float) -> TrainConfig:
    return dataclasses.replace(config, lr=lr, lr_A=config.lr_A * lr / config.lr)


def tune_lr(
    task,
    cell: str,
    *,
    depth: int,
    width: int,
    lrs: Sequence[float],
    config: TrainConfig,
    seeds: Sequence[int],
    metric: str,
    progress: bool = False,
    desc: str = "",
) -> dict:
    """Try every learning rate of ``lrs`` on ``task`` (the pilot value) and choose one from validation data.

    Parameters
    ----------
    task
        The pilot task (one value of the sweep).
    cell, depth, width
        The model (`init_model`).
    lrs : sequence of float
        The grid.
    config : TrainConfig
        The pilot's training settings (the final runs' with the pilot step budget); ``lr`` is replaced.
    seeds : sequence of int
        Pilot seeds (disjoint from the final seeds).
    metric : {"accuracy", "data_accuracy"}
        Validation metric to maximise.

    Returns
    -------
    dict
        ``chosen_lr``, ``scores`` (per learning rate: ``lr``, ``val_metric`` mean, ``val_loss`` mean) and ``trials``
        (per learning rate and seed: ``val`` metrics of the best checkpoint, ``steps``, ``best_step``,
        ``stop_reason``, ``wall_s``). No entry holds test metrics.
    """
    lrs = check_lr_grid(lrs)
    sizes = {"n_inputs": task.n_inputs, "n_classes": task.n_classes}
    trials, scores = [], []
    for lr in lrs:
        cfg = _config_for(config, lr)
        vals = []
        for s in seeds:
            k_init, k_data = seed_keys(s)
            model = init_model(cell, width=width, depth=depth, key=k_init, **sizes)
            _, rec = train(task, model, cfg, key=k_data, progress=progress, desc=f"{desc} lr={lr:g} s={s}", test=False)
            vals.append(rec["val"])
            trials.append(
                {
                    "lr": lr,
                    "seed": int(s),
                    "val": rec["val"],
                    "steps": rec["steps"],
                    "best_step": rec["best_step"],
                    "stop_reason": rec["stop_reason"],
                    "wall_s": rec["wall_s"],
                }
            )
        scores.append(
            {
                "lr": lr,
                "val_metric": float(np.mean([v[metric] for v in vals])),
                "val_loss": float(np.mean([v["loss"] for v in vals])),
            }
        )

    def rank(sc):  # higher metric, then lower loss (NaN loss last), then smaller lr
        loss = sc["val_loss"] if np.isfinite(sc["val_loss"]) else np.inf
        metric_v = sc["val_metric"] if np.isfinite(sc["val_metric"]) else -np.inf
        return (-metric_v, loss, sc["lr"])

    chosen = min(scores, key=rank)
    return {"chosen_lr": chosen["lr"], "scores": scores, "trials": trials}
