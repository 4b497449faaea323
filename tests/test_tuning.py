"""Learning-rate tuning (validation data only), the stall rule / plateau schedule, the statistics and the presets."""

from __future__ import annotations

import dataclasses
import importlib
import json

import jax
import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.tasks import SESTask, TrainConfig, init_model, load_results, match_width, run_experiment, train
from tnrnn.tasks.experiment import PRESETS, preset_settings
from tnrnn.tasks.stats import analyze, bootstrap_ci, largest_solved, sign_flip_test
from tnrnn.tasks.train import DECAY_FACTOR, lr_sequence
from tnrnn.testing import assert_close

train_module = importlib.import_module("tnrnn.tasks.train")  # the module (tnrnn.tasks.train is the function)

# --- the stall rule and the plateau schedule ------------------------------------------------------------------

_LOSSES = [1.0, 0.8, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]  # improves at checks 0, 1 and 4, then stalls


def test_plateau_schedule_decays_once_then_stops():
    config = TrainConfig(lr=0.01, eval_every=10, patience=2, min_delta=1e-3, schedule="plateau")
    lrs, n = lr_sequence(_LOSSES, config)
    # checks 2, 3 stall -> decay after check 3; 4 improves; 5, 6 stall -> stop after check 6
    low = 0.01 * DECAY_FACTOR
    assert n == 7
    assert_close(lrs, [0.01] * 4 + [low] * 3)


def test_patience_schedule_stops_at_the_first_stall():
    config = TrainConfig(lr=0.01, eval_every=10, patience=2, min_delta=1e-3, schedule="patience")
    lrs, n = lr_sequence(_LOSSES, config)
    assert n == 4
    assert_close(lrs, [0.01] * 4)


def test_min_steps_defers_decay_and_stop():
    config = TrainConfig(lr=0.01, eval_every=10, patience=2, min_delta=1e-3, schedule="plateau", min_steps=60)
    lrs, n = lr_sequence(_LOSSES, config)
    # the stall of checks 2-3 is ignored (steps 30, 40 < 60) and check 4 improves; 5, 6 stall (step 70 >= 60)
    # -> decay after check 6 (the count restarts); 7, 8 stall -> stop after check 8
    low = 0.01 * DECAY_FACTOR
    assert n == 9
    assert_close(lrs, [0.01] * 7 + [low] * 2)
    config = TrainConfig(lr=0.01, eval_every=10, patience=2, schedule="patience", min_steps=1000)
    assert lr_sequence(_LOSSES, config) == ([0.01] * len(_LOSSES), len(_LOSSES))


# --- tuning never reads test data ----------------------------------------------------------------------------

_TUNE_KW = {
    "cell": "rnn",
    "depths": [1],
    "values": [6],
    "seeds": [0, 1],
    "n": 3,
    "m": 2,
    "params": 300,
    "lr_grid": [1e-4, 3e-2],
    "pilot_steps": 100,
    "pilot_seeds": [50],
    "progress": False,
    "config": TrainConfig(
        batch=32, max_steps=100, eval_every=50, patience=5, n_val=128, n_test=128, target_accuracy=1.1
    ),
}


def test_train_follows_the_stall_rule():
    """train's learning rate per chunk and its stop are the rule's on the validation losses it saw."""
    task = SESTask(n=3, m=2, T=6)
    # the tuning runs' task, model and training sizes below: their compiled training step serves this test too
    # (min_delta = 0.1: here the loss stalls after 300 steps, the rate decays at 350 and the run stops at 450)
    config = dataclasses.replace(
        _TUNE_KW["config"], lr=3e-2, max_steps=500, patience=2, min_delta=1e-1, schedule="plateau"
    )
    width, _ = match_width("rnn", 1, _TUNE_KW["params"], n_inputs=task.n_inputs, n_classes=task.n_classes)
    model = init_model(
        "rnn", n_inputs=task.n_inputs, n_classes=task.n_classes, width=width, depth=1, key=jax.random.key(0)
    )
    _, rec = train(task, model, config, key=jax.random.key(1), progress=False)
    lrs, n = lr_sequence(rec["curves"]["val_loss"], config)
    assert rec["curves"]["lr"] == lrs
    assert len(rec["curves"]["step"]) == n
    if rec["stop_reason"] == "second stall":
        assert len(rec["decay_steps"]) == 1
    else:
        assert rec["stop_reason"] == "max_steps" and n == 500 // config.eval_every


