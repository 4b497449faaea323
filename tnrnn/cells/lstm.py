r"""The LSTM with polynomial activations (``lstm``): the Taylor sigmoid and tanh of `tnrnn.cells.gru`.

Layer ``l`` at step ``t`` reads its own previous carry ``(u, c) = (h^{t-1,l}, c^{t-1,l})`` and ``v = h^{t,l-1}``
(``v = x^t`` for ``l = 1``)::

    i = σ(W_i v + U_i u + b_i)      input gate
    f = σ(W_f v + U_f u + b_f)      forget gate
    o = σ(W_o v + U_o u + b_o)      output gate
    g = tanh(W_g v + U_g u + b_g)   candidate
    c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')          (h, c)^{0,l} = (0, 0);   y = W^O h^{T,L}

with σ and tanh the degree-``act_degree`` Taylor polynomials at 0 (`tnrnn.cells.gru.ACTIVATIONS`; 1 or 3).
Parameters per layer: ``W_i, W_f, W_o, W_g`` ``(R, D_l)``, ``U_i, U_f, U_o, U_g`` ``(R, R)``, ``b_i, b_f, b_o,
b_g`` ``(R,)``; the readout ``W_O`` ``(K, R)`` (capital ``O``; ``W_o`` is the output gate's). The carry is the tuple
of layer pairs ``(h, c)``, so the state bound of `tnrnn.cells.bounds` counts monomials in both leaves of every
layer. No tensor-network product form: ``tnrnn draw`` and ``cut`` refuse the cell.
"""

from __future__ import annotations

import dataclasses

from tnrnn.cells.base import register_cell
from tnrnn.cells.gru import check_act_degree, sigmoid_poly, tanh_poly
from tnrnn.cells.polynomial import _StateCell

__all__ = ["LSTM"]


@register_cell
@dataclasses.dataclass(frozen=True)
class LSTM(_StateCell):
    """The LSTM with degree-``act_degree`` Taylor activations (see the module notes), ``(h, c)^{0,l} = 0``.

    Attributes
    ----------
    act_degree : int
        Degree of the Taylor polynomials of sigmoid and tanh: 1 or 3.
    """

    act_degree: int = 1

    name = "lstm"
    first_step = "(h, c)^{0,l} = (0, 0), so c^{1,l} = i ⊙ g and h^{1,l} = o ⊙ tanh(i ⊙ g), gates affine in v (d = 1)"

    def __post_init__(self):
        super().__post_init__()
        check_act_degree(self.act_degree)

    def param_shapes(self) -> dict:
        R, L = self.R, self.L
        mats = {f"W_{g}": tuple((R, D) for D in self._D()) for g in "ifog"}
        hid = {f"U_{g}": tuple((R, R) for _ in range(L)) for g in "ifog"}
        vec = {f"b_{g}": tuple((R,) for _ in range(L)) for g in "ifog"}
        return {**mats, **hid, **vec, "W_O": (self.K, R)}

    def initial_carry(self, params, ar, like):
        return tuple((ar.zeros(self.R, like), ar.zeros(self.R, like)) for _ in range(self.L))

    def step(self, params, carry, x, ar):
        v, new = x, []
        for l, (u, c) in enumerate(carry):
            v, c = self.lstm_layer(params, l, u, c, v, ar)
            new.append((v, c))
        return tuple(new), v

    def lstm_layer(self, params, l, u, c, v, ar):
        """One layer at one step: ``(h', c')`` from the layer's carry ``(u, c)`` and its input ``v``."""
        d, R = self.act_degree, self.R

        def pre(g):  # W_g v + U_g u + b_g
            a = ar.matvec(params[f"W_{g}"][l], v)
            return ar.add(ar.add(a, ar.matvec(params[f"U_{g}"][l], u)), ar.param(params[f"b_{g}"][l], a))

        i, f, o = (sigmoid_poly(ar, pre(g), d, R) for g in "ifo")
        g = tanh_poly(ar, pre("g"), d, R)
        c = ar.add(ar.mul(f, c), ar.mul(i, g))
        return ar.mul(o, tanh_poly(ar, c, d, R)), c

    def layer(self, params, l, u, v, ar):  # pragma: no cover - the LSTM's carry is a pair, see `lstm_layer`
        raise NotImplementedError("the LSTM layer needs its cell state: lstm_layer(params, l, u, c, v, ar)")
