"""The figure registry and the one way a figure is saved.

`FIGURES` (name -> `Figure`) is filled by the `figure` decorator next to each function; `_save` writes PNG and PDF
without time stamps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from tnrnn._io import atomic_savefig
from tnrnn._registry import Registry

#: resolution of the PNG files
DPI = 150


class FigureUnavailable(RuntimeError):
    """A figure that cannot be made here (its results file is missing); the message says why."""


@dataclass(frozen=True)
class Figure:
    """A registered figure: its function, a one-line caption and the paper result it reproduces."""

    name: str
    func: Callable
    caption: str
    source: str


#: name -> `Figure`, in the order of the figure modules (diagrams, ranks, experiments) and of each module
FIGURES: Registry[Figure] = Registry("figure", argument="only")


def figure(name: str, caption: str, source: str):
    """Register the decorated ``fig_<name>(out_dir, quick=False, **context)`` function in `FIGURES`."""

    def register(func: Callable) -> Callable:
        FIGURES.register(name, Figure(name, func, caption, source))
        return func

    return register


def _save(fig, out_dir: str, name: str, *, tight: bool = False) -> list[str]:
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"{name}.png"), os.path.join(out_dir, f"{name}.pdf")]
    if tight:  # diagrams: tight bounding box, written by tnrnn.draw.save_figure
        from tnrnn.draw import save_figure

        for path in paths:
            save_figure(fig, path, dpi=DPI)
        plt.close(fig)
        return paths
    # no time stamps, so that regenerating an unchanged figure rewrites identical files
    atomic_savefig(fig, paths[0], dpi=DPI, metadata={"Software": None})
    atomic_savefig(fig, paths[1], metadata={"CreationDate": None, "Producer": None, "Creator": None})
    plt.close(fig)
    return paths


def _results_dir(context) -> str:
    return context.get("results_dir") or "results"
