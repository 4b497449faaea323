"""Plots of the implicit bias of linear RNNs (`tnrnn.linear`).

Results file: the JSON written by ``tnrnn linear experiment --out DIR`` (``DIR/linear.json``; committed as
``results/linear.json``). `plot_lag_weights` is analytic and needs no file.

matplotlib is imported inside the functions; nothing here changes global rcParams or the backend.
"""

from __future__ import annotations

from tnrnn._axes import figure_and_axes

__all__ = ["plot_lag_weights", "plot_ntk_vs_width", "plot_rnn_vs_scm", "plot_test_error_vs_rho"]


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

    fig, ax = figure_and_axes(ax, figsize=(5.5, 4.0))
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
    fig, ax = figure_and_axes(ax, figsize=(5.5, 4.0))
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
    fig, axes = figure_and_axes(axes, 1, 2, figsize=(10.0, 4.0))
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
    fig, ax = figure_and_axes(ax, figsize=(5.5, 4.0))
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
