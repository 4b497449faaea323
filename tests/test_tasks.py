"""Tests of tnrnn.tasks: generators, baselines, models, parameter matching, training, results file and CLI."""

from __future__ import annotations

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.tasks import (
    QUICK_CONFIG,
    CopyTask,
    SESTask,
    TrainConfig,
    copy_baselines,
    copying_memory_batch,
    count_leaves,
    format_summary,
    init_model,
    load_results,
    match_width,
    param_count,
    run_experiment,
    save_results,
    ses_baselines,
    ses_batch,
    train,
)
from tnrnn.testing import FakeTrainer, assert_close

# --- Start-End Similarity data ------------------------------------------------------------------------------


#: the sizes the SES tests draw (one compilation of the jitted generator each); (5, 4, 8) has m = T/2
SES_SIZES = [(4, 3, 12), (5, 4, 8), (3, 6, 12), (8, 5, 20)]
#: one batch size for every SES draw, large enough for the frequency checks below
SES_BATCH = 30000


def _ses(n, m, T, seed):
    return tuple(np.asarray(a) for a in ses_batch(SES_BATCH, n=n, m=m, T=T, key=jax.random.key(seed)))


@pytest.mark.parametrize(("n", "m", "T"), SES_SIZES)
def test_ses_words_and_match_counts(n, m, T):
    x, y, matches = _ses(n, m, T, seed=0)
    half = T // 2
    assert x.shape == (SES_BATCH, T) and y.shape == (SES_BATCH,) and x.dtype == np.int32
    blank = x == n
    first_half, second_half = ~blank[:, :half], ~blank[:, half:]
    # one word of m consecutive symbols in each half, at the same offset
    assert np.array_equal(first_half, second_half)
    assert np.all(first_half.sum(axis=1) == m)
    starts = np.argmax(first_half, axis=1)
    idx = starts[:, None] + np.arange(m)[None, :]
    assert np.all(np.take_along_axis(first_half, idx, axis=1))
    w1 = np.take_along_axis(x, idx, axis=1)
    w2 = np.take_along_axis(x, idx + half, axis=1)
    assert np.all(w1 < n) and np.all(w2 < n)
    assert np.array_equal(np.sum(w1 == w2, axis=1), matches)
    # matches are round(k m / C) for k in {0, 1, 2}; the label is round(C matches / m)
    allowed = {int(np.round(k * m / 2)) for k in range(3)}
    assert set(np.unique(matches).tolist()) == allowed
    assert np.array_equal(y, np.round(2 * matches / m).astype(np.int32))
    if m == half:  # no room for an offset: no blanks at all
        assert not np.any(x == n)


def test_ses_labels_are_uniform_over_three_classes():
    _, y, _ = _ses(4, 3, 12, seed=1)
    freq = np.bincount(y, minlength=3) / SES_BATCH
    # three-sigma band of a multinomial proportion with p = 1/3 and N = 30000 is about 0.008
    assert np.all(np.abs(freq - 1 / 3) < 0.01), freq


def test_ses_differing_positions_take_other_symbols_uniformly():
    n, m, T = 5, 4, 8  # m = T/2: the words fill the halves
    x, _, _ = _ses(n, m, T, seed=2)
    w1, w2 = x[:, :m], x[:, m:]
    diff = w1 != w2
    shift = ((w2 - w1) % n)[diff]  # 1..n-1, each with probability 1/(n-1)
    assert shift.size > 10000
    freq = np.bincount(shift, minlength=n)[1:] / shift.size
    assert np.all(np.abs(freq - 1 / (n - 1)) < 0.02), freq
    assert set(np.unique(w1).tolist()) == set(range(n))


def test_ses_offsets_cover_every_placement():
    x, _, _ = _ses(4, 3, 12, seed=3)
    starts = np.argmax(x[:, :6] != 4, axis=1)
    assert set(np.unique(starts).tolist()) == {0, 1, 2, 3}


