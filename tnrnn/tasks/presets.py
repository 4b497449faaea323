"""The presets of ``tnrnn experiment`` (`PRESETS`, `preset_settings`), the quick run and the defaults.

Re-exported by `tnrnn.tasks.experiment` and `tnrnn.tasks`.
"""

from __future__ import annotations

from tnrnn._types import check_choice
from tnrnn.cells import CELL_REGISTRY
from tnrnn.tasks.data import TASKS
from tnrnn.tasks.train import TrainConfig

__all__ = ["DEFAULTS", "PRESETS", "QUICK_CONFIG", "QUICK_VALUES", "preset_settings"]

#: training settings of ``quick=True``: a smoke run of a few seconds
QUICK_CONFIG = TrainConfig(batch=32, max_steps=40, eval_every=20, patience=2, n_val=64, n_test=64)

#: defaults of `run_experiment` / ``tnrnn experiment`` when neither a flag nor a preset sets a value
DEFAULTS = {"cell": "rac", "depths": [1, 2, 3], "seeds": [0, 1, 2], "n": 4, "m": 3, "M_c": 5, "params": [3000]}

_ADAM_GRID = [1e-3, 3e-3, 1e-2, 3e-2]
_RMSPROP_GRID = [3e-4, 1e-3, 3e-3, 1e-2]

#: the presets of ``tnrnn experiment --preset``: per preset and task, the sweep, the model sizes and the training
#: protocol. ``cpu`` finishes one task in about 30 minutes on one CPU core; ``paper`` is the authors' scale
#: (32 symbols, words / copies of 30, hidden 64, up to 50k iterations, RMSProp, the plateau schedule) and needs a
#: GPU. The authors' public code has no grid of T and B: the values here are this package's choice.
PRESETS = {
    "cpu": {
        "ses": {"values": [12, 20, 28, 36], "n": 4, "m": 3},
        "copy": {"values": [5, 10, 20, 40], "n": 4, "M_c": 3},
        "common": {
            "depths": [1, 2, 3],
            "seeds": [0, 1, 2, 3, 4],
            "params": [2000],
            "pilot_steps": 1000,
            "pilot_seeds": [1000, 1001],
            "train": {
                "batch": 128,
                "max_steps": 4000,
                "min_steps": 1500,
                "eval_every": 100,
                "patience": 8,
                "schedule": "plateau",
                "n_val": 1000,
                "n_test": 2000,
            },
        },
    },
    "paper": {
        "ses": {"values": [60, 80, 100, 120, 160], "n": 32, "m": 30, "train": {"min_delta": 1e-3}},
        # the authors' min_delta is 1e-3·M_c/T; 1e-4 is its value at T = 300 and below it for these B
        "copy": {"values": [10, 30, 60, 100, 200], "n": 32, "M_c": 30, "train": {"min_delta": 1e-4}},
        "common": {
            "cell": "scornn",
            "depths": [1, 2, 3],
            "seeds": [0, 1, 2, 3, 4],
            "width": 64,
            "pilot_steps": 10000,
            "pilot_seeds": [1000, 1001],
            "train": {
                "batch": 128,
                "max_steps": 50000,
                "min_steps": 10000,
                "eval_every": 1000,
                "patience": 10,
                "schedule": "plateau",
                "optimizer": "rmsprop",
                "lr": 1e-3,
                "lr_A": 1e-4,
                "n_val": 5000,
                "n_test": 10000,
            },
        },
    },
}


def preset_settings(preset: str, task: str, *, cell: str | None = None, quick: bool = False) -> dict:
    """The `run_experiment` keywords of a preset (``config`` as a `TrainConfig`, ``lr_grid`` by optimizer).

    With ``quick`` the preset shrinks to a smoke run: its first value, two seeds, depths 1 and 2, two learning
    rates, one pilot seed and `QUICK_CONFIG`'s step counts and set sizes (the schedule and optimizer are kept).
    """
    check_choice("preset", preset, tuple(PRESETS))
    check_choice("task", task, TASKS)
    spec = PRESETS[preset]
    out = {k: v for k, v in spec["common"].items() if k != "train"}
    out.update({k: v for k, v in spec[task].items() if k != "train"})
    train_kw = {**spec["common"]["train"], **spec[task].get("train", {})}
    cell = cell or out.get("cell") or DEFAULTS["cell"]
    out["cell"] = cell
    if "optimizer" not in train_kw:  # the cell's own settings (scoRNN: the authors' RMSprop rates)
        train_kw.update(getattr(CELL_REGISTRY.get(cell), "train_defaults", {}))
    out["lr_grid"] = list(_RMSPROP_GRID if train_kw.get("optimizer") == "rmsprop" else _ADAM_GRID)
    if quick:
        q = QUICK_CONFIG
        train_kw.update(
            batch=q.batch,
            max_steps=q.max_steps,
            min_steps=0,
            eval_every=q.eval_every,
            patience=1,
            n_val=q.n_val,
            n_test=q.n_test,
        )
        out.update(
            values=out["values"][:1],
            seeds=out["seeds"][:2],
            depths=out["depths"][:2],
            lr_grid=out["lr_grid"][1:3],
            pilot_steps=q.eval_every,
            pilot_seeds=out["pilot_seeds"][:1],
        )
    out["config"] = TrainConfig(**train_kw)
    return out


#: the swept values of ``quick=True`` when none are given (SES lengths ``T``, Copying Memory delays ``B``)
QUICK_VALUES = {"ses": [8, 12], "copy": [5, 10]}