def _poisoned_sets(task, config, key):
    """The real sets, with every test label moved to another class (a test-based choice would prefer chance)."""
    val, (x_test, y_test), k_train = _REAL_FIXED_SETS(task, config, key)
    return val, (x_test, (y_test + 1) % task.n_classes), k_train


_REAL_FIXED_SETS = train_module.fixed_sets


@pytest.fixture(scope="module")
def clean_and_poisoned():
    clean = run_experiment("ses", **_TUNE_KW)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_module, "fixed_sets", _poisoned_sets)
        poisoned = run_experiment("ses", **_TUNE_KW)
    return clean, poisoned


def test_tuning_choice_does_not_change_when_the_test_set_is_poisoned(clean_and_poisoned):
    clean, poisoned = clean_and_poisoned
    chosen = [(t["depth"], t["chosen_lr"]) for t in clean["tuning"]]
    assert chosen == [(t["depth"], t["chosen_lr"]) for t in poisoned["tuning"]]
    assert [t["scores"] for t in clean["tuning"]] == [t["scores"] for t in poisoned["tuning"]]
    # the poison reached the final test scores, so a choice that read them would have seen it
    acc = [[r["test"]["accuracy"] for r in res["runs"]] for res in (clean, poisoned)]
    assert acc[0] != acc[1]
    # the grid discriminates here (the large rate learns in 100 steps, the small one does not)
    scores = clean["tuning"][0]["scores"]
    assert scores[0]["val_metric"] != scores[1]["val_metric"]


def test_tuning_records_every_pilot_without_test_metrics(clean_and_poisoned):
    clean, _ = clean_and_poisoned
    assert clean["protocol"]["tuned"] and clean["protocol"]["pilot_seeds"] == [50]
    for t in clean["tuning"]:
        assert [tr["lr"] for tr in t["trials"]] == [1e-4, 3e-2]  # one pilot seed per lr
        assert all("test" not in tr for tr in t["trials"])
        best = max(t["scores"], key=lambda sc: (sc["val_metric"], -sc["val_loss"]))
        assert t["chosen_lr"] == best["lr"]
    for r in clean["runs"]:
        assert r["lr"] == next(t["chosen_lr"] for t in clean["tuning"] if t["depth"] == r["depth"])
    assert "test" not in json.dumps(clean["tuning"])


def test_pilot_seeds_must_differ_from_the_final_seeds():
    with pytest.raises(ArgumentError) as info:
        run_experiment("ses", **{**_TUNE_KW, "pilot_seeds": [1]})
    assert info.value.name == "pilot_seeds"


# --- statistics ----------------------------------------------------------------------------------------------


def test_bootstrap_of_two_points_is_the_full_range():
    # resampled means of [0, 1] are 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4: the 95 % interval is [0, 1]
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([0.7] * 5) == (0.7, 0.7)
    lo, hi = bootstrap_ci([0.2, 0.4, 0.9, 1.0, 1.0], seed=3)
    assert 0.2 <= lo < float(np.mean([0.2, 0.4, 0.9, 1.0, 1.0])) < hi <= 1.0
    assert bootstrap_ci([0.2, 0.4, 0.9], seed=3) == bootstrap_ci([0.2, 0.4, 0.9], seed=3)


def test_bootstrap_interval_covers_the_mean_of_a_known_distribution():
    """About 95 % of intervals from samples of 30 uniforms contain 1/2 (binomial band over 200 repetitions)."""
    gen = np.random.default_rng(11)
    hits = sum(
        lo <= 0.5 <= hi for lo, hi in (bootstrap_ci(gen.uniform(size=30), n_boot=2000, seed=i) for i in range(200))
    )
    assert 170 <= hits <= 200  # percentile intervals under-cover slightly at n = 30; 3 sd below 0.95·200 is 181


