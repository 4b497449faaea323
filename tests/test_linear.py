"""Tests across tnrnn.linear: one-line errors of every part, the CLI verbs, and the plots of a results dict."""

from __future__ import annotations

import json
import math

import jax
import pytest

from tnrnn import ArgumentError
from tnrnn.cli import main
from tnrnn.linear import (
    impulse_response,
    init_linear_rnn,
    lag_weights,
)
from tnrnn.linear.train import (
    teacher_filters,
)
from tnrnn.testing import assert_close

# --- errors and CLI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: lag_weights(5, rho2=-0.1), "rho2"),
        (lambda: lag_weights(5, rho2=0.5, sigma_c2=-1), "sigma_c2"),
        (lambda: lag_weights(5, rho2=0.5, sigma_f2=math.nan), "sigma_f2"),
        (lambda: lag_weights(-1, rho2=0.5), "J"),
        (lambda: lag_weights(5, rho2=0.5, param="mup"), "param"),
        (lambda: init_linear_rnn(0, key=jax.random.key(0)), "n"),
        (lambda: init_linear_rnn(4, key=jax.random.key(0), param="xavier"), "param"),
        (lambda: init_linear_rnn(4, key=jax.random.key(0), rho2=-2.0), "rho2"),
        (lambda: impulse_response(init_linear_rnn(3, key=jax.random.key(0)), -2), "J"),
        (lambda: teacher_filters("sine", 5), "kind"),
    ],
)
def test_bad_inputs_get_one_line_errors(call, name):
    with pytest.raises(ArgumentError) as info:
        call()
    assert info.value.name == name
    assert "\n" not in str(info.value) and "allowed" in str(info.value)


def test_cli_lag_weights_json(capsys):
    assert main(["linear", "lag-weights", "--rho2", "0.81", "--J", "40", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"beta2", "peak_lag", "memory_lag_1pct"} <= set(out)
    assert out["peak_lag"] == 3 and out["memory_lag_1pct"] == 37 and len(out["beta2"]) == 41
    assert main(["linear", "lag-weights", "--rho2", "0.5", "--J", "5", "--param", "standard", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert_close(out["beta2"], [1, 1.5, 1.25, 0.875, 0.5625, 0.34375])


def test_cli_lag_weights_bad_argument(capsys):
    assert main(["linear", "lag-weights", "--rho2", "0.5", "--param", "foo", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert "param" in err and "foo" in err and len(err.splitlines()) == 1


# --- plots (read a results dict; never retrain) -------------------------------------------------------------------


def test_plot_lag_weights_returns_fig_and_ax():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.plots import plot_lag_weights

    fig, ax = plot_lag_weights(J=12)
    assert ax.get_yscale() == "log" and len(ax.get_lines()) >= 5
    plt.close(fig)


@pytest.mark.slow
def test_plots_read_a_tiny_results_dict(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.linear import experiments as ex
    from tnrnn.plots import plot_ntk_vs_width, plot_rnn_vs_scm, plot_test_error_vs_rho

    teachers = [{"name": "spike d=3", "kind": "spike", "delay": 3}]
    res = {
        "ntk": ex.ntk_width_experiment(widths=[20, 40], seeds=[0, 1], rho2s=[0.5], J=3),
        "equivalence": ex.equivalence_experiment(
            widths=[20], rho2s=[0.5], teachers=teachers, seeds=[0], T=8, N=3, steps=5, lr=0.1
        ),
        "sweep": ex.rho_sweep_experiment(
            rho2s=[0.3, 0.9],
            teachers=teachers,
            seeds=[0, 1],
            width=16,
            T=8,
            N=2,
            N_test=3,
            steps=5,
            lr=0.1,
            snr_db=15.0,
        ),
    }
    path = tmp_path / "linear.json"
    path.write_text(json.dumps(res))
    for fig, _ in (plot_ntk_vs_width(str(path)), plot_rnn_vs_scm(res), plot_test_error_vs_rho(res)):
        fig.savefig(tmp_path / "f.png")
        plt.close(fig)
    assert ex.summarise_results(res)["sweep"][0]["teacher"] == "spike d=3"
