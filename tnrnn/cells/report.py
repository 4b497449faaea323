"""Proven bounds of any cell by name: the RAC's closed forms (`tnrnn.bounds`) or the bounds derived from its step.

Pure integers, no JAX: `cell_upper_bounds` and `cell_bounds_report` dispatch on the cell, so a caller need not
know which cells have closed forms.
"""

from __future__ import annotations

from tnrnn._types import check_domain, check_sizes
from tnrnn.bounds import alphabet_upper_bound, bounds_report, proven_upper_bounds
from tnrnn.cells.base import make_cell
from tnrnn.cells.bounds import cell_lower_bound

__all__ = ["cell_upper_bounds", "cell_bounds_report"]


def _is_rac(cell) -> bool:
    return cell == "rac" or getattr(cell, "name", None) == "rac"


def cell_upper_bounds(cell, M: int, R: int, L: int, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
    """Every proven upper bound for ``cell`` (a registered name or a `tnrnn.cells.Cell`), by name.

    The RAC gets `tnrnn.bounds.proven_upper_bounds` (the closed forms, unchanged); every other cell gets its
    ``proven_upper_bounds`` method, by default the bounds derived from its step (`tnrnn.cells.bounds`: input
    degrees, state degrees at the boundary of a prefix partition, total degree; all weights, both domains).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    if _is_rac(cell):
        return proven_upper_bounds(M, R, L, T, domain=domain, partition=partition)
    return dict(make_cell(cell, M, R, L).proven_upper_bounds(T, domain=domain, partition=partition))


def cell_bounds_report(cell, M: int, R: int, L: int, T: int) -> dict:
    """`tnrnn.bounds.bounds_report` for any cell (Start-End): the same keys, plus ``cell``, ``total_degree_upper``.

    ``lower``/``theorem`` name the proven generic lower bound where one is known (`tnrnn.cells.bounds`); the upper
    bounds are those of the continuous domain (which bound the one-hot ranks too), ``alphabet_upper`` the one-hot
    ``M^{T/2}``. ``min_cut`` is filled by the caller from the cell's tensor network, or stays ``None``.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    if _is_rac(cell):
        return {**bounds_report(M, R, L, T), "cell": "rac"}
    cellobj = make_cell(cell, M, R, L)
    ups = dict(cellobj.proven_upper_bounds(T, domain="continuous", partition="start-end"))
    low, theorem = cell_lower_bound(cellobj, T, domain="continuous")
    return {
        "M": M,
        "R": R,
        "L": L,
        "T": T,
        "cell": cellobj.name,
        "lower": low,
        "theorem": theorem,
        "conjecture": None,
        "state_upper": ups.get("state_upper"),
        "degree_upper": ups["degree_upper"],
        "total_degree_upper": ups.get("total_degree_upper"),
        "alphabet_upper": alphabet_upper_bound(M, T),
        "min_cut": None,
    }
