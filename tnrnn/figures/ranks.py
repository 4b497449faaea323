"""Ranks against bounds: rank vs T, the rank / bound heat maps, the cells and gated cells, the frontier."""

from __future__ import annotations

import json
import os

from tnrnn.figures import _base
from tnrnn.figures._base import FigureUnavailable, _results_dir, figure
from tnrnn.style import FONT_SIZE, styled

# ---------------------------------------------------------------------------------------------------------------
# ranks against bounds

#: exact ranks measured for the rank-vs-T figure: M = R -> (L, domain) -> largest T (default, quick).
#: Chosen by measured cost: one-hot grids grow like M^T, continuous depth-3 ranks fast (M = R = 3, T = 8: rank 2844,
#: about a minute on 2 shared cores; T = 10 is out of reach; M = R = 4, T = 6: rank 5920, four minutes).
RANK_T_MAX = {
    2: {
        (1, "continuous"): (24, 8),
        (1, "onehot"): (16, 8),
        (2, "continuous"): (24, 10),
        (2, "onehot"): (20, 8),
        (3, "continuous"): (14, 6),
        (3, "onehot"): (16, 8),
    },
    3: {
        (1, "continuous"): (24, 8),
        (1, "onehot"): (10, 6),
        (2, "continuous"): (24, 8),
        (2, "onehot"): (12, 6),
        (3, "continuous"): (8, 4),
        (3, "onehot"): (10, 6),
    },
    4: {
        (1, "continuous"): (24, 8),
        (1, "onehot"): (8, 6),
        (2, "continuous"): (20, 8),
        (2, "onehot"): (10, 6),
        (3, "continuous"): (4, 4),
        (3, "onehot"): (8, 4),
    },
}

#: the (M=R, T range, cases not computed) of the rank / bound heat maps: default and quick
RATIO_GRID = {
    False: [(3, (2, 4, 6, 8, 10, 12), {(3, "continuous", T) for T in (10, 12)}), (2, (2, 4, 6, 8, 10, 12), set())],
    True: [(3, (2, 4, 6), set())],
}


def _rank_cache(context) -> dict:
    cache = context.get("ranks")
    return {} if cache is None else cache


def _atlas_csv(context) -> list[dict]:
    """The frontier export ``<results_dir>/atlas.csv`` (`tnrnn atlas export`), read once; [] when absent or off."""
    if "atlas_csv" not in context:
        import csv

        path = os.path.join(_results_dir(context), "atlas.csv")
        rows = []
        if context.get("read_atlas_csv", True) and os.path.exists(path):
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
        context["atlas_csv"] = rows
    return context["atlas_csv"]


def _default_key(row) -> bool:
    """A row computed with the `separation_rank` defaults the rank figures use (seed 0, two seeds, standard)."""
    from tnrnn.atlas import key_defaults

    want = {k: ("" if v is None else str(v)) for k, v in key_defaults().items()}
    return all(str(row.get(k) if row.get(k) is not None else "") == v for k, v in want.items())


def _prefill_ranks(context, M, R, cases) -> None:
    """Fill the figures' rank dict for ``cases`` = (L, domain, T): from ``results/atlas.csv``, else the atlas.

    Finished (proven or lower-bound) rows of the committed export are used as they are; the other cases go through
    the user's atlas (``cache``: looked up, or computed and stored) when one is given, else they are left to the
    plot functions, which compute them as before.
    """
    ranks = context.setdefault("ranks", {})
    known = {}
    for row in _atlas_csv(context):
        if row.get("status") in ("proven", "lower-bound") and _default_key(row):
            known[(int(row["M"]), int(row["R"]), int(row["L"]), row["domain"], int(row["T"]), 0)] = int(row["rank"])
    cache = context.get("cache")
    for L, domain, T in cases:
        key = (M, R, L, domain, T, 0)  # the default key: seed 0 (`tnrnn.plots.measured_ranks`)
        if key in ranks:
            continue
        if key in known:
            ranks[key] = known[key]
        elif cache is not None:
            from tnrnn.atlas import cached_separation_rank

            ranks[key] = cached_separation_rank(M, R, L, T, domain=domain, cache=cache).rank


