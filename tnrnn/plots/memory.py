"""Plots of the memory experiments (`tnrnn.tasks`): accuracy against T or B, and the largest length solved.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes
from tnrnn.style import FONT_SIZE, GREY, PALETTE, plural, series_style, styled

__all__ = ["plot_memory_accuracy", "plot_memory_solved", "save_memory_accuracy"]


def _memory_setup(results):
    from tnrnn.tasks.results import load_results
    from tnrnn.tasks.stats import analyze

    res = load_results(results)
    an = res.get("analysis") or analyze(res)
    budgets = res.get("budgets") or [res.get("params_target")]
    return res, an, budgets


def _memory_title(res) -> str:
    task_name = "Start-End Similarity" if res["task"] == "ses" else "Copying Memory"
    s = res["task_settings"]
    detail = f"$n = {s['n']}$, $m = {s['m']}$" if res["task"] == "ses" else f"$n = {s['n']}$, $M_c = {s['M_c']}$"
    cfg = res["train_config"]
    sched = cfg.get("schedule", "patience")
    tuned = "lr tuned per depth" if res.get("protocol", {}).get("tuned") else f"lr {cfg['lr']:g}"
    cell = {"scornn": "scoRNN", "rnn": "tanh RNN"}.get(res["cell"], res["cell"].upper())
    title = (
        f"{task_name}, {cell} cells ({detail}; {plural(len(res['seeds']), 'seed')}, ≤ {cfg['max_steps']} steps, "
        f"{sched}, {tuned})"
    )
    if res.get("partial"):
        n_all = len(res["seeds"]) * len(res["depths"]) * len(res["values"]) * len(res.get("budgets") or [None])
        title += f"\nPARTIAL: {len(res['runs'])} of {n_all} runs finished"
    return title


def _memory_caption(ax, res):
    if not res.get("command"):
        return
    caption = res["command"] + ("  [quick]" if res.get("quick") and "--quick" not in res["command"] else "")
    # under the x label, inside the axes' layout box so constrained layout makes room for it
    ax.annotate(
        caption,
        xy=(0.5, 0),
        xycoords=ax.xaxis.label,
        xytext=(0, -3),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=0.8 * FONT_SIZE,
        color="0.3",
        wrap=True,
    )


@styled
def plot_memory_accuracy(results, ax=None):
    """Test accuracy against ``T`` (SES) or delay ``B`` (Copying Memory), one curve per depth, with intervals.

    Parameters
    ----------
    results : str, path or dict
        A results file written by `tnrnn.tasks.save_results` (``tnrnn experiment``), or the loaded dict.
    ax : matplotlib Axes, optional
        Axes to draw the accuracy curves on. If omitted, a new figure gets two panels: the accuracy curves and,
        beside them, `plot_memory_solved`.

    Returns
    -------
    (fig, ax)
        ``ax`` is the accuracy panel.

    Notes
    -----
    Points are the mean over seeds of the test accuracy (data accuracy, the last ``M_c`` steps, for Copying
    Memory); error bars are 95 % percentile-bootstrap intervals of that mean over seeds
    (`tnrnn.tasks.stats.analyze`); small dots are the single seeds. A results file with one value and several
    parameter budgets (a capacity sweep) is drawn against the budget instead. The dashed line is the memoryless /
    chance baseline, the dotted line the "solved" threshold. The legend gives widths, parameter counts and the
    learning rates chosen by the tuning; the caption is the command that produced the file. A file with a single
    length is drawn with that length in the middle of the axis.
    """
    res, an, budgets = _memory_setup(results)
    sweep = res["sweep"]
    fig, panels = figure_and_axes(ax, 1, 2, figsize=(12.5, 5.0), gridspec_kw={"width_ratios": [1.6, 1]})
    ax, second = (ax, None) if ax is not None else panels
    capacity = len(res["values"]) == 1 and len(budgets) > 1
    depths = res["depths"]
    models = {(m.get("params", res.get("params_target")), m["depth"]): m for m in res["models"]}
    runs = res["runs"]
    for i, d in enumerate(depths):
        if capacity:
            v = res["values"][0]
            rows = [r for r in an["curves"] if r["depth"] == d]
            xs = [r["params"] for r in rows]
            offset = [x * (1 + 0.04 * (i - (len(depths) - 1) / 2)) for x in xs]
            label = f"depth {d}"
            pts = [
                (r.get("params_target", res.get("params_target")), r["test"][res["metric"]])
                for r in runs
                if r["depth"] == d and r[sweep] == v
            ]
            dots = [(x * (1 + 0.04 * (i - (len(depths) - 1) / 2)), y) for x, y in pts]
        else:
            b = budgets[0]
            rows = sorted((r for r in an["curves"] if r["depth"] == d and r["params"] == b), key=lambda r: r[sweep])
            span = (max(res["values"]) - min(res["values"])) or 1
            dx = (i - (len(depths) - 1) / 2) * 0.012 * span  # dodge so the intervals do not overlap
            xs = [r[sweep] for r in rows]
            offset = [x + dx for x in xs]
            m = models.get((b, d))
            lr = "" if m is None or not res.get("protocol", {}).get("tuned") else f", lr {m['lr']:g}"
            label = f"depth {d}" + ("" if m is None else f" (width {m['width']}, {m['n_params']} params{lr})")
            dots = [(r[sweep] + dx, r["test"][res["metric"]]) for r in runs if r["depth"] == d]
        if not rows:
            continue
        means = [r["mean"] for r in rows]
        yerr = [[r["mean"] - r["ci_low"] for r in rows], [r["ci_high"] - r["mean"] for r in rows]]
        st = series_style(i)
        line = ax.errorbar(offset, means, yerr=yerr, marker=st["marker"], color=st["color"], capsize=3, label=label)
        if dots:
            ax.plot([p[0] for p in dots], [p[1] for p in dots], ".", ms=3, alpha=0.45, color=line[0].get_color())
    base_key = str(res["values"][0])
    if capacity:
        base = res["baselines"][base_key][res["metric"]]
        ax.axhline(
            base, color="k", ls="--", lw=1, label="chance (1/3)" if res["task"] == "ses" else "memoryless ($1/n$)"
        )
        ax.set_xscale("log")
        ax.set_xlim(min(budgets) / 1.6, max(budgets) * 1.6)  # the end budgets away from the frame's edges
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.minorticks_off()
        ax.set_xlabel(f"parameter budget (at ${sweep} = {res['values'][0]}$)")
    else:
        base = [res["baselines"][str(v)][res["metric"]] for v in res["values"]]
        base_label = "chance (1/3)" if res["task"] == "ses" else "memoryless baseline ($1/n$)"
        if len(set(base)) == 1:  # one level (also for a single length): a line across the axes
            ax.axhline(base[0], color="k", ls="--", lw=1, label=base_label)
        else:
            ax.plot(res["values"], base, "k--", lw=1, label=base_label)
        ax.set_xticks(res["values"])
        lo, hi = min(res["values"]), max(res["values"])
        pad = 0.08 * (hi - lo) if hi > lo else max(1.0, 0.25 * abs(lo))
        ax.set_xlim(lo - pad, hi + pad)  # a single length sits in the middle, not at the frame's edges
        ax.set_xlabel("sequence length $T$" if res["task"] == "ses" else "delay $B$")
    ax.axhline(an["threshold"], color=GREY, ls=":", lw=1.2, label=f"solved (≥ {an['threshold']:g})")
    ax.set_title(_memory_title(res), fontsize=FONT_SIZE)
    ax.set_ylabel("test accuracy" if res["task"] == "ses" else "test data accuracy (last $M_c$ steps)")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=0.85 * FONT_SIZE, loc="lower left")
    _memory_caption(ax, res)
    if second is not None:
        plot_memory_solved(res, ax=second)
    return fig, ax


@styled
def plot_memory_solved(results, ax=None):
    """Per depth, the largest ``T`` (SES) or ``B`` (copy) each seed solved (test metric ≥ 0.95).

    One dot per seed (jittered), the mean over seeds and its 95 % bootstrap interval; the title gives the exact
    sign-flip p-value of depth ``d`` against depth 1 on the same seeds. For a capacity sweep (one value, several
    budgets) the panel shows instead how many seeds solved that value, per budget and depth.

    Returns ``(fig, ax)``.
    """
    res, an, budgets = _memory_setup(results)
    sweep = res["sweep"]
    fig, ax = figure_and_axes(ax, figsize=(4.6, 4.4))
    depths = res["depths"]
    capacity = len(res["values"]) == 1 and len(budgets) > 1
    if capacity:
        width = 0.8 / len(depths)
        for i, d in enumerate(depths):
            rows = [r for r in an["curves"] if r["depth"] == d]
            xs = [budgets.index(r["params"]) + (i - (len(depths) - 1) / 2) * width for r in rows]
            hatch = (None, "//", "..", "xx")[i % 4]  # apart in grey-scale too
            bars = ax.bar(
                xs,
                [r["solved"] for r in rows],
                width=width,
                color=PALETTE[i],
                hatch=hatch,
                ec="white",
                label=f"depth {d}",
            )
            ax.bar_label(bars, fontsize=0.9 * FONT_SIZE)  # a zero count stays visible
        n = max((r["n"] for r in an["curves"]), default=0)
        ax.set_xticks(range(len(budgets)), [str(b) for b in budgets])
        ax.set_xlabel("parameter budget")
        ax.set_ylabel(f"seeds solving ${sweep} = {res['values'][0]}$ (of {n})")
        ax.set_ylim(0, n + 0.5)
        ax.legend()
        ax.set_title(f"seeds with test accuracy ≥ {an['threshold']:g}", fontsize=FONT_SIZE)
        ax.grid(False, axis="x")
        return fig, ax
    b = budgets[0]
    rows = {r["depth"]: r for r in an["largest_solved"] if r["params"] == b}
    for i, d in enumerate(depths):
        r = rows.get(d)
        if r is None:
            continue
        ys = list(r["per_seed"].values())
        jitter = [(j - (len(ys) - 1) / 2) * 0.05 for j in range(len(ys))]
        st = series_style(i)
        ax.plot([i + 1 + j for j in jitter], ys, st["marker"], ms=4, alpha=0.5, color=st["color"])
        ax.errorbar(
            [i + 1.3],
            [r["mean"]],
            yerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]],
            fmt=st["marker"],
            ms=8,
            color=st["color"],
            capsize=4,
        )
    ax.set_xticks(range(1, len(depths) + 1), [f"depth {d}" for d in depths])
    ax.set_xlim(0.5, len(depths) + 0.8)
    ax.set_yticks([0, *res["values"]], ["none", *map(str, res["values"])])
    ax.set_ylabel(f"largest ${sweep}$ solved (test ≥ {an['threshold']:g})")
    tests = [p for p in an["paired_largest_solved"] if p["params"] == b]
    lines = [
        f"depth {p['depth']} − depth 1: {p['mean']:+.1f}, exact sign-flip p = {p['p_two_sided']:.2f}" for p in tests
    ]
    ax.set_title("\n".join(["per seed (small); mean, 95 % bootstrap CI (large)", *lines]), fontsize=0.9 * FONT_SIZE)
    ax.grid(False, axis="x")
    return fig, ax


def save_memory_accuracy(results, path: str, *, dpi: int = 150) -> str:
    """Write `plot_memory_accuracy` of ``results`` (a dict or a results file) as an image (PNG by extension).

    The file is written under a temporary name and renamed into place (`tnrnn._io.atomic_savefig`); the figure is
    closed. Returns ``path`` (what ``tnrnn experiment --plot`` writes beside the results file).
    """
    import matplotlib.pyplot as plt

    from tnrnn._io import atomic_savefig

    fig, _ = plot_memory_accuracy(results)
    try:
        return atomic_savefig(fig, path, dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
