"""Closed-form values and bounds for the separation rank of RACs: pure Python integers, no JAX.

Every function names the result it encodes and its assumptions: a *theorem* of the paper (reconstructed from it),
a bound *proven* on the theory page (section 'Bounds the toolkit proves'), or a *conjecture*.

Notation: ``((n; k)) = C(n + k - 1, k)``, the number of size-``k`` multisets from ``n`` symbols.

The RAC cell (`tnrnn.cells.Rac`) answers its bounds with the closed forms below; other cells (``bilinear``, ``mi``,
``quad``, ``linear`` or a cell of your own) derive theirs from their step by the degree arithmetic of
`tnrnn.cells.bounds`, still pure integers. `tnrnn.cells.bounds_report` (``tnrnn.bounds_report``) is the one report
of every cell.
"""

from __future__ import annotations

import math
from math import comb

from tnrnn._deprecation import warn_deprecated
from tnrnn._types import ArgumentError, Partition, check_choice, check_domain, check_sizes, parse_partition

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
    "check_closed_form_size",
    "EXACT_BITS",
    "SIDES",
]

#: the closed forms are computed exactly (Python ints) when their estimated total size is at most this many bits
#: (about 1.26 million decimal digits); larger requests are refused up front by `check_closed_form_size`
EXACT_BITS = 2**22

#: the ``side=`` choices of `degree_upper_bound`
SIDES = ("A", "B", "both")


def prod(values) -> int:
    """Exact product of Python ints by balanced halving (fast for many big factors, unlike a running product)."""
    values = list(values)
    if not values:
        return 1
    while len(values) > 1:
        pairs = [values[i] * values[i + 1] for i in range(0, len(values) - 1, 2)]
        if len(values) % 2:
            pairs.append(values[-1])
        values = pairs
    return values[0]


def multiset(n: int, k: int) -> int:
    """The multiset coefficient ``((n; k)) = C(n + k - 1, k)``."""
    if n < 0 or k < 0:
        raise ValueError(f"multiset({n}, {k}) needs n, k >= 0")
    if n == 0:
        return 1 if k == 0 else 0
    return comb(n + k - 1, k)


def _half(T: int) -> int:
    if T % 2:
        raise ArgumentError("T", T, "an even integer (the Start-End partition splits 1..T in halves)")
    return T // 2


def input_degree(t: int, T: int, L: int) -> int:
    """Degree ``n_t = C(T - t + L - 1, L - 1)`` of a depth-``L`` RAC's output in ``f(x^t)``.

    ``n_t`` counts the monotone lattice paths from node ``(t, 1)`` to ``(T, L)`` of the unrolled grid, which is
    also the number of copies of ``x^t`` in the deep tensor network (theory page, sections 'Input degrees' and 'The tree
    of copies').
    """
    return comb(T - t + L - 1, L - 1)


def shallow_rank(M: int, R: int, T: int) -> int:
    """Start-End separation rank of a generic shallow RAC: ``min(R, M^{T/2})``.

    References
    ----------
    Levine, Sharir, Ziv, Shashua, "On the Long-Term Memory of Deep Recurrent Networks", Theorem 1 (1)
    (theory page, section 'Theorem 1(1): shallow RACs'): equality for all weights except a Lebesgue-null set;
    ``<=`` for all weights.

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
    Levine et al., Theorem 1 (2) of arXiv 1710.09431v2, reconstructed from the paper with medium-high confidence
    and never violated by exact computation (theory page, section 'Theorem 1(2): depth 2').

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
    Levine et al., the conjecture following Theorem 1; its form is reconstructed with low-medium confidence
    (theory page, section 'The depth-L conjecture').

    Notes
    -----
    For ``L = 2`` it is `depth2_lower_bound`. It can exceed ``M^{T/2}`` (``M=R=3, T=4, L=3`` gives 10 > 9), so it
    cannot hold in the one-hot domain; measured continuous-domain ranks never fell below it.
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
    Theory page, section 'State bound' (with its proof): with the End inputs fixed, the output is a polynomial of
    degree ``d_l`` in the layer-``l`` state ``h^{T/2,l}``, so the rank is at most the dimension of the symmetric
    powers.

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
    Theory page, section 'Input-degree bound' (with its proof): the output is homogeneous of degree
    ``n_j = C(T - j + L - 1, L - 1)`` in ``f(x^j)``; the monomials in the inputs of one side with those degrees
    number that many.
    """
    M, _, L, T = check_sizes(M, 1, L, T)
    side = check_choice("side", side, SIDES)
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
    One-hot (discrete alphabet) domain only: a deep RAC over continuous inputs can exceed it (theory page,
    sections 'Alphabet bound' and 'The two input domains').
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


