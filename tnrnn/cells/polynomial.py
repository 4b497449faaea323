"""Polynomial recurrent cells beyond the RAC.

The cells: second-order (bilinear), multiplicative integration, squared activation and linear.

Layer ``l`` at step ``t`` reads ``u = h^{t-1,l}`` (its own previous state) and ``v = h^{t,l-1}`` (the layer below at
the same step, ``v = x^t`` for ``l = 1``); the output is ``y = W^O h^{T,L}``. Every weight is generic.

==============  ==================================================================  ===========================
name            update                                                              first step
==============  ==================================================================  ===========================
``bilinear``    ``h_r = sum_{i,j} A[r,i,j] u_i v_j`` (a full order-3 tensor per     ``u := 1`` (all ones)
                layer; the RAC is its CP-rank-``R`` case)
``mi``          ``h = α ⊙ (W^H u) ⊙ (W^I v) + β1 ⊙ (W^H u) + β2 ⊙ (W^I v) + b``      ``h^{0,l} = 0``
``quad``        ``h = (W^H u + W^I v + b)^{⊙2}``                                    ``h^{0,l} = 0``
``linear``      ``h = W^H u + W^I v``                                               ``h^{0,l} = 0``
==============  ==================================================================  ===========================

Each cell is written once against the arithmetic interface (`tnrnn.cells.arith`), so the same ``step`` runs in
float (training, the forward pass the tensor networks are checked against), exactly modulo a prime (the rank
engine's jitted kernel and its numpy reference) and on degree-counting arithmetics (the Schwartz-Zippel degree of
a certificate and the proven bounds of `tnrnn.cells.bounds`). The carry of every cell here is the list of layer
states ``h^{t-1,l}``; a cell with ``h^{0,l} = 0`` starts from the zero vector, so its first step sees ``u = 0``.

Parameters are plain dicts of arrays (JAX pytrees as they are); per-layer weights are tuples indexed by layer,
``W_I[0]`` of shape ``(R, M)`` and ``W_I[l]`` of shape ``(R, R)`` for ``l >= 1``.

Bounds (`tnrnn.cells.bounds`) and tensor networks (`tnrnn.build.build_cell_network`) read the cell's
``network_form``: ``"bilinear"`` (a full core ``(R, R, D)`` per step), ``"homogenised"`` (a full core on vectors
with a constant channel appended, bond ``R + 1``), ``"squared"`` (a copy tensor joining two copies of a
homogenised affine core) or ``None`` (no product form, no network).
"""

from __future__ import annotations

import dataclasses

from tnrnn._types import parse_partition
from tnrnn.cells.base import Cell, register_cell

__all__ = ["Bilinear", "MultiplicativeIntegration", "Quadratic", "Linear", "layer_inputs"]


def layer_inputs(M: int, R: int, L: int) -> tuple[int, ...]:
    """The input dimension ``D_l`` of every layer: ``M`` for the first, ``R`` above it."""
    return tuple(M if l == 0 else R for l in range(L))


class _StateCell(Cell):
    """A stacked cell whose carry is the tuple of layer states and whose readout is ``W^O h^{T,L}``.

    Subclasses define ``layer(params, l, u, v, ar)`` (one layer at one step) and ``initial_state(ar, like)``.
    """

    def _D(self) -> tuple[int, ...]:
        return layer_inputs(self.M, self.R, self.L)

    def initial_state(self, ar, like):
        return ar.zeros(self.R, like)

    def initial_carry(self, params, ar, like):
        return tuple(self.initial_state(ar, like) for _ in range(self.L))

    def step(self, params, carry, x, ar, post=None):
        """One step through every layer, as in `tnrnn.cells.rac.Rac.step`.

        ``post`` (optional) maps each new layer state before it is stored and fed on (the trainable cells' RMS
        normalisation, `tnrnn.tasks.models`).
        """
        v, new = x, []
        for l, u in enumerate(carry):
            v = self.layer(params, l, u, v, ar)
            if post is not None:
                v = post(v)
            new.append(v)
        return tuple(new), v

    def readout(self, params, h, ar):
        return ar.matvec(params["W_O"], h)

    def layer(self, params, l, u, v, ar):  # pragma: no cover - abstract
        raise NotImplementedError


