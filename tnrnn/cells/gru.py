r"""The GRU with polynomial activations (``gru``), and the Taylor activations the gated cells share.

A sigmoid or a tanh makes a separation rank infinite in general, so the exact object is the cell whose activations
are their Taylor polynomials of degree ``d`` at 0 (`ACTIVATIONS`)::

    d = 1:   σ(a) = 1/2 + a/4,                 tanh(a) = a
    d = 3:   σ(a) = 1/2 + a/4 - a^3/48,        tanh(a) = a - a^3/3

The rational coefficients are constants of the cell (`tnrnn.cells.arith`, ``const``): floats in the float model,
``numerator * denominator^{-1} mod p`` in the exact arithmetics (every prime the engine uses is far above 3).

**The update** of layer ``l`` at step ``t`` (``u = h^{t-1,l}``, ``v = h^{t,l-1}``, ``v = x^t`` for ``l = 1``), the
convention of the trainable `tnrnn.cells.layers.GRUCell` (reset gate applied after ``U_n u``, as in cuDNN and
PyTorch), with the PyTorch hidden bias ``b_hn`` inside the reset product (``b_hn = 0`` is the trainable cell)::

    z = σ(W_z v + U_z u + b_z)                  update gate
    r = σ(W_r v + U_r u + b_r)                  reset gate
    n = tanh(W_n v + r ⊙ (U_n u + b_hn) + b_n)  candidate
    h = (1 - z) ⊙ n + z ⊙ u                     h^{0,l} = 0;   y = W^O h^{T,L}

Parameters per layer: ``W_z, W_r, W_n`` ``(R, D_l)``, ``U_z, U_r, U_n`` ``(R, R)``, ``b_z, b_r, b_n, b_hn``
``(R,)``; ``W_O`` ``(K, R)``. No tensor-network product form (``network_form = None``): ``tnrnn draw`` and ``cut``
refuse the cell. Its proven upper bounds come from counting degrees in the step (`tnrnn.cells.bounds`); the
derivation and the worked degrees are on the theory page (section "Gated cells").
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from tnrnn._types import ArgumentError
from tnrnn.cells.base import register_cell
from tnrnn.cells.polynomial import _StateCell

__all__ = ["GRU", "ACTIVATIONS", "ACT_DEGREES", "check_act_degree", "sigmoid_poly", "tanh_poly", "taylor"]

_F = Fraction
#: Taylor coefficients at 0 (constant term first) of the activations, by activation degree ``d``
ACTIVATIONS = {
    "sigmoid": {1: (_F(1, 2), _F(1, 4)), 3: (_F(1, 2), _F(1, 4), _F(0), _F(-1, 48))},
    "tanh": {1: (_F(0), _F(1)), 3: (_F(0), _F(1), _F(0), _F(-1, 3))},
}
#: the activation degrees a gated cell accepts
ACT_DEGREES = (1, 3)


def taylor(ar, a, coefficients, n: int):
    """``sum_k c_k a^k`` by Horner's rule on an arithmetic, for a vector ``a`` of ``n`` channels.

    Zero coefficients add nothing (so ``tanh`` of degree 1 is ``1 * a``, and a degree counter sees no constant term).
    """
    acc = None
    for c in reversed(coefficients):
        if acc is not None:
            acc = ar.mul(acc, a)
        if c != 0:
            term = ar.const(c, n, a)
            acc = term if acc is None else ar.add(acc, term)
    return acc


def sigmoid_poly(ar, a, d: int, n: int):
    """The degree-``d`` Taylor polynomial of the logistic sigmoid at 0, on a vector ``a`` of ``n`` channels."""
    return taylor(ar, a, ACTIVATIONS["sigmoid"][d], n)


def tanh_poly(ar, a, d: int, n: int):
    """The degree-``d`` Taylor polynomial of tanh at 0, on a vector ``a`` of ``n`` channels."""
    return taylor(ar, a, ACTIVATIONS["tanh"][d], n)


def check_act_degree(value) -> int:
    """``value`` if it is an activation degree the gated cells accept (`ACT_DEGREES`), else `ArgumentError`."""
    if isinstance(value, bool) or value not in ACT_DEGREES:
        raise ArgumentError("act_degree", value, "one of " + ", ".join(map(str, ACT_DEGREES)))
    return int(value)


@register_cell
@dataclasses.dataclass(frozen=True)
class GRU(_StateCell):
    """The GRU with degree-``act_degree`` Taylor activations (see the module notes), ``h^{0,l} = 0``.

    Attributes
    ----------
    act_degree : int
        Degree of the Taylor polynomials of sigmoid and tanh: 1 or 3 (`ACT_DEGREES`).
    """

    act_degree: int = 1

    name = "gru"
    first_step = "h^{0,l} = 0, so z, r, n are affine in v (d = 1) and h^{1,l} = (1 - z) ⊙ n"

    def __post_init__(self):
        super().__post_init__()
        check_act_degree(self.act_degree)

    # -- the trainable form: the GRU itself, with its true sigmoid and tanh (these Taylor polynomials' origin) --
    trainable = True
    readout_bias = True

    @classmethod
    def trainable_layer(cls, D: int, R: int, *, key, dtype=None, first: bool = True):
        """`tnrnn.cells.layers.GRUCell`: the float GRU (sigmoid, tanh; ``b_hn = 0``) of the memory experiments."""
        from tnrnn.cells.layers import GRUCell

        return GRUCell.init(D, R, key=key, **({} if dtype is None else {"dtype": dtype}))

    @classmethod
    def layer_param_shapes(cls, D: int, R: int) -> dict[str, tuple[int, ...]]:
        """The trainable layer's arrays, stacked (update, reset, candidate).

        ``W`` ``(3R, D)``, ``U`` ``(3R, R)``, ``b`` ``(3R,)``.
        """
        return {"W": (3 * R, D), "U": (3 * R, R), "b": (3 * R,)}

    def param_shapes(self) -> dict:
        R, L = self.R, self.L
        mats = {f"W_{g}": tuple((R, D) for D in self._D()) for g in "zrn"}
        hid = {f"U_{g}": tuple((R, R) for _ in range(L)) for g in "zrn"}
        vec = {f"b_{g}": tuple((R,) for _ in range(L)) for g in ("z", "r", "n", "hn")}
        return {**mats, **hid, **vec, "W_O": (self.K, R)}

    def layer(self, params, l, u, v, ar):
        d, R = self.act_degree, self.R

        def pre(g):  # W_g v + U_g u + b_g
            a = ar.matvec(params[f"U_{g}"][l], u)
            return ar.add(ar.add(ar.matvec(params[f"W_{g}"][l], v), a), ar.param(params[f"b_{g}"][l], a))

        z = sigmoid_poly(ar, pre("z"), d, R)
        r = sigmoid_poly(ar, pre("r"), d, R)
        un = ar.matvec(params["U_n"][l], u)
        gated = ar.mul(r, ar.add(un, ar.param(params["b_hn"][l], un)))
        wn = ar.matvec(params["W_n"][l], v)
        n = tanh_poly(ar, ar.add(ar.add(wn, gated), ar.param(params["b_n"][l], wn)), d, R)
        keep = ar.add(ar.const(1, R, z), ar.mul(ar.const(-1, R, z), z))  # 1 - z
        return ar.add(ar.mul(keep, n), ar.mul(z, u))
