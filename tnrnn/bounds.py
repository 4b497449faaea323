"""Closed-form values and bounds for the separation rank of RACs: pure Python integers, no JAX.

Every function names the result it encodes and its assumptions. Tags follow the paper notes
(papers/long_term_memory_deep_rnn.md): a *theorem* of the paper, a *proven* bound derived in the notes (§3.4),
or a *conjecture*.

Notation: ``((n; k)) = C(n + k - 1, k)``, the number of size-``k`` multisets from ``n`` symbols.

Other cells (`tnrnn.cells`: ``bilinear``, ``mi``, ``quad``, ``linear`` or a cell of your own) go through
`cell_upper_bounds` and `cell_bounds_report`; their bounds are derived from the cell's step by the degree
arithmetic of `tnrnn.cells.bounds` (derivations there), still pure integers. The RAC keeps the closed forms below.
"""

from __future__ import annotations

from math import comb, prod

from tnrnn._types import Partition, check_domain, check_sizes, parse_partition

__all__ = [
    "multiset",
    "input_degree",
    "shallow_rank",
    "depth2_lower_bound",
    "conjectured_lower_bound",
    "lower_bound",
    "state_upper_bound",
    "degree_upper_bound",
    "alphabet_upper_bound",
    "proven_upper_bounds",
    "bounds_report",
    "cell_upper_bounds",
    "cell_bounds_report",
]


def multiset(n: int, k: int) -> int:
    """The multiset coefficient ``((n; k)) = C(n + k - 1, k)``."""
    if n < 0 or k < 0:
        raise ValueError(f"multiset({n}, {k}) needs n, k >= 0")
    if n == 0:
        return 1 if k == 0 else 0
    return comb(n + k - 1, k)


def _half(T: int) -> int:
    if T % 2:
        from tnrnn._types import ArgumentError

        raise ArgumentError("T", T, "an even integer (the Start-End partition splits 1..T in halves)")
    return T // 2


def input_degree(t: int, T: int, L: int) -> int:
    """Degree ``n_t = C(T - t + L - 1, L - 1)`` of a depth-``L`` RAC's output in ``f(x^t)``.

    ``n_t`` counts the monotone lattice paths from node ``(t, 1)`` to ``(T, L)`` of the unrolled grid, which is
    also the number of copies of ``x^t`` in the deep tensor network (notes §1.5, §4.3).
    """
    return comb(T - t + L - 1, L - 1)


def shallow_rank(M: int, R: int, T: int) -> int:
    """Start-End separation rank of a generic shallow RAC: ``min(R, M^{T/2})``.

    References
    ----------
    Levine, Sharir, Ziv, Shashua, "On the Long-Term Memory of Deep Recurrent Networks", Theorem 1 (1)
    (notes §3.1): equality for all weights except a Lebesgue-null set; ``<=`` for all weights.

    Notes
    -----
    Holds in both input domains: a shallow RAC is multilinear in ``f(x^1..x^T)``.
    """
    M, R, _, T = check_sizes(M, R, 1, T)
    return min(R, M ** _half(T))


def depth2_lower_bound(M: int, R: int, T: int) -> int:
    """Lower bound ``((min(M, R); T/2))`` on the Start-End separation rank of a generic depth-2 RAC.

    References
    ----------
    Levine et al., Theorem 1 (2) of arXiv 1710.09431v2 (notes §3.1, recalled with medium-high confidence and never
    violated by exact computation, §3.4 D4).

    Notes
    -----
    Holds for all weights except a Lebesgue-null set, in both domains (``((M; T/2)) <= M^{T/2}``).
    """
    M, R, _, T = check_sizes(M, R, 2, T)
    return multiset(min(M, R), _half(T))


def conjectured_lower_bound(M: int, R: int, L: int, T: int) -> int:
    """The depth-``L`` conjecture ``((min(M, R); C(T/2 + L - 2, L - 1)))``. A conjecture, not a theorem.

    References
    ----------
    Levine et al., the conjecture following Theorem 1 (notes §3.2, form recalled with low-medium confidence).

    Notes
    -----
    For ``L = 2`` it is `depth2_lower_bound`. It can exceed ``M^{T/2}`` (``M=R=3, T=4, L=3`` gives 10 > 9), so it
    cannot hold in the one-hot domain; measured continuous-domain ranks never fell below it (notes §3.4 D4).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    return multiset(min(M, R), comb(_half(T) + L - 2, L - 1))


def lower_bound(M: int, R: int, L: int, T: int) -> tuple[int | None, str]:
    """The best *proven* generic lower bound and the name of the result it comes from.

    Returns ``(value, theorem)``; ``value`` is ``None`` for ``L >= 3``, where only a conjecture is known
    (see `conjectured_lower_bound`).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    if L == 1:
        return shallow_rank(M, R, T), "Theorem 1(1), shallow RAC: sep = min(R, M^{T/2}) for almost all weights"
    if L == 2:
        return depth2_lower_bound(M, R, T), (
            "Theorem 1(2), depth-2 RAC: sep >= ((min(M,R); T/2)) for almost all weights"
        )
    return None, (
        f"no proven lower bound for L={L}; the depth-L conjecture ((min(M,R); C(T/2+L-2, L-1))) gives "
        f"{conjectured_lower_bound(M, R, L, T)}"
    )


