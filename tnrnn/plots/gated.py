r"""Gated cells against the RAC: exact Start-End ranks against T per depth, and the depth ratio rank(L) / rank(1).

`gated_rank_data` computes the measurements (through the rank atlas, each cell capped in time: a cell that runs out
is a certified *partial* lower bound) as a JSON-able dict, which ``results/gated_ranks.json`` of the repository
holds; `plot_gated_rank_vs_T` and `plot_depth_ratio` draw it. matplotlib is imported inside the functions; nothing
here changes global rcParams.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes

__all__ = [
    "GATED_SPECS",
    "GATED_FORMAT",
    "gated_rank_data",
    "gated_rows",
    "plot_gated_rank_vs_T",
    "plot_depth_ratio",
    "gated_table",
]

#: the cells compared (registered specs), in drawing order
GATED_SPECS = ("rac", "mi", "gru", "lstm", "gru:act_degree=3", "lstm:act_degree=3")
#: the ``format`` of a `gated_rank_data` dict
GATED_FORMAT = "tnrnn-gated-ranks-1"


def gated_rank_data(
    *,
    specs=GATED_SPECS,
    Ls=(1, 2, 3),
    T_max: dict | int = 12,
    M: int = 2,
    R: int = 2,
    domains=("continuous", "onehot"),
    timeout: float = 60.0,
    max_N: int | None = 4096,
    cache=None,
    progress: bool | None = None,
) -> dict:
    """Exact Start-End ranks of every cell of ``specs`` at depths ``Ls`` over even ``T = 2..T_max``, both domains.

    Parameters
    ----------
    specs : sequence of str
        Registered cell specs (`tnrnn.cells.cell_spec`).
    Ls : sequence of int
        Depths.
    T_max : int or dict
        Largest ``T``; a dict maps ``(spec, L, domain)`` to its own largest ``T`` (missing: key ``"default"``).
    M, R : int
        Input dimension and width.
    domains : sequence of str
    timeout : float
        Seconds per cell. A series (cell, L, domain) stops at its first cell that runs out (`tnrnn.atlas.run_sweep`
        with ``frontier=True``); that cell is kept with ``status="partial"``: a certified lower bound.
    max_N : int, optional
        Largest continuous sample side of a cell whose full sample (up to its smallest proven bound) would not fit in
        memory; such a cell ends ``partial`` at a full-rank ``max_N`` sample (a certified lower bound) instead of
        being refused.
    cache : None, True, path or Atlas
        The rank atlas the sweep reads and fills.

    Returns
    -------
    dict
        ``format``, ``M``, ``R``, ``timeout`` and ``rows``: one dict per computed cell with ``cell``, ``L``, ``T``,
        ``domain``, ``rank``, ``status``, ``failure_bound``, ``upper`` (the smallest proven upper bound), ``bound``
        (its name) and ``seconds``.
    """
    from tnrnn._types import MemoryRefusal
    from tnrnn.atlas import CellSpec, run_sweep
    from tnrnn.cells import cell_upper_bounds

    def t_max(spec, L, d):
        if isinstance(T_max, dict):
            return T_max.get((spec, L, d), T_max["default"])
        return T_max

    def cell(spec, L, T, d):
        s = CellSpec(M, R, L, T, d, (("cell", spec),))
        if d == "continuous" and max_N is not None:
            try:
                s.plan()
            except MemoryRefusal:
                s = CellSpec(M, R, L, T, d, (("cell", spec), ("max_N", max_N)))
        return s

    cells = [
        cell(spec, L, T, d) for spec in specs for L in Ls for d in domains for T in range(2, t_max(spec, L, d) + 1, 2)
    ]
    results = run_sweep(cells, cache=cache, timeout=timeout, order="T", frontier=True, progress=progress)
    rows = []
    for s, res in results.items():
        spec = dict(s.options)["cell"]  # the row keeps its max_N (when set) only through its status
        bounds = cell_upper_bounds(spec, M, R, s.L, s.T, domain=s.domain)
        name = min(bounds, key=bounds.get)
        rows.append(
            {
                "cell": spec,
                "L": s.L,
                "T": s.T,
                "domain": s.domain,
                "rank": res.rank,
                "status": res.status,
                "failure_bound": res.failure_bound,
                "upper": bounds[name],
                "bound": name,
                "seconds": round(float(res.timing.get("total", 0.0)), 2) if res.timing else None,
            }
        )
    return {"format": GATED_FORMAT, "M": M, "R": R, "timeout": timeout, "rows": rows}


def gated_rows(data: dict, *, cell=None, L=None, domain=None) -> list[dict]:
    """The rows of a `gated_rank_data` dict that match the given fields, sorted by ``T``."""
    want = {k: v for k, v in (("cell", cell), ("L", L), ("domain", domain)) if v is not None}
    rows = [r for r in data["rows"] if all(r[k] == v for k, v in want.items())]
    return sorted(rows, key=lambda r: r["T"])


def _label(spec: str) -> str:
    """A legend label read from the cell itself: its name in capitals, then every option with its value."""
    import dataclasses

    from tnrnn.cells import make_cell

    cell = make_cell(spec, 1, 1, 1)
    options = [f.name for f in dataclasses.fields(cell) if f.name not in ("M", "R", "L", "K")]
    return ", ".join([cell.name.upper()] + [f"{k.replace('_', ' ')} {getattr(cell, k)}" for k in options])


def _style(spec: str, specs) -> dict:
    from tnrnn.style import series_style

    return series_style(list(specs).index(spec))


def _finished(row) -> bool:
    return row["status"] in ("proven", "lower-bound")


def plot_gated_rank_vs_T(data: dict, L: int, domain: str, *, specs=None, ax=None, legend: bool = True):
    """Start-End rank against ``T`` (log scale) of every cell of ``data`` at depth ``L`` in one input domain.

    Parameters
    ----------
    data : dict
        A `gated_rank_data` dict (``results/gated_ranks.json``).
    L : int
    domain : {"continuous", "onehot"}
    specs : sequence of str, optional
        The cells to draw (default: every cell of ``data``, in `GATED_SPECS` order).
    ax : matplotlib Axes, optional
    legend : bool

    Returns
    -------
    (fig, ax)
        Measured ranks are filled markers joined by a solid line (Line2D gid ``"rank-{spec}"``); a cell that ran out
        of time is an open marker with an upward arrow (gid ``"partial-{spec}"``: a certified lower bound); the
        smallest proven upper bound is the dashed line of the same colour (gid ``"bound-{spec}"``). The y axis stops
        a little above the largest rank: bounds far above it leave the panel.
    """
    from tnrnn.style import GREY, finish_axes, house_style

    specs = _specs(data, specs)
    with house_style():
        fig, ax = figure_and_axes(ax, figsize=(5.2, 4.2))
        top = 1
        for spec in specs:
            rows = gated_rows(data, cell=spec, L=L, domain=domain)
            if not rows:
                continue
            st = _style(spec, specs)
            done = [r for r in rows if _finished(r)]
            ax.plot([r["T"] for r in done], [r["rank"] for r in done], gid=f"rank-{spec}", label=_label(spec), **st)
            part = [r for r in rows if not _finished(r) and r["rank"] > 0]
            if part:
                ax.plot(
                    [r["T"] for r in part],
                    [r["rank"] for r in part],
                    ls="none",
                    marker=st["marker"],
                    mec=st["color"],
                    mfc="white",
                    gid=f"partial-{spec}",
                )
                for r in part:
                    ax.annotate(
                        "",
                        (r["T"], r["rank"] * 2.2),
                        (r["T"], r["rank"] * 1.1),
                        arrowprops={"arrowstyle": "->", "color": st["color"], "lw": 1.0},
                    )
            ax.plot(
                [r["T"] for r in rows],
                [r["upper"] for r in rows],
                ls="--",
                lw=1.0,
                color=st["color"],
                gid=f"bound-{spec}",
            )
            top = max([top] + [r["rank"] for r in rows])
        if domain == "onehot":
            Ts = sorted({r["T"] for r in data["rows"]})
            ax.plot(Ts, [data["M"] ** (T // 2) for T in Ts], color=GREY, lw=0.8, ls=":", label="$M^{T/2}$")
        ax.set_yscale("log")
        ax.set_ylim(0.8, top * 12)
        ax.set_xticks(sorted({r["T"] for r in data["rows"]}))
        ax.set_xlabel("sequence length $T$")
        ax.set_ylabel("Start-End separation rank")
        ax.set_title(f"$L = {L}$, {domain}")
        finish_axes(ax, legend=legend, fontsize=8, loc="upper left")
    return fig, ax


def plot_depth_ratio(data: dict, domain: str, *, specs=None, Ls=(2, 3), ax=None, legend: bool = True):
    """The depth ratio rank(L) / rank(1) against ``T`` of every cell of ``data`` (log scale), one input domain.

    Solid lines with filled markers for ``L = 2``, dotted with open markers for ``L = 3``, over the ``T`` where both
    ranks finished; where rank(L) ran out of time the ratio is a lower bound (an open marker with an upward arrow;
    Line2D gid ``"ratio-{spec}-L{L}"`` and ``"ratio-partial-{spec}-L{L}"``).
    """
    from tnrnn.style import GREY, finish_axes, house_style

    specs = _specs(data, specs)
    with house_style():
        fig, ax = figure_and_axes(ax, figsize=(5.2, 4.2))
        ax.axhline(1.0, color=GREY, lw=0.8)
        for spec in specs:
            st = _style(spec, specs)
            shallow = {r["T"]: r for r in gated_rows(data, cell=spec, L=1, domain=domain) if _finished(r)}
            for k, L in enumerate(Ls):
                deep = [r for r in gated_rows(data, cell=spec, L=L, domain=domain) if r["T"] in shallow]
                done = [(r["T"], r["rank"] / shallow[r["T"]]["rank"]) for r in deep if _finished(r)]
                part = [(r["T"], r["rank"] / shallow[r["T"]]["rank"]) for r in deep if not _finished(r) and r["rank"]]
                kw = {"color": st["color"], "marker": st["marker"], "mec": st["color"]}
                ax.plot(
                    [t for t, _ in done],
                    [v for _, v in done],
                    ls="-" if k == 0 else ":",
                    mfc=st["color"] if k == 0 else "white",
                    gid=f"ratio-{spec}-L{L}",
                    **kw,
                )
                if part:
                    ax.plot(
                        [t for t, _ in part],
                        [v for _, v in part],
                        ls="none",
                        mfc="white",
                        gid=f"ratio-partial-{spec}-L{L}",
                        **kw,
                    )
                    for t, v in part:
                        ax.annotate(
                            "", (t, v * 2.0), (t, v * 1.1), arrowprops={"arrowstyle": "->", "color": st["color"]}
                        )
        ax.set_yscale("log")
        ax.set_xticks(sorted({r["T"] for r in data["rows"]}))
        ax.set_xlabel("sequence length $T$")
        ax.set_ylabel("depth ratio rank($L$) / rank(1)")
        ax.set_title(f"depth ratio, {domain}")
        if legend:
            from matplotlib.lines import Line2D

            handles = [Line2D([], [], color="0.3", marker="o", label=f"$L = {Ls[0]}$")]
            handles += [
                Line2D([], [], color="0.3", marker="o", mfc="white", ls=":", label=f"$L = {L}$") for L in Ls[1:]
            ]
            ax.legend(handles=handles, fontsize=8, loc="upper left")
        finish_axes(ax)
    return fig, ax


def _specs(data, specs):
    if specs is not None:
        return tuple(specs)
    present = {r["cell"] for r in data["rows"]}
    return tuple(s for s in GATED_SPECS if s in present) + tuple(sorted(present - set(GATED_SPECS)))


def gated_table(data: dict, *, specs=None) -> str:
    """A Markdown table of a `gated_rank_data` dict: one row per (cell, L, domain), one column per ``T``.

    A proven rank is bold, a certified lower bound that is exact with high probability is plain, a cell that ran
    out of time is ``≥ r`` (``–``: nothing finished within the time), and an empty cell was not computed (its
    series had stopped).
    """
    specs = _specs(data, specs)
    Ts = sorted({r["T"] for r in data["rows"]})
    lines = ["| cell | L | domain | " + " | ".join(f"T={T}" for T in Ts) + " |", "|---|---|---|" + "---|" * len(Ts)]
    for spec in specs:
        for L in sorted({r["L"] for r in data["rows"]}):
            for domain in ("continuous", "onehot"):
                by_T = {r["T"]: r for r in gated_rows(data, cell=spec, L=L, domain=domain)}
                if not by_T:
                    continue
                cells = []
                for T in Ts:
                    r = by_T.get(T)
                    if r is None:
                        cells.append("")
                    elif r["status"] == "proven":
                        cells.append(f"**{r['rank']}**")
                    elif r["status"] == "lower-bound":
                        cells.append(str(r["rank"]))
                    else:
                        cells.append(f"≥ {r['rank']}" if r["rank"] else "–")
                lines.append(f"| `{spec}` | {L} | {domain} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
