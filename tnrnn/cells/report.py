"""The bounds of any cell, in one report: what its protocol proves (`tnrnn.cells.Cell`), pure integers, no JAX.

`bounds_report` is the ``tnrnn bounds --json`` object of every cell, the RAC included (its closed forms and
Theorem 1 come from its own methods, `tnrnn.cells.Rac`); `bound_columns` gives the bound columns of one row of a
table or an atlas export; `cell_upper_bounds` the proven upper bounds by name. No function here looks at a cell's
name: each asks the cell.
"""

from __future__ import annotations

from tnrnn._deprecation import warn_deprecated
from tnrnn._types import check_domain, check_sizes, parse_partition
from tnrnn.bounds import alphabet_upper_bound, check_closed_form_size
from tnrnn.cells.base import make_cell

__all__ = ["bounds_report", "BoundsReport", "bound_columns", "cell_upper_bounds", "cell_bounds_report", "REPORT_KEYS"]

#: the keys of `bounds_report`, for every cell (``tnrnn bounds --json`` adds the min-cuts and their notes)
REPORT_KEYS = (
    "M",
    "R",
    "L",
    "T",
    "cell",
    "partition",
    "lower",
    "theorem",
    "conjecture",
    "state_upper",
    "degree_upper",
    "total_degree_upper",
    "alphabet_upper",
    "min_cut",
)


def cell_upper_bounds(cell, M: int, R: int, L: int, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
    """Every proven upper bound for ``cell`` (a registered name or a `tnrnn.cells.Cell`), by name.

    The cell's `Cell.proven_upper_bounds`: the RAC's closed forms (`tnrnn.bounds.proven_upper_bounds`), or the
    bounds derived from a cell's step (`tnrnn.cells.bounds`: input degrees, state degrees at the boundary of a
    prefix partition, total degree; all weights, both domains), or a cell's own.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    return dict(make_cell(cell, M, R, L).proven_upper_bounds(T, domain=domain, partition=partition))


def bound_columns(cell, M: int, R: int, L: int, T: int, *, domain: str, partition="start-end") -> dict:
    """The bound columns of one row (a table, an atlas export) for ``domain``, from the cell's protocol.

    Keys ``lower`` (`Cell.proven_lower_bound`), ``conjecture`` (`Cell.conjectured_lower_bound`), ``state_upper``,
    ``degree_upper``, ``total_degree_upper``, ``alphabet_upper`` (`Cell.proven_upper_bounds` for ``domain``:
    ``alphabet_upper`` is ``None`` for continuous rows); a bound the cell does not prove is ``None``.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    cellobj = make_cell(cell, M, R, L)
    ups = cellobj.proven_upper_bounds(T, domain=domain, partition=partition)
    return {
        "lower": cellobj.proven_lower_bound(T, domain=domain, partition=partition)[0],
        "conjecture": cellobj.conjectured_lower_bound(T, partition=partition),
        "state_upper": ups.get("state_upper"),
        "degree_upper": ups.get("degree_upper"),
        "total_degree_upper": ups.get("total_degree_upper"),
        "alphabet_upper": ups.get("alphabet_upper"),
    }


class BoundsReport(dict):
    """The dict of `bounds_report` (a plain dict in every use, JSON included), shown as a table in a notebook."""

    def _repr_html_(self) -> str:
        from tnrnn._display import bounds_html

        return bounds_html(self)


def bounds_report(M: int, R: int, L: int, T: int, *, cell="rac", partition="start-end") -> BoundsReport:
    """Every proven bound of ``cell`` for ``partition`` (default Start-End): the ``tnrnn bounds --json`` object.

    Parameters
    ----------
    M, R, L, T : int
        Input dimension, width, depth and length.
    cell : str or `tnrnn.cells.Cell`
        A registered name (default ``"rac"``) or a cell of those sizes.
    partition : str or Partition

    Returns
    -------
    BoundsReport
        A dict (shown as a table in a notebook) with the same keys for every cell (`REPORT_KEYS`): ``lower`` and
        ``theorem`` (the proven generic lower bound and the result it comes from, `Cell.proven_lower_bound`; for
        the RAC Theorem 1), ``conjecture`` (the RAC's depth-``L`` conjecture, else ``None``), the upper bounds of
        the continuous domain (which bound the one-hot ranks too; ``None`` where the cell proves none),
        ``alphabet_upper`` (the one-hot ``M^{min(|A|, |B|)}``), ``partition`` (``{"name": ...}`` for a named
        partition, the full `Partition.to_dict` for a custom one) and ``min_cut`` (``None`` here: the
        tensor-network module fills it, `tnrnn.cuts.min_cut_or_reason`).

    Notes
    -----
    Sizes whose exact values would exceed `tnrnn.bounds.EXACT_BITS` are refused first
    (`tnrnn.bounds.check_closed_form_size`).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    part = parse_partition(partition, T)
    check_closed_form_size(M, R, L, T, part)
    cellobj = make_cell(cell, M, R, L)
    low, theorem = cellobj.proven_lower_bound(T, domain="continuous", partition=part)
    ups = cellobj.proven_upper_bounds(T, domain="continuous", partition=part)
    report = {
        "M": M,
        "R": R,
        "L": L,
        "T": T,
        "cell": cellobj.spec,
        # a named partition is given by its name (its sides can be long), a custom one in full
        "partition": {"name": part.name} if part.name != "custom" else part.to_dict(),
        "lower": low,
        "theorem": theorem,
        "conjecture": cellobj.conjectured_lower_bound(T, partition=part),
        "state_upper": ups.get("state_upper"),
        "degree_upper": ups.get("degree_upper"),
        "total_degree_upper": ups.get("total_degree_upper"),
        "alphabet_upper": alphabet_upper_bound(M, T, part),
        "min_cut": None,
    }
    return BoundsReport(report)


def cell_bounds_report(cell, M: int, R: int, L: int, T: int) -> dict:
    """Deprecated: `bounds_report` ``(M, R, L, T, cell=cell)``, the one report of every cell."""
    warn_deprecated("tnrnn.cells.cell_bounds_report(cell, M, R, L, T)", "tnrnn.bounds_report(M, R, L, T, cell=cell)")
    return bounds_report(M, R, L, T, cell=cell)
