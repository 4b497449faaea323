"""The tables of a memory-experiment results file: `summarize`, `format_summary` and `format_tests`.

They read a results dict or file (`tnrnn.tasks.results`) and its analysis (`tnrnn.tasks.stats.analyze`); no
training code. Re-exported by `tnrnn.tasks.experiment` and `tnrnn.tasks`.
"""

from __future__ import annotations

import numpy as np

from tnrnn.tasks.results import load_results
from tnrnn.tasks.stats import analyze

__all__ = ["summarize", "format_summary", "format_tests"]


def summarize(results: dict) -> list[dict]:
    """Mean and sample standard deviation over seeds of the test metric, per (budget, depth, value).

    Returns rows ``{"params", "depth", sweep, "mean", "sd", "n", "values"}`` with ``sd = 0`` for a single seed.
    """
    sweep, metric = results["sweep"], results["metric"]
    budgets = results.get("budgets", [results.get("params_target")])
    rows = []
    for b in budgets:
        for d in results["depths"]:
            for v in results["values"]:
                accs = [
                    r["test"][metric]
                    for r in results["runs"]
                    if r["depth"] == d and r[sweep] == v and r.get("params_target", b) == b
                ]
                if not accs:
                    continue
                sd = float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0
                rows.append(
                    {
                        "params": b,
                        "depth": d,
                        sweep: v,
                        "mean": float(np.mean(accs)),
                        "sd": sd,
                        "n": len(accs),
                        "values": accs,
                    }
                )
    return rows


def _analysis(results: dict) -> dict:
    return results.get("analysis") or analyze(results)


def format_summary(results: dict, *, digits: int = 3) -> str:
    """A markdown table of the test metric: one row per (budget, depth), one column per swept value.

    Each row gives width, parameter count and learning rate, ``mean [bootstrap 95 % CI] k/n`` per swept value (``k`` of
    ``n`` seeds solved) and the largest value solved (mean over seeds [CI]); plus the baseline row.
    """
    results = load_results(results)
    sweep, values = results["sweep"], results["values"]
    an = _analysis(results)
    curves = {(r["params"], r["depth"], r[sweep]): r for r in an["curves"]}
    solved = {(r["params"], r["depth"]): r for r in an["largest_solved"]}
    head = (
        "| depth (width, params, lr) | " + " | ".join(f"{sweep}={v}" for v in values) + f" | largest {sweep} solved |"
    )
    lines = [head, "|" + "---|" * (len(values) + 2)]
    f = f".{digits}f"
    for mdl in results["models"]:
        b, d = mdl.get("params", results.get("params_target")), mdl["depth"]
        cells = []
        for v in values:
            row = curves.get((b, d, v))
            cells.append(
                ""
                if row is None
                else f"{row['mean']:{f}} [{row['ci_low']:{f}}, {row['ci_high']:{f}}] {row['solved']}/{row['n']}"
            )
        sv = solved.get((b, d))
        cells.append("" if sv is None else f"{sv['mean']:.1f} [{sv['ci_low']:.1f}, {sv['ci_high']:.1f}]")
        lr = mdl.get("lr", results["train_config"]["lr"])
        lines.append(f"| {d} ({mdl['width']}, {mdl['n_params']}, {lr:g}) | " + " | ".join(cells) + " |")
    base = [f"{results['baselines'][str(v)][results['metric']]:{f}}" for v in values]
    lines.append("| baseline | " + " | ".join(base) + " | |")
    return "\n".join(lines)


def format_tests(results: dict, *, digits: int = 3) -> str:
    """A markdown table of the paired tests, depth d minus depth 1 on the same seeds.

    Mean difference, wins/losses/ties and the exact two-sided sign-flip p-value, per value and for the largest value
    solved.
    """
    results = load_results(results)
    sweep, values = results["sweep"], results["values"]
    an = _analysis(results)
    paired = {(r["params"], r["depth"], r[sweep]): r for r in an["paired"]}
    solved = {(r["params"], r["depth"]): r for r in an["paired_largest_solved"]}
    head = "| depth − depth 1 (params) | " + " | ".join(f"{sweep}={v}" for v in values) + f" | largest {sweep} solved |"
    lines = [head, "|" + "---|" * (len(values) + 2)]

    def cell(r, fmt):
        if r is None:
            return ""
        return f"{r['mean']:{fmt}} ({r['wins']}/{r['losses']}/{r['ties']}) p={r['p_two_sided']:.3f}"

    for mdl in results["models"]:
        b, d = mdl.get("params", results.get("params_target")), mdl["depth"]
        if d == 1:
            continue
        cells = [cell(paired.get((b, d, v)), f"+.{digits}f") for v in values]
        cells.append(cell(solved.get((b, d)), "+.1f"))
        lines.append(f"| {d} ({b}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)
