"""The one rule of every drawing and plotting function for its ``ax`` argument (imports matplotlib only when called).

Given axes are drawn on (their figure is returned); without them a new figure is made with
``plt.subplots(..., layout="constrained")``.
"""

from __future__ import annotations

__all__ = ["figure_and_axes"]


def figure_and_axes(ax=None, *args, **subplots):
    """``(fig, ax)``: ``ax`` and its figure, or a new ``plt.subplots(*args, layout="constrained", **subplots)``.

    ``ax`` may be one Axes or a sequence (or array) of Axes, as a function drawing several panels takes; the
    figure is then the first one's. ``args`` and ``subplots`` go to `matplotlib.pyplot.subplots` (``nrows``,
    ``ncols``, ``figsize``, ``gridspec_kw`` ...) and are ignored when ``ax`` is given.
    """
    if ax is not None:
        first = ax
        while not hasattr(first, "figure"):  # a sequence or array of Axes
            first = next(iter(first))
        return first.figure, ax
    import matplotlib.pyplot as plt

    subplots.setdefault("layout", "constrained")
    return plt.subplots(*args, **subplots)
