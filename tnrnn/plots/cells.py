"""Plots comparing recurrent cells (`tnrnn.cells`): exact Start-End ranks against T beside their proven bounds.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes
from tnrnn.style import FIGSIZE, FONT_SIZE, GREY, OKABE_ITO, series_style, styled

__all__ = ["CELL_INPUTS", "CELL_STYLE", "cell_rank", "cell_style", "plot_cells_rank_vs_T", "cells_legend_handles"]

#: colour, marker, marker size and legend text of every cell (RAC and bilinear share their ranks: distinct markers
#: and a small horizontal offset per cell keep coinciding values visible). Layer ``l`` reads ``u = h^{t-1,l}`` and
#: ``v = h^{t,l-1}`` (`tnrnn.cells.polynomial`); a cell missing here is drawn with `cell_style`'s fallback.
CELL_STYLE = {
    "rac": (OKABE_ITO["blue"], "o", 9.0, r"RAC  $(W^H u) \odot (W^I v)$"),
    "bilinear": (OKABE_ITO["sky blue"], "X", 6.5, r"bilinear  $h_r = {\sum}_{ij}\, A_{rij}\, u_i v_j$"),
    "mi": (
        OKABE_ITO["vermillion"],
        "D",
        5.5,
        r"MI  $\alpha \odot (W^H u) \odot (W^I v) + \beta_1 \odot W^H u + \beta_2 \odot W^I v + b$",
    ),
    "quad": (OKABE_ITO["reddish purple"], "s", 5.5, r"quad  $(W^H u + W^I v + b)^{\odot 2}$"),
    "linear": (OKABE_ITO["bluish green"], "^", 6.0, r"linear  $W^H u + W^I v$"),
}

#: what ``u`` and ``v`` are in the formulas of `CELL_STYLE` (the title of the cells' legend)
CELL_INPUTS = r"layer $l$ at step $t$ reads $u = h^{t-1,l}$ and $v = h^{t,l-1}$ ($v = x^t$ for $l = 1$)"


def cell_style(cell: str, k: int = 0) -> tuple:
    """``(colour, marker, marker size, legend text)`` of a cell: `CELL_STYLE`, else series ``k`` of the house style."""
    if cell in CELL_STYLE:
        return CELL_STYLE[cell]
    st = series_style(k)
    return st["color"], st["marker"], 6.0, cell


def cell_rank(cell: str, M: int, R: int, L: int, T: int, domain: str, *, seed: int = 0, ranks=None):
    """The exact Start-End rank (`tnrnn.rank.separation_rank`), cached in ``ranks`` under ``(cell, M, R, L, T, d)``."""
    from tnrnn.rank import separation_rank

    cache = ranks if ranks is not None else {}
    key = ("cell", cell, M, R, L, T, domain, seed)
    if key not in cache:
        cache[key] = separation_rank(M, R, L, T, domain=domain, cell=cell, seed=seed)
    return cache[key]


def _best_bound(cell: str, M: int, R: int, L: int, T: int) -> int:
    from tnrnn.cells import cell_upper_bounds

    return min(cell_upper_bounds(cell, M, R, L, T, domain="continuous").values())


@styled
def plot_cells_rank_vs_T(
    L: int,
    domain: str,
    *,
    exact_T,
    M: int = 2,
    R: int = 2,
    T_max: int = 10,
    seed: int = 0,
    ranks=None,
    ax=None,
    legend=True,
    cells=None,
):
    """Start-End separation rank against ``T`` (log scale) for several cells at depth ``L`` in one input domain.

    Parameters
    ----------
    L : int
        Depth.
    domain : {"continuous", "onehot"}
        Input domain of the measured ranks.
    exact_T : mapping
        ``cell -> list of even T`` at which the exact rank is measured and drawn as markers (filled for
        continuous inputs, open for one-hot inputs).
    M, R : int
        Input dimension and width.
    T_max : int
        Bound lines run over even ``T = 2..T_max``.
    seed : int
        First seed of the rank engine.
    ranks : dict, optional
        Cache shared between panels and figures (`cell_rank`).
    ax : matplotlib Axes, optional
    legend : bool
        Draw the legend (`cells_legend_handles`).
    cells : sequence of str, optional
        Registered cell names to draw (default: those of `CELL_STYLE`); each is drawn in `cell_style`.

    Returns
    -------
    (fig, ax)
        The markers of cell ``c`` are the Line2D with gid ``"measured-{c}-{domain}"``; their y data are the ranks.

    Notes
    -----
    Dashed lines in each cell's colour: the smallest proven upper bound (`tnrnn.cells.cell_upper_bounds`:
    state, input-degree and total-degree bounds; they hold in both domains); grey dotted, one-hot panels only:
    ``M^{T/2}``, the alphabet cap. A marker on its dashed line is a rank *proven* exact. Cells whose last values
    coincide share one label; a small horizontal offset per cell keeps coinciding markers visible.
    """
    fig, ax = figure_and_axes(ax, figsize=FIGSIZE)
    Ts = list(range(2, T_max + 1, 2))
    top = 1.0
    cells = list(CELL_STYLE) if cells is None else list(cells)
    n = len(cells)
    ends: dict[tuple[float, int], list[str]] = {}
    for k, cell in enumerate(cells):
        color, marker, size, _ = cell_style(cell, k)
        dx = 0.1 * (k - (n - 1) / 2)
        bounds = [_best_bound(cell, M, R, L, T) for T in Ts]
        if domain == "onehot":
            bounds = [min(b, M ** (T // 2)) for b, T in zip(bounds, Ts, strict=True)]
        ax.plot(Ts, bounds, "--", color=color, lw=1.0, alpha=0.75, zorder=1)
        T_list = list(exact_T.get(cell, ()))
        if not T_list:
            continue
        vals = [cell_rank(cell, M, R, L, T, domain, seed=seed, ranks=ranks).rank for T in T_list]
        top = max(top, max(vals))
        ax.plot(
            [T + dx for T in T_list],
            vals,
            "-" if domain == "continuous" else ":",
            color=color,
            marker=marker,
            ms=size,
            mfc=color if domain == "continuous" else "white",
            mew=1.4,
            lw=1.3,
            zorder=3,
            gid=f"measured-{cell}-{domain}",
        )
        ends.setdefault((T_list[-1], vals[-1]), []).append(cell)
    for (T_last, v), names in ends.items():
        ax.annotate(
            " = ".join(names) + f": {v}",
            (T_last + 0.3, v),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=0.9 * FONT_SIZE,
            color=cell_style(names[0], cells.index(names[0]))[0],
            va="center",
            weight="bold",
        )
    if domain == "onehot":
        ax.plot(Ts, [M ** (T // 2) for T in Ts], ":", color=GREY, lw=1.4, zorder=0)
    ax.set_yscale("log")
    ax.set_ylim(1.0, top * 6)
    ax.set_xticks(Ts)
    ax.set_xlim(1.5, T_max + 2.8)
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("Start-End separation rank")
    inputs = "continuous inputs" if domain == "continuous" else "one-hot inputs (alphabet of $M$ symbols)"
    sizes = f"$M = R = {M}$" if M == R else f"$M = {M}$, $R = {R}$"
    ax.set_title(f"depth $L = {L}$, {inputs}  ({sizes})")
    if legend:
        ax.legend(handles=cells_legend_handles(cells), fontsize=0.8 * FONT_SIZE, loc="upper left", frameon=False)
    return fig, ax


def cells_legend_handles(cells=None):
    """Legend handles: one per cell (colour and marker), then the line styles of the two domains and the bounds."""
    from matplotlib.lines import Line2D

    cells = list(CELL_STYLE) if cells is None else list(cells)
    out = [
        Line2D([], [], color=c, marker=m, ms=s, mfc=c, lw=1.3, label=text)
        for c, m, s, text in (cell_style(cell, k) for k, cell in enumerate(cells))
    ]
    out += [
        Line2D([], [], color="0.2", marker="o", mfc="0.2", lw=1.3, label="exact rank, continuous inputs"),
        Line2D([], [], color="0.2", marker="o", mfc="white", ls=":", lw=1.3, label="exact rank, one-hot inputs"),
        Line2D([], [], color="0.2", ls="--", lw=1.0, label="smallest proven upper bound (cell colour)"),
        Line2D([], [], color=GREY, ls=":", lw=1.4, label="$M^{T/2}$: alphabet cap (one-hot)"),
    ]
    return out
