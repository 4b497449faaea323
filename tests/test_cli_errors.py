"""Every bad input of the ``tnrnn`` command: exit 2, one line on stderr, no traceback, no file written.

Most cases run `tnrnn.cli.main` in process (fast); a sample runs as subprocesses, as do the interrupt tests and the
start-up checks (which modules an error path imports).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tnrnn.cli import main
from tnrnn.testing import child_env, sigint_as_in_a_terminal

#: a hang guard only: every rejection below takes well under a second
TIMEOUT = 120


S = ["--M", "2", "--R", "2", "--L", "2", "--T", "4"]  # small valid sizes
EXP = ["experiment", "ses", "--T", "8", "--out", "o", "--no-progress"]
LAG = ["linear", "lag-weights", "--rho2", "0.5"]
LEXP = ["linear", "experiment", "--out", "o"]
FIG = ["figures", "--out", "figs", "--no-progress"]

#: (argv, text the one line must contain: the argument, and the value where the parser reports it)
BAD = [
    # --- rank: sizes, types, seeds, choices, partitions, huge requests
    (["rank", *S, "--seed", "-1", "--json"], "seed=-1"),
    (["rank", *S, "--seeds", "0"], "seeds=0"),
    (["rank", "--M", "0", "--R", "2", "--L", "2", "--T", "4"], "M=0"),
    (["rank", "--M", "2", "--R", "2", "--L", "-1", "--T", "4"], "L=-1"),
    (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "7"], "T=7"),
    (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "0"], "T=0"),
    (["rank", "--M", "x", "--R", "2", "--L", "2", "--T", "4"], "--M"),
    (["rank", *S, "--seed", "1.5"], "--seed"),
    (["rank", "--M", "2", "--R", "2", "--L", "2"], "--T"),
    (["rank", *S, "--bogus"], "--bogus"),
    (["rank", *S, "--domain", "real"], "domain='real'"),
    (["rank", *S, "--method", "magic"], "method='magic'"),
    (["rank", *S, "--partition", "1,2;2,3"], "partition="),
    (["rank", *S, "--partition", "1.5,2;3,4"], "partition="),
    (["rank", *S, "--partition", "1;2;3,4"], "partition="),
    (["rank", *S, "--partition", "0,1;2,3"], "partition="),
    (["rank", "--M", "9", "--R", "9", "--L", "3", "--T", "20", "--domain", "onehot"], "GiB"),
    pytest.param(["rank", "--M", "8", "--R", "8", "--L", "4", "--T", "40"], "T=40", id="rank-continuous-cap-refusal"),
    # --- bounds
    (["bounds", "--M", "2", "--R", "2", "--L", "0", "--T", "4"], "L=0"),
    (["bounds", "--M", "2", "--R", "-5", "--L", "2", "--T", "4"], "R=-5"),
    (["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "5"], "T=5"),
    (["bounds", "--M", "1e3", "--R", "2", "--L", "2", "--T", "4"], "--M"),
    (["bounds", "--M", "2", "--R", "2", "--L", "1000", "--T", "100000"], "T=100000"),
    (["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "10000000"], "T=10000000"),
    (["bounds", "--M", "2", "--R", "2", "--L", "1", "--T", str(10**18)], f"T={10**18}"),
    (["bounds", "--M", "1", "--R", "1", "--L", str(10**18), "--T", "2"], f"L={10**18}"),
    (["bounds", *S, "--partition", "1,2;3"], "partition="),
    (["bounds", *S, "--partition", "everything"], "partition="),
    (["bounds", *S, "--partition", "1,x;3,4"], "partition="),
    # --- cut
    (["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "10000000"], "T=10000000"),
    (["cut", "--M", "2", "--R", "2", "--L", "1000", "--T", "100"], "L=1000"),
    (["cut", "--M", "2", "--R", "2", "--L", "2", "--T", str(10**18)], f"T={10**18}"),
    (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", str(10**18)], f"T={10**18}"),
    (["cut", *S, "--engine", "magic"], "engine='magic'"),
    (["cut", *S, "--domain", "onehot", "--engine", "tree"], "engine='tree'"),
    (["cut", *S, "--domain", "real"], "domain='real'"),
    (["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "6", "--partition", "1,2;3,4"], "partition="),
    (["cut", "--M", "2", "--R", str(2**70), "--L", "2", "--T", "4"], f"R={2**70}"),
    (["cut", "--M", "0", "--R", "2", "--L", "2", "--T", "4"], "M=0"),
    (["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "3"], "T=3"),
    # --- network
    (["network", "--M", "2", "--R", "2", "--L", "2", "--T", "10000000"], "T=10000000"),
    (["network", "--M", "2", "--R", "2", "--L", "1000", "--T", "100", "--out", "n.json"], "L=1000"),
    (["network", *S, "--out", ""], "out=''"),
    (["network", *S, "--out", "nodir/n.json"], "out='nodir/n.json'"),
    (["network", *S, "--out", "."], "out='.'"),
    (["network", *S, "--out", "/proc/tnrnn-n.json"], "out='/proc/tnrnn-n.json'"),
    (["network", *S, "--domain", "grid"], "domain='grid'"),
    (["network", "--M", "-1", "--R", "2", "--L", "2", "--T", "4"], "M=-1"),
    # --- table: sizes, lists, ranges, choices, paths, seeds
    (["table", "--T", "3", "--no-progress"], "T=3"),
    (["table", "--format", "xml", "--no-progress"], "format='xml'"),
    (["table", "--out", "", "--no-progress"], "out=''"),
    (["table", "--out", "nodir/t.csv", "--no-progress"], "out='nodir/t.csv'"),
    (["table", "--out", ".", "--no-progress"], "out='.'"),
    (["table", "--out", "/proc/tnrnn-t.csv", "--no-progress"], "out='/proc/tnrnn-t.csv'"),
    (["table", "--seed", "-3", "--no-progress"], "seed=-3"),
    (["table", "--domain", "real", "--no-progress"], "domain='real'"),
    (["table", "--domains", "real", "--no-progress"], "domain='real'"),
    (["table", "--domain", ",,", "--no-progress"], "--domain"),
    (["table", "--L", "", "--no-progress"], "--L"),
    (["table", "--L", "0", "--no-progress"], "L=0"),
    (["table", "--T", "12:2", "--no-progress"], "'12:2'"),
    (["table", "--T", "2:12:0", "--no-progress"], "'2:12:0'"),
    (["table", "--T", "1:2:3:4", "--no-progress"], "'1:2:3:4'"),
    (["table", "--T", "2:100000000:2", "--no-progress"], "'2:100000000:2'"),
    (["table", "--M", "2,x", "--no-progress"], "--M"),
    (["table", "--L", "2", "--M", "2", "--R", "2", "--T", "10000000", "--no-progress"], "T=10000000"),
    # --- figures
    ([*FIG, "--only", ",,"], "--only"),
    ([*FIG, "--only", ""], "--only"),
    ([*FIG, "--only", "nosuch"], "only='nosuch'"),
    (["figures", "--out", "", "--no-progress"], "out=''"),
    (["figures", "--out", "/proc/tnrnn-figs", "--no-progress"], "out='/proc/tnrnn-figs'"),
    (["figures", "--out", "/etc/passwd", "--no-progress"], "out='/etc/passwd'"),
    ([*FIG, "--results", "/etc/passwd"], "results='/etc/passwd'"),
    (["figures", "--quick"], "--out"),
    # --- experiment: names, floats, lists, seeds, choices, paths, huge requests, missing sweeps
    ([*EXP, "--name", "../escaped"], "name='../escaped'"),
    ([*EXP, "--name", ""], "name=''"),
    ([*EXP, "--name", ".."], "name='..'"),
    ([*EXP, "--lr", "inf"], "lr=inf"),
    ([*EXP, "--lr", "nan"], "lr=nan"),
    ([*EXP, "--lr", "0"], "lr=0"),
    ([*EXP, "--lr", "-1"], "lr=-1"),
    ([*EXP, "--lr", "5"], "lr=5"),
    (["experiment", "ses", "--out", "o"], "T=None"),
    (["experiment", "ses", "--T", "7", "--out", "o"], "T=7"),
    (["experiment", "ses", "--T", "4", "--out", "o"], "m=3"),
    (["experiment", "ses", "--B", "5", "--out", "o"], "B=[5]"),
    (["experiment", "copy", "--B", "-1", "--out", "o"], "B=-1"),
    (["experiment", "maze", "--T", "8", "--out", "o"], "task='maze'"),
    ([*EXP, "--cell", "lstm"], "cell='lstm'"),
    ([*EXP, "--seeds", "-1"], "seeds=-1"),
    ([*EXP, "--seeds", ""], "--seeds"),
    ([*EXP, "--depths", "0"], "depths=0"),
    ([*EXP, "--width", "0"], "width=0"),
    ([*EXP, "--batch", "0"], "batch=0"),
    ([*EXP, "--steps", "-5"], "steps=-5"),
    ([*EXP, "--patience", "0"], "patience=0"),
    ([*EXP, "--n", "1"], "n=1"),
    ([*EXP, "--optimizer", "sgd"], "optimizer='sgd'"),
    ([*EXP, "--width", "10000000"], "width=10000000"),
    ([*EXP, "--batch", "100000000"], "batch=100000000"),
    ([*EXP, "--params", "1000000000000"], "params=1000000000000"),
    (["experiment", "ses", "--T", "100000000", "--out", "o"], "T=100000000"),
    (["experiment", "ses", "--T", "8", "--out", "/proc/tnrnn-exp"], "out='/proc/tnrnn-exp'"),
    (["experiment", "ses", "--T", "8", "--out", "/etc/passwd"], "out='/etc/passwd'"),
    (["experiment", "ses", "--quick", "--out", "o", "--m", "1"], "m=1"),
    # --- linear lag-weights: floats and their range, sizes, lists, choices
    (["linear", "lag-weights", "--rho2", "1e308", "--json"], "rho2=1e+308"),
    (["linear", "lag-weights", "--rho2", "-0.5"], "rho2=-0.5"),
    (["linear", "lag-weights", "--rho2", "nan"], "rho2=nan"),
    (["linear", "lag-weights", "--rho2", "inf"], "rho2=inf"),
    (["linear", "lag-weights", "--rho2", "x"], "--rho2"),
    (["linear", "lag-weights"], "--rho2"),
    ([*LAG, "--J", "-1"], "J=-1"),
    ([*LAG, "--J", "10000000"], "J=10000000"),
    ([*LAG, "--param", "wide"], "param='wide'"),
    ([*LAG, "--lr-scale", "1,1"], "lr_scale=[1.0, 1.0]"),
    ([*LAG, "--lr-scale", "1,inf,1"], "--lr-scale"),
    ([*LAG, "--lr-scale", ""], "--lr-scale"),
    ([*LAG, "--lr-scale", "1,-1,1"], "lr_scale=-1.0"),
    ([*LAG, "--sigma-c2", "-1"], "sigma_c2=-1.0"),
    # --- linear experiment
    ([*LEXP, "--parts", ""], "--parts"),
    ([*LEXP, "--parts", ",,"], "--parts"),
    ([*LEXP, "--parts", "ntk,bogus"], "parts='bogus'"),
    (["linear", "experiment", "--out", ""], "out=''"),
    (["linear", "experiment", "--out", "/proc/tnrnn-lin"], "out='/proc/tnrnn-lin'"),
    (["linear", "experiment", "--out", "/etc/passwd"], "out='/etc/passwd'"),
    (["linear", "frobnicate"], "frobnicate"),
    # --- the command itself
    ([], "verb"),
    (["frobnicate"], "frobnicate"),
]


def _argv(case) -> list[str]:
    return list(case.values[0] if hasattr(case, "marks") else case[0])


def _ids(cases) -> list[str]:
    return [f"{i:03d}-" + "-".join(a.lstrip("-") or "''" for a in _argv(c)[:4])[:50] for i, c in enumerate(cases)]


def _listing(folder) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs + _)


@pytest.mark.parametrize(("argv", "needle"), BAD, ids=_ids(BAD))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(argv, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err and needle in lines[0], lines[0]
    assert out == ""
    assert _listing(tmp_path) == [], "a bad input wrote files"
    assert seconds < TIMEOUT


def test_the_bad_input_list_covers_every_verb():
    verbs = {" ".join(a[:2]) if a[:1] == ["linear"] else (a[:1] or [""])[0] for a in map(_argv, BAD)}
    expected = {
        "rank",
        "bounds",
        "cut",
        "network",
        "table",
        "figures",
        "experiment",
        "linear lag-weights",
        "linear experiment",
    }
    assert expected <= verbs
    assert len(BAD) >= 80


#: a sample run as real processes: the same rule through ``python -m tnrnn``
SUBPROCESS_SAMPLE = [
    (["rank", *S, "--seed", "-1", "--json"], "seed=-1"),
    (["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "10000000"], "T=10000000"),
    (["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "10000000"], "T=10000000"),
    (["network", *S, "--out", "nodir/n.json"], "out="),
    (["table", "--out", "", "--no-progress"], "out=''"),
    ([*FIG, "--only", ",,"], "--only"),
    ([*EXP, "--name", "../escaped"], "name="),
    (["linear", "lag-weights", "--rho2", "1e308", "--json"], "rho2="),
    ([*LEXP, "--parts", ""], "--parts"),
]


@pytest.mark.parametrize(("argv", "needle"), SUBPROCESS_SAMPLE, ids=_ids(SUBPROCESS_SAMPLE))
def test_bad_input_as_a_process(argv, needle, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "tnrnn", *argv],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert _listing(tmp_path) == []


# --- start-up: the lazy package (what an import or an error path loads is in test_imports.py) ----------------------


def test_lazy_package_keeps_every_public_name():
    """Every public name resolves to the object its module defines; every lazily loaded name is public."""
    import importlib

    import tnrnn
    from tnrnn._lazy import lazy_names

    table, submodules = tnrnn._LAZY, tnrnn._SUBMODULES
    assert len(set(tnrnn.__all__)) == len(tnrnn.__all__)
    assert set(tnrnn.__all__) == set(table) | set(submodules)
    for name in tnrnn.__all__:
        if name in submodules:
            expected = importlib.import_module(f"tnrnn.{name}")
        else:
            expected = getattr(importlib.import_module(table[name]), name)
        assert getattr(tnrnn, name) is expected, name
    # what a user reaches for first (DESIGN.md, the curated top level)
    assert {"separation_rank", "Cell", "make_cell", "bounds_report", "build_network", "min_cut", "draw"} <= set(
        dir(tnrnn)
    )
    with pytest.raises(AttributeError):
        tnrnn.no_such_name  # noqa: B018
    # the mechanism fails loudly on a name its module does not define
    getattr_, _ = lazy_names("pkg", {"missing": "tnrnn._types"}, {})
    with pytest.raises(AttributeError, match="missing"):
        getattr_("missing")


# --- the CLI's choice lists match the modules they stand for ------------------------------------------------


def test_cli_choice_lists_match_the_modules():
    from tnrnn import cli
    from tnrnn.linear.experiments import _PARTS
    from tnrnn.linear.model import PARAMETERISATIONS
    from tnrnn.tasks import CELLS, TASKS
    from tnrnn.tasks.train import OPTIMIZERS, TrainConfig

    assert cli._TASKS is TASKS and set(cli._CELLS) == set(CELLS)  # one definition each (tnrnn._choices)
    assert cli._OPTIMIZERS is OPTIMIZERS
    assert cli._LINEAR_PARTS is _PARTS and cli._PARAMS is PARAMETERISATIONS
    cfg = TrainConfig()
    assert cli._TRAIN_DEFAULTS == {"batch": cfg.batch, "n_test": cfg.n_test}


# --- good inputs the rules must not break ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("2:12:2", [2, 4, 6, 8, 10, 12]),
        ("1:3", [1, 2, 3]),
        ("1,4:8:2", [1, 4, 6, 8]),
        ("5", [5]),
        ("3:3", [3]),
        ("2:7:2", [2, 4, 6]),
    ],
)
def test_int_list_ranges_have_an_inclusive_stop(text, values):
    from tnrnn.cli import _int_list

    assert _int_list(text) == values


def test_table_range_and_deprecated_domains(capsys):
    assert (
        main(
            [
                "table",
                "--L",
                "1:2",
                "--M",
                "2",
                "--R",
                "2",
                "--T",
                "2:4:2",
                "--domains",
                "continuous",
                "--no-progress",
                "--json",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    import json

    rows = json.loads(out)["rows"]
    assert [(r["L"], r["T"], r["domain"]) for r in rows] == [
        (1, 2, "continuous"),
        (1, 4, "continuous"),
        (2, 2, "continuous"),
        (2, 4, "continuous"),
    ]
    assert err.strip().splitlines() == ["tnrnn table: warning: --domains is deprecated; use --domain"]


def test_bounds_huge_values_are_strict_json(capsys):
    import json
    import math

    # M^{T/2} = 10^4000 has 4001 digits, one past the 4000 written as an integer (the smallest T for M = 10)
    assert main(["bounds", "--M", "10", "--R", "2", "--L", "1", "--T", "8000", "--json"]) == 0
    out = capsys.readouterr().out
    d = json.loads(out)
    assert d["alphabet_upper"] == {"log2": pytest.approx(4000 * math.log2(10), rel=1e-15), "digits": 4001, "sign": 1}
    assert len(str(10**4000)) == 4001
    assert d["lower"] == 2 and d["min_cut"] == 2  # min(R, M^{T/2}): small values stay exact


def test_bounds_of_deep_long_networks_skip_the_cut_fast(capsys):
    import json

    t0 = time.perf_counter()
    assert main(["bounds", "--M", "2", "--R", "2", "--L", "1000", "--T", "1000", "--json"]) == 0
    assert time.perf_counter() - t0 < 30
    d = json.loads(capsys.readouterr().out)
    assert d["min_cut"] is None and "nodes" in d["min_cut_note"]
    assert d["state_upper"]["digits"] > 4000 and d["lower"] is None


def test_bounds_huge_width_uses_no_overflowing_flow(capsys):
    import json

    R = 10**18
    assert main(["bounds", "--M", "2", "--R", str(R), "--L", "1", "--T", "8", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["min_cut"] == min(R, 2**4) == d["lower"]


def test_bounds_partition(capsys):
    import json

    assert main(["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "5", "--partition", "1,3,5;2,4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    from tnrnn.bounds import alphabet_upper_bound, degree_upper_bound

    assert d["partition"]["A"] == [1, 3, 5] and d["state_upper"] is None
    assert d["degree_upper"] == degree_upper_bound(2, 2, 5, ((1, 3, 5), (2, 4)))
    assert d["alphabet_upper"] == alphabet_upper_bound(2, 5, ((1, 3, 5), (2, 4))) == 4
    assert d["min_cut"] >= 1


def test_lag_weights_json_is_strict_at_rho2_one(capsys):
    import json

    assert main(["linear", "lag-weights", "--rho2", "1", "--J", "0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["memory_constant"] is None and len(d["beta2"]) == 1


def test_unexpected_error_is_one_line_and_debug_shows_it(monkeypatch, capsys):
    from tnrnn import cli

    def boom(args):
        raise ZeroDivisionError("deliberate")

    def add_bounds(sub):  # the bounds verb with a runner that fails
        cli._add_bounds(sub)
        sub.choices["bounds"].set_defaults(func=boom)

    saved = cli.VERBS.snapshot()
    cli.VERBS.register("bounds", add_bounds, replace=True)
    argv = ["bounds", *S]
    try:
        assert cli.main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "internal error: ZeroDivisionError: deliberate" in err[0] and "--debug" in err[0]
        with pytest.raises(ZeroDivisionError):
            cli.main([*argv, "--debug"])
    finally:
        cli.VERBS.restore(saved)


def test_quick_experiment_works_alone(tmp_path, capsys, fake_training):
    import json

    code = main(
        [
            "experiment",
            "ses",
            "--quick",
            "--depths",
            "1",
            "--seeds",
            "0",
            "--params",
            "200",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--json",
        ]
    )
    assert code == 0, capsys.readouterr().err
    res = json.loads(capsys.readouterr().out)
    from tnrnn.tasks.experiment import QUICK_VALUES

    assert sorted({row["T"] for row in res["summary"]}) == QUICK_VALUES["ses"]
    assert sorted(settings["T"] for settings, _, _ in fake_training.calls) == QUICK_VALUES["ses"]
    assert os.listdir(tmp_path) == ["ses.json"]


# --- interrupts -----------------------------------------------------------------------------------------------


def _valid_figure_file(path: str) -> bool:
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".png"):
        return data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    if path.endswith(".pdf"):
        return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    return False


@pytest.mark.parametrize(
    ("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_signal_part_way_through_figures_leaves_only_whole_files(tmp_path, sig, code, word):
    out = tmp_path / "figs"
    with sigint_as_in_a_terminal():
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tnrnn",
                "figures",
                "--quick",
                "--out",
                str(out),
                "--no-progress",
                "--results",
                str(tmp_path / "none"),
            ],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if out.is_dir() and any(not f.startswith(".") for f in os.listdir(out)):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "figures finished before the signal could be sent"
        time.sleep(0.3)  # part-way through the next file
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(f"tnrnn: {word}")
    left = sorted(os.listdir(out))
    assert left and all(_valid_figure_file(str(out / f)) for f in left), left


def test_a_signal_lost_in_a_finaliser_is_delivered_again(monkeypatch):
    """SIGTERM's exception raised inside a finaliser (or JAX's gc callback) is discarded by Python: sent again."""
    from tnrnn import cli

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", cli._redeliver_signals(seen.append))
    previous = signal.signal(signal.SIGTERM, cli._on_sigterm)

    class RaisesInFinaliser:
        def __init__(self, exc):
            self.exc = exc

        def __del__(self):
            raise self.exc

    try:
        RaisesInFinaliser(ValueError("not a signal"))  # other unraisable exceptions reach the previous hook
        assert [type(u.exc_value) for u in seen] == [ValueError]
        with pytest.raises(cli._Terminated):
            RaisesInFinaliser(cli._Terminated())
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.001)
        assert len(seen) == 1
    finally:
        signal.signal(signal.SIGTERM, previous)
