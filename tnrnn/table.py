"""Sweep tables: exact Start-End ranks beside every closed-form bound (``tnrnn table``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice, check_domain, check_sizes
from tnrnn.bounds import (
    alphabet_upper_bound,
    conjectured_lower_bound,
    degree_upper_bound,
    lower_bound,
    state_upper_bound,
)

__all__ = ["rank_table", "format_table", "COLUMNS", "FORMATS"]

COLUMNS = (
    "L", "M", "R", "T", "domain", "rank", "lower", "conjecture", "state_upper", "degree_upper", "alphabet_upper",
    "min_cut", "seeds", "N", "status", "failure_bound", "primes", "engine",
)
FORMATS = ("markdown", "csv", "json")


def _min_cut_or_none(M, R, L, T, domain):
    """The tensor-network min-cut bound, when the cut module is available."""
    try:
        from tnrnn.cuts import start_end_min_cut
    except ImportError:  # the cut module is optional for the table
        return None
    return start_end_min_cut(M, R, L, T, domain=domain).bound


def rank_table(
    Ls: Sequence[int],
    Ms: Sequence[int],
    Rs: Sequence[int],
    Ts: Sequence[int],
    *,
    domains: Sequence[str] = ("onehot", "continuous"),
    seed: int = 0,
    n_seeds: int = 2,
    progress: bool = True,
    min_cut: bool = True,
    cache=None,
    jobs: int = 1,
    timeout: float | None = None,
    scheduler=None,
    order: str = "cost",
    frontier: bool = False,
) -> list[dict]:
    """One row per (L, M, R, T, domain): the exact rank, its certificate and every bound.

    Every size is validated before any rank is computed, so a bad list fails at once and nothing is half-written.
    ``alphabet_upper`` applies to the one-hot domain only and is ``None`` for continuous rows.

    The cells are computed by `tnrnn.atlas.run_sweep`: ``cache`` (None, True, a path or an `tnrnn.atlas.Atlas`)
    reads finished cells from the rank atlas and stores new ones as they finish (so an interrupted table resumes);
    ``jobs`` local worker processes, or a Dask ``scheduler``; a per-cell ``timeout`` (partial results are marked
    ``status="partial"``); ``order`` and ``frontier`` as in `run_sweep` (cells skipped by the frontier, or refused
    for memory in frontier mode, have no row).
    """
    from tnrnn.atlas import CellSpec, run_sweep

    for name, values in (("L", Ls), ("M", Ms), ("R", Rs), ("T", Ts)):
        if not values:
            raise ArgumentError(name, values, "a non-empty list of integers >= 1")
    cells = [(L, M, R, T, d) for L in Ls for M in Ms for R in Rs for T in Ts for d in domains]
    for L, M, R, T, d in cells:
        check_sizes(M, R, L, T)
        check_domain(d)
        if T % 2:
            raise ArgumentError("T", T, "even integers (the Start-End partition splits 1..T in halves)")
    options = tuple(sorted({"seed": seed, "n_seeds": n_seeds}.items()))
    specs = [CellSpec(M, R, L, T, d, options) for L, M, R, T, d in cells]
    results = run_sweep(specs, cache=cache, jobs=jobs, timeout=timeout, scheduler=scheduler, order=order,
                        frontier=frontier, progress=progress)
    rows = []
    for s in specs:
        if s not in results:
            continue
        res = results[s]
        L, M, R, T, d = s.L, s.M, s.R, s.T, s.domain
        rows.append(
            {
                "L": L, "M": M, "R": R, "T": T, "domain": d, "rank": res.rank,
                "lower": lower_bound(M, R, L, T)[0],
                "conjecture": conjectured_lower_bound(M, R, L, T) if L >= 2 else None,
                "state_upper": state_upper_bound(R, L, T),
                "degree_upper": degree_upper_bound(M, L, T),
                "alphabet_upper": alphabet_upper_bound(M, T) if d == "onehot" else None,
                "min_cut": _min_cut_or_none(M, R, L, T, d) if min_cut else None,
                "seeds": len(res.seeds), "N": list(res.N),
                "status": res.status, "failure_bound": res.failure_bound, "primes": list(res.primes),
                "engine": res.extra.get("elimination"),
            }
        )
    return rows


def _cell(v, key="", exact=False) -> str:
    if v is None:
        return "–"
    if isinstance(v, list):
        return ("x" if key == "N" else " ").join(map(str, v))
    if isinstance(v, float):
        return repr(v) if exact else f"{v:.3g}"
    return str(v)


def format_table(rows: list[dict], fmt: str = "markdown") -> str:
    """Render rows as a Markdown table, CSV or JSON text."""
    fmt = check_choice("format", fmt, FORMATS)
    if fmt == "json":
        return json.dumps(rows, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r[k] is None else _cell(r[k], k, exact=True)) for k in COLUMNS})
        return buf.getvalue()
    head = "| " + " | ".join(COLUMNS) + " |"
    sep = "|" + "---|" * len(COLUMNS)
    body = ["| " + " | ".join(_cell(r[k], k) for k in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])
