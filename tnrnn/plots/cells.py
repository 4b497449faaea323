"""Plots comparing recurrent cells (`tnrnn.cells`): exact Start-End ranks against T beside their proven bounds.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes

__all__ = ["CELL_STYLE", "cell_rank", "plot_cells_rank_vs_T", "cells_legend_handles"]

#: colour, marker, marker size and legend text of every cell (RAC and bilinear share their ranks: distinct markers
#: and a small horizontal offset per cell keep coinciding values visible)
CELL_STYLE = {
    "rac": ("#1f77b4", "o", 9.0, "RAC  (W^H u) ⊙ (W^I v)"),
    "bilinear": ("#17becf", "X", 6.5, "bilinear  Σ A[r,i,j] u_i v_j"),
    "mi": ("#d62728", "D", 5.5, "MI  α⊙a⊙b + β1⊙a + β2⊙b + b"),
    "quad": ("#9467bd", "s", 5.5, "quad  (W^H u + W^I v + b)^2"),
    "linear": ("#2ca02c", "^", 6.0, "linear  W^H u + W^I v"),
}


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
    fig, ax = figure_and_axes(ax, figsize=(6.4, 4.8))
    Ts = list(range(2, T_max + 1, 2))
    top = 1.0
    n = len(CELL_STYLE)
    ends: dict[tuple[float, int], list[str]] = {}
    for k, (cell, (color, marker, size, _)) in enumerate(CELL_STYLE.items()):
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
    for (T_last, v), cells in ends.items():
        ax.annotate(
            " = ".join(cells) + f": {v}",
            (T_last + 0.3, v),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=7.5,
            color=CELL_STYLE[cells[0]][0],
            va="center",
            weight="bold",
        )
    if domain == "onehot":
        ax.plot(Ts, [M ** (T // 2) for T in Ts], ":", color="0.45", lw=1.4, zorder=0)
    ax.set_yscale("log")
    ax.set_ylim(1.0, top * 6)
    ax.set_xticks(Ts)
    ax.set_xlim(1.5, T_max + 2.8)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("Start-End separation rank")
    inputs = "continuous inputs" if domain == "continuous" else "one-hot inputs (alphabet of M symbols)"
    sizes = f"M = R = {M}" if M == R else f"M = {M}, R = {R}"
    ax.set_title(f"depth L = {L}, {inputs}  ({sizes})", fontsize=9.5)
    ax.grid(True, which="major", alpha=0.25)
    if legend:
        ax.legend(handles=cells_legend_handles(), fontsize=7.5, loc="upper left", frameon=False)
    return fig, ax


def cells_legend_handles():
    """Legend handles: one per cell (colour and marker), then the line styles of the two domains and the bounds."""
    from matplotlib.lines import Line2D

    out = [Line2D([], [], color=c, marker=m, ms=s, mfc=c, lw=1.3, label=text) for c, m, s, text in CELL_STYLE.values()]
    out += [
        Line2D([], [], color="0.2", marker="o", mfc="0.2", lw=1.3, label="exact rank, continuous inputs"),
        Line2D([], [], color="0.2", marker="o", mfc="white", ls=":", lw=1.3, label="exact rank, one-hot inputs"),
        Line2D([], [], color="0.2", ls="--", lw=1.0, label="smallest proven upper bound (cell colour)"),
        Line2D([], [], color="0.45", ls=":", lw=1.4, label="M^{T/2}: alphabet cap (one-hot)"),
    ]
    return out