def test_sign_flip_test_exact_values():
    all_up = sign_flip_test([0.5, 0.1, 0.2, 0.3, 0.4])
    assert all_up["p_two_sided"] == 2 / 32 and all_up["p_greater"] == 1 / 32 and all_up["p_min"] == 2 / 32
    assert (all_up["wins"], all_up["losses"], all_up["ties"]) == (5, 0, 0)
    balanced = sign_flip_test([1.0, -1.0])
    assert balanced["p_two_sided"] == 1.0 and balanced["p_greater"] == 3 / 4
    zero = sign_flip_test([0.0, 0.0, 0.0])
    assert zero["p_two_sided"] == 1.0 and zero["p_min"] == 1.0 and zero["ties"] == 3
    # one large loss against four small wins: |sum| >= 0.6 under every sign pattern, so nothing is significant;
    # one-sided, the 16 patterns with +1.0 and the one with -1.0 and all +0.1 are >= the observed mean
    mixed = sign_flip_test([0.1, 0.1, 0.1, 0.1, -1.0])
    assert mixed["mean"] < 0 and mixed["p_two_sided"] == 1.0 and mixed["p_greater"] == 17 / 32


def _synthetic_results(cutoffs):
    """A results dict where seed s of depth d solves exactly the T <= cutoffs[d][s] (accuracy 1.0; else 0.4)."""
    values = [10, 20, 30, 40]
    runs = [
        {"depth": d, "T": v, "seed": s, "params_target": 2000, "test": {"accuracy": 1.0 if v <= c else 0.4}}
        for d, cs in cutoffs.items()
        for s, c in enumerate(cs)
        for v in values
    ]
    return {
        "sweep": "T",
        "metric": "accuracy",
        "params_target": 2000,
        "values": values,
        "depths": sorted(cutoffs),
        "runs": runs,
    }


def test_largest_solved_and_paired_analysis_on_synthetic_results():
    cutoffs = {1: [10, 0, 20, 10, 10], 2: [30, 20, 40, 30, 20], 3: [10, 0, 20, 10, 10]}
    res = _synthetic_results(cutoffs)
    solved = largest_solved(res)
    assert solved[(2, 2000)] == {0: 30, 1: 20, 2: 40, 3: 30, 4: 20}
    assert solved[(1, 2000)][1] == 0  # solved nothing
    an = analyze(res, n_boot=2000)
    rows = {r["depth"]: r for r in an["largest_solved"]}
    assert rows[2]["mean"] == 28.0 and rows[1]["mean"] == 10.0
    assert rows[2]["ci_low"] > rows[1]["ci_high"]
    pair = {r["depth"]: r for r in an["paired_largest_solved"]}
    assert pair[2]["wins"] == 5 and pair[2]["p_two_sided"] == 2 / 32
    assert pair[3]["ties"] == 5 and pair[3]["p_two_sided"] == 1.0
    at20 = next(r for r in an["paired"] if r["depth"] == 2 and r["T"] == 20)
    assert at20["wins"] == 4 and at20["ties"] == 1  # only seed 2 of depth 1 solves T = 20, depth 2 solves all
    curve = next(r for r in an["curves"] if r["depth"] == 1 and r["T"] == 10)
    assert curve["solved"] == 4 and curve["n"] == 5
    assert_close(curve["mean"], (4 * 1.0 + 0.4) / 5)


def test_an_accuracy_exactly_at_the_threshold_counts_as_solved():
    res = _synthetic_results({1: [0, 0]})
    res["runs"][0]["test"]["accuracy"] = 0.95
    assert largest_solved(res)[(1, 2000)] == {0: 10, 1: 0}


