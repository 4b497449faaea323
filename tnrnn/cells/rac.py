"""The Recurrent Arithmetic Circuit (RAC), defined once.

::

    h^{t,0} = f(x^t) in R^M
    h^{t,l} = (W^{H,l} h^{t-1,l}) ⊙ (W^{I,l} h^{t,l-1}),   l = 1..L, t = 1..T
    y       = W^O h^{T,L}

First step: ``W^{H,l} h^{0,l} := 1`` (the all-ones vector), so ``h^{1,l} = W^{I,l} h^{1,l-1}``. The carry of layer
``l`` is the *recurrent contribution* ``g^l = W^{H,l} h^{t,l}``, initialised to ones. A generic ``h^0`` gives the
same separation ranks: ``W^{H,l} h^{0,l}`` is then a generic vector ``v`` that scales the rows of ``W^{I,l}`` at
``t = 1`` by ``diag(v)``, an invertible change the generic-weight argument absorbs (tested).

`rac_layer` is the recurrence itself; `Rac.step` stacks it over the layers, and every other user (the float model
`tnrnn.rac`, the exact rank kernel, the trainable memory-task RAC with its RMS normalisation) calls one of the two.
"""

from __future__ import annotations

import dataclasses

from tnrnn._types import parse_partition
from tnrnn.bounds import conjectured_lower_bound, lower_bound, proven_upper_bounds
from tnrnn.cells._rac_layer import rac_layer
from tnrnn.cells.base import Cell, register_cell, register_params

__all__ = ["Rac", "RAC", "rac_layer", "float_scan"]


class _RACSizes:
    """Sizes read from the weight shapes (``W_I[0]: (R, M)``, ``W_O: (K, R)``): static under `jax.jit`."""

    @property
    def M(self) -> int:
        return self.W_I[0].shape[1]

    @property
    def R(self) -> int:
        return self.W_O.shape[1]

    @property
    def L(self) -> int:
        return len(self.W_I)

    @property
    def K(self) -> int:
        return self.W_O.shape[0]


@register_params
@dataclasses.dataclass(frozen=True)
class RAC(_RACSizes):
    """The parameters of a depth-``L`` RAC as an immutable pytree (a JAX pytree when JAX is present).

    Attributes
    ----------
    W_I : tuple of arrays
        Input matrices, ``W_I[0]`` of shape ``(R, M)`` and ``W_I[l]`` of shape ``(R, R)`` for ``l >= 1``.
    W_H : tuple of arrays
        Hidden-to-hidden matrices, each ``(R, R)``.
    W_O : array
        Output matrix ``(K, R)``.

    The arrays may be JAX or numpy arrays, floats or integer residues; sizes are read from their shapes, so they
    are static under `jax.jit`. Calling a float model runs `tnrnn.rac.rac_forward`.
    """

    W_I: tuple
    W_H: tuple
    W_O: object

    def __call__(self, xs):
        """The output ``y = W^O h^{T,L}`` for one sequence ``xs`` of shape ``(T, M)`` (as `tnrnn.rac.rac_forward`)."""
        return self.W_O @ float_scan(self, xs)[1][-1]


@register_cell
@dataclasses.dataclass(frozen=True)
class Rac(Cell):
    """The RAC on the cell protocol (`tnrnn.cells.base.Cell`); parameters are a `RAC`."""

    name = "rac"
    first_step = "W^{H,l} h^{0,l} := 1 (all ones), so h^{1,l} = W^{I,l} h^{1,l-1}"
    network_form = "rac"
    trainable = True

    @classmethod
    def trainable_layer(cls, D: int, R: int, *, key, dtype=None, first: bool = True):
        """`tnrnn.cells.layers.RACCell`: one RAC layer, RMS-normalised (the classifier is the RAC's)."""
        from tnrnn.cells.layers import RACCell

        return RACCell.init(D, R, key=key, first=first, **({} if dtype is None else {"dtype": dtype}))

    def param_shapes(self) -> dict:
        M, R, L, K = self.M, self.R, self.L, self.K
        return {
            "W_I": tuple((R, M if l == 0 else R) for l in range(L)),
            "W_H": tuple((R, R) for _ in range(L)),
            "W_O": (K, R),
        }

    def make_params(self, **arrays) -> RAC:
        return RAC(W_I=tuple(arrays["W_I"]), W_H=tuple(arrays["W_H"]), W_O=arrays["W_O"])

    def initial_carry(self, params, ar, like):
        return tuple(ar.ones(self.R, like) for _ in range(self.L))

    def step(self, params, carry, x, ar, post=None):
        inp, new = x, []
        for W_I, W_H, g in zip(params.W_I, params.W_H, carry, strict=True):
            g, inp = rac_layer(ar, W_I, W_H, g, inp, post)
            new.append(g)
        return tuple(new), inp

    def readout(self, params, h, ar):
        return ar.matvec(params.W_O, h)

    # -- bounds: the closed forms of `tnrnn.bounds` (Theorem 1, the conjecture, the proven upper bounds) --------
    def proven_upper_bounds(self, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
        """`tnrnn.bounds.proven_upper_bounds`: the degree, state (Start-End) and alphabet (one-hot) closed forms."""
        return proven_upper_bounds(self.M, self.R, self.L, T, domain=domain, partition=partition)

    def proven_lower_bound(self, T: int, *, domain: str, partition="start-end") -> tuple[int | None, str]:
        """Theorem 1 for the Start-End partition (`tnrnn.bounds.lower_bound`: ``L = 1`` and ``L = 2``)."""
        if not parse_partition(partition, T).is_start_end:
            return None, "no proven lower bound for a partition other than Start-End (Theorem 1 is about Start-End)"
        return lower_bound(self.M, self.R, self.L, T)

    def conjectured_lower_bound(self, T: int, *, partition="start-end") -> int | None:
        """The depth-``L`` conjecture (`tnrnn.bounds.conjectured_lower_bound`) for Start-End and ``L >= 2``."""
        if self.L < 2 or not parse_partition(partition, T).is_start_end:
            return None
        return conjectured_lower_bound(self.M, self.R, self.L, T)

    def cap_log2_lower(self, partition) -> float | None:
        """`tnrnn.sizes.rac_cap_log2_lower`: from the alphabet and state bounds, in O(1) time."""
        from tnrnn.sizes import rac_cap_log2_lower

        return rac_cap_log2_lower(self.M, self.R, self.L, partition)


def float_scan(model: RAC, xs):
    """``(final carry, h^{t,L} of every step)`` of a float RAC over ``xs`` ``(T, M)``: `jax.lax.scan` over `Rac.step`.

    The carry starts at the all-ones vector in the dtype of ``W^O``. `tnrnn.rac.rac_forward` and
    `tnrnn.rac.rac_outputs` read their outputs from it.
    """
    import jax
    import jax.numpy as jnp

    from tnrnn.cells.arith import FloatArith

    ar = FloatArith(jnp)
    cell = Rac(model.M, model.R, model.L, model.K)
    carry = tuple(jnp.ones(model.R, model.W_O.dtype) for _ in range(model.L))
    return jax.lax.scan(lambda c, x: cell.step(model, c, x, ar), carry, xs)
