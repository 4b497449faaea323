"""The size model of a memory experiment (`tnrnn.tasks.run_experiment`), checked before any work and without JAX.

``tnrnn experiment`` calls `refuse_experiment_sizes` on its flags before it imports JAX (so it lives outside
`tnrnn.tasks`, whose package imports JAX); the per-layer parameter sizes come from the cell's trainable form
(`tnrnn.cells.trainable`), so no cell is named here.
"""

from __future__ import annotations

import math

__all__ = ["TRAIN_SIZE_DEFAULTS", "refuse_experiment_sizes"]

#: the training settings assumed when an option is not given (`tnrnn.tasks.TrainConfig`'s ``batch`` and ``n_test``)
TRAIN_SIZE_DEFAULTS = {"batch": 128, "n_test": 2000}


def refuse_experiment_sizes(
    cell: str,
    *,
    sweep: str,
    values,
    depths,
    seeds,
    params,
    n: int,
    M_c: int,
    width: int | None = None,
    batch: int | None = None,
    tune_at: int | None = None,
    steps: int | None = None,
    min_steps: int | None = None,
    pilot_steps: int | None = None,
) -> None:
    """Refuse an experiment beyond the loop or memory limits of `tnrnn.sizes`, naming the flag to lower.

    Loops: steps per run (``steps``, ``min_steps``, ``pilot_steps``) and the number of runs (depths x seeds x
    budgets x swept values). Arrays of the largest run: the weights and optimizer state (the cell's
    ``layer_param_count`` per layer), the one-hot inputs of a batch (or of the test set) and the activations of one
    batch kept for back-propagation, each blamed on the argument that sets its largest size.

    Parameters
    ----------
    cell : str
        A trainable cell (`tnrnn.cells.trainable_cell_names`; checked).
    sweep : {"T", "B"}
        The swept argument (SES: lengths ``T``; Copying Memory: delays ``B``), with its ``values`` (None: the
        preset's or the quick run's, sized as 16).
    depths, seeds, params : sequences of int
        The other swept lists (``params``: parameter budgets).
    n, M_c : int
        Data symbols, and the copied word length (Copying Memory adds ``2 M_c + 1`` steps to a delay).
    width, batch, tune_at, steps, min_steps, pilot_steps : int, optional
        The flags of the same names (None: not given).

    Raises
    ------
    tnrnn.ArgumentError
        One line naming the argument, its value and the size it would need.
    """
    from tnrnn.cells.trainable import trainable_cell
    from tnrnn.sizes import MAX_RUNS, MAX_STEPS, SizeModel, check_loop

    layer = trainable_cell(cell)
    for name, value in (("steps", steps), ("min_steps", min_steps), ("pilot_steps", pilot_steps)):
        if value is not None:
            check_loop(name, value, "training steps per run", value, MAX_STEPS)
    lists = {"depths": depths, "seeds": seeds, "params": params, sweep: values or (0, 0)}
    runs = math.prod(len(v) for v in lists.values())
    longest = max(lists, key=lambda k: len(lists[k]))
    check_loop(longest, lists[longest], "training runs (depths x seeds x budgets x swept values)", runs, MAX_RUNS)
    depth = max(depths)
    R = width if width is not None else max(1, math.isqrt(max(params)))
    tune_at = tune_at or 0
    length = max(*(values or (16,)), tune_at) + (2 * M_c + 1 if sweep == "B" else 0)
    rows = max(batch or TRAIN_SIZE_DEFAULTS["batch"], TRAIN_SIZE_DEFAULTS["n_test"] // 8)
    symbols = n + 3  # data symbols, blank, marker and delimiter: the one-hot width of the inputs
    model = SizeModel("training run")
    model.array("params", max(params), "parameters and optimizer state", (max(params),), 16)
    by_width = ("width", R) if width is not None else ("params", max(params))
    size = by_width if R >= depth else ("depths", depth)
    per_layer = layer.layer_param_count(R, R)  # an upper layer: R inputs
    model.array(*size, "weights and optimizer state of one model", (depth, per_layer), 16)
    model.array(
        "n", n, "input weights and one-hot inputs", (R + max(rows, TRAIN_SIZE_DEFAULTS["n_test"]) * length, symbols), 8
    )
    long = (sweep, max(values or (0,))) if max(values or (0,)) >= tune_at else ("tune_at", tune_at)
    name, value = max(
        (
            ("batch", batch or 0, (batch or 0) / 128),
            (*long, length / 100),
            (*by_width, R / 100),
            ("depths", depth, depth / 4),
        ),
        key=lambda t: t[2],
    )[:2]
    model.array(name, value, "training activations (batch x length x width x depth)", (rows, length, R, depth), 32)
    model.refuse()
