"""F1: unrolled computation graphs of a shallow (L = 1) and a deep (L = 3) RAC over T = 4 steps.

Thin script around `tnrnn.figures.fig_computation_graph`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_computation_graph.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_computation_graph, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_computation_graph(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
