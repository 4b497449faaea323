"""Plots of the Start-End separation ranks of the RAC against its bounds: rank against T, rank ÷ bound tables.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes

__all__ = [
    "DEPTH_COLORS",
    "RATIO_BOUNDS",
    "measured_ranks",
    "plot_rank_ratio",
    "plot_rank_vs_T",
    "rank_legend_handles",
    "rank_ratio_table",
]


#: colour of each depth in the rank plots
DEPTH_COLORS = {1: "#0072B2", 2: "#D55E00", 3: "#009E73", 4: "#CC79A7"}


def measured_ranks(M, R, cases, *, seed=0, ranks=None, progress=None):
    """Exact Start-End separation ranks for ``cases`` = iterable of ``(L, domain, T)``, as a dict.

    Values already in ``ranks`` (a dict keyed ``(M, R, L, domain, T)``) are reused and new ones are stored there,
    so several figures share one computation. ``progress`` is called once per computed case.
    """
    from tnrnn.rank import separation_rank

    ranks = {} if ranks is None else ranks
    out = {}
    for L, domain, T in cases:
        key = (M, R, L, domain, T)
        if key not in ranks:
            ranks[key] = separation_rank(M, R, L, T, domain=domain, seed=seed).rank
            if progress is not None:
                progress(key)
        out[(L, domain, T)] = ranks[key]
    return out


def plot_rank_vs_T(M, R, *, exact_T, depths=(1, 2, 3), T_max=24, seed=0, ranks=None, ax=None, legend=True):
    """Start-End separation rank against ``T`` (log scale): exact values beside the closed forms.

    Parameters
    ----------
    M, R : int
        Input dimension and width.
    exact_T : mapping
        ``(L, domain) -> list of T`` at which the exact rank is measured (`tnrnn.rank.separation_rank`) and
        drawn as markers (filled circles: continuous inputs; open squares: one-hot inputs).
    depths : sequence of int
        Depths ``L`` (one colour each).
    T_max : int
        Lines run over even ``T = 2..T_max``.
    seed : int
        First seed of the rank engine.
    ranks : dict, optional
        Cache shared with other figures (see `measured_ranks`).
    ax : matplotlib Axes, optional
    legend : bool
        Draw the two legends (colour = depth; line style = what kind of result).

    Returns
    -------
    (fig, ax)
        The markers of depth ``L`` and domain ``d`` are the Line2D with gid ``"measured-L{L}-{d}"``; its data are
        the ``T`` values and the exact ranks.

    Notes
    -----
    Lines: solid, the theorem (Theorem 1(1): the shallow rank ``min(R, M^{T/2})``; Theorem 1(2): the depth-2
    lower bound ``((min(M,R); T/2))``); dotted, the depth-``L`` conjecture; dash-dotted, the proven state bound
    ``prod_l ((R; d_l))`` (theory page, section 'State bound'); dashed, the proven min-cut bound of the continuous-input
    tensor network
    (it leaves the axes quickly: it grows like ``R^{C(T/2+L-1, L-1)}``); thin grey dotted, ``M^{T/2}``, a proven
    cap for one-hot inputs only. The y axis is cut at a few times the largest non-min-cut value.

    References
    ----------
    Levine, Sharir, Ziv & Shashua, "On the Long-Term Memory of Deep Recurrent Networks" (arXiv 1710.09431v2),
    Theorem 1 and the depth-L conjecture; the theory page, sections 'The paper's statements' and 'Bounds the
    toolkit proves'.
    """
    from tnrnn.bounds import alphabet_upper_bound, conjectured_lower_bound, shallow_rank, state_upper_bound
    from tnrnn.cuts import start_end_bound

    fig, ax = figure_and_axes(ax, figsize=(6.4, 4.8))
    Ts = list(range(2, T_max + 1, 2))
    cache = ranks if ranks is not None else {}
    top = 1.0
    for L in depths:
        color = DEPTH_COLORS.get(L, "0.3")
        if L == 1:
            theory = [shallow_rank(M, R, T) for T in Ts]
            ax.plot(Ts, theory, "-", color=color, lw=1.6, zorder=2)
        else:
            theory = [conjectured_lower_bound(M, R, L, T) for T in Ts]
            ax.plot(Ts, theory, "-" if L == 2 else ":", color=color, lw=1.6 if L == 2 else 2.0, zorder=2)
            upper = [state_upper_bound(R, L, T) for T in Ts]
            ax.plot(Ts, upper, "-.", color=color, lw=1.1, alpha=0.85, zorder=2)
            top = max(top, max(upper[: max(1, len(Ts) // 2)]))
        top = max(top, max(theory))
        cuts = [start_end_bound(M, R, L, T, domain="continuous", cache=cache) for T in Ts]
        ax.plot(Ts, cuts, "--", color=color, lw=1.1, alpha=0.9, zorder=2)
        styles = (("continuous", {"marker": "o", "mfc": color}), ("onehot", {"marker": "s", "mfc": "white"}))
        for domain, style in styles:
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
                mec=color,
                ms=6.5 if domain == "continuous" else 8,
                mew=1.3,
                zorder=4 if domain == "continuous" else 3,
                gid=f"measured-L{L}-{domain}",
                **style,
            )
    ax.plot(Ts, [alphabet_upper_bound(M, T) for T in Ts], ":", color="0.55", lw=1.0, zorder=1)
    ax.set_yscale("log")
    ax.set_ylim(1, top * 4)
    ax.set_xlim(1, T_max + 1)
    ax.set_xticks(Ts if len(Ts) <= 13 else Ts[::2])
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("Start-End separation rank")
    ax.set_title(f"$M = {M}$, $R = {R}$", fontsize=10)
    ax.grid(alpha=0.3, which="major")
    if legend:
        handles = rank_legend_handles(depths)
        first = ax.legend(handles=handles[: len(depths)], loc="upper left", fontsize=7.5, framealpha=0.9)
        ax.add_artist(first)
        ax.legend(handles=handles[len(depths) :], loc="lower right", fontsize=7, framealpha=0.9)
    return fig, ax


def rank_legend_handles(depths=(1, 2, 3)):
    """Legend handles of `plot_rank_vs_T`: one colour per depth, then one style per kind of result."""
    from matplotlib.lines import Line2D

    depth_handles = [Line2D([], [], color=DEPTH_COLORS.get(L, "0.3"), lw=2.5, label=f"depth $L = {L}$") for L in depths]
    kind_handles = [
        Line2D([], [], color="0.2", ls="-", lw=1.6, label="theorem: $L=1$ value, $L=2$ lower bound"),
        Line2D([], [], color="0.2", ls=":", lw=2.0, label="conjecture: depth-$L$ lower bound"),
        Line2D([], [], color="0.2", ls="-.", lw=1.1, label=r"proven upper bound $\Pi_l\,((R; d_l))$"),
        Line2D([], [], color="0.2", ls="--", lw=1.1, label="proven upper bound: TN min-cut"),
        Line2D([], [], color="0.55", ls=":", lw=1.0, label="$M^{T/2}$: proven cap, one-hot only"),
        Line2D([], [], color="0.2", ls="none", marker="o", label="measurement: exact rank, continuous"),
        Line2D([], [], color="0.2", ls="none", marker="s", mfc="white", ms=7, label="measurement: exact rank, one-hot"),
    ]
    return depth_handles + kind_handles


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
    fig, ax = figure_and_axes(ax, figsize=(0.75 * len(T_values) + 2.2, 0.42 * len(rows) + 1.4))
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
                ax.text(j, i, "n/c", ha="center", va="center", fontsize=7, color="0.4")
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
                ax.add_patch(Rectangle((j - 0.47, i - 0.44), 0.94, 0.88, fill=False, ec="#D62728", lw=2.0))
            dark = abs(logr[i, j]) > 0.6 * vmax
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7.5,
                weight=weight,
                color="white" if dark else ("#B2182B" if fails else "black"),
            )
    ax.set_xticks(range(len(T_values)), [str(T) for T in T_values])
    ax.set_yticks(
        range(len(rows)), [f"L={L}, {'one-hot' if d == 'onehot' else 'continuous'}" for (L, d), _ in rows], fontsize=8
    )
    ax.set_xlabel("sequence length $T$")
    titles = {
        "lower": "rank ÷ lower bound\n(theorem, L ≤ 2; conjecture, L = 3)",
        "upper": "rank ÷ best closed-form upper bound\n(state, degree, one-hot $M^{T/2}$)",
        "min-cut": "rank ÷ tensor-network min-cut\n(domain's network)",
    }
    ax.set_title(titles[bound], fontsize=9)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if colorbar:
        cb = fig.colorbar(im, ax=ax, shrink=0.85)
        cb.set_label("log$_{10}$(rank ÷ bound)", fontsize=8)
    return fig, ax
