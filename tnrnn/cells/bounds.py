r"""Proven upper bounds on the separation rank of any polynomial cell, derived from its step (pure integers).

A cell's ``step`` is written against the arithmetic operations (`tnrnn.cells.arith`), each of which is a
polynomial map. Running the step on `GroupDegreeArith`, where a vector is only *its degree in one group of
variables and whether it is homogeneous in that group*, gives the degree structure of the output without any
number. Three bounds follow; all hold for **every** choice of weights, in both input domains (a one-hot grid
matrix is a restriction of the polynomial, and restriction never raises a rank), and `derived_upper_bounds` returns
them by name. Notation: ``((n; d)) = C(n+d-1, d)`` monomials of degree exactly ``d`` in ``n`` variables,
``C(n+d, d)`` monomials of degree at most ``d``; `monomials` picks the count.

**The degree arithmetic.** A vector is ``None`` (identically zero) or ``(d, hom)``: every channel is a polynomial of
degree ``<= d`` in the group's variables (coefficients: everything else), and, if ``hom``, every channel is
homogeneous of degree exactly ``d`` in them (or zero). The rules are sound by inspection: a linear map (``matvec``,
``scale``) keeps ``(d, hom)``; a product (``mul``, ``bilinear``) adds degrees and is homogeneous when both factors
are; a sum takes the larger degree and is homogeneous only when both terms are, of the same degree; a parameter,
``ones`` or a nonzero ``const`` is a constant ``(0, True)``; ``zeros`` is ``None``. Weights are constants here,
unlike in `tnrnn.cells.DegreeArith`, which counts them for the Schwartz-Zippel degree.

**Input-degree bound** (``degree_upper``, any partition). Let ``x^t`` be the group (``(1, True)``), every other
input a constant, and run the cell from its own initial carry: the output has degree ``n_t`` in ``x^t``,
homogeneous or not. Expanding ``y`` in the monomials of the inputs of one side, ``y = sum_alpha x_A^alpha
c_alpha(x_B)``, so ``rank <= prod_{t in A} monomials(M, n_t, hom_t)``; the same for ``B``; the bound is the
smaller product. For the RAC this is ``prod ((M; C(T-t+L-1, L-1)))`` (homogeneous); for ``mi`` the degrees are the
same but the count is ``C(M + n_t, n_t)`` (the additive terms make ``y`` non-homogeneous); for ``quad``
``n_t = 2^{T-t+L}`` (each step doubles, and ``x^t`` first appears squared); for ``linear`` ``n_t = 1``.

**State bound** (``state_upper``, partitions whose side owning step 1 is a prefix ``1..k``, e.g. Start-End with
``k = T/2``). The output depends on the prefix inputs only through the carry after step ``k`` (for the cells here:
the layer states ``s_l = h^{k,l}``; for the RAC ``W^{H,l} h^{k,l}``). Treat carry leaf ``g`` (``n_g`` channels) as
the group and run steps ``k+1..T``: the output has degree ``d_g`` in it. So ``y = sum_alpha c_alpha(x_suffix)
s^alpha(x_prefix)`` over monomials with ``|alpha_g| (=|<=) d_g`` in each leaf, and ``rank <= prod_g
monomials(n_g, d_g, hom_g)``. Worked degrees, with ``k`` prefix steps and ``m = T - k``:

* ``rac``, ``bilinear``: ``d_l = C(m - 1 + L - l, L - l)``, homogeneous: ``prod_l ((R; d_l))``; shallow: ``R``.
* ``mi``: the same ``d_l``, not homogeneous: ``prod_l C(R + d_l, d_l)`` (equivalently ``((R+1; d_l))``: the
  homogenised cell with a constant channel); shallow: ``R + 1``.
* ``quad``: ``d_l = 2^{m + L - l}`` (``s_l`` enters ``h^{k+1,l}`` squared, every later step on a path doubles),
  not homogeneous: ``prod_l C(R + d_l, d_l)``; shallow: ``C(R + 2^m, R)``.
* ``linear``: ``d_l = 1``, not homogeneous: ``(R + 1)^L``.

**Total-degree bound** (``total_degree_upper``, any partition). All inputs form one group: ``y`` has total degree
``D``. Group the expansion by the degree ``a`` of the ``A``-monomial: ``y = sum_{a=0}^{D} y_a`` with ``y_a =
sum_{|alpha|=a} x_A^alpha c_alpha(x_B)`` and ``deg c_alpha <= D - a`` (``= D - a`` when ``y`` is homogeneous), so
``rank(y_a) <= min(((n_A; a)), monomials(n_B, D - a))`` with ``n_A = M |A|``, ``n_B = M |B|`` variables, and the
rank is at most the sum over ``a``. For the linear cell ``D = 1``: ``rank <= 1 + 1 = 2`` (``y = f(x_A) + g(x_B)
= f * 1 + 1 * g``), for every partition and every weight, also with an affine constant (``y = f + g + c``: absorb
``c`` into ``f``). Reported only for ``D <= 4096`` (it is weak for large degrees).

**Lower bounds** (`cell_lower_bound`). *linear*: the rank is exactly 2 for generic weights when ``M >= 2`` or the
inputs are continuous (theorem, proven here): at the weights ``W^{I,1} = E_{11}`` (a single entry), ``W^{I,l} =
W^{H,l} = I``, ``W^O = e_1^T`` the output is ``sum_t c_t x^t_1`` with path counts ``c_t > 0``, so ``f`` and ``g``
are non-constant on either side (also on the alphabet: ``e_1`` against ``e_2``), the 2x2 minor at
``(e_1, e_2)`` on both sides is nonzero, and a minor that is nonzero at one weight is nonzero for almost all.
*bilinear* contains every generic RAC function (theorem, proven here): the RAC is unchanged by the gauge
``h^{t,l} -> D_l h^{t,l}`` (``W^{I,l} -> D_l W^{I,l} D_{l-1}^{-1}``, ``W^{H,l} -> W^{H,l} D_l^{-1}``, ``W^O -> W^O
D_L^{-1}``), and ``D_l^{-1} = diag((W^{H,l})^{-1} 1)`` (nonzero entries for generic weights) makes every row sum of
``W^{H,l}`` one; then ``A[r,i,j] = W^H[r,i] W^I[r,j]`` with ``u := 1`` is exactly the RAC with its convention
``W^H h^0 := 1``. Hence every generic RAC rank (and every RAC lower bound) is a lower bound for ``bilinear``, and
with the state bound ``R`` and the degree bound ``M^{T/2}`` the shallow bilinear rank is exactly ``min(R,
M^{T/2})`` (the shallow RAC theorem). No lower bound is claimed for ``mi`` and ``quad``; their exact values are
certified lower bounds, proven where they meet an upper bound.

Nothing here imports JAX: the step runs on `GroupDegreeArith` with ``None`` weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, prod

from tnrnn._types import check_domain, parse_partition

__all__ = [
    "GroupDegreeArith",
    "Deg",
    "monomials",
    "input_degrees",
    "state_degrees",
    "total_degree",
    "derived_upper_bounds",
    "cell_lower_bound",
    "TOTAL_DEGREE_LIMIT",
]

#: the total-degree bound is a sum of D + 1 terms; it is reported only up to this degree
TOTAL_DEGREE_LIMIT = 4096


@dataclass(frozen=True)
class Deg:
    """A vector's degree ``d`` in one group of variables and whether every channel is homogeneous of degree ``d``."""

    d: int
    hom: bool