def test_ses_is_seeded():
    a, b, c = _ses(4, 3, 12, seed=7), _ses(4, 3, 12, seed=7), _ses(4, 3, 12, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_ses_baseline():
    base = ses_baselines()
    assert base["accuracy"] == pytest.approx(1 / 3)
    assert base["loss"] == pytest.approx(math.log(3))
    assert SESTask(n=4, m=3, T=12).baselines() == base


# --- Copying Memory data ------------------------------------------------------------------------------------


def test_copy_inputs_and_targets():
    n, M_c, B = 6, 4, 7
    x, y = (np.asarray(a) for a in copying_memory_batch(300, n=n, M_c=M_c, B=B, key=jax.random.key(0)))
    T = 2 * M_c + B
    assert x.shape == y.shape == (300, T)
    data = x[:, :M_c]
    assert data.min() >= 0 and data.max() < n
    assert np.all(x[:, M_c : M_c + B] == n)  # blanks during the delay
    assert np.all(x[:, M_c + B] == n + 1)  # recall marker at 0-based index M_c + B
    assert np.all(x[:, M_c + B + 1 :] == n)
    assert np.all(y[:, : M_c + B] == n)
    assert np.array_equal(y[:, M_c + B :], data)


def test_copy_baselines_match_notes_and_the_memoryless_strategy():
    n, M_c, B = 8, 10, 30
    T = 2 * M_c + B
    base = copy_baselines(n, M_c, B)
    assert base["loss"] == pytest.approx(M_c * math.log(n) / T)
    assert base["accuracy"] == pytest.approx((M_c + B + M_c / n) / T)
    assert base["data_accuracy"] == pytest.approx(1 / n)
    # the memoryless predictor (blank, then uniform over data symbols) attains the loss baseline exactly
    _, y = copying_memory_batch(64, n=n, M_c=M_c, B=B, key=jax.random.key(1))
    probs = np.zeros((T, n + 2))
    probs[: M_c + B, n] = 1.0
    probs[M_c + B :, :n] = 1.0 / n
    with np.errstate(divide="ignore"):
        logp = np.log(probs)
    nll = -np.take_along_axis(np.broadcast_to(logp, (64, T, n + 2)), np.asarray(y)[..., None], axis=-1)
    assert float(nll.mean()) == pytest.approx(base["loss"])


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


# --- models -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rac", "rnn", "gru"])
@pytest.mark.parametrize("depth", [1, 3])
def test_param_count_closed_form_equals_leaves(cell, depth):
    model = init_model(cell, n_inputs=6, n_classes=3, width=7, depth=depth, key=jax.random.key(0))
    assert count_leaves(model) == param_count(cell, n_inputs=6, n_classes=3, width=7, depth=depth)
    assert model.depth == depth
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(model))


@pytest.mark.parametrize("cell", ["rac", "rnn", "gru"])
def test_match_width_is_the_closest_count(cell):
    target = 3000
    for depth in (1, 2, 3, 4):
        R, count = match_width(cell, depth, target, n_inputs=6, n_classes=6)
        assert count == param_count(cell, n_inputs=6, n_classes=6, width=R, depth=depth)
        neighbours = [param_count(cell, n_inputs=6, n_classes=6, width=r, depth=depth) for r in (R - 1, R + 1)]
        assert all(abs(count - target) <= abs(c - target) for c in neighbours)
        # widths in this range move the count by a few percent at most
        assert abs(count - target) / target < 0.08


