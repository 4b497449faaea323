"""Linear RNNs: empirical NTK vs width, RNN vs convolution training, test error vs ρ² (results/linear.json).

Thin script around `tnrnn.figures.fig_linear_experiments`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_linear_experiments.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_linear_experiments, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_linear_experiments(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
