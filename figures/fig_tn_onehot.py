"""The depth-2 network for a discrete alphabet: the copies of each input joined by one copy tensor.

Thin script around `tnrnn.figures.fig_tn_onehot`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_tn_onehot.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_tn_onehot, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_tn_onehot(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