@register_cell
@dataclasses.dataclass(frozen=True)
class Bilinear(_StateCell):
    """Second-order RNN: ``h_r = sum_{i,j} A[r,i,j] u_i v_j`` with a full order-3 tensor ``A^l`` per layer.

    The RAC is the case ``A[r,i,j] = W^H[r,i] W^I[r,j]`` (CP rank ``R``). First step: ``u := 1`` (all ones).
    Parameters: ``A`` (tuple of ``(R, R, D_l)``) and ``W_O`` ``(K, R)``.
    """

    name = "bilinear"
    first_step = "u := 1 (all ones), so h^{1,l}_r = sum_{i,j} A[r,i,j] v_j"
    network_form = "bilinear"
    trainable = True
    normalise = True

    @classmethod
    def layer_init(cls, D: int, R: int, start) -> dict:
        """The RAC's core ``A[r,i,j] = W^H[r,i] W^I[r,j]`` plus 10 % noise."""
        import jax.numpy as jnp

        A = jnp.einsum("ri,rj->rij", start.W_H, start.W_I_rac)
        return {"A": A + start.noise(A.shape, 0.1 * jnp.std(A))}

    def param_shapes(self) -> dict:
        return {"A": tuple((self.R, self.R, D) for D in self._D()), "W_O": (self.K, self.R)}

    def initial_state(self, ar, like):
        return ar.ones(self.R, like)

    def layer(self, params, l, u, v, ar):
        return ar.bilinear(params["A"][l], u, v)

    def width(self) -> int:
        """The widest matrix-vector product of the cell, ``max(R, M, K)``.

        Every arithmetic contracts ``A[r]`` with ``v`` (``D`` products), reduces, then with ``u`` (``R`` products), so
        no sum is wider than ``max(R, D)``.
        """
        return max(self.R, self.M, self.K)

    def proven_lower_bound(self, T: int, *, domain: str, partition="start-end") -> tuple[int | None, str]:
        """Every RAC lower bound (Start-End, ``L <= 2``): ``bilinear`` contains every generic RAC (gauge argument).

        References
        ----------
        `tnrnn.cells.bounds` (module notes, 'Lower bounds') and `tnrnn.bounds.lower_bound` (Theorem 1).
        """
        part = parse_partition(partition, T)
        if part.is_start_end and T % 2 == 0:
            from tnrnn.bounds import lower_bound

            low, theorem = lower_bound(self.M, self.R, self.L, T)
            if low is not None:
                return low, "bilinear contains every generic RAC (gauge argument); " + theorem
        return super().proven_lower_bound(T, domain=domain, partition=partition)


@register_cell
@dataclasses.dataclass(frozen=True)
class MultiplicativeIntegration(_StateCell):
    """Multiplicative integration with identity activation (Wu et al., NIPS 2016).

    The update is::

        h = α ⊙ (W^H u) ⊙ (W^I v) + β1 ⊙ (W^H u) + β2 ⊙ (W^I v) + b,      h^{0,l} = 0.

    Parameters: ``W_H`` ``(R, R)``, ``W_I`` ``(R, D_l)``, ``alpha``, ``beta1``, ``beta2``, ``b`` ``(R,)`` per layer,
    ``W_O`` ``(K, R)``.
    """

    name = "mi"
    first_step = "h^{0,l} = 0, so h^{1,l} = β2 ⊙ (W^I v) + b"
    network_form = "homogenised"
    trainable = True
    normalise = True

    @classmethod
    def layer_init(cls, D: int, R: int, start) -> dict:
        """The RAC's ``W^H``, ``W^I``; ``α = 1``, ``β1 = β2 = 0.5``, ``b = 0`` (Wu et al. 2016)."""
        import jax.numpy as jnp

        zeros = jnp.zeros((R,), jnp.float32)
        return {
            "W_H": start.W_H,
            "W_I": start.W_I_rac,
            "alpha": jnp.ones((R,), jnp.float32),
            "beta1": zeros + 0.5,
            "beta2": zeros + 0.5,
            "b": zeros,
        }

    def param_shapes(self) -> dict:
        R, L = self.R, self.L
        vec = tuple((R,) for _ in range(L))
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, D) for D in self._D()),
            "alpha": vec,
            "beta1": vec,
            "beta2": vec,
            "b": vec,
            "W_O": (self.K, R),
        }

    def layer(self, params, l, u, v, ar):
        a = ar.matvec(params["W_H"][l], u)
        c = ar.matvec(params["W_I"][l], v)
        both = ar.scale(params["alpha"][l], ar.mul(a, c))
        lin = ar.add(ar.scale(params["beta1"][l], a), ar.scale(params["beta2"][l], c))
        return ar.add(ar.add(both, lin), ar.param(params["b"][l], a))


