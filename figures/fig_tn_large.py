"""The depth-3 network at T = 10 (1076 nodes) in the compact radial drawing, with its min-cut.

Thin script around `tnrnn.figures.fig_tn_large`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_tn_large.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

import argparse

from tnrnn.figures import fig_tn_large


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_tn_large(out_dir, quick=quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default="figures")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for path in main(args.out_dir, quick=args.quick):
        print(path)