# --- presets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("task", ["ses", "copy"])
def test_presets_parse(preset, task):
    full = preset_settings(preset, task)
    quick = preset_settings(preset, task, quick=True)
    assert len(full["seeds"]) >= 5 and full["lr_grid"] and full["config"].schedule == "plateau"
    assert full["config"].min_steps > 0 and not set(full["pilot_seeds"]) & set(full["seeds"])
    assert quick["config"].max_steps < full["config"].max_steps and len(quick["values"]) == 1
    if preset == "paper":
        assert full["cell"] == "scornn" and full["width"] == 64 and full["n"] == 32
        assert full["config"].max_steps == 50000 and full["config"].optimizer == "rmsprop"
        assert (full["m"] if task == "ses" else full["M_c"]) == 30
    # every preset task is a valid task at every value
    from tnrnn.tasks import make_task

    key = "T" if task == "ses" else "B"
    extra = {"m": full["m"], "n": full["n"]} if task == "ses" else {"M_c": full["M_c"], "n": full["n"]}
    for v in full["values"]:
        make_task(task, **extra, **{key: v})


def _cli(argv, tmp_path, capsys):
    from tnrnn.cli import main

    rc = main([*argv, "--out", str(tmp_path), "--no-progress", "--json"])
    return rc, capsys.readouterr()


def _cli_results(argv, tmp_path, capsys) -> dict:
    """Run a CLI experiment that must succeed and load its results file."""
    rc, out = _cli(argv, tmp_path, capsys)
    assert rc == 0, out.err
    return load_results(json.loads(out.out)["path"])


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ses", "copy"])
def test_cpu_preset_quick_run(task, tmp_path, capsys):
    res = _cli_results(["experiment", task, "--preset", "cpu", "--quick"], tmp_path, capsys)
    assert res["preset"] == "cpu" and res["protocol"]["tuned"] and res["protocol"]["schedule"] == "plateau"
    assert len(res["tuning"]) == 2 and len(res["runs"]) == 2 * 2
    assert res["command"].startswith(f"tnrnn experiment {task} --preset cpu")
    assert {"curves", "largest_solved", "paired"} <= set(res["analysis"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{task}.json"]  # the partial file is gone


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ses", "copy"])
def test_paper_preset_quick_run(task, tmp_path, capsys):
    res = _cli_results(["experiment", task, "--preset", "paper", "--quick"], tmp_path, capsys)
    assert res["cell"] == "scornn" and res["models"][0]["width"] == 64 and res["task_settings"]["n"] == 32


@pytest.mark.slow
def test_capacity_sweep_over_budgets(tmp_path, capsys):
    res = _cli_results(
        [
            "experiment",
            "ses",
            "--T",
            "6",
            "--n",
            "3",
            "--m",
            "2",
            "--cell",
            "rnn",
            "--depths",
            "1,2",
            "--params",
            "200,400",
            "--seeds",
            "0",
            "--quick",
        ],
        tmp_path,
        capsys,
    )
    assert res["budgets"] == [200, 400] and len(res["runs"]) == 4
    assert {(r["params_target"], r["depth"]) for r in res["runs"]} == {(b, d) for b in (200, 400) for d in (1, 2)}


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        (["--preset", "gpu9"], "preset"),
        (["--preset", "cpu", "--lr-grid", "0.01,-1"], "lr_grid"),
        (["--preset", "cpu", "--pilot-seeds", "0"], "pilot_seeds"),
        (["--preset", "cpu", "--schedule", "cosine"], "schedule"),
        (["--preset", "cpu", "--min-steps", "-5"], "min_steps"),
        (["--preset", "cpu", "--cell", "lstm"], "cell"),
        (["--preset", "cpu", "--params", "0"], "params"),
    ],
)
def test_bad_protocol_arguments_exit_2_before_any_work(extra, name, tmp_path, capsys):
    rc, out = _cli(["experiment", "ses", *extra], tmp_path / "never", capsys)
    assert rc == 2
    err = out.err.strip()
    assert len(err.splitlines()) == 1 and f"{name}=" in err
    assert not (tmp_path / "never").exists()
