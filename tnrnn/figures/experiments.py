"""Figures of the experiments of the other modules, read from their results files (memory tasks, linear RNNs)."""

from __future__ import annotations

import glob
import json
import os

from tnrnn.figures import _base
from tnrnn.figures._base import FigureUnavailable, _results_dir, figure
from tnrnn.style import styled

# ---------------------------------------------------------------------------------------------------------------
# experiments of the other modules (their results files)


def _memory_results(results_dir: str) -> list[str]:
    from tnrnn.tasks.experiment import READ_FORMATS

    found = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        if path.endswith(".partial.json"):  # a sweep still running (tnrnn experiment writes it after every run)
            continue
        try:
            with open(path) as fh:
                fmt = json.load(fh).get("format")
        except (OSError, ValueError, AttributeError):
            continue
        if fmt in READ_FORMATS:
            found.append(path)
    return found


@figure(
    "memory_accuracy",
    "Test accuracy of RNNs of depth 1, 2, 3 against sequence length (Start-End Similarity) or delay "
    "(Copying Memory), with 95 % bootstrap intervals over seeds, and the largest length solved per seed; "
    "capacity sweeps against the parameter budget.",
    "paper Fig. F6 (§6)",
)
@styled
def fig_memory_accuracy(out_dir, quick=False, **context) -> list[str]:
    """F6: test accuracy against sequence length / delay per depth, beside the largest length solved per seed.

    Bootstrap intervals over seeds; one figure per memory-task results file. A capacity sweep (one length, several
    parameter budgets) is drawn against the budget.
    """
    from tnrnn.plots import plot_memory_accuracy

    paths = _memory_results(_results_dir(context))
    if not paths:
        raise FigureUnavailable(
            f"no memory-task results file (tnrnn experiment ... --out {_results_dir(context)}) in "
            f"{_results_dir(context)}/"
        )
    out = []
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        fig, _ = plot_memory_accuracy(path)
        out += _base._save(fig, out_dir, f"fig_memory_{stem}")
    return out


@figure(
    "linear_lag_weights",
    "Linear RNNs: normalised lag weights β_j²/β_0² against the lag for several ρ².",
    "implicit-bias paper, Fig. A",
)
@styled
def fig_linear_lag_weights(out_dir, quick=False, **context) -> list[str]:
    """Linear RNNs: the analytic lag weights β_j² against the lag j for several ρ² (no results file)."""
    from tnrnn.plots import plot_lag_weights

    fig, _ = plot_lag_weights()
    return _base._save(fig, out_dir, "fig_linear_lag_weights")


def _linear_results(context) -> str:
    path = os.path.join(_results_dir(context), "linear.json")
    if not os.path.exists(path):
        raise FigureUnavailable(f"{path} is missing (written by `tnrnn linear experiment --out DIR`)")
    return path


@figure(
    "linear_experiments",
    "Linear RNNs: empirical NTK against width, RNN against the scaled convolution, test error against ρ².",
    "implicit-bias paper, Figs. B-E",
)
@styled
def fig_linear_experiments(out_dir, quick=False, **context) -> list[str]:
    """Linear RNNs: empirical NTK vs width, RNN vs convolution training, test error vs ρ² (results/linear.json)."""
    from tnrnn.linear.experiments import load_results
    from tnrnn.plots import plot_ntk_vs_width, plot_rnn_vs_scm, plot_test_error_vs_rho

    res = load_results(_linear_results(context))
    out = []
    if "ntk" in res:
        fig, _ = plot_ntk_vs_width(res)
        out += _base._save(fig, out_dir, "fig_linear_ntk_vs_width")
    if "equivalence" in res:
        fig, _ = plot_rnn_vs_scm(res)
        out += _base._save(fig, out_dir, "fig_linear_rnn_vs_scm")
    for part in ("sweep", "sunspots"):
        if part in res:
            fig, _ = plot_test_error_vs_rho(res, part=part)
            out += _base._save(fig, out_dir, f"fig_linear_test_error_{part}")
    if not out:
        raise FigureUnavailable(f"{_linear_results(context)} holds none of the parts ntk, equivalence, sweep")
    return out