@figure(
    "rank_vs_T",
    "Start-End separation rank against T: shallow ranks stay at min(R, M^{T/2}), deep ranks grow "
    "with T; exact values against Theorem 1, the conjecture and the proven bounds.",
    "paper Theorem 1 and Fig. F5 (§3.1-3.4, §7)",
)
@styled
def fig_rank_vs_T(out_dir, quick=False, **context) -> list[str]:
    """F5: Start-End separation rank against T for L = 1, 2, 3 at M = R = 2, 3, 4: measurements and bounds."""
    import matplotlib.pyplot as plt

    from tnrnn.plots import plot_rank_vs_T, rank_legend_handles

    sizes = (2, 3, 4)
    T_max = 12 if quick else 24
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.2 * len(sizes), 5.6), layout="constrained")
    for ax, n in zip(axes, sizes, strict=True):
        exact_T = {key: list(range(2, v[1 if quick else 0] + 1, 2)) for key, v in RANK_T_MAX[n].items()}
        _prefill_ranks(context, n, n, [(L, d, T) for (L, d), Ts in exact_T.items() for T in Ts])
        cache = _rank_cache(context)
        plot_rank_vs_T(n, n, exact_T=exact_T, T_max=T_max, ranks=cache, ax=ax, legend=False)
    for ax in axes[1:]:
        ax.set_ylabel("")
    fig.legend(handles=rank_legend_handles((1, 2, 3)), loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(
        "Start-End separation rank of RACs: exact values (markers) between the proven and conjectured bounds (lines)"
    )
    return _base._save(fig, out_dir, "fig_rank_vs_T")


@figure(
    "rank_ratio",
    "Exact rank ÷ bound: Theorem 1(1) and the state bound are attained, the min-cut is loose for "
    "deep RACs, the one-hot rank falls below the depth-3 conjecture (9 < 10 at M = R = 3, T = 4).",
    "paper Theorem 1, conjecture (§3.2), §7.3",
)
@styled
def fig_rank_ratio(out_dir, quick=False, **context) -> list[str]:
    """Heat maps of exact rank ÷ bound over (L, domain) and T: where each bound is tight, where it fails."""
    import matplotlib.pyplot as plt

    from tnrnn.plots import RATIO_BOUNDS, plot_rank_ratio

    grid = RATIO_GRID[bool(quick)]
    n_rows = len(grid)
    fig, axes = plt.subplots(n_rows, 3, figsize=(17.0, 4.2 * n_rows + 0.5), layout="constrained", squeeze=False)
    for row, (n, T_values, skip) in zip(axes, grid, strict=True):
        cases = [
            (L, d, T) for L in (1, 2, 3) for d in ("continuous", "onehot") for T in T_values if (L, d, T) not in skip
        ]
        _prefill_ranks(context, n, n, cases)
        cache = _rank_cache(context)
        for ax, bound in zip(row, RATIO_BOUNDS, strict=True):
            plot_rank_ratio(
                n, n, bound=bound, T_values=T_values, skip=skip, ranks=cache, ax=ax, colorbar=bound == RATIO_BOUNDS[-1]
            )
        row[0].set_ylabel(f"$M = R = {n}$", weight="bold")
    fig.suptitle(
        "Exact Start-End rank ÷ bound  (=: bound attained;  ✗: a lower bound the rank falls below;  n/c: not computed)"
    )
    return _base._save(fig, out_dir, "fig_rank_ratio")


#: largest T of the exact ranks in the cell comparison (default, quick); M = R = 2. The continuous quad rank grows
#: fastest (depth 2: 327 at T = 6, 3720 at T = 8 in about a minute), so its depth-2 markers stop at T = 6
CELLS_T_MAX = {("quad", 2, "continuous"): (6, 4)}
CELLS_T_DEFAULT = (10, 6)


@figure(
    "cells_rank_vs_T",
    "Start-End rank of five recurrent cells at depth 1 and 2 (M = R = 2): the linear RNN stays at 2, "
    "the shallow RAC and bilinear cell at R, MI at R + 1; squaring grows the rank with T already at "
    "depth 1; depth lets the multiplicative cells grow with T.",
    "cells beyond the RAC (tnrnn.cells), bounds of tnrnn.cells.bounds",
)
@styled
def fig_cells_rank_vs_T(out_dir, quick=False, **context) -> list[str]:
    """Start-End rank against T of five cells (RAC, bilinear, MI, quad, linear) at depth 1 and 2, M = R = 2."""
    import matplotlib.pyplot as plt

    from tnrnn.plots import CELL_INPUTS, CELL_STYLE, cells_legend_handles, plot_cells_rank_vs_T

    T_max = CELLS_T_DEFAULT[1 if quick else 0]
    fig, axes = plt.subplots(2, 2, figsize=(13.0, 10.0), layout="constrained", sharey="row")
    cache = _rank_cache(context)
    for row, d in zip(axes, ("continuous", "onehot"), strict=True):
        for ax, L in zip(row, (1, 2), strict=True):
            exact_T = {
                cell: list(range(2, CELLS_T_MAX.get((cell, L, d), CELLS_T_DEFAULT)[1 if quick else 0] + 1, 2))
                for cell in CELL_STYLE
            }
            plot_cells_rank_vs_T(L, d, exact_T=exact_T, T_max=T_max, ranks=cache, ax=ax, legend=False)
            if L == 2:
                ax.set_ylabel("")
    fig.legend(
        handles=cells_legend_handles(),
        loc="outside lower center",
        ncols=3,
        frameon=False,
        title=CELL_INPUTS,
    )
    fig.suptitle(
        "Which cells carry information from the Start to the End of a sequence: exact Start-End separation ranks "
        "(markers) and proven upper bounds (dashed)"
    )
    return _base._save(fig, out_dir, "fig_cells_rank_vs_T")


#: the committed measurements of the gated-cells figure (`tnrnn.plots.gated.gated_rank_data`), in ``results/``
GATED_RESULTS = "gated_ranks.json"


def _gated_data(context, quick: bool) -> dict:
    """``results/gated_ranks.json``; without it, a small set computed here in quick mode (T = 2, depths 1 and 2)."""
    from tnrnn.plots.gated import GATED_FORMAT, GATED_SPECS, gated_rank_data

    path = os.path.join(_results_dir(context), GATED_RESULTS)
    if os.path.exists(path):
        with open(path) as fh:
            data = json.load(fh)
        if data.get("format") != GATED_FORMAT:
            raise FigureUnavailable(f"{path}: format {data.get('format')!r}, expected {GATED_FORMAT!r}")
        return data
    if quick:
        return gated_rank_data(specs=GATED_SPECS[:4], Ls=(1, 2), T_max=2, timeout=30.0, cache=context.get("cache"))
    raise FigureUnavailable(
        f"no {path}: compute it with tnrnn.plots.gated.gated_rank_data (about 20 CPU-minutes; the repository "
        "commits it)"
    )


@figure(
    "gated_rank_vs_T",
    "Start-End rank of RAC, MI, GRU and LSTM (Taylor activations of degree 1 and 3) at depth 1, 2, 3 "
    "against T, both domains, with the proven bounds and the depth ratio rank(L) / rank(1).",
    "gated cells (tnrnn.cells.gru, tnrnn.cells.lstm); results/gated_ranks.json",
)
def fig_gated_rank_vs_T(out_dir, quick=False, **context) -> list[str]:
    """Start-End rank against T of RAC, MI, GRU and LSTM at L = 1, 2, 3 (M = R = 2), and the depth ratio."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from tnrnn.plots.gated import _label, _specs, plot_depth_ratio, plot_gated_rank_vs_T
    from tnrnn.style import house_style, series_style

    data = _gated_data(context, quick)
    Ls = sorted({r["L"] for r in data["rows"]})
    domains = [d for d in ("continuous", "onehot") if any(r["domain"] == d for r in data["rows"])]
    specs = _specs(data, None)
    with house_style():
        fig, axes = plt.subplots(
            len(domains), len(Ls) + 1, figsize=(4.3 * (len(Ls) + 1), 3.9 * len(domains) + 0.9), layout="constrained"
        )
        axes = axes.reshape(len(domains), len(Ls) + 1)
        for row, domain in zip(axes, domains, strict=True):
            for ax, L in zip(row[:-1], Ls, strict=True):
                plot_gated_rank_vs_T(data, L, domain, specs=specs, ax=ax, legend=False)
            plot_depth_ratio(data, domain, specs=specs, Ls=tuple(L for L in Ls if L > 1), ax=row[-1])
        handles = [Line2D([], [], label=_label(s), **series_style(i)) for i, s in enumerate(specs)]
        handles += [
            Line2D([], [], color="0.3", ls="--", label="smallest proven upper bound"),
            Line2D([], [], color="0.3", marker="o", mfc="white", ls="none", label="ran out of time: lower bound"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8.5, frameon=False)
        fig.suptitle(
            f"Gated cells with Taylor activations of degree 1 and 3: exact Start-End ranks at M = R = {data['M']} "
            f"(each cell capped at {data['timeout']:.0f} s)"
        )
    return _base._save(fig, out_dir, "fig_gated_rank_vs_T")


def _frontier_records(context, cell: str = "rac") -> tuple[list[dict], str]:
    """The frontier's rows: ``results/atlas.csv``, else the user's atlas (default-key Start-End rows of ``cell``)."""
    rows = [r for r in _atlas_csv(context) if r.get("cell") == cell and r.get("partition") == "start-end"]
    if rows:
        return rows, os.path.join(_results_dir(context), "atlas.csv")
    from tnrnn.atlas import export_rows, open_atlas

    atlas = open_atlas(context.get("cache"))
    if atlas is not None:
        recs = [r for r in export_rows(atlas.rows(cell=cell, partition="start-end")) if _default_key(r)]
        if recs:
            return recs, atlas.path
    raise FigureUnavailable(
        f"no frontier table: {os.path.join(_results_dir(context), 'atlas.csv')} is missing and the atlas holds no "
        "Start-End RAC ranks (tnrnn table ... then tnrnn atlas export --out results/atlas.csv)"
    )


#: colours of the frontier figure by status: light tints of the house palette's bluish green and orange, far apart
#: in grey-scale (luminance 0.68 and 0.90); partial cells are also hatched (`FRONTIER_HATCH`)
FRONTIER_COLORS = {"proven": "#6fc0a3", "lower-bound": "#fbe3b0", "partial": "#d9d9d9"}
FRONTIER_HATCH = {"partial": "///"}


@figure(
    "rank_frontier",
    "The rank atlas's frontier: every exact Start-End rank computed within the per-cell budget for "
    "L <= 4, M, R in {2, 3, 4}, both domains; colour by status, ✗ where the depth-L conjecture fails, = "
    "where a proven upper bound is attained.",
    "results/atlas.csv (tnrnn atlas export)",
)
@styled
def fig_rank_frontier(out_dir, quick=False, **context) -> list[str]:
    """The rank atlas's frontier: every computed Start-End rank for L <= 4, M, R in {2, 3, 4}, both domains."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    records, source = _frontier_records(context)
    cells = {}
    for r in records:
        key = (int(r["L"]), r["domain"], int(r["M"]), int(r["R"]), int(r["T"]))
        cells[key] = r
    Ls = sorted({k[0] for k in cells})
    Ts = sorted({k[4] for k in cells})
    pairs = sorted({(k[2], k[3]) for k in cells})
    domains = [d for d in ("continuous", "onehot") if any(k[1] == d for k in cells)]
    panel_w = max(3.6, 0.58 * len(Ts))  # rows: depths, columns: domains
    fig, axes = plt.subplots(
        len(Ls),
        len(domains),
        figsize=(panel_w * len(domains) + 1.2, 0.3 * len(pairs) * len(Ls) + 2.2),
        layout="constrained",
        squeeze=False,
    )
    for ax_row, L in zip(axes, Ls, strict=True):
        for ax, domain in zip(ax_row, domains, strict=True):
            for yi, (M, R) in enumerate(pairs):
                for xi, T in enumerate(Ts):
                    r = cells.get((L, domain, M, R, T))
                    if r is None:
                        continue
                    ax.add_patch(
                        Rectangle(
                            (xi - 0.5, yi - 0.5),
                            1,
                            1,
                            fc=FRONTIER_COLORS.get(r["status"], "w"),
                            ec="0.6",
                            lw=0,
                            hatch=FRONTIER_HATCH.get(r["status"]),
                        )
                    )
                    fails = r.get("conjecture_holds") in ("no", "no?")
                    upper = any(
                        b in (r.get("attained") or "")
                        for b in ("state_upper", "degree_upper", "alphabet_upper", "min_cut")
                    )
                    rank = int(r["rank"])
                    short = str(rank) if rank < 1000 else f"{rank / 1000:.1f}k" if rank < 10**4 else f"{rank // 1000}k"
                    partial = "≥" if r["status"] == "partial" else ""  # a certified lower bound only
                    text = partial + short + ("✗" if fails else "") + ("=" if upper else "")
                    ax.text(
                        xi,
                        yi,
                        text,
                        ha="center",
                        va="center",
                        fontsize=0.8 * FONT_SIZE,
                    )
            ax.set_xlim(-0.5, len(Ts) - 0.5)
            ax.set_ylim(len(pairs) - 0.5, -0.5)
            ax.set_xticks(range(len(Ts)), [str(T) for T in Ts], fontsize=0.9 * FONT_SIZE)
            ax.set_yticks(range(len(pairs)), [f"$M={M}$, $R={R}$" for M, R in pairs], fontsize=0.9 * FONT_SIZE)
            ax.set_title(f"$L = {L}$, {'one-hot' if domain == 'onehot' else domain}")
            ax.set_xlabel("$T$")
            ax.grid(False)
    handles = [Patch(fc=c, ec="0.6", lw=0, hatch=FRONTIER_HATCH.get(s), label=s) for s, c in FRONTIER_COLORS.items()]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=3,
        frameon=False,
        title="rank status;  ✗: below the depth-$L$ conjecture;  =: a proven upper bound is attained",
    )
    fig.suptitle(
        f"Exact Start-End separation ranks of RACs computed by the rank atlas ({os.path.basename(source)})\n"
        + _frontier_summary(cells.values())
    )
    return _base._save(fig, out_dir, "fig_rank_frontier")


def _frontier_summary(records) -> str:
    """One line: cells by status, the largest failure bound of the lower bounds, and the compute time."""
    records = list(records)
    counts = {s: sum(1 for r in records if r["status"] == s) for s in ("proven", "lower-bound", "partial")}
    bounds = [float(r["failure_bound"]) for r in records if r["status"] == "lower-bound" and r.get("failure_bound")]
    hours = sum(float(r.get("wall_seconds") or 0.0) for r in records) / 3600
    worst = f" (failure bound $\\leq$ {max(bounds):.1g})" if bounds else ""
    return (
        f"{len(records)} cells: {counts['proven']} proven, {counts['lower-bound']} certified lower bounds{worst}, "
        f"{counts['partial']} partial ($\\geq$ r); {hours:.1f} h of compute"
    )
