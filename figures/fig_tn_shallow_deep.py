"""F3/F4: the shallow RAC as an MPS (T = 6) and the depth-2 tree of copies (T = 4), with min-cuts.

Thin script around `tnrnn.figures.fig_tn_shallow_deep`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_tn_shallow_deep.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

from tnrnn.figures import fig_tn_shallow_deep, run_script


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_tn_shallow_deep(out_dir, quick=quick)


if __name__ == "__main__":
    run_script(main, __doc__)
