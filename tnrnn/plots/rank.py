"""Plots of the Start-End separation ranks of the RAC against its bounds: rank against T, rank ÷ bound tables.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes
from tnrnn.style import FIGSIZE, FONT_SIZE, GREY, OKABE_ITO, PALETTE, series_style, styled

__all__ = [
    "DEPTH_COLORS",
    "best_upper_bound",
    "RATIO_BOUNDS",
    "measured_ranks",
    "plot_rank_ratio",
    "plot_rank_vs_T",
    "rank_legend_handles",
    "rank_ratio_table",
]


#: colour of each depth in the rank plots (the house palette, `tnrnn.style.PALETTE`, in order)
DEPTH_COLORS = {L: PALETTE[L - 1] for L in range(1, 5)}


def _depth_style(L: int) -> dict:
    """Colour and marker of depth ``L`` (`tnrnn.style.series_style` of series ``L - 1``)."""
    return series_style(L - 1)


def measured_ranks(M, R, cases, *, seed=0, ranks=None, progress=None):
    """Exact Start-End separation ranks for ``cases`` = iterable of ``(L, domain, T)``, as a dict.

    Values already in ``ranks`` (a dict keyed ``(M, R, L, domain, T, seed)``) are reused and new ones are stored
    there, so several figures share one computation (and ranks of different seeds never collide). ``progress`` is
    called once per computed case.
    """
    from tnrnn.rank import separation_rank

    ranks = {} if ranks is None else ranks
    out = {}
    for L, domain, T in cases:
        key = (M, R, L, domain, T, seed)
        if key not in ranks:
            ranks[key] = separation_rank(M, R, L, T, domain=domain, seed=seed).rank
            if progress is not None:
                progress(key)
        out[(L, domain, T)] = ranks[key]
    return out


def best_upper_bound(M, R, L, T, *, cache=None) -> int:
    """The smallest proven upper bound on the continuous-input Start-End rank: state, degree or min-cut bound.

    It also bounds the one-hot rank (a one-hot rank is the continuous rank of the inputs restricted to the
    simplex's vertices), which `tnrnn.bounds.alphabet_upper_bound` may lower further.
    """
    from tnrnn.bounds import proven_upper_bounds
    from tnrnn.cuts import start_end_bound

    closed = min(proven_upper_bounds(M, R, L, T, domain="continuous").values())
    return min(closed, start_end_bound(M, R, L, T, domain="continuous", cache={} if cache is None else cache))


@styled
def plot_rank_vs_T(M, R, *, exact_T, depths=(1, 2, 3), T_max=24, seed=0, ranks=None, ax=None, legend=True):
    """Start-End separation rank against ``T`` (log scale): exact values between the proven bounds.

    Parameters
    ----------
    M, R : int
        Input dimension and width.
    exact_T : mapping
        ``(L, domain) -> list of T`` at which the exact rank is measured (`tnrnn.rank.separation_rank`) and
        drawn as markers (filled: continuous inputs; open: one-hot inputs).
    depths : sequence of int
        Depths ``L`` (one colour and one marker shape each).
    T_max : int
        Lines run over even ``T = 2..T_max``.
    seed : int
        First seed of the rank engine.
    ranks : dict, optional
        Cache shared with other figures (see `measured_ranks`).
    ax : matplotlib Axes, optional
    legend : bool
        Draw the legend (`rank_legend_handles`).

    Returns
    -------
    (fig, ax)
        The markers of depth ``L`` and domain ``d`` are the Line2D with gid ``"measured-L{L}-{d}"``; its data are
        the ``T`` values and the exact ranks. The lower-bound line of depth ``L`` has gid ``"lower-L{L}"``, the
        upper-bound line ``"upper-L{L}"``.

    Notes
    -----
    Three kinds of line, in each depth's colour: solid, a theorem's value (Theorem 1(1): the shallow rank
    ``min(R, M^{T/2})``, proven exact, so no upper line is drawn for ``L = 1``) or lower bound (Theorem 1(2): the
    depth-2 bound ``((min(M,R); T/2))``); dotted, the depth-``L`` conjecture (``L >= 3``); dashed, the smallest
    proven upper bound of the continuous domain (`best_upper_bound`: state ``prod_l ((R; d_l))``, degree or
    tensor-network min-cut). Thin grey: ``M^{T/2}``, a proven cap for one-hot inputs only. The y axis reaches a
    little above the largest measurement and every bound over the measured range, so that each upper bound is seen
    above the ranks it bounds before it leaves the frame.

    References
    ----------
    Levine, Sharir, Ziv & Shashua, "On the Long-Term Memory of Deep Recurrent Networks" (arXiv 1710.09431v2),
    Theorem 1 and the depth-L conjecture; the theory page, sections 'The paper's statements' and 'Bounds the
    toolkit proves'.
    """
    from tnrnn.bounds import alphabet_upper_bound, conjectured_lower_bound, shallow_rank

    fig, ax = figure_and_axes(ax, figsize=FIGSIZE)
    Ts = list(range(2, T_max + 1, 2))
    cache = ranks if ranks is not None else {}
    top = 1.0
    for L in depths:
        style = _depth_style(L)
        color = style["color"]
        if L == 1:
            theory = [shallow_rank(M, R, T) for T in Ts]
        else:
            theory = [conjectured_lower_bound(M, R, L, T) for T in Ts]
        ax.plot(Ts, theory, "-" if L <= 2 else ":", color=color, lw=1.8 if L <= 2 else 2.2, zorder=2, gid=f"lower-L{L}")
        top = max(top, max(theory))
        last_T = max((max(v) for (l_, _), v in exact_T.items() if l_ == L and v), default=2)
        if L > 1:
            upper = [best_upper_bound(M, R, L, T, cache=cache) for T in Ts]
            ax.plot(Ts, upper, "--", color=color, lw=1.3, zorder=2, gid=f"upper-L{L}")
            top = max(top, max(u for u, T in zip(upper, Ts, strict=True) if T <= max(last_T, 2)))
        for domain in ("continuous", "onehot"):
            T_list = sorted(exact_T.get((L, domain), ()))
            if not T_list:
                continue
            vals = measured_ranks(M, R, [(L, domain, T) for T in T_list], seed=seed, ranks=cache)
            ys = [vals[(L, domain, T)] for T in T_list]
            top = max(top, max(ys))
            ax.plot(
                T_list,
                ys,
                ls="none",
                color=color,
                marker=style["marker"],
                mec=color,
                mfc=color if domain == "continuous" else "white",
                ms=6.5 if domain == "continuous" else 8.5,
                mew=1.4,
                zorder=4 if domain == "continuous" else 3,
                gid=f"measured-L{L}-{domain}",
            )
    ax.plot(Ts, [alphabet_upper_bound(M, T) for T in Ts], "-", color=GREY, lw=0.9, alpha=0.8, zorder=1)
    ax.set_yscale("log")
    ax.set_ylim(1, top * 3)
    ax.set_xlim(1, T_max + 1)
    ax.set_xticks(Ts if len(Ts) <= 13 else Ts[::2])
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("Start-End separation rank")
    ax.set_title(f"$M = {M}$, $R = {R}$")
    if legend:
        ax.legend(handles=rank_legend_handles(depths), loc="upper left", fontsize=0.8 * FONT_SIZE, ncols=2)
    return fig, ax


def rank_legend_handles(depths=(1, 2, 3)):
    """Legend handles of `plot_rank_vs_T`: colour and marker per depth, then marker fill and line style."""
    from matplotlib.lines import Line2D

    depth_handles = [
        Line2D([], [], lw=2.0, ms=7, **{**_depth_style(L), "ls": "-"}, label=f"depth $L = {L}$") for L in depths
    ]
    kind_handles = [
        Line2D([], [], color="0.2", ls="none", marker="o", ms=7, label="exact rank, continuous inputs"),
        Line2D([], [], color="0.2", ls="none", marker="o", mfc="white", ms=8, label="exact rank, one-hot inputs"),
        Line2D([], [], color="0.2", ls="-", lw=1.8, label="theorem: $L = 1$ value, $L = 2$ lower bound"),
        Line2D([], [], color="0.2", ls=":", lw=2.2, label="conjectured lower bound ($L \\geq 3$)"),
        Line2D([], [], color="0.2", ls="--", lw=1.3, label="smallest proven upper bound (state, degree, min-cut)"),
        Line2D([], [], color=GREY, ls="-", lw=0.9, label="$M^{T/2}$: proven cap, one-hot inputs only"),
    ]
    return depth_handles + kind_handles


#: colour of a failed lower bound (outline and text)
FAIL_COLOR = OKABE_ITO["vermillion"]

#: the bounds `plot_rank_ratio` divides by
RATIO_BOUNDS = ("lower", "upper", "min-cut")


def rank_ratio_table(M, R, *, depths, T_values, domains=("continuous", "onehot"), bound, skip=(), seed=0, ranks=None):
    """Rows ``(L, domain)`` x columns ``T`` of ``(rank, bound value)``, ``None`` where skipped.

    ``bound`` is ``"lower"`` (Theorem 1(1) for ``L = 1``, Theorem 1(2) for ``L = 2``, the conjecture for
    ``L >= 3``), ``"upper"`` (the smallest closed-form proven upper bound that applies to the domain:
    `tnrnn.bounds.proven_upper_bounds`) or ``"min-cut"`` (the min-cut of the domain's tensor network).
    ``skip`` lists ``(L, domain, T)`` not to compute (too expensive).
    """
    from tnrnn._types import check_choice
    from tnrnn.bounds import conjectured_lower_bound, proven_upper_bounds, shallow_rank
    from tnrnn.cuts import start_end_bound

    bound = check_choice("bound", bound, RATIO_BOUNDS)
    cache = ranks if ranks is not None else {}
    rows = []
    for L in depths:
        for domain in domains:
            row = []
            for T in T_values:
                if (L, domain, T) in skip:
                    row.append(None)
                    continue
                r = measured_ranks(M, R, [(L, domain, T)], seed=seed, ranks=cache)[(L, domain, T)]
                if bound == "lower":
                    b = shallow_rank(M, R, T) if L == 1 else conjectured_lower_bound(M, R, L, T)
                elif bound == "upper":
                    b = min(proven_upper_bounds(M, R, L, T, domain=domain).values())
                else:
                    b = start_end_bound(M, R, L, T, domain=domain, cache=cache)
                row.append((r, b))
            rows.append(((L, domain), row))
    return rows


@styled
def plot_rank_ratio(
    M,
    R,
    *,
    bound,
    depths=(1, 2, 3),
    T_values=(2, 4, 6, 8, 10, 12),
    skip=(),
    seed=0,
    ranks=None,
    ax=None,
    vmax=3.0,
    colorbar=True,
):
    """Heat map of exact rank ÷ bound over ``(L, domain)`` rows and ``T`` columns.

    Colour is ``log10(rank / bound)`` (white: the bound is attained; purple: rank above, orange: rank below).
    Every cell writes the ratio; a bound that is attained reads ``=``. A *lower* bound that the exact rank
    falls below is outlined in red and marked ✗ (the depth-3 conjecture in the one-hot domain, e.g.
    ``M = R = 3, T = 4``: 9 < 10). Skipped cells are grey ("n/c", not computed).

    Parameters
    ----------
    bound : {"lower", "upper", "min-cut"}
        See `rank_ratio_table`.
    vmax : float
        Colour scale limit in decades.

    Returns
    -------
    (fig, ax)
        ``ax.images[0]`` holds the ratios (NaN where skipped).

    References
    ----------
    Levine et al., Theorem 1 and the depth-L conjecture; the theory page, sections 'The depth-L conjecture' and
    'Bounds the toolkit proves'.
    """
    import math

    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    rows = rank_ratio_table(M, R, depths=depths, T_values=T_values, bound=bound, skip=skip, seed=seed, ranks=ranks)
    fig, ax = figure_and_axes(ax, figsize=(0.85 * len(T_values) + 2.6, 0.45 * len(rows) + 1.6))
    ratio = np.full((len(rows), len(T_values)), np.nan)
    for i, (_, row) in enumerate(rows):
        for j, cell in enumerate(row):
            if cell is not None:
                ratio[i, j] = cell[0] / cell[1]
    logr = np.log10(ratio)
    cmap = plt.get_cmap("PuOr").with_extremes(bad="0.85")
    im = ax.imshow(np.clip(logr, -vmax, vmax), cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
    im.tnrnn_ratio = ratio
    for i, (_, row) in enumerate(rows):
        for j, cell in enumerate(row):
            if cell is None:
                ax.text(j, i, "n/c", ha="center", va="center", fontsize=0.9 * FONT_SIZE, color="0.35")
                continue
            r, b = cell
            if r == b:
                text, weight = "=", "bold"
            else:
                q = r / b
                text = f"{q:.2g}" if 1e-2 <= q < 100 else f"$10^{{{math.log10(q):.1f}}}$"
                weight = "normal"
            fails = bound == "lower" and r < b
            if fails:
                text = "✗ " + text
                ax.add_patch(Rectangle((j - 0.47, i - 0.44), 0.94, 0.88, fill=False, ec=FAIL_COLOR, lw=2.0))
            dark = abs(logr[i, j]) > 0.6 * vmax
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=0.9 * FONT_SIZE,
                weight=weight,
                color="white" if dark else (FAIL_COLOR if fails else "black"),
            )
    ax.set_xticks(range(len(T_values)), [str(T) for T in T_values])
    ax.set_yticks(
        range(len(rows)), [f"$L = {L}$, {'one-hot' if d == 'onehot' else 'continuous'}" for (L, d), _ in rows]
    )
    ax.set_xlabel("sequence length $T$")
    titles = {
        "lower": "rank ÷ lower bound\n(theorem, $L \\leq 2$; conjecture, $L = 3$)",
        "upper": "rank ÷ best closed-form upper bound\n(state, degree, one-hot $M^{T/2}$)",
        "min-cut": "rank ÷ tensor-network min-cut\n(domain's network)",
    }
    ax.set_title(titles[bound])
    ax.grid(False)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if colorbar:
        cb = fig.colorbar(im, ax=ax, shrink=0.85)
        cb.set_label("$\\log_{10}$(rank ÷ bound)")
    return fig, ax
