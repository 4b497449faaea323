"""Tests of tnrnn.tasks.experiment (with presets and summary): the sweep's wiring, its results, plots and CLI."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.tasks import (
    QUICK_CONFIG,
    format_summary,
    load_results,
    run_experiment,
    save_results,
)
from tnrnn.testing import FakeTrainer

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
