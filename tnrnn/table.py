"""Sweep tables: exact Start-End ranks beside every closed-form bound (``tnrnn table``)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from tnrnn._types import ArgumentError, MemoryRefusal, check_choice, check_domain, check_seed, check_sizes
from tnrnn.bounds import check_closed_form_size
from tnrnn.rank.certificate import CONFIDENCES, check_confidence  # light: no numpy, no JAX

__all__ = ["rank_table", "check_table_request", "format_table", "COLUMNS", "FORMATS", "CONFIDENCES"]

# fmt: off
COLUMNS = (
    "L", "M", "R", "T", "domain", "rank", "lower", "conjecture", "state_upper", "degree_upper", "alphabet_upper",
    "min_cut", "seeds", "N", "status", "failure_bound", "primes", "engine",
)
# fmt: on
FORMATS = ("markdown", "csv", "json")


def _min_cut_or_none(M, R, L, T, domain, cache, cell="rac"):
    """The tensor-network min-cut bound, from the atlas's ``min_cuts`` table when it holds it (`cached_min_cut`).

    ``None`` when the cell has no tensor network (or one too large to build).
    """
    from tnrnn.atlas import cached_min_cut

    try:
        return cached_min_cut(M, R, L, T, domain=domain, cache=cache, cell=cell)
    except ImportError:  # the cut module (networkx) is optional for the table
        return None
    except ArgumentError:  # no tensor network for this cell, or too large to build
        return None


def rank_table(
    *sizes: Sequence[int],
    M: Sequence[int] | None = None,
    R: Sequence[int] | None = None,
    L: Sequence[int] | None = None,
    T: Sequence[int] | None = None,
    domains: Sequence[str] = ("onehot", "continuous"),
    seed: int = 0,
    n_seeds: int = 2,
    progress: bool | None = None,
    min_cut: bool = True,
    cell: str = "rac",
    cache=None,
    jobs: int = 1,
    timeout: float | None = None,
    scheduler=None,
    order: str = "cost",
    frontier: bool = False,
    confidence: str = "certified",
) -> list[dict]:
    """One row per distinct (L, M, R, T, domain): the exact rank, its certificate and every bound.

    Repeated list entries collapse (a list is a set of choices). Every size is validated before any rank is
    computed, so a bad list fails at once and nothing is half-written:
    the sizes, the seed, the size of the closed forms (`tnrnn.bounds.check_closed_form_size`) and of each
    min-cut network (its closed-form node count against the memory budget). ``alphabet_upper`` applies to the
    one-hot domain only and is ``None`` for continuous rows.

    The RAC's cells are computed by `tnrnn.atlas.run_sweep`: ``cache`` (None, True, a path or an
    `tnrnn.rank.store.Atlas`) reads finished cells from the rank atlas and stores new ones as they finish (so an
    interrupted table resumes); ``jobs`` local worker processes, or a Dask ``scheduler``; a per-cell ``timeout``
    (partial results are marked ``status="partial"``); ``order`` and ``frontier`` as in `run_sweep` (cells skipped
    by the frontier, or refused for memory in frontier mode, have no row). ``confidence`` as in
    `tnrnn.rank.separation_rank` (``"certified"``, the default: proven or a failure bound of at most 1e-6;
    ``"fast"``: prime-field repetitions only; part of the atlas key). The min-cut column is stored in the atlas
    too, so a table the atlas holds entirely is read without numpy, JAX or the cut module. Every ``cell`` (a
    registered name) goes the same way; its bounds come from its protocol (`tnrnn.cells.bound_columns`),
    ``min_cut`` from its network (``None`` where it has none).
    """
    Ls, Ms, Rs, Ts = _table_sizes(sizes, M, R, L, T)
    check_table_request(Ls, Ms, Rs, Ts, domains=domains, seed=seed, min_cut=min_cut, cell=cell)
    confidence = check_confidence(confidence)
    from tnrnn.atlas import CellSpec, open_atlas, run_sweep
    from tnrnn.cells.report import bound_columns

    Ls, Ms, Rs, Ts, domains = (list(dict.fromkeys(v)) for v in (Ls, Ms, Rs, Ts, domains))  # one row per cell
    cells = [(L, M, R, T, d) for L in Ls for M in Ms for R in Rs for T in Ts for d in domains]
    options = {"seed": seed, "n_seeds": n_seeds, "cell": cell}
    if confidence != "certified":  # the default stays out of the options (the key fills it in)
        options["confidence"] = confidence
    options = tuple(sorted(options.items()))
    specs = [CellSpec(M, R, L, T, d, options) for L, M, R, T, d in cells]
    results = run_sweep(
        specs,
        cache=cache,
        jobs=jobs,
        timeout=timeout,
        scheduler=scheduler,
        order=order,
        frontier=frontier,
        progress=progress,
    )
    atlas = open_atlas(cache)  # the same (per-process) atlas as the sweep's: min-cut bounds are stored beside ranks
    rows = []
    for s in specs:
        if s not in results:
            continue
        res = results[s]
        L, M, R, T, d = s.L, s.M, s.R, s.T, s.domain
        bounds = bound_columns(cell, M, R, L, T, domain=d)
        rows.append(
            {
                "L": L,
                "M": M,
                "R": R,
                "T": T,
                "domain": d,
                "rank": res.rank,
                **{k: bounds[k] for k in _BOUND_COLUMNS},
                "min_cut": _min_cut_or_none(M, R, L, T, d, atlas, cell) if min_cut else None,
                "cell": res.cell,
                **_certificate_columns(res),
            }
        )
    return rows


#: the columns of a row that come from the cell's bounds (`tnrnn.cells.bound_columns`)
_BOUND_COLUMNS = ("lower", "conjecture", "state_upper", "degree_upper", "alphabet_upper")


def _certificate_columns(res) -> dict:
    """The columns of a row that come from its `tnrnn.rank.RankResult`."""
    return {
        "seeds": len(res.seeds),
        "N": list(res.N),
        "status": res.status,
        "failure_bound": res.failure_bound,
        "primes": list(res.primes),
        "engine": res.extra.get("elimination"),
    }


def _table_sizes(sizes, M, R, L, T):
    """The lists ``(Ls, Ms, Rs, Ts)`` of `rank_table`.

    Keyword ``M, R, L, T``, or the earlier positional ``Ls, Ms, Rs, Ts`` (deprecated: the sizes go in the order
    M, R, L, T everywhere).
    """
    if sizes:
        if len(sizes) != 4 or any(v is not None for v in (M, R, L, T)):
            raise ArgumentError("sizes", sizes, "the keywords M=, R=, L=, T= (lists of sizes)")
        from tnrnn._deprecation import warn_deprecated

        warn_deprecated("rank_table(Ls, Ms, Rs, Ts)", "rank_table(M=..., R=..., L=..., T=...)", stacklevel=4)
        return tuple(sizes)
    missing = [n for n, v in zip("MRLT", (M, R, L, T), strict=True) if v is None]
    if missing:
        raise ArgumentError(missing[0], None, "a list of sizes (rank_table(M=..., R=..., L=..., T=...))")
    return L, M, R, T


def check_table_request(Ls, Ms, Rs, Ts, *, domains=("onehot", "continuous"), seed=0, min_cut=True, cell="rac") -> None:
    """Validate a `rank_table` request up front (no JAX): raise `ArgumentError` on the first bad value.

    A min-cut network too large for memory is refused; a cell without a tensor network gets no min-cut column.
    """
    from tnrnn.build import refuse_large_network

    for name, values in (("L", Ls), ("M", Ms), ("R", Rs), ("T", Ts), ("domain", domains)):
        if isinstance(values, str) or not values:
            raise ArgumentError(name, values, "a non-empty list" + (" of integers >= 1" if name != "domain" else ""))
    check_seed(seed)
    for d in domains:
        check_domain(d)
    _refuse_cell_count(Ls, Ms, Rs, Ts, domains)
    for L in Ls:
        for M in Ms:
            for R in Rs:
                for T in Ts:
                    check_sizes(M, R, L, T)
                    if T % 2:
                        raise ArgumentError("T", T, "even integers (the Start-End partition splits 1..T in halves)")
                    check_closed_form_size(M, R, L, T)
                    for d in domains if min_cut else ():
                        try:
                            refuse_large_network(M, R, L, T, domain=d, cell=cell)
                        except MemoryRefusal:
                            raise
                        except ArgumentError:  # no tensor network, or one above the cell limit: no min-cut
                            pass


def _refuse_cell_count(Ls, Ms, Rs, Ts, domains) -> None:
    """A table has at most `tnrnn.sizes.MAX_TABLE_CELLS` cells (the product of the list lengths)."""
    from tnrnn.sizes import MAX_TABLE_CELLS, check_loop

    lists = {"L": Ls, "M": Ms, "R": Rs, "T": Ts, "domain": domains}
    count = math.prod(len(v) for v in lists.values())
    longest = max(lists, key=lambda k: len(lists[k]))
    check_loop(longest, lists[longest], "cells in one table (the product of the list lengths)", count, MAX_TABLE_CELLS)


def _cell(v, key="", exact=False) -> str:
    if v is None:
        return "–"
    if isinstance(v, list):
        return ("x" if key == "N" else " ").join(map(str, v))
    if isinstance(v, float):
        return repr(v) if exact else f"{v:.3g}"
    return str(v)


def _rank_cell(row: dict) -> str:
    """The rank as a reader should take it: ``≥ r`` for a partial result (a certified lower bound only)."""
    return ("≥ " if row.get("status") == "partial" else "") + _cell(row.get("rank"))


def format_table(rows: list[dict], fmt: str = "markdown") -> str:
    """Render rows as a Markdown table, CSV or JSON text."""
    fmt = check_choice("format", fmt, FORMATS)
    if fmt == "json":
        from tnrnn._io import strict_json

        return strict_json(rows, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r[k] is None else _cell(r[k], k, exact=True)) for k in COLUMNS})
        return buf.getvalue()
    head = "| " + " | ".join(COLUMNS) + " |"
    sep = "|" + "---|" * len(COLUMNS)
    body = ["| " + " | ".join(_rank_cell(r) if k == "rank" else _cell(r[k], k) for k in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])