def bounds_report(M: int, R: int, L: int, T: int, *, partition="start-end") -> dict:
    """Deprecated: use ``tnrnn.bounds_report(M, R, L, T)`` (`tnrnn.cells.bounds_report`), the report of every cell.

    All closed forms of the RAC for ``partition`` (default Start-End), with the keys of version 1.

    The Start-End partition gets every result (lower bound and its theorem, conjecture, state, degree and alphabet
    bounds). Another partition gets the bounds that hold for any partition (``degree_upper``, ``alphabet_upper``);
    the Start-End-only keys are ``None``. Sizes whose exact values would exceed `EXACT_BITS` are refused first
    (`check_closed_form_size`). ``partition`` is ``{"name": ...}`` for a named partition and the full
    `Partition.to_dict` for a custom one. ``min_cut`` is filled by the tensor-network module (`tnrnn.cuts`); here
    it is ``None``.
    """
    warn_deprecated("tnrnn.bounds.bounds_report", "tnrnn.bounds_report (tnrnn.cells.bounds_report), for every cell")
    M, R, L, T = check_sizes(M, R, L, T)
    part = parse_partition(partition, T)
    check_closed_form_size(M, R, L, T, part)
    # a named partition is given by its name (its sides can be long), a custom one in full
    named = {"name": part.name} if part.name != "custom" else part.to_dict()
    out = {"M": M, "R": R, "L": L, "T": T, "partition": named}
    if not part.is_start_end:
        return {
            **out,
            "lower": None,
            "theorem": "no proven lower bound for a partition other than Start-End (Theorem 1 is about Start-End)",
            "conjecture": None,
            "state_upper": None,
            "degree_upper": degree_upper_bound(M, L, T, part),
            "alphabet_upper": alphabet_upper_bound(M, T, part),
            "min_cut": None,
        }
    low, theorem = lower_bound(M, R, L, T)
    return {
        **out,
        "lower": low,
        "theorem": theorem,
        "conjecture": conjectured_lower_bound(M, R, L, T) if L >= 2 else None,
        "state_upper": state_upper_bound(R, L, T),
        "degree_upper": degree_upper_bound(M, L, T),
        "alphabet_upper": alphabet_upper_bound(M, T),
        "min_cut": None,
    }


def _comb_bits(a: int, b: int) -> float:
    """A lower bound ``k log2(a / k)``, ``k = min(b, a - b)``, on ``log2 C(a, b)``, from Python ints of any size."""
    k = min(b, a - b)
    if k <= 0:
        return 0.0
    return k * (math.log2(a) - math.log2(k))


def check_closed_form_size(M: int, R: int, L: int, T: int, partition="start-end") -> float:
    """Refuse sizes whose exact closed forms would take more than `EXACT_BITS` bits; return the estimate.

    The estimate (a lower bound on the bits of every value computed, plus one per factor) takes a time linear in
    ``T + L`` and never computes a big integer; ``T > MAX_PARTITION_T`` or ``L > EXACT_BITS`` is refused at once.
    """
    M, R, L, T = check_sizes(M, R, L, T)
    part = parse_partition(partition, T)
    name, value = ("L", L) if L > T else ("T", T)

    def refuse(bits, what):
        raise ArgumentError(
            name,
            value,
            f"sizes whose exact bounds fit in 2^{math.log2(EXACT_BITS):.0f} bits (with M={M}, R={R}, L={L}, T={T} "
            f"{what} at least 2^{math.log2(max(bits, 1)):.1f} bits)",
        )

    if min(len(part.A), len(part.B)) > EXACT_BITS:
        refuse(min(len(part.A), len(part.B)), "the degree bound has one factor per time step:")
    if L > EXACT_BITS:
        refuse(L, "the state bound has one factor per layer:")
    bits = min(len(part.A), len(part.B)) * math.log2(max(M, 2))  # alphabet bound (and the shallow lower bound)
    for steps in (part.A, part.B):  # degree bound: both sides are computed
        for j in steps:
            bits += 1 + _comb_bits(T - j + L - 1, L - 1)
            if bits > EXACT_BITS:
                refuse(bits, "the degree bound needs")
            bits += _comb_bits(input_degree(j, T, L) + M - 1, M - 1)
        if bits > EXACT_BITS:
            refuse(bits, "the degree bound needs")
    if part.is_start_end:
        half = T // 2
        for l in range(1, L + 1):  # state bound
            bits += 1 + _comb_bits(half - 1 + L - l, L - l)
            if bits > EXACT_BITS:
                refuse(bits, "the state bound needs")
            bits += _comb_bits(comb(half - 1 + L - l, L - l) + R - 1, R - 1)
            if bits > EXACT_BITS:
                refuse(bits, "the state bound needs")
        m = min(M, R)
        bits += _comb_bits(half + L - 2, L - 1)  # conjecture
        if bits <= EXACT_BITS:
            bits += _comb_bits(comb(half + L - 2, max(L - 1, 0)) + m - 1, m - 1)
        if bits > EXACT_BITS:
            refuse(bits, "the conjecture needs")
    return bits