@register_cell
@dataclasses.dataclass(frozen=True)
class Quadratic(_StateCell):
    """RNN with a squared activation: ``h = (W^H u + W^I v + b)^{⊙2}``, ``h^{0,l} = 0``.

    Parameters: ``W_H`` ``(R, R)``, ``W_I`` ``(R, D_l)``, ``b`` ``(R,)`` per layer, ``W_O`` ``(K, R)``.
    """

    name = "quad"
    first_step = "h^{0,l} = 0, so h^{1,l} = (W^I v + b)^{⊙2}"
    network_form = "squared"
    trainable = True
    normalise = True

    @classmethod
    def layer_init(cls, D: int, R: int, start) -> dict:
        """``W^H`` orthogonal, ``W^I ~ N(0, 1/D)``, ``b = 0``."""
        import jax.numpy as jnp

        return {"W_H": start.W_H, "W_I": start.W_I_normal, "b": jnp.zeros((R,), jnp.float32)}

    def param_shapes(self) -> dict:
        R, L = self.R, self.L
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, D) for D in self._D()),
            "b": tuple((R,) for _ in range(L)),
            "W_O": (self.K, R),
        }

    def layer(self, params, l, u, v, ar):
        a = ar.matvec(params["W_H"][l], u)
        z = ar.add(ar.add(a, ar.matvec(params["W_I"][l], v)), ar.param(params["b"][l], a))
        return ar.mul(z, z)


@register_cell
@dataclasses.dataclass(frozen=True)
class Linear(_StateCell):
    """The linear RNN: ``h = W^H u + W^I v``, ``h^{0,l} = 0`` (no activation, no bias).

    The output is linear in the inputs, ``y = sum_t C_t x^t``, so every separation rank is at most 2
    (`tnrnn.cells.bounds`). Parameters: ``W_H`` ``(R, R)``, ``W_I`` ``(R, D_l)`` per layer, ``W_O`` ``(K, R)``.
    """

    name = "linear"
    first_step = "h^{0,l} = 0, so h^{1,l} = W^I v"
    trainable = True  # not normalised: degree 1, and normalising would make the cell nonlinear

    @classmethod
    def layer_init(cls, D: int, R: int, start) -> dict:
        """``W^H`` orthogonal, ``W^I ~ N(0, 1/D)``."""
        return {"W_H": start.W_H, "W_I": start.W_I_normal}

    def param_shapes(self) -> dict:
        R, L = self.R, self.L
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, D) for D in self._D()),
            "W_O": (self.K, R),
        }

    def layer(self, params, l, u, v, ar):
        return ar.add(ar.matvec(params["W_H"][l], u), ar.matvec(params["W_I"][l], v))

    def proven_lower_bound(self, T: int, *, domain: str, partition="start-end") -> tuple[int | None, str]:
        """2 (``M >= 2`` or continuous inputs; 1 for a one-symbol alphabet), for every partition.

        References
        ----------
        `tnrnn.cells.bounds` (module notes, 'Lower bounds'): ``y = f(x_A) + g(x_B)`` with ``f``, ``g``
        non-constant for generic weights.
        """
        parse_partition(partition, T)
        if domain == "onehot" and self.M == 1:
            return 1, "one-symbol alphabet: a single evaluation point"
        return 2, "linear cell: y = f(x_A) + g(x_B) with f, g non-constant for generic weights, so rank = 2"
