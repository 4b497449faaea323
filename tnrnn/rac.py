"""Recurrent Arithmetic Circuits (RACs), shallow and deep, in JAX, plus an exact modular twin.

The recurrence is defined once, in `tnrnn.cells.rac` (see there for the first-step convention
``W^{H,l} h^{0,l} := 1``)::

    h^{t,0} = f(x^t) in R^M
    h^{t,l} = (W^{H,l} h^{t-1,l}) ⊙ (W^{I,l} h^{t,l-1}),   l = 1..L, t = 1..T
    y       = W^O h^{T,L}

This module runs it in float JAX: `rac_step` is one time step over all layers (`tnrnn.cells.Rac.step` on
`tnrnn.cells.FloatArith`), and the sequence is a `jax.lax.scan` outside it. The carry of layer ``l`` is the
*recurrent contribution* ``g^l = W^{H,l} h^{t,l}``, initialised to ones.

`ModularRAC` (deprecated) runs the same step on integers modulo a prime ``p`` with numpy ``int64``. The exact
paths now take the cell itself: ``tnrnn.cells.Rac(M, R, L)`` with its `tnrnn.cells.Cell.random_residues`, run on
`tnrnn.cells.NumpyModular` (`tnrnn.cells.Cell.modular_forward`, `tnrnn.rank.evaluation_matrix`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from tnrnn._jax_types import Array
from tnrnn._types import ArgumentError, check_positive_int
from tnrnn.cells.arith import FloatArith, NumpyModular
from tnrnn.cells.base import jax_pytrees
from tnrnn.cells.rac import RAC, Rac, _RACSizes, float_scan
from tnrnn.primes import is_prime as _is_prime
from tnrnn.primes import largest_primes_below

jax_pytrees()

__all__ = [
    "RAC",
    "init_rac",
    "rac_step",
    "rac_forward",
    "rac_outputs",
    "rac_forward_batch",
    "one_hot",
    "ModularRAC",
    "max_safe_prime",
    "largest_primes_below",
]

RACSizes = _RACSizes  # kept for code that imported it from here
_JNP = FloatArith(jnp)


def _cell(model) -> Rac:
    return Rac(model.M, model.R, model.L, model.K)


def init_rac(M: int, R: int, L: int, *, key: Array, K: int = 1, dtype=None) -> RAC:
    """Random RAC with Gaussian weights of variance ``1 / fan_in``.

    Parameters
    ----------
    M, R, L : int
        Input dimension, width (hidden channels per layer) and depth.
    key : jax.Array
        PRNG key (keyword-only).
    K : int
        Number of outputs.
    dtype : optional
        Floating dtype; defaults to JAX's default float (float64 under x64).
    """
    M, R, L, K = (check_positive_int(n, v) for n, v in (("M", M), ("R", R), ("L", L), ("K", K)))
    dtype = dtype or jnp.result_type(float)
    keys = jax.random.split(key, 2 * L + 1)

    def normal(k, shape):
        return jax.random.normal(k, shape, dtype) / math.sqrt(shape[1])

    W_I = tuple(normal(keys[l], (R, M if l == 0 else R)) for l in range(L))
    W_H = tuple(normal(keys[L + l], (R, R)) for l in range(L))
    return RAC(W_I=W_I, W_H=W_H, W_O=normal(keys[2 * L], (K, R)))  # key order kept from version 1


def initial_carry(model: RAC, batch_shape: tuple[int, ...] = ()) -> tuple[Array, ...]:
    """The carry before step 1: every ``W^{H,l} h^{0,l}`` is the all-ones vector."""
    return tuple(jnp.ones((*batch_shape, model.R), model.W_O.dtype) for _ in range(model.L))


def rac_step(model: RAC, carry: tuple[Array, ...], x: Array) -> tuple[tuple[Array, ...], Array]:
    """One time step through all layers.

    Parameters
    ----------
    carry : tuple of arrays
        ``g^l = W^{H,l} h^{t-1,l}`` for each layer.
    x : array
        ``f(x^t)``, shape ``(M,)``.

    Returns
    -------
    (new_carry, h_top)
        The next carry and ``h^{t,L}``.
    """
    return _cell(model).step(model, tuple(carry), x, _JNP)


_scan = float_scan  # ``(final carry, h^{t,L} of every step)``, by `jax.lax.scan` over the one RAC step


def rac_outputs(model: RAC, xs: Array) -> Array:
    """Outputs ``y^t = W^O h^{t,L}`` at every step, shape ``(T, K)``."""
    return _scan(model, xs)[1] @ model.W_O.T


def rac_forward(model: RAC, xs: Array) -> Array:
    """The output at the last step, shape ``(K,)``, for ``xs`` of shape ``(T, M)``."""
    return model.W_O @ _scan(model, xs)[1][-1]


def rac_forward_batch(model: RAC, xs: Array) -> Array:
    """`rac_forward` over a batch ``(B, T, M)``, shape ``(B, K)``."""
    return jax.vmap(rac_forward, in_axes=(None, 0))(model, xs)


def one_hot(symbols, M: int, dtype=None) -> Array:
    """The one-hot representation ``f(x) = e_x`` of integer symbols in ``0..M-1``."""
    return jax.nn.one_hot(jnp.asarray(symbols), M, dtype=dtype or jnp.result_type(float))


# ---------------------------------------------------------------------------------------------------------------
# Exact arithmetic modulo a prime


def max_safe_prime_bound(width: int) -> int:
    """Largest ``p`` with ``width * p**2 < 2**63``, so no int64 dot product of residues overflows."""
    width = check_positive_int("width", width)
    return math.isqrt((2**63 - 1) // width)


def max_safe_prime(width: int) -> int:
    """The largest prime ``p`` with ``width * p**2 < 2**63`` (see the module notes)."""
    return largest_primes_below(max_safe_prime_bound(width) + 1, 1)[0]


@dataclasses.dataclass(frozen=True)
class ModularRAC(_RACSizes):
    """Deprecated: the RAC recurrence over the integers modulo a prime ``p`` (numpy ``int64``).

    Use the cell instead: ``Rac(M, R, L, K)`` with `tnrnn.cells.Cell.random_residues` and
    `tnrnn.cells.Cell.modular_forward` (or `tnrnn.rank.evaluation_matrix` with `tnrnn.cells.NumpyModular`).
    Constructing one emits a `DeprecationWarning`; it will be removed in the next release.

    Weights are residues in ``[0, p)``. Requires ``max(M, R, K) * (p - 1)**2 < 2**63`` (checked), so every
    reduced dot product fits in ``int64``.
    """

    W_I: tuple[np.ndarray, ...]
    W_H: tuple[np.ndarray, ...]
    W_O: np.ndarray
    p: int

    def __post_init__(self):
        warnings.warn(
            "tnrnn.rac.ModularRAC is deprecated; use the cell tnrnn.cells.Rac(M, R, L, K) with "
            "random_residues / modular_forward, or tnrnn.rank.evaluation_matrix with tnrnn.cells.NumpyModular",
            DeprecationWarning,
            stacklevel=3,
        )
        width = max(self.M, self.R, self.K)
        if not _is_prime(self.p) or self.p > max_safe_prime_bound(width):
            raise ArgumentError(
                "p", self.p, f"a prime <= {max_safe_prime_bound(width)} (so that {width} * (p-1)^2 < 2^63)"
            )

    @classmethod
    def random(cls, M: int, R: int, L: int, *, p: int, seed: int, K: int = 1) -> ModularRAC:
        """Uniformly random residues as weights (generic with probability ``>= 1 - degree / p``)."""
        rng = np.random.default_rng(seed)
        W_I = tuple(rng.integers(0, p, (R, M if l == 0 else R), dtype=np.int64) for l in range(L))
        W_H = tuple(rng.integers(0, p, (R, R), dtype=np.int64) for _ in range(L))
        return cls(W_I=W_I, W_H=W_H, W_O=rng.integers(0, p, (K, R), dtype=np.int64), p=p)

    @classmethod
    def from_rac(cls, model: RAC, p: int) -> ModularRAC:
        """Reduce a RAC whose weights are integers modulo ``p``."""

        def red(a):
            a = np.asarray(a)
            if not np.all(a == np.round(a)):
                raise ArgumentError("model", "non-integer weights", "integer-valued weights")
            return np.mod(a.astype(np.int64), p)

        return cls(tuple(map(red, model.W_I)), tuple(map(red, model.W_H)), red(model.W_O), p)

    def matvec(self, W: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``W @ v (mod p)`` over the last axis of ``v``, exact in int64."""
        return NumpyModular(self.p).matvec(W, v)

    def initial_carry(self, batch_shape: tuple[int, ...] = ()) -> tuple[np.ndarray, ...]:
        return tuple(np.ones((*batch_shape, self.R), np.int64) for _ in range(self.L))

    def step(self, carry: Sequence[np.ndarray], x: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """One step over all layers; ``x`` has shape ``(..., M)`` and broadcasts against the carry."""
        return _cell(self).step(self, tuple(carry), x, NumpyModular(self.p))

    def run(self, xs: np.ndarray, carry=None) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """Run over ``xs`` of shape ``(..., t, M)``; returns the final carry and ``h^{t,L}``."""
        xs = np.asarray(xs, np.int64) % self.p
        if carry is None:
            carry = self.initial_carry(xs.shape[:-2])
        h = None
        for t in range(xs.shape[-2]):
            carry, h = self.step(carry, xs[..., t, :])
        return carry, h

    def output(self, h_top: np.ndarray) -> np.ndarray:
        """``y = W^O h^{T,L} (mod p)``, shape ``(..., K)``."""
        return self.matvec(self.W_O, h_top)

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        _, h = self.run(xs)
        return self.output(h)
