"""The rank atlas's frontier: every computed Start-End rank for L <= 4, M, R in {2, 3, 4}, both domains.

Thin script around `tnrnn.figures.fig_rank_frontier`: it reads ``results/atlas.csv`` (the committed export of
``tnrnn atlas export``). Usage: ``python figures/fig_rank_frontier.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_rank_frontier, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_rank_frontier(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
