"""Start-End separation rank against T of five recurrent cells at depth 1 and 2 (M = R = 2), both input domains.

Thin script around `tnrnn.figures.fig_cells_rank_vs_T`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_cells_rank_vs_T.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_cells_rank_vs_T, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_cells_rank_vs_T(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