def state_upper_bound(R: int, L: int, T: int) -> int:
    """Proven bound ``prod_l ((R; d_l))`` with ``d_l = C(T/2 - 1 + L - l, L - l)`` (all weights, both domains).

    References
    ----------
    Notes §3.4, fact D1 (state bound): with the Start inputs fixed, the output is a polynomial of degree ``d_l`` in
    the layer-``l`` state ``h^{T/2,l}``, so the rank is at most the dimension of the symmetric powers.

    Notes
    -----
    Start-End partition only. ``L = 1`` gives ``R``; ``L = 2`` gives ``R ((R; T/2))``.
    """
    _, R, L, T = check_sizes(1, R, L, T)
    half = _half(T)
    return prod(multiset(R, comb(half - 1 + L - l, L - l)) for l in range(1, L + 1))


def degree_upper_bound(M: int, L: int, T: int, partition="start-end", *, side: str = "both") -> int:
    """Proven bound ``prod_{j in side} ((M; n_j))`` from the degrees ``n_j`` of the output in each input.

    Parameters
    ----------
    partition : str or Partition
        Any partition of ``1..T``.
    side : {"A", "B", "both"}
        Use the Start (``A``) side, the End (``B``) side, or the smaller of the two.

    References
    ----------
    Notes §3.4, fact D2: the output is homogeneous of degree ``n_j = C(T - j + L - 1, L - 1)`` in ``f(x^j)``; the
    polynomials in the inputs of one side with those degrees span a space of that dimension.
    """
    M, _, L, T = check_sizes(M, 1, L, T)
    part = parse_partition(partition, T)

    def side_bound(steps):
        return prod(multiset(M, input_degree(j, T, L)) for j in steps)

    if side == "A":
        return side_bound(part.A)
    if side == "B":
        return side_bound(part.B)
    return min(side_bound(part.A), side_bound(part.B))


def alphabet_upper_bound(M: int, T: int, partition="start-end") -> int:
    """Bound ``M^{min(|A|, |B|)}`` in the one-hot domain: the grid matrix has that many rows or columns.

    Notes
    -----
    One-hot (discrete alphabet) domain only: a deep RAC over continuous inputs can exceed it (notes §2.6).
    For the Start-End partition it is ``M^{T/2}``.
    """
    M, _, _, T = check_sizes(M, 1, 1, T)
    part = parse_partition(partition, T)
    return M ** min(len(part.A), len(part.B))


def proven_upper_bounds(M: int, R: int, L: int, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
    """Every proven upper bound that applies to ``domain`` and ``partition``, by name."""
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    part: Partition = parse_partition(partition, T)
    out = {"degree_upper": degree_upper_bound(M, L, T, part)}
    if part.is_start_end:
        out["state_upper"] = state_upper_bound(R, L, T)
    if domain == "onehot":
        out["alphabet_upper"] = alphabet_upper_bound(M, T, part)
    return out


def bounds_report(M: int, R: int, L: int, T: int) -> dict:
    """All closed forms for the Start-End partition, as the ``tnrnn bounds --json`` object.

    ``min_cut`` is filled by the tensor-network module (`tnrnn.cuts`); here it is ``None``.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    low, theorem = lower_bound(M, R, L, T)
    return {
        "M": M,
        "R": R,
        "L": L,
        "T": T,
        "lower": low,
        "theorem": theorem,
        "conjecture": conjectured_lower_bound(M, R, L, T) if L >= 2 else None,
        "state_upper": state_upper_bound(R, L, T),
        "degree_upper": degree_upper_bound(M, L, T),
        "alphabet_upper": alphabet_upper_bound(M, T),
        "min_cut": None,
    }


def _is_rac(cell) -> bool:
    return cell == "rac" or getattr(cell, "name", None) == "rac"


def cell_upper_bounds(cell, M: int, R: int, L: int, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
    """Every proven upper bound for ``cell`` (a registered name or a `tnrnn.cells.Cell`), by name.

    The RAC gets `proven_upper_bounds` (the closed forms of this module, unchanged); every other cell gets its
    ``proven_upper_bounds`` method, by default the bounds derived from its step (`tnrnn.cells.bounds`: input
    degrees, state degrees at the boundary of a prefix partition, total degree; all weights, both domains).
    """
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    if _is_rac(cell):
        return proven_upper_bounds(M, R, L, T, domain=domain, partition=partition)
    from tnrnn.cells.base import make_cell

    return dict(make_cell(cell, M, R, L).proven_upper_bounds(T, domain=domain, partition=partition))


def cell_bounds_report(cell, M: int, R: int, L: int, T: int) -> dict:
    """`bounds_report` for any cell (Start-End partition): the same keys, plus ``cell`` and ``total_degree_upper``.

    ``lower``/``theorem`` name the proven generic lower bound where one is known (`tnrnn.cells.bounds`); the upper
    bounds are those of the continuous domain (which bound the one-hot ranks too), ``alphabet_upper`` the one-hot
    ``M^{T/2}``. ``min_cut`` is filled by the caller from the cell's tensor network, or stays ``None``.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    if _is_rac(cell):
        return {**bounds_report(M, R, L, T), "cell": "rac"}
    from tnrnn.cells.base import make_cell
    from tnrnn.cells.bounds import cell_lower_bound

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
