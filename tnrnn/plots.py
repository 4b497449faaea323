"""Plots of tnrnn results (paper figures and experiment summaries).

Every function imports matplotlib lazily (``import tnrnn`` never imports it), takes ``ax=None``, returns
``(fig, ax)``, never calls ``plt.show()`` and never changes global rcParams. Each engineer's plots live under
their own comment header below.
"""

from __future__ import annotations

__all__ = ["plot_memory_accuracy", "plot_rank_vs_T", "plot_rank_ratio", "measured_ranks", "rank_ratio_table",
           "rank_legend_handles"]


# --- memory experiments (tnrnn.tasks) -----------------------------------------------------------------------


def _memory_setup(results):
    from tnrnn.tasks.experiment import load_results
    from tnrnn.tasks.stats import analyze

    res = load_results(results)
    an = res.get("analysis") or analyze(res)
    budgets = res.get("budgets") or [res.get("params_target")]
    return res, an, budgets


def _memory_title(res) -> str:
    task_name = "Start-End Similarity" if res["task"] == "ses" else "Copying Memory"
    s = res["task_settings"]
    detail = f"n={s['n']}, m={s['m']}" if res["task"] == "ses" else f"n={s['n']}, M_c={s['M_c']}"
    cfg = res["train_config"]
    sched = cfg.get("schedule", "patience")
    tuned = "lr tuned per depth" if res.get("protocol", {}).get("tuned") else f"lr {cfg['lr']:g}"
    cell = {"scornn": "scoRNN", "rnn": "tanh RNN"}.get(res["cell"], res["cell"].upper())
    title = (f"{task_name}, {cell} cells ({detail}; {len(res['seeds'])} seeds, ≤{cfg['max_steps']} "
             f"steps, {sched}, {tuned})")
    if res.get("partial"):
        n_all = len(res["seeds"]) * len(res["depths"]) * len(res["values"]) * len(res.get("budgets") or [None])
        title += f"\nPARTIAL: {len(res['runs'])} of {n_all} runs finished"
    return title