CONST = Deg(0, True)
VAR = Deg(1, True)


class GroupDegreeArith:
    """Degree and homogeneity in one group of variables (see the module notes); ``None`` is the zero vector."""

    def matvec(self, W, v):
        return v

    def mul(self, u, v):
        if u is None or v is None:
            return None
        return Deg(u.d + v.d, u.hom and v.hom)

    def add(self, u, v):
        if u is None:
            return v
        if v is None:
            return u
        return Deg(max(u.d, v.d), u.hom and v.hom and u.d == v.d)

    def scale(self, c, v):
        return v

    def param(self, c, like):
        return CONST

    def bilinear(self, A, u, v):
        return self.mul(u, v)

    def ones(self, n, like):
        return CONST

    def zeros(self, n, like):
        return None

    def const(self, q, n, like):
        return None if q == 0 else CONST

    def first(self, v):
        return v


def monomials(n: int, d: int, hom: bool) -> int:
    """Monomials in ``n`` variables of degree exactly ``d`` (``hom``) or at most ``d``."""
    if n == 0:
        return 1
    return comb(n + d - 1, d) if hom else comb(n + d, d)


def _count(n: int, deg) -> int:
    return 1 if deg is None else monomials(n, deg.d, deg.hom)


def _map_leaves(f, tree, counter):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map_leaves(f, v, counter) for v in tree)
    if isinstance(tree, dict):
        return {k: _map_leaves(f, tree[k], counter) for k in sorted(tree)}
    k = counter[0]
    counter[0] += 1
    return f(k, tree)


def _none_params(cell):
    return cell.make_params(**cell._arrays(lambda s: None))


def carry_sizes(cell) -> tuple[int, ...]:
    """The number of channels of every leaf of the cell's carry (from a float carry of batch one)."""
    import numpy as np

    from tnrnn.cells.arith import FloatArith

    params = cell.make_params(**cell._arrays(lambda s: np.zeros(s)))
    carry = cell.initial_carry(params, FloatArith(np), np.zeros((1, cell.M)))
    sizes: list[int] = []
    _map_leaves(lambda k, leaf: sizes.append(int(np.shape(leaf)[-1])), carry, [0])
    return tuple(sizes)


def _run(cell, carry, xs, ar, params):
    h = None
    for x in xs:
        carry, h = cell.step(params, carry, x, ar)
    return ar.first(cell.readout(params, h, ar))


def input_degrees(cell, T: int) -> tuple:
    """``Deg`` (or ``None``) of the output in each input ``x^1..x^T``, from the cell's own initial carry."""
    ar, params = GroupDegreeArith(), _none_params(cell)
    out = []
    for t in range(1, T + 1):
        carry = cell.initial_carry(params, ar, None)
        out.append(_run(cell, carry, [VAR if s == t else CONST for s in range(1, T + 1)], ar, params))
    return tuple(out)


def total_degree(cell, T: int):
    """``Deg`` (or ``None``) of the output in all inputs together."""
    ar, params = GroupDegreeArith(), _none_params(cell)
    return _run(cell, cell.initial_carry(params, ar, None), [VAR] * T, ar, params)


def state_degrees(cell, T: int, k: int) -> tuple:
    """``Deg`` (or ``None``) of the output in each carry leaf after step ``k``, running steps ``k+1..T``."""
    ar, params = GroupDegreeArith(), _none_params(cell)
    n = len(carry_sizes(cell))
    template = cell.initial_carry(_none_params(cell), ar, None)
    out = []
    for g in range(n):
        carry = _map_leaves(lambda j, _leaf, g=g: VAR if j == g else CONST, template, [0])
        out.append(_run(cell, carry, [CONST] * (T - k), ar, params))
    return tuple(out)


def _prefix_length(part) -> int | None:
    side, k = part.prefix_side
    steps = part.A if side == "A" else part.B
    return k if len(steps) == k else None


def _total_degree_bound(deg, nA: int, nB: int) -> int | None:
    if deg is None:
        return 0
    if deg.d > TOTAL_DEGREE_LIMIT:
        return None
    return sum(min(monomials(nA, a, True), monomials(nB, deg.d - a, deg.hom)) for a in range(deg.d + 1))


def derived_upper_bounds(cell, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
    """The bounds of the module notes for ``cell`` (a `tnrnn.cells.Cell`) after ``T`` steps, by name.

    Returns ``degree_upper`` (always), ``state_upper`` (when the side owning step 1 is a prefix ``1..k``),
    ``total_degree_upper`` (total degree at most `TOTAL_DEGREE_LIMIT`) and, for ``domain="onehot"``,
    ``alphabet_upper = M^{min(|A|, |B|)}``. Every value holds for all weights.
    """
    domain = check_domain(domain)
    part = parse_partition(partition, T)
    M = cell.M
    n_t = input_degrees(cell, T)
    sides = [prod(_count(M, n_t[t - 1]) for t in steps) for steps in (part.A, part.B)]
    out = {"degree_upper": min(sides)}
    k = _prefix_length(part)
    if k is not None:
        sizes = carry_sizes(cell)
        out["state_upper"] = prod(_count(n, d) for n, d in zip(sizes, state_degrees(cell, T, k), strict=True))
    total = _total_degree_bound(total_degree(cell, T), M * len(part.A), M * len(part.B))
    if total is not None:
        out["total_degree_upper"] = total
    if domain == "onehot":
        from tnrnn.bounds import alphabet_upper_bound

        out["alphabet_upper"] = alphabet_upper_bound(M, T, part)
    return out


def cell_lower_bound(cell, T: int, *, domain: str, partition="start-end") -> tuple[int | None, str]:
    """The proven generic lower bound for a cell and the result it comes from: `Cell.proven_lower_bound`.

    ``linear``: 2 (``M >= 2`` or continuous inputs; 1 for a one-symbol alphabet). ``bilinear``: every RAC lower
    bound (Start-End: the shallow theorem for ``L = 1``, the depth-2 theorem for ``L = 2``). The RAC: Theorem 1.
    Others: ``None`` (see the module notes).
    """
    domain = check_domain(domain)
    parse_partition(partition, T)
    return cell.proven_lower_bound(T, domain=domain, partition=partition)
