"""Tests of tnrnn.tasks.train: small models learn, and the record layout the stand-in trainer copies."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from tnrnn.tasks import (
    CopyTask,
    SESTask,
    TrainConfig,
    init_model,
    train,
)
from tnrnn.testing import FakeTrainer


@pytest.mark.parametrize(
    ("cell", "task", "depth"),
    [
        ("rac", CopyTask(n=3, M_c=2, B=1), 2),
        ("rnn", CopyTask(n=3, M_c=2, B=1), 1),
        ("gru", CopyTask(n=3, M_c=2, B=1), 1),
        ("rac", SESTask(n=3, m=2, T=6), 1),
    ],
)
def test_tiny_model_loss_falls(cell, task, depth):
    config = TrainConfig(
        batch=32, lr=1e-2, max_steps=60, eval_every=20, patience=10, n_val=256, n_test=256, target_accuracy=1.1
    )
    model = init_model(
        cell, n_inputs=task.n_inputs, n_classes=task.n_classes, width=16, depth=depth, key=jax.random.key(0)
    )
    _, rec = train(task, model, config, key=jax.random.key(1), progress=False)
    start = rec["curves"]["train_loss"][0]
    end = rec["curves"]["val_loss"][-1]
    assert np.isfinite(end)
    # below the first chunk's mean training loss and below the memoryless / chance loss
    assert end < start and end < task.baselines()["loss"] + 0.05, rec["curves"]
    # the stand-in trainer of the wiring tests writes records of this layout
    assert _layout(rec) == _layout(FakeTrainer().record(task, config))


def _layout(rec):
    return sorted(rec), sorted(rec["curves"]), sorted(rec["test"]), sorted(rec["val"])


# --- slow: the depth sweep machinery end to end at a learnable size ------------------------------------------


@pytest.mark.slow
def test_ses_short_sequences_are_learned():
    task = SESTask(n=3, m=2, T=6)
    model = init_model(
        "gru", n_inputs=task.n_inputs, n_classes=task.n_classes, width=24, depth=1, key=jax.random.key(0)
    )
    _, rec = train(
        task, model, TrainConfig(max_steps=1500, n_val=500, n_test=1000), key=jax.random.key(1), progress=False
    )
    assert rec["test"]["accuracy"] > 0.9