def test_rac_cell_is_the_normalised_rac():
    """The normalised RAC's top state is the raw RAC's (tnrnn.rac) divided by a positive scalar."""
    from tnrnn.rac import RAC, initial_carry, rac_step

    model = init_model("rac", n_inputs=4, n_classes=3, width=5, depth=2, key=jax.random.key(3))
    raw = RAC(
        W_I=tuple(c.W_I.astype(jnp.float64) for c in model.cells),
        W_H=tuple(c.W_H.astype(jnp.float64) for c in model.cells),
        W_O=model.W_O.astype(jnp.float64),
    )
    symbols = jnp.array([0, 3, 1, 1, 2, 0], jnp.int32)
    hs = np.asarray(model.hidden_states(symbols), np.float64)
    carry = initial_carry(raw)
    for t, s in enumerate(np.asarray(symbols)):
        carry, h = rac_step(raw, carry, jax.nn.one_hot(s, 4, dtype=jnp.float64))
        h = np.asarray(h)
        ratio = h / hs[t]
        assert np.all(ratio > 0)
        assert_close(ratio / ratio[0], np.ones(5), dtype=np.float32)


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


# --- results file and CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_results():
    """A quick experiment's results, trained by the stand-in (run_experiment's wiring and the results format)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("tnrnn.tasks.experiment.train", FakeTrainer())
        return run_experiment(
            "ses",
            cell="rnn",
            depths=[1, 2],
            values=[6],
            seeds=[0, 1],
            n=3,
            m=2,
            params=400,
            quick=True,
            progress=False,
            command="test",
        )


def test_results_hold_every_setting_and_round_trip(quick_results, tmp_path):
    res = quick_results
    assert len(res["runs"]) == 2 * 2
    assert {(r["depth"], r["T"], r["seed"]) for r in res["runs"]} == {(d, 6, s) for d in (1, 2) for s in (0, 1)}
    assert res["train_config"] == QUICK_CONFIG.to_dict()
    for r in res["runs"]:
        assert set(r["curves"]) >= {"step", "train_loss", "val_loss", "val_accuracy"}
        assert 0.0 <= r["test"]["accuracy"] <= 1.0
    row = next(r for r in res["summary"] if r["depth"] == 2 and r["T"] == 6)
    accs = [r["test"]["accuracy"] for r in res["runs"] if r["depth"] == 2 and r["T"] == 6]
    assert row["mean"] == pytest.approx(np.mean(accs)) and row["sd"] == pytest.approx(np.std(accs, ddof=1))
    path = save_results(res, tmp_path / "ses.json")
    back = load_results(path)
    assert back == json.loads(json.dumps(res))
    assert "| 2 (" in format_summary(back)


def test_load_results_rejects_other_files(tmp_path):
    p = tmp_path / "other.json"
    p.write_text('{"rows": []}')
    with pytest.raises(ArgumentError):
        load_results(p)


def test_plot_memory_accuracy(quick_results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.plots import plot_memory_accuracy

    before = dict(matplotlib.rcParams)
    fig, ax = plot_memory_accuracy(quick_results)
    assert dict(matplotlib.rcParams) == before
    assert len(ax.get_legend().get_texts()) == 4  # two depths, the baseline and the solved threshold
    assert ax.get_xlabel() == "sequence length $T$"  # mathtext
    assert len(fig.axes) == 2  # accuracy and, beside it, the largest T solved per seed
    plt.close(fig)
    fig, ax = plot_memory_accuracy(quick_results, ax=plt.subplots()[1])
    assert len(fig.axes) == 1
    plt.close(fig)


def test_plot_memory_capacity_sweep(quick_results):
    """One value and several budgets: accuracy against the budget, and seeds solved per budget beside it."""
    import copy

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.plots import plot_memory_accuracy

    res = copy.deepcopy(quick_results)
    res.pop("analysis")
    more = [{**r, "params_target": 800} for r in res["runs"]]
    res["runs"] += more
    res["budgets"] = [400, 800]
    res["models"] += [{**m, "params": 800} for m in res["models"]]
    res["partial"] = True
    fig, ax = plot_memory_accuracy(res)
    assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("parameter budget")
    assert "PARTIAL: 8 of 8 runs" in ax.get_title()
    bars = fig.axes[1].patches
    assert len(bars) == 2 * 2  # depths x budgets
    plt.close(fig)


def test_cli_quick_writes_a_results_file(tmp_path, capsys, fake_training):
    from tnrnn.cli import main

    argv = "experiment copy --cell gru --B 1 --depths 2 --seeds 0 --n 3 --M-c 2 --params 300 --quick --json"
    rc = main([*argv.split(), "--out", str(tmp_path), "--no-progress"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    res = load_results(out["path"])
    assert res["task"] == "copy" and res["values"] == [1] and res["quick"] is True
    assert res["command"].startswith("tnrnn experiment copy --B 1 --cell gru --depths 2")
    assert len(res["runs"]) == 1 and res["models"][0]["depth"] == 2
    ((settings, depth, config),) = fake_training.calls  # the flags reached the trainer
    assert settings == {"task": "copy", "n": 3, "M_c": 2, "B": 1, "T": 5} and depth == 2
    assert config == QUICK_CONFIG


def test_cli_plot_writes_the_accuracy_plot_beside_the_results(tmp_path, capsys, fake_training):
    from tnrnn.cli import main

    argv = "experiment ses --T 6 --depths 1 --seeds 0 --params 300 --quick --json --plot --name p"
    assert main([*argv.split(), "--out", str(tmp_path), "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] == [str(tmp_path / "p.json"), str(tmp_path / "p.png")]
    assert "--plot" in load_results(out["path"])["command"]
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert sorted(os.listdir(tmp_path)) == ["p.json", "p.png"]  # nothing half-written left


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["experiment", "ses", "--T", "9", "--m", "3"], "T"),
        (["experiment", "ses", "--T", "8", "--m", "5"], "m"),
        (["experiment", "ses", "--T", "8", "--depths", "0"], "depths"),
        (["experiment", "ses", "--T", "8", "--cell", "lstm9"], "cell"),
        (["experiment", "ses", "--T", "8", "--lr", "inf"], "lr"),
        (["experiment", "copy", "--T", "8"], "T"),  # with --quick the delays B have defaults: T is the bad one
    ],
)
def test_cli_bad_settings_exit_2_with_one_line(argv, name, tmp_path, capsys):
    from tnrnn.cli import main

    rc = main([*argv, "--out", str(tmp_path), "--quick", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and f"{name}=" in err


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


@pytest.mark.parametrize(
    ("kw", "name"), [({"name": "../escaped"}, "name"), ({"name": "a/b"}, "name"), ({"name": ".."}, "name")]
)
def test_cli_experiment_refuses_a_name_that_is_a_path_before_training(kw, name, tmp_path):
    from tnrnn.tasks.experiment import run_cli_experiment

    out = tmp_path / "out"
    with pytest.raises(ArgumentError) as info:
        run_cli_experiment("ses", T=[8], out=str(out), quick=True, progress=False, seeds=[0], depths=[1], **kw)
    assert info.value.name == name
    assert os.listdir(tmp_path) == []


def test_cli_experiment_quick_has_default_values():
    from tnrnn.tasks.data import make_task
    from tnrnn.tasks.experiment import QUICK_VALUES

    for task, values in QUICK_VALUES.items():
        assert values
        for v in values:  # every default is a valid setting of the default task sizes
            make_task(task, **({"n": 4, "m": 3, "T": v} if task == "ses" else {"n": 4, "M_c": 5, "B": v}))


def test_save_results_writes_strict_json_nan_as_null(tmp_path):
    """The project's JSON policy: no NaN or Infinity in a results file; a non-finite number becomes null."""
    import dataclasses as dc

    @dc.dataclass
    class Conf:
        lr: float

    from tnrnn.tasks.results import RESULTS_FORMAT

    res = {"format": RESULTS_FORMAT, "loss": float("nan"), "inf": [np.float32("inf"), 1.5], "config": Conf(0.1)}
    path = save_results(res, tmp_path / "r.json")
    text = open(path).read()
    assert "NaN" not in text and "Infinity" not in text
    back = json.loads(text)  # strict: what allow_nan=False parsers read too
    assert back["loss"] is None and back["inf"] == [None, 1.5] and back["config"] == {"lr": 0.1}
    assert load_results(path) == back
