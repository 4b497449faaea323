"""The depth-3 network at T = 10 (1076 nodes) in the compact radial drawing, with its min-cut.

Thin script around `tnrnn.figures.fig_tn_large`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_tn_large.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_tn_large, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_tn_large(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
