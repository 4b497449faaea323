"""Heat maps of exact rank ÷ bound over (L, domain) and T: where each bound is tight, where it fails.

Thin script around `tnrnn.figures.fig_rank_ratio`: the figure code lives in the package, so that
``pip install .`` ships it. Usage: ``python figures/fig_rank_ratio.py [OUT_DIR] [--quick]``.
``tnrnn figures --out DIR`` makes every figure.
"""

import argparse

from tnrnn.figures import fig_rank_ratio


def main(out_dir="figures", quick=False):
    """Write the figure as PNG and PDF into ``out_dir``; return the paths written."""
    return fig_rank_ratio(out_dir, quick=quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default="figures")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for path in main(args.out_dir, quick=args.quick):
        print(path)
