"""Start-End separation rank against T of RAC, MI, GRU and LSTM (Taylor activations) at depth 1, 2, 3, M = R = 2.

Thin script around `tnrnn.figures.fig_gated_rank_vs_T`, which redraws the committed measurements
``results/gated_ranks.json`` (`tnrnn.plots.gated.gated_rank_data`). Usage:
``python figures/fig_gated_rank_vs_T.py [OUT_DIR] [--quick]``. ``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_gated_rank_vs_T, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_gated_rank_vs_T(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
