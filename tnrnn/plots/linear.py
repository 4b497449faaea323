"""Plots of the implicit bias of linear RNNs (`tnrnn.linear`).

Results file: the JSON written by ``tnrnn linear experiment --out DIR`` (``DIR/linear.json``; committed as
``results/linear.json``). `plot_lag_weights` is analytic and needs no file.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes
from tnrnn.style import FIGSIZE, GREY, plural, series_style, styled

__all__ = ["plot_lag_weights", "plot_ntk_vs_width", "plot_rnn_vs_scm", "plot_test_error_vs_rho"]


@styled
def plot_lag_weights(rho2s=(0.25, 0.5, 0.81, 0.9, 1.0), J=40, *, sigma_c2=1.0, sigma_f2=1.0, param="ntk", ax=None):
    """Fig A: normalised lag weights ``β_j² / β_0²`` against the lag ``j`` (log y), one curve per ρ².

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
    Analytic (no results file). For ρ² < 1 a star marks each curve's peak lag and a bar its 1 %-memory lag (the
    first lag below the dotted 1 % level); a 1 %-memory lag beyond ``J`` is written in the legend instead. For
    ρ² ≥ 1 the weights grow without bound: there is no peak, and an arrow at ``J`` says the curve goes on rising.

    References
    ----------
    Emami et al., Implicit Bias of Linear RNNs (ICML 2021); the theory page, sections 'Lag weights' and
    'Memory lags'.
    """
    import numpy as np

    from tnrnn.linear import lag_weights, memory_lag, peak_lag

    fig, ax = figure_and_axes(ax, figsize=(7.6, 4.4))
    j = np.arange(J + 1)
    kw = dict(sigma_c2=sigma_c2, sigma_f2=sigma_f2, param=param)
    for i, rho2 in enumerate(rho2s):
        st = series_style(i)
        b = lag_weights(J, rho2=rho2, **kw)
        r = b / b[0]
        label = f"$\\rho^2 = {rho2:g}$"
        if rho2 >= 1:
            label += ": grows without bound"
        else:
            m1 = memory_lag(rho2=rho2, **kw)
            if m1 is not None and m1 > J:
                label += f" (1 %-memory lag {m1} > {J})"
        ax.semilogy(j, r, ms=3, color=st["color"], marker=st["marker"], label=label)
        if rho2 >= 1:
            ax.annotate(
                "",
                xy=(J + 1.6, r[-1] * 1.6),
                xytext=(J, r[-1]),
                arrowprops={"arrowstyle": "-|>", "color": st["color"], "lw": 1.6},
            )
            continue
        pk = peak_lag(rho2=rho2, **kw)
        ax.plot([pk], [r[pk]], marker="*", ms=15, mfc=st["color"], mec="black", mew=0.8, ls="none", zorder=4)
        m1 = memory_lag(rho2=rho2, **kw)
        if m1 is not None and m1 <= J:
            ax.plot([m1], [r[m1]], marker="|", ms=18, mew=2.4, color=st["color"], ls="none", zorder=4)
    ax.axhline(0.01, color=GREY, ls=":", lw=1)
    ax.plot([], [], ls="none", marker="*", ms=12, mfc="white", mec="black", label="peak lag ($\\rho^2 < 1$)")
    ax.plot([], [], ls="none", marker="|", ms=14, mew=2.2, color="black", label="1 %-memory lag")
    ax.set_xlim(-1, J + 3)
    ax.set_xlabel("lag $j$")
    ax.set_ylabel("$\\beta_j^2 / \\beta_0^2$")
    ax.set_ylim(1e-6, None)
    name = "NTK" if param == "ntk" else param
    ax.set_title(f"Lag weights ({name} param., $\\sigma_C^2 = {sigma_c2:g}$, $\\sigma_F^2 = {sigma_f2:g}$)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


@styled
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
    fig, ax = figure_and_axes(ax, figsize=FIGSIZE)
    j = np.arange(res["J"] + 1)
    ax.semilogy(j, runs[0]["theory"], color="k", lw=2, label="theory $\\beta_j^2$", zorder=5)
    for k, r in enumerate(sorted(runs, key=lambda r: r["width"])):
        mean, sd = np.array(r["mean"]), np.array(r["sd"])
        off = (k - (len(runs) - 1) / 2) * 0.12
        st = series_style(k)
        ax.errorbar(
            j + off,
            mean,
            yerr=sd,
            marker=st["marker"],
            color=st["color"],
            ms=4.5,
            capsize=2,
            ls="none",
            label=f"$n = {r['width']}$ ({plural(len(r['seeds']), 'seed')}, max off-diag. {r['max_offdiag_mean']:.3f})",
        )
    ax.set_xlabel("lag $j$")
    ax.set_ylabel("lag-NTK diagonal $K_{jj}$")
    ax.set_title(f"Empirical NTK against $\\beta_j^2$ ($\\rho^2 = {rho2:g}$, mean ± 1 sd)")
    ax.legend()
    return fig, ax


@styled
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
    fig, axes = figure_and_axes(axes, 1, 2, figsize=(11.0, 4.4))
    a, b = axes
    for k, r in enumerate(runs):
        st = series_style(k)
        a.semilogy(r["steps"], r["loss_rnn"], color=st["color"], label=f"RNN $n = {r['width']}$")
        d = np.array(r["L_rnn"]) - np.array(r["L_init"])
        b.plot(
            np.arange(len(d)),
            d,
            marker=st["marker"],
            ms=3.5,
            color=st["color"],
            label=f"RNN $n = {r['width']}$ (rel. diff. {r['rel_diff']:.3f})",
        )
    ref = runs[-1]
    a.semilogy(ref["steps"], ref["loss_scm"], color="k", ls="--", label="SCM (init. of largest $n$)")
    d = np.array(ref["L_scm"]) - np.array(ref["L_init"])
    b.plot(np.arange(len(d)), d, color="k", ls="--", label="SCM (init. of largest $n$)")
    t = np.array(ref["L_teacher"]) - np.array(ref["L_init"])
    b.plot(np.arange(len(t)), t, color=GREY, ls=":", lw=2, label="teacher $-\\, L_j(0)$")
    a.set_xlabel("GD step")
    a.set_ylabel("training loss")
    a.set_title(f"Loss: {teacher}, $\\rho^2 = {rho2:g}$")
    a.legend()
    b.set_xlabel("lag $j$")
    b.set_ylabel("learned $L_j - L_j(0)$")
    b.set_title("Learned change of the impulse response")
    b.legend()
    return fig, axes


def _log_err(mean, sd):
    """±sd error bars for a log axis: the lower bar is clipped at 10 % of the mean (never below zero)."""
    import numpy as np

    return np.vstack([np.minimum(sd, 0.9 * mean), sd])


@styled
def plot_test_error_vs_rho(results, part="sweep", ax=None):
    """Figs D/E: test error against the initial transition variance ρ², SCM (solid, filled) and RNN (dashed, open).

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
    fig, ax = figure_and_axes(ax, figsize=(7.6, 4.4))
    groups = {}
    for row in summary:
        groups.setdefault(row.get("teacher", "sunspots"), []).append(row)
    width = res["settings"]["width"]
    for k, (name, rows) in enumerate(groups.items()):
        st = series_style(k)
        rows = sorted(rows, key=lambda r: r["rho2"])
        x = np.array([r["rho2"] for r in rows])

        def col(key, rows=rows):  # diverged runs are null in the file: drawn as gaps
            return np.array([np.nan if r[key] is None else r[key] for r in rows], np.float64)

        line = ax.errorbar(
            x,
            col("test_scm_mean"),
            yerr=_log_err(col("test_scm_mean"), col("test_scm_sd")),
            marker=st["marker"],
            color=st["color"],
            ms=4.5,
            capsize=2,
            label=f"{name}: SCM",
        )
        ax.errorbar(
            x,
            col("test_rnn_mean"),
            yerr=_log_err(col("test_rnn_mean"), col("test_rnn_sd")),
            marker=st["marker"],
            mfc="white",
            ms=5,
            capsize=2,
            ls="--",
            color=line.lines[0].get_color(),
            label=f"{name}: RNN $n = {width}$",
        )
    if part == "sunspots":
        for (bname, val), ls in zip(sorted(res["baselines"].items()), (":", "-.", (0, (1, 3))), strict=False):
            if bname != "zero":
                ax.axhline(val, color=GREY, ls=ls, lw=1.2, label=f"{bname.replace('_', ' ')}: {val:.3f}")
        ax.set_ylabel("test MSE (standardised)")
        ax.set_title("Sunspots (1-step system identification)")
    else:
        ax.set_ylabel("test MSE / target power")
        ax.set_title("Test error against initial variance")
    ax.set_yscale("log")
    ax.set_xlabel("initial transition variance $\\rho^2$")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax
