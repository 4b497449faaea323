"""Heat maps of exact rank ÷ bound over (L, domain) and T: where each bound is tight, where it fails.

Thin script around `tnrnn.figures.fig_rank_ratio`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_rank_ratio.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_rank_ratio, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_rank_ratio(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
