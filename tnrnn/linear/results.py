"""The results file of the linear-RNN experiments: `load_results` and `summarise_results`.

Apart from `tnrnn.linear.experiments` (which runs them and writes the file), as `tnrnn.tasks.results` is for the
memory experiments: the readers of the file (the plots of `tnrnn.plots.linear`, the CLI's summary). Re-exported by
`tnrnn.linear.experiments`.
"""

from __future__ import annotations

import math

import numpy as np

from tnrnn._io import load_json_results
from tnrnn._types import ArgumentError

__all__ = ["load_results", "summarise_results"]

#: the parts a linear-RNN results file may hold (`tnrnn.linear.experiments.run_linear_experiments` writes every one
#: it ran)
from tnrnn._choices import LINEAR_PARTS as _PARTS  # noqa: E402 - one definition, JAX-free


def load_results(results) -> dict:
    """A results dict from a path to the JSON written by `run_linear_experiments`, or the dict itself, unchanged.

    The memory-experiment results (another format) are read by `tnrnn.tasks.load_results`; both go through
    `tnrnn._io.load_json_results`.
    """
    out = load_json_results(results, what="a linear-RNN results file")
    if not any(part in out for part in _PARTS):
        raise ArgumentError("results", str(results), f"a linear-RNN results file (with one of {', '.join(_PARTS)})")
    return out


def summarise_results(results) -> dict:
    """Headline numbers of a results dict (or JSON path): what the CLI prints and docs/results.md reports.

    Keys (for the parts present): ``ntk`` (per ρ² and width: largest relative error of the seed-mean diagonal over
    lags ``0..min(J, 6)`` and over all lags, largest off-diagonal entry of the mean), ``equivalence`` (per run:
    ``rel_diff`` and final losses), ``sweep`` and ``sunspots`` (per teacher: the ρ² with the lowest mean test error
    and that error, for the SCM and the RNN).
    """
    res = load_results(results)
    out = {}
    if "ntk" in res:
        out["ntk"] = [
            {
                "rho2": r["rho2"],
                "width": r["width"],
                "seeds": len(r["seeds"]),
                "max_rel_err_j_le_6": float(np.max(np.abs(r["rel_err_mean"][:7]))),
                "max_rel_err_all": r["max_abs_rel_err_mean"],
                "max_offdiag_mean": r["max_offdiag_mean"],
            }
            for r in res["ntk"]["runs"]
        ]
    if "equivalence" in res:
        out["equivalence"] = [
            {k: r[k] for k in ("teacher", "rho2", "width", "seed", "rel_diff", "final_loss_rnn", "final_loss_scm")}
            for r in res["equivalence"]["runs"]
        ]

    def best(summary, group):
        rows = {}
        for row in summary:
            rows.setdefault(row.get(group, "sunspots"), []).append(row)
        table = []
        for name, rs in rows.items():
            entry = {"teacher": name}
            for model in ("scm", "rnn"):
                b = min(rs, key=lambda r: math.inf if r[f"test_{model}_mean"] is None else r[f"test_{model}_mean"])
                entry[f"best_rho2_{model}"] = b["rho2"]
                entry[f"best_test_{model}"] = b[f"test_{model}_mean"]
            table.append(entry)
        return table

    if "sweep" in res:
        out["sweep"] = best(res["sweep"]["summary"], "teacher")
    if "sunspots" in res:
        out["sunspots"] = best(res["sunspots"]["summary"], "teacher")
        out["sunspots_baselines"] = res["sunspots"]["baselines"]
    return out
