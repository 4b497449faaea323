"""Linear RNNs: the analytic lag weights β_j² against the lag j for several ρ² (no results file).

Thin script around `tnrnn.figures.fig_linear_lag_weights`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_linear_lag_weights.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_linear_lag_weights, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_linear_lag_weights(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
