"""Plots of tnrnn results (paper figures and experiment summaries).

Every function imports matplotlib lazily (``import tnrnn`` never imports it), takes ``ax=None``, returns
``(fig, ax)``, never calls ``plt.show()`` and never changes global rcParams. Each engineer's plots live under
their own comment header below.
"""

from __future__ import annotations

__all__ = ["plot_memory_accuracy"]


# --- memory experiments (tnrnn.tasks) -----------------------------------------------------------------------


def plot_memory_accuracy(results, ax=None):
    """Test accuracy against ``T`` (SES) or delay ``B`` (Copying Memory), one curve per depth.

    Parameters
    ----------
    results : str, path or dict
        A results file written by `tnrnn.tasks.save_results` (``tnrnn experiment``), or the loaded dict.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    (fig, ax)

    Notes
    -----
    Points are the mean over seeds of the test accuracy (data accuracy, the last ``M_c`` steps, for Copying
    Memory); error bars are the sample standard deviation over seeds. The dashed line is the memoryless /
    chance baseline. The title names the task, cell and settings; the legend gives widths and parameter
    counts; the caption under the axes is the command that produced the file.
    """
    import matplotlib.pyplot as plt

    from tnrnn.tasks.experiment import load_results

    res = load_results(results)
    sweep, metric = res["sweep"], res["metric"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    else:
        fig = ax.figure
    models = {m["depth"]: m for m in res["models"]}
    markers = "osD^v<>"
    n_depths = len(res["depths"])
    span = (max(res["values"]) - min(res["values"])) or 1
    for i, d in enumerate(res["depths"]):
        rows = sorted((r for r in res["summary"] if r["depth"] == d), key=lambda r: r[sweep])
        if not rows:
            continue
        offset = (
            (i - (n_depths - 1) / 2) * 0.006 * span
        )  # small horizontal dodge so error bars do not overlap
        xs = [r[sweep] + offset for r in rows]
        m = models[d]
        ax.errorbar(
            xs,
            [r["mean"] for r in rows],
            yerr=[r["sd"] for r in rows],
            marker=markers[i % len(markers)],
            capsize=3,
            label=f"depth {d} (width {m['width']}, {m['n_params']} params)",
        )
    base = [res["baselines"][str(v)][metric] for v in res["values"]]
    label = "chance (1/3)" if res["task"] == "ses" else "memoryless baseline (1/n)"
    ax.plot(res["values"], base, "k--", lw=1, label=label)
    task_name = "Start-End Similarity" if res["task"] == "ses" else "Copying Memory"
    s = res["task_settings"]
    detail = f"n={s['n']}, m={s['m']}" if res["task"] == "ses" else f"n={s['n']}, M_c={s['M_c']}"
    ax.set_title(
        f"{task_name}, {res['cell'].upper()} cells ({detail}, {len(res['seeds'])} seeds)", fontsize=10
    )
    xlabel = "sequence length T" if res["task"] == "ses" else "delay B"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy" if res["task"] == "ses" else "test data accuracy (last M_c steps)")
    ax.set_xticks(res["values"])
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if res.get("command"):
        caption = res["command"] + (
            "  [quick]" if res.get("quick") and "--quick" not in res["command"] else ""
        )
        # under the x label, inside the axes' layout box so constrained layout makes room for it
        ax.annotate(
            caption,
            xy=(0.5, 0),
            xycoords=ax.xaxis.label,
            xytext=(0, -3),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=6.5,
            color="0.3",
            wrap=True,
        )
    return fig, ax
