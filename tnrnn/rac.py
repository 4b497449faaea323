"""Recurrent Arithmetic Circuits (RACs), shallow and deep, in JAX, plus an exact modular twin.

The recurrence (papers/long_term_memory_deep_rnn.md §1.2)::

    h^{t,0} = f(x^t) in R^M
    h^{t,l} = (W^{H,l} h^{t-1,l}) ⊙ (W^{I,l} h^{t,l-1}),   l = 1..L, t = 1..T
    y       = W^O h^{T,L}

First step: ``W^{H,l} h^{0,l} := 1`` (the all-ones vector), so ``h^{1,l} = W^{I,l} h^{1,l-1}``.
The RAC never reads ``h^0`` otherwise (the authors' code fills it with NaN), and a generic ``h^0`` gives the
same separation ranks (notes §1.3, checked there on six size settings; `tests/test_rac.py` checks it again):
``W^{H,l} h^{0,l}`` is then a generic vector ``v``, which scales the rows of ``W^{I,l}`` at ``t = 1`` by
``diag(v)``, an invertible change that the generic-weight argument absorbs.

The cell (`rac_step`) is one time step over all layers; the sequence is a `jax.lax.scan` outside it. The carry of
layer ``l`` is the *recurrent contribution* ``g^l = W^{H,l} h^{t,l}``, initialised to ones.

`ModularRAC` evaluates the same recurrence on integers modulo a prime ``p`` with numpy ``int64``. It is what the
exact rank engine (`tnrnn.rank`) uses. Overflow is ruled out by requiring ``max(M, R, K) * (p - 1)**2 < 2**63``:
every matrix-vector product sums at most ``max(M, R)`` products of two residues before it is reduced.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from tnrnn._types import ArgumentError, check_positive_int

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

Array = jax.Array


class RACSizes:
    """Sizes read from the weight shapes (``W_I[0]: (R, M)``, ``W_O: (K, R)``): static under `jax.jit`."""

    W_I: tuple
    W_O: object

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


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RAC(RACSizes):
    """A depth-``L`` Recurrent Arithmetic Circuit as an immutable JAX pytree.

    Attributes
    ----------
    W_I : tuple of arrays
        Input matrices, ``W_I[0]`` of shape ``(R, M)`` and ``W_I[l]`` of shape ``(R, R)`` for ``l >= 1``.
    W_H : tuple of arrays
        Hidden-to-hidden matrices, each ``(R, R)``.
    W_O : array
        Output matrix ``(K, R)``.

    Sizes are read from the array shapes, so they are static under `jax.jit`.
    """

    W_I: tuple[Array, ...]
    W_H: tuple[Array, ...]
    W_O: Array

    def __call__(self, xs: Array) -> Array:
        """The output ``y = W^O h^{T,L}`` for one sequence ``xs`` of shape ``(T, M)``."""
        return rac_forward(self, xs)


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
    return RAC(W_I=W_I, W_H=W_H, W_O=normal(keys[2 * L], (K, R)))


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
    inp = x
    new = []
    for W_I, W_H, g in zip(model.W_I, model.W_H, carry, strict=True):
        h = g * (W_I @ inp)
        new.append(W_H @ h)
        inp = h
    return tuple(new), inp


def rac_outputs(model: RAC, xs: Array) -> Array:
    """Outputs ``y^t = W^O h^{t,L}`` at every step, shape ``(T, K)``."""

    def body(carry, x):
        carry, h = rac_step(model, carry, x)
        return carry, model.W_O @ h

    _, ys = jax.lax.scan(body, initial_carry(model), xs)
    return ys


def rac_forward(model: RAC, xs: Array) -> Array:
    """The output at the last step, shape ``(K,)``, for ``xs`` of shape ``(T, M)``."""

    def body(carry, x):
        carry, h = rac_step(model, carry, x)
        return carry, h

    _, hs = jax.lax.scan(body, initial_carry(model), xs)
    return model.W_O @ hs[-1]


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


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    for q in small:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in small:  # deterministic for n < 3.3e24
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def largest_primes_below(bound: int, count: int) -> list[int]:
    """The ``count`` largest primes ``< bound`` (descending)."""
    out, n = [], bound - 1
    while len(out) < count and n >= 2:
        if _is_prime(n):
            out.append(n)
        n -= 1
    return out


def max_safe_prime(width: int) -> int:
    """The largest prime ``p`` with ``width * p**2 < 2**63`` (see the module notes)."""
    return largest_primes_below(max_safe_prime_bound(width) + 1, 1)[0]


@dataclasses.dataclass(frozen=True)
class ModularRAC(RACSizes):
    """The RAC recurrence over the integers modulo a prime ``p`` (numpy ``int64``), for exact ranks.

    Weights are residues in ``[0, p)``. Requires ``max(M, R, K) * (p - 1)**2 < 2**63`` (checked), so every
    reduced dot product fits in ``int64``.
    """

    W_I: tuple[np.ndarray, ...]
    W_H: tuple[np.ndarray, ...]
    W_O: np.ndarray
    p: int

    def __post_init__(self):
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
        out = np.matmul(v, W.T)
        return np.remainder(out, self.p, out=out)

    def initial_carry(self, batch_shape: tuple[int, ...] = ()) -> tuple[np.ndarray, ...]:
        return tuple(np.ones((*batch_shape, self.R), np.int64) for _ in range(self.L))

    def step(self, carry: Sequence[np.ndarray], x: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """One step over all layers; ``x`` has shape ``(..., M)`` and broadcasts against the carry."""
        inp, new = x, []
        for W_I, W_H, g in zip(self.W_I, self.W_H, carry, strict=True):
            h = np.multiply(g, self.matvec(W_I, inp))
            np.remainder(h, self.p, out=h)
            new.append(self.matvec(W_H, h))
            inp = h
        return tuple(new), inp

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
