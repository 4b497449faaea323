"""Tests across tnrnn.tasks: a bad setting of any part (data, models, training, sweep) is one ArgumentError line."""

from __future__ import annotations

import jax
import pytest

from tnrnn._types import ArgumentError
from tnrnn.tasks import (
    CopyTask,
    SESTask,
    TrainConfig,
    init_model,
    run_experiment,
)

# --- bad settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: SESTask(n=4, m=5, T=8), "m"),  # T too short for the words
        (lambda: SESTask(n=4, m=3, T=11), "T"),  # odd T
        (lambda: SESTask(n=1, m=3, T=12), "n"),  # no different symbol to draw
        (lambda: CopyTask(n=4, M_c=0, B=3), "M_c"),
        (lambda: init_model("rac", n_inputs=5, n_classes=3, width=4, depth=0, key=jax.random.key(0)), "depth"),
        (lambda: init_model("lstm2", n_inputs=5, n_classes=3, width=4, depth=1, key=jax.random.key(0)), "cell"),
        (lambda: run_experiment("ses", values=[8, 9], seeds=[0], quick=True, progress=False), "T"),
        (lambda: run_experiment("ses", values=[12], depths=[0], seeds=[0], quick=True, progress=False), "depths"),
        (lambda: run_experiment("mnist", values=[12], seeds=[0]), "task"),
        (lambda: TrainConfig(optimizer="sgd2"), "optimizer"),
    ],
)
def test_bad_settings_raise_one_line_argument_errors(make, name):
    with pytest.raises(ArgumentError) as info:
        make()
    err = info.value
    assert err.name == name
    msg = str(err)
    assert "\n" not in msg and name in msg and repr(err.value) in msg
