"""F6: test accuracy against sequence length / delay per depth, one figure per memory-task results file.

Thin script around `tnrnn.figures.fig_memory_accuracy`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_memory_accuracy.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_memory_accuracy, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_memory_accuracy(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