def _memory_caption(ax, res):
    if not res.get("command"):
        return
    caption = res["command"] + ("  [quick]" if res.get("quick") and "--quick" not in res["command"] else "")
    # under the x label, inside the axes' layout box so constrained layout makes room for it
    ax.annotate(caption, xy=(0.5, 0), xycoords=ax.xaxis.label, xytext=(0, -3), textcoords="offset points",
                ha="center", va="top", fontsize=6.5, color="0.3", wrap=True)


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
    learning rates chosen by the tuning; the caption is the command that produced the file.
    """
    import matplotlib.pyplot as plt

    res, an, budgets = _memory_setup(results)
    sweep = res["sweep"]
    second = None
    if ax is None:
        fig, (ax, second) = plt.subplots(1, 2, figsize=(11.5, 4.6), layout="constrained",
                                         gridspec_kw={"width_ratios": [1.6, 1]})
    else:
        fig = ax.figure
    capacity = len(res["values"]) == 1 and len(budgets) > 1
    markers = "osD^v<>"
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
            pts = [(r.get("params_target", res.get("params_target")), r["test"][res["metric"]])
                   for r in runs if r["depth"] == d and r[sweep] == v]
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
        line = ax.errorbar(offset, means, yerr=yerr, marker=markers[i % len(markers)], capsize=3, label=label)
        if dots:
            ax.plot([p[0] for p in dots], [p[1] for p in dots], ".", ms=3, alpha=0.45, color=line[0].get_color())
    base_key = str(res["values"][0])
    if capacity:
        base = res["baselines"][base_key][res["metric"]]
        ax.axhline(base, color="k", ls="--", lw=1, label="chance (1/3)" if res["task"] == "ses" else "memoryless (1/n)")
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.minorticks_off()
        ax.set_xlabel(f"parameter budget (at {sweep} = {res['values'][0]})")
    else:
        base = [res["baselines"][str(v)][res["metric"]] for v in res["values"]]
        ax.plot(res["values"], base, "k--", lw=1,
                label="chance (1/3)" if res["task"] == "ses" else "memoryless baseline (1/n)")
        ax.set_xticks(res["values"])
        ax.set_xlabel("sequence length T" if res["task"] == "ses" else "delay B")
    ax.axhline(an["threshold"], color="0.5", ls=":", lw=1, label=f"solved (≥ {an['threshold']:g})")
    ax.set_title(_memory_title(res), fontsize=9)
    ax.set_ylabel("test accuracy" if res["task"] == "ses" else "test data accuracy (last M_c steps)")
    ax.set_ylim(0, 1.1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    _memory_caption(ax, res)
    if second is not None:
        plot_memory_solved(res, ax=second)
    return fig, ax


__all__ += ["plot_memory_solved"]


def plot_memory_solved(results, ax=None):
    """Per depth, the largest ``T`` (SES) or ``B`` (copy) each seed solved (test metric ≥ 0.95).

    One dot per seed (jittered), the mean over seeds and its 95 % bootstrap interval; the title gives the exact
    sign-flip p-value of depth ``d`` against depth 1 on the same seeds. For a capacity sweep (one value, several
    budgets) the panel shows instead how many seeds solved that value, per budget and depth.

    Returns ``(fig, ax)``.
    """
    import matplotlib.pyplot as plt

    res, an, budgets = _memory_setup(results)
    sweep = res["sweep"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, 4.4), layout="constrained")
    else:
        fig = ax.figure
    depths = res["depths"]
    capacity = len(res["values"]) == 1 and len(budgets) > 1
    if capacity:
        width = 0.8 / len(depths)
        for i, d in enumerate(depths):
            rows = [r for r in an["curves"] if r["depth"] == d]
            xs = [budgets.index(r["params"]) + (i - (len(depths) - 1) / 2) * width for r in rows]
            bars = ax.bar(xs, [r["solved"] for r in rows], width=width, label=f"depth {d}")
            ax.bar_label(bars, fontsize=7)  # a zero count stays visible
        n = max((r["n"] for r in an["curves"]), default=0)
        ax.set_xticks(range(len(budgets)), [str(b) for b in budgets])
        ax.set_xlabel("parameter budget")
        ax.set_ylabel(f"seeds solving {sweep} = {res['values'][0]} (of {n})")
        ax.set_ylim(0, n + 0.5)
        ax.legend(fontsize=7)
        ax.set_title(f"seeds with test accuracy ≥ {an['threshold']:g}", fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        return fig, ax
    b = budgets[0]
    rows = {r["depth"]: r for r in an["largest_solved"] if r["params"] == b}
    for i, d in enumerate(depths):
        r = rows.get(d)
        if r is None:
            continue
        ys = list(r["per_seed"].values())
        jitter = [(j - (len(ys) - 1) / 2) * 0.05 for j in range(len(ys))]
        ax.plot([i + 1 + j for j in jitter], ys, "o", ms=4, alpha=0.5, color=f"C{i}")
        ax.errorbar([i + 1.3], [r["mean"]], yerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]],
                    fmt="s", color=f"C{i}", capsize=4)
    ax.set_xticks(range(1, len(depths) + 1), [f"depth {d}" for d in depths])
    ax.set_xlim(0.5, len(depths) + 0.8)
    ax.set_yticks([0, *res["values"]], ["none", *map(str, res["values"])])
    ax.set_ylabel(f"largest {sweep} solved (test ≥ {an['threshold']:g})")
    tests = [p for p in an["paired_largest_solved"] if p["params"] == b]
    lines = [f"depth {p['depth']} − depth 1: {p['mean']:+.1f}, exact sign-flip p = {p['p_two_sided']:.2f}"
             for p in tests]
    ax.set_title("\n".join(["per seed (dots); mean, 95 % bootstrap CI (squares)", *lines]), fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig, ax


# --- implicit bias of linear RNNs (tnrnn.linear) --------------------------------------------------------------
# Results file: the JSON written by `tnrnn linear experiment --out DIR` (DIR/linear.json; committed as
# results/linear.json). `plot_lag_weights` is analytic and needs no file.

__all__ += ["plot_lag_weights", "plot_ntk_vs_width", "plot_rnn_vs_scm", "plot_test_error_vs_rho"]


def _linear_fig(ax, ncols=1, width=5.5):
    import matplotlib.pyplot as plt

    if ax is not None:
        return (ax[0] if ncols > 1 else ax).figure, ax
    fig, ax = plt.subplots(1, ncols, figsize=(width * ncols, 4.0), layout="constrained")
    return fig, ax


def plot_lag_weights(rho2s=(0.25, 0.5, 0.81, 0.9, 1.0), J=30, *, sigma_c2=1.0, sigma_f2=1.0, param="ntk", ax=None):
    """Fig A: normalised lag weights β_j²/β_0² against the lag ``j`` (log y), one curve per ρ².

    Parameters
    ----------
    rho2s : sequence of float
        Initial transition variances ρ² = σ_W².
    J : int
        Largest lag shown.
    sigma_c2, sigma_f2, param
        As in `tnrnn.linear.lag_weights`.
    ax : matplotlib Axes, optional

    Returns
    -------
    (fig, ax)

    Notes
    -----
    Analytic (no results file). Markers show each curve's peak lag and 1 %-memory lag; the dotted line is the
    1 % level.

    References
    ----------
    Emami et al., Implicit Bias of Linear RNNs (ICML 2021); the theory page, sections 'Lag weights' and
    'Memory lags'.
    """
    import numpy as np

    from tnrnn.linear import lag_weights, memory_lag, peak_lag

    fig, ax = _linear_fig(ax)
    j = np.arange(J + 1)
    kw = dict(sigma_c2=sigma_c2, sigma_f2=sigma_f2, param=param)
    for rho2 in rho2s:
        b = lag_weights(J, rho2=rho2, **kw)
        (line,) = ax.semilogy(j, b / b[0], marker="o", ms=3, label=f"ρ² = {rho2:g}")
        pk = peak_lag(rho2=rho2, J=J, **kw)
        ax.plot([pk], [b[pk] / b[0]], marker="^", ms=8, color=line.get_color(), ls="none")
        m1 = memory_lag(rho2=rho2, J=J, **kw)
        if m1 is not None:
            ax.plot([m1], [b[m1] / b[0]], marker="s", ms=7, mfc="none", color=line.get_color(), ls="none")
    ax.axhline(0.01, color="0.5", ls=":", lw=1)
    ax.plot([], [], "k^", ls="none", label="peak lag")
    ax.plot([], [], "ks", mfc="none", ls="none", label="1 %-memory lag")
    ax.set_xlabel("lag j")
    ax.set_ylabel("β_j² / β_0²")
    ax.set_ylim(1e-6, None)
    ax.set_title(f"Lag weights ({param} param., σ_C² = {sigma_c2:g}, σ_F² = {sigma_f2:g})")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


def plot_ntk_vs_width(results, rho2=None, ax=None):
    """Fig B: empirical lag-NTK diagonal (mean ± 1 sd over seeds) for several widths against β_j².

    Parameters
    ----------
    results : path or dict
        The linear-RNN results JSON (its ``"ntk"`` part; `tnrnn linear experiment`).
    rho2 : float, optional
        Which ρ² to show (default: the first in the file).
    ax : matplotlib Axes, optional

    Returns
    -------
    (fig, ax)
    """
    import numpy as np

    from tnrnn.linear.experiments import load_results

    res = load_results(results)["ntk"]
    runs = res["runs"]
    rho2 = runs[0]["rho2"] if rho2 is None else rho2
    runs = [r for r in runs if r["rho2"] == rho2]
    fig, ax = _linear_fig(ax)
    j = np.arange(res["J"] + 1)
    ax.semilogy(j, runs[0]["theory"], color="k", lw=2, label="theory β_j²", zorder=5)
    for k, r in enumerate(sorted(runs, key=lambda r: r["width"])):
        mean, sd = np.array(r["mean"]), np.array(r["sd"])
        off = (k - (len(runs) - 1) / 2) * 0.12
        ax.errorbar(
            j + off,
            mean,
            yerr=sd,
            marker="o",
            ms=4,
            capsize=2,
            ls="none",
            label=f"n = {r['width']} ({len(r['seeds'])} seeds, max off-diag {r['max_offdiag_mean']:.3f})",
        )
    ax.set_xlabel("lag j")
    ax.set_ylabel("lag-NTK diagonal K_jj")
    ax.set_title(f"Empirical NTK vs β_j² (ρ² = {rho2:g}, mean ± 1 sd)")
    ax.legend(fontsize="small")
    return fig, ax


def plot_rnn_vs_scm(results, teacher=None, rho2=None, axes=None):
    """Fig C: training loss of RNNs of several widths against the SCM, and the learned ``L_j − L_j(0)``.

    Parameters
    ----------
    results : path or dict
        The linear-RNN results JSON (its ``"equivalence"`` part).
    teacher, rho2 : optional
        Which run to show (default: the first teacher and ρ² in the file).
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    (fig, axes)
    """
    import numpy as np

    from tnrnn.linear.experiments import load_results

    runs = load_results(results)["equivalence"]["runs"]
    teacher = runs[0]["teacher"] if teacher is None else teacher
    rho2 = runs[0]["rho2"] if rho2 is None else rho2
    runs = sorted([r for r in runs if r["teacher"] == teacher and r["rho2"] == rho2], key=lambda r: r["width"])
    fig, axes = _linear_fig(axes, ncols=2, width=5.0)
    a, b = axes
    for r in runs:
        (line,) = a.semilogy(r["steps"], r["loss_rnn"], label=f"RNN n = {r['width']}")
        d = np.array(r["L_rnn"]) - np.array(r["L_init"])
        b.plot(
            np.arange(len(d)),
            d,
            marker="o",
            ms=3,
            color=line.get_color(),
            label=f"RNN n = {r['width']} (rel. diff {r['rel_diff']:.3f})",
        )
    ref = runs[-1]
    a.semilogy(ref["steps"], ref["loss_scm"], color="k", ls="--", label="SCM (init. of largest n)")
    d = np.array(ref["L_scm"]) - np.array(ref["L_init"])
    b.plot(np.arange(len(d)), d, color="k", ls="--", label="SCM (init. of largest n)")
    t = np.array(ref["L_teacher"]) - np.array(ref["L_init"])
    b.plot(np.arange(len(t)), t, color="0.6", ls=":", label="teacher − L(0)")
    a.set_xlabel("GD step")
    a.set_ylabel("training loss")
    a.set_title(f"Loss: {teacher}, ρ² = {rho2:g}")
    a.legend(fontsize="small")
    b.set_xlabel("lag j")
    b.set_ylabel("learned L_j − L_j(0)")
    b.set_title("Learned change of the impulse response")
    b.legend(fontsize="small")
    return fig, axes


def _log_err(mean, sd):
    """±sd error bars for a log axis: the lower bar is clipped at 10 % of the mean (never below zero)."""
    import numpy as np

    return np.vstack([np.minimum(sd, 0.9 * mean), sd])


def plot_test_error_vs_rho(results, part="sweep", ax=None):
    """Figs D/E: test error against the initial transition variance ρ², SCM (solid) and RNN (dashed).

    Parameters
    ----------
    results : path or dict
        The linear-RNN results JSON: its ``"sweep"`` part (synthetic teachers, relative test MSE) or its
        ``"sunspots"`` part (test MSE in standardised units, with persistence and least-squares baselines).
    part : {"sweep", "sunspots"}
    ax : matplotlib Axes, optional

    Returns
    -------
    (fig, ax)

    Notes
    -----
    Points are means over seeds with ±1 sd error bars (the lower bar clipped at 10 % of the mean on the log
    axis); the SCM starts from a draw of the wide-limit initial
    function, the RNN is the finite width recorded in the file's settings.
    """
    import numpy as np

    from tnrnn._types import check_choice
    from tnrnn.linear.experiments import load_results

    check_choice("part", part, ("sweep", "sunspots"))
    res = load_results(results)[part]
    summary = res["summary"]
    fig, ax = _linear_fig(ax)
    groups = {}
    for row in summary:
        groups.setdefault(row.get("teacher", "sunspots"), []).append(row)
    width = res["settings"]["width"]
    for name, rows in groups.items():
        rows = sorted(rows, key=lambda r: r["rho2"])
        x = np.array([r["rho2"] for r in rows])

        def col(key, rows=rows):  # diverged runs are null in the file: drawn as gaps
            return np.array([np.nan if r[key] is None else r[key] for r in rows], np.float64)

        line = ax.errorbar(
            x,
            col("test_scm_mean"),
            yerr=_log_err(col("test_scm_mean"), col("test_scm_sd")),
            marker="o",
            ms=4,
            capsize=2,
            label=f"{name}: SCM",
        )
        ax.errorbar(
            x,
            col("test_rnn_mean"),
            yerr=_log_err(col("test_rnn_mean"), col("test_rnn_sd")),
            marker="x",
            ms=5,
            capsize=2,
            ls="--",
            color=line.lines[0].get_color(),
            label=f"{name}: RNN n = {width}",
        )
    if part == "sunspots":
        for (bname, val), ls in zip(sorted(res["baselines"].items()), (":", "-.", (0, (1, 3))), strict=False):
            if bname != "zero":
                ax.axhline(val, color="0.4", ls=ls, lw=1, label=f"{bname.replace('_', ' ')}: {val:.3f}")
        ax.set_ylabel("test MSE (standardised)")
        ax.set_title("Sunspots (1-step system identification)")
    else:
        ax.set_ylabel("test MSE / target power")
        ax.set_title("Test error against initial variance")
    ax.set_yscale("log")
    ax.set_xlabel("initial transition variance ρ²")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


# --- separation ranks against the bounds (figures issue: rank vs T, rank / bound tables) -------------------

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


def _min_cut_bound(M, R, L, T, domain, cache):
    from tnrnn.cuts import start_end_min_cut

    key = ("cut", M, R, L, domain, T)
    if cache is None or key not in cache:
        value = start_end_min_cut(M, R, L, T, domain=domain).bound
        if cache is None:
            return value
        cache[key] = value
    return cache[key]


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
    import matplotlib.pyplot as plt

    from tnrnn.bounds import alphabet_upper_bound, conjectured_lower_bound, shallow_rank, state_upper_bound

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    else:
        fig = ax.figure
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
        cuts = [_min_cut_bound(M, R, L, T, "continuous", cache) for T in Ts]
        ax.plot(Ts, cuts, "--", color=color, lw=1.1, alpha=0.9, zorder=2)
        styles = (("continuous", {"marker": "o", "mfc": color}), ("onehot", {"marker": "s", "mfc": "white"}))
        for domain, style in styles:
            T_list = sorted(exact_T.get((L, domain), ()))
            if not T_list:
                continue
            vals = measured_ranks(M, R, [(L, domain, T) for T in T_list], seed=seed, ranks=cache)
            ys = [vals[(L, domain, T)] for T in T_list]
            top = max(top, max(ys))
            ax.plot(T_list, ys, ls="none", color=color, mec=color, ms=6.5 if domain == "continuous" else 8,
                    mew=1.3, zorder=4 if domain == "continuous" else 3, gid=f"measured-L{L}-{domain}", **style)
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

    depth_handles = [Line2D([], [], color=DEPTH_COLORS.get(L, "0.3"), lw=2.5, label=f"depth $L = {L}$")
                     for L in depths]
    kind_handles = [
        Line2D([], [], color="0.2", ls="-", lw=1.6, label="theorem: $L=1$ value, $L=2$ lower bound"),
        Line2D([], [], color="0.2", ls=":", lw=2.0, label="conjecture: depth-$L$ lower bound"),
        Line2D([], [], color="0.2", ls="-.", lw=1.1, label=r"proven upper bound $\Pi_l\,((R; d_l))$"),
        Line2D([], [], color="0.2", ls="--", lw=1.1, label="proven upper bound: TN min-cut"),
        Line2D([], [], color="0.55", ls=":", lw=1.0, label="$M^{T/2}$: proven cap, one-hot only"),
        Line2D([], [], color="0.2", ls="none", marker="o", label="measurement: exact rank, continuous"),
        Line2D([], [], color="0.2", ls="none", marker="s", mfc="white", ms=7,
               label="measurement: exact rank, one-hot"),
    ]
    return depth_handles + kind_handles


#: the bounds `plot_rank_ratio` divides by
RATIO_BOUNDS = ("lower", "upper", "min-cut")


def rank_ratio_table(M, R, *, depths, T_values, domains=("continuous", "onehot"), bound, skip=(), seed=0,
                     ranks=None):
    """Rows ``(L, domain)`` x columns ``T`` of ``(rank, bound value)``, ``None`` where skipped.

    ``bound`` is ``"lower"`` (Theorem 1(1) for ``L = 1``, Theorem 1(2) for ``L = 2``, the conjecture for
    ``L >= 3``), ``"upper"`` (the smallest closed-form proven upper bound that applies to the domain:
    `tnrnn.bounds.proven_upper_bounds`) or ``"min-cut"`` (the min-cut of the domain's tensor network).
    ``skip`` lists ``(L, domain, T)`` not to compute (too expensive).
    """
    from tnrnn._types import check_choice
    from tnrnn.bounds import conjectured_lower_bound, proven_upper_bounds, shallow_rank

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
                    b = _min_cut_bound(M, R, L, T, domain, cache)
                row.append((r, b))
            rows.append(((L, domain), row))
    return rows


def plot_rank_ratio(M, R, *, bound, depths=(1, 2, 3), T_values=(2, 4, 6, 8, 10, 12), skip=(), seed=0, ranks=None,
                    ax=None, vmax=3.0, colorbar=True):
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
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.75 * len(T_values) + 2.2, 0.42 * len(rows) + 1.4), layout="constrained")
    else:
        fig = ax.figure
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
            ax.text(j, i, text, ha="center", va="center", fontsize=7.5, weight=weight,
                    color="white" if dark else ("#B2182B" if fails else "black"))
    ax.set_xticks(range(len(T_values)), [str(T) for T in T_values])
    ax.set_yticks(range(len(rows)), [f"L={L}, {'one-hot' if d == 'onehot' else 'continuous'}" for (L, d), _ in rows],
                  fontsize=8)
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
