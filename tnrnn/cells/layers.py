"""Trainable layers of the cells (`tnrnn.cells.trainable`): the RAC, the polynomial cells, a tanh RNN and a GRU.

Every layer is an immutable pytree (`jax.tree_util.register_dataclass`) holding its weights; calling it is one time
step ``(carry, x) -> (carry, h)``. `tnrnn.tasks.StackedRNN` runs ``depth`` layers per step (layer ``l`` reads layer
``l-1``'s state at the same step, as in `tnrnn.rac` and the authors' ``MultiRNNCell``). Sizes are read from array
shapes (or static fields), so they are static under `jax.jit`. The scoRNN layer is `tnrnn.cells.scornn`.

The trainable RAC
-----------------
The RAC recurrence ``h^{t,l} = (W^{H,l} h^{t-1,l}) ⊙ (W^{I,l} h^{t,l-1})`` has no activation, so the scale of ``h``
grows or shrinks geometrically in ``t`` and float32 training overflows or underflows at the lengths used here.
`RACCell` therefore divides each new state by its root mean square::

    v = g ⊙ (W^{I,l} h^{t,l-1}),   h^{t,l} = v / sqrt(mean(v²) + eps),   g <- W^{H,l} h^{t,l}

with ``g = 1`` (all ones) before the first step, exactly as `tnrnn.rac`. Every layer map is bilinear in
``(h^{t-1,l}, h^{t,l-1})``, so a positive scalar applied to any state only rescales every later state: the
normalised state is the raw RAC state divided by a positive, input-dependent scalar (up to ``eps``). The direction
of ``h^{t,L}``, hence the sign pattern and the arg-max of ``W^O h^{t,L}``, is that of the unnormalised RAC: the
classifier is the multiplicative-integration function of the theory; only the softmax temperature becomes
input-dependent. There is no activation and, following the authors' code, no readout bias. Log-space arithmetic
was the alternative; it needs signed log values for the sums inside ``W h`` and is slower.

The other polynomial cells
--------------------------
`PolynomialCell` is one layer of a `tnrnn.cells` cell (``bilinear``, ``mi``, ``quad``, ``linear``): it holds that
cell's parameters for one layer and calls the cell's own ``step`` (a one-layer cell of sizes ``(D, R, 1)``) with
`tnrnn.cells.FloatArith` on JAX, so the recurrence trained here is the one the rank engine measures. The
readout is ``y = W^O h^{T,L}`` without bias, as in the cells' definition. With the normalisation off
(``normalise=False``) a stacked model computes exactly the cell's float forward pass (`tnrnn.cells.Cell.forward`;
tested). Where the state's scale would overflow in float32 the step's ``post`` hook applies the RMS normalisation
above to every new layer state:

==============  ===========  ============================================================================
cell            normalised   why
==============  ===========  ============================================================================
``bilinear``    yes          bilinear in ``(u, v)`` like the RAC: geometric growth; the normalised state
                             is the raw one divided by a positive scalar, so the classifier is unchanged
``mi``          yes          the product term multiplies two states from depth 2 (degree grows with
                             ``t``); not homogeneous, so the normalised model is the cell followed by a
                             normalisation (as a layer norm would be), not the raw cell
``quad``        yes          the square doubles the degree at every step (``2^t``): overflows within a
                             few dozen steps without it; not homogeneous either
``linear``      no           degree 1: the state grows at most like ``t`` with the orthogonal ``W^H`` of
                             the initialisation, and normalising would make the cell nonlinear
==============  ===========  ============================================================================

Initialisation: ``W^H`` orthogonal; in the first layer ``W^I = 1 ± 0.5`` as for the RAC (``bilinear``, ``mi``) or
``N(0, 1/D)`` (``quad``, ``linear``); the ``bilinear`` core starts at the RAC's, ``A[r,i,j] = W^H[r,i] W^I[r,j]``,
plus 10 % noise; ``mi`` starts at ``α = 1``, ``β1 = β2 = 0.5``, ``b = 0`` (Wu et al. 2016); biases start at 0.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from tnrnn._jax_types import Array
from tnrnn._types import ArgumentError
from tnrnn.cells._names import CELL_REGISTRY
from tnrnn.cells._rac_layer import rac_layer
from tnrnn.cells.arith import FloatArith

__all__ = ["RACCell", "PolynomialCell", "LayerStart", "RNNCell", "GRUCell", "rms_normalise", "orthogonal", "normal"]

_EPS = 1e-6
_FLOAT = FloatArith(jnp)


def rms_normalise(v: Array) -> Array:
    """``v / sqrt(mean(v²) + eps)``: the post-step of the normalised layers (module docstring)."""
    return v * jax.lax.rsqrt(jnp.mean(v * v) + _EPS)


def orthogonal(key, R, dtype):
    """A random orthogonal ``(R, R)`` matrix (QR of a Gaussian, signs fixed), drawn in float32."""
    q, r = jnp.linalg.qr(jax.random.normal(key, (R, R), jnp.float32))
    return (q * jnp.sign(jnp.diagonal(r))[None, :]).astype(dtype)


def normal(key, shape, scale, dtype):
    """Gaussian entries of standard deviation ``scale``, drawn in float32, cast to ``dtype``."""
    return (scale * jax.random.normal(key, shape, jnp.float32)).astype(dtype)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RACCell:
    """One RAC layer, RMS-normalised (module docstring). ``W_I`` is ``(R, D)``, ``W_H`` is ``(R, R)``."""

    W_I: Array
    W_H: Array

    @property
    def R(self) -> int:
        return self.W_H.shape[0]

    @property
    def D(self) -> int:
        return self.W_I.shape[1]

    def prepare(self) -> RACCell:
        """The cell as used inside the time scan (itself; `ScoRNNCell` builds its ``W`` here)."""
        return self

    def initial_carry(self) -> Array:
        """``g = W^H h^0 := 1``."""
        return jnp.ones((self.R,), self.W_H.dtype)

    def __call__(self, g: Array, x: Array) -> tuple[Array, Array]:
        # the one RAC definition (tnrnn.cells.rac_layer), with the RMS normalisation as its post-step
        return rac_layer(_FLOAT, self.W_I, self.W_H, g, x, post=rms_normalise)

    @staticmethod
    def init(D: int, R: int, *, key, dtype=jnp.float32, first: bool = True) -> RACCell:
        # First layer (one-hot inputs): each symbol's gate column starts near one (1 ± 0.5), and W_H is orthogonal,
        # so the product of steps is close to an orthogonal map that carries information over many steps.
        # Upper layers: W_I ~ N(0, 1/R); a near-one gate is impossible there (a linear map of a zero-mean state),
        # and identity + noise trained far worse in a pilot (SES n=4, m=3, T=20, depth 2: chance vs 0.89).
        k1, k2 = jax.random.split(key)
        if first:
            W_I = (1.0 + normal(k1, (R, D), 0.5, jnp.float32)).astype(dtype)
        else:
            W_I = normal(k1, (R, D), 1.0 / math.sqrt(D), dtype)
        return RACCell(W_I=W_I, W_H=orthogonal(k2, R, dtype))

    @staticmethod
    def n_params(D: int, R: int) -> int:
        return R * D + R * R


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PolynomialCell:
    """One layer of a `tnrnn.cells` cell, trained through that cell's ``step`` (module docstring).

    Attributes
    ----------
    params : dict
        The cell's parameters for one layer, named as in its ``param_shapes`` without ``W_O`` (per-layer entries are
        1-tuples, e.g. ``{"A": (A,)}`` for ``bilinear``).
    name : str
        The cell (``bilinear``, ``mi``, ``quad``, ``linear``); static.
    D, R : int
        Input and state sizes of the layer; static.
    normalise : bool
        Whether the step's ``post`` hook RMS-normalises the new state; static.
    """

    params: dict
    name: str = dataclasses.field(metadata={"static": True})
    D: int = dataclasses.field(metadata={"static": True})
    R: int = dataclasses.field(metadata={"static": True})
    normalise: bool = dataclasses.field(default=True, metadata={"static": True})

    @property
    def cell(self):
        """The one-layer protocol cell whose ``step`` this layer runs."""
        return CELL_REGISTRY.lookup(self.name)(self.D, self.R, 1)

    def prepare(self) -> PolynomialCell:
        return self

    def initial_carry(self):
        """The cell's own first-step convention (ones for ``bilinear``, zeros otherwise)."""
        dtype = jax.tree_util.tree_leaves(self.params)[0].dtype
        return self.cell.initial_carry(self.params, _FLOAT, jnp.zeros((self.D,), dtype))

    def __call__(self, carry, x: Array):
        return self.cell.step(self.params, carry, x, _FLOAT, post=rms_normalise if self.normalise else None)

    @staticmethod
    def layer_shapes(name: str, D: int, R: int) -> dict:
        """Parameter shapes of one layer, each a 1-tuple (the cell's `layer_param_shapes`)."""
        return {k: (v,) for k, v in CELL_REGISTRY.lookup(name).layer_param_shapes(D, R).items()}

    @staticmethod
    def init(name: str, D: int, R: int, *, key, dtype=None, first: bool = True) -> PolynomialCell:
        """A random layer of the cell ``name``, from the arrays of its ``layer_init`` (`LayerStart`)."""
        cls = CELL_REGISTRY.lookup(name)
        dtype = jnp.float32 if dtype is None else dtype
        k1, k2, k3 = jax.random.split(key, 3)
        rac = RACCell.init(D, R, key=k1, dtype=jnp.float32, first=first)
        W_I_normal = normal(k2, (R, D), 1.0 / math.sqrt(D), jnp.float32)
        start = LayerStart(W_H=rac.W_H, W_I_rac=rac.W_I if first else W_I_normal, W_I_normal=W_I_normal, key=k3)
        p = cls.layer_init(D, R, start)
        shapes = PolynomialCell.layer_shapes(name, D, R)
        if set(p) != set(shapes) or any((p[k].shape,) != shapes[k] for k in p):  # pragma: no cover - a new cell
            raise ArgumentError("cell", name, "a cell whose layer_init returns its layer's parameter shapes")
        params = {k: (p[k].astype(dtype),) for k in shapes}
        return PolynomialCell(params=params, name=name, D=D, R=R, normalise=cls.normalise)

    @staticmethod
    def n_params(name: str, D: int, R: int) -> int:
        return CELL_REGISTRY.lookup(name).layer_param_count(D, R)


@dataclasses.dataclass(frozen=True)
class LayerStart:
    """What a polynomial cell's trainable layer starts from (`tnrnn.cells.Cell.layer_init`), all float32.

    Attributes
    ----------
    W_H : array ``(R, R)``
        Orthogonal (the RAC's).
    W_I_rac : array ``(R, D)``
        The RAC's input matrix: ``1 ± 0.5`` in the first layer (one-hot inputs), ``W_I_normal`` above it.
    W_I_normal : array ``(R, D)``
        ``N(0, 1/D)``.
    key : jax.Array
        A key for the cell's own draws.
    """

    W_H: Array
    W_I_rac: Array
    W_I_normal: Array
    key: Array

    def noise(self, shape, scale) -> Array:
        """Gaussian noise of standard deviation ``scale`` from `key`."""
        return normal(self.key, shape, scale, jnp.float32)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RNNCell:
    """A vanilla RNN layer ``h' = tanh(W_H h + W_I x + b)``."""

    W_I: Array
    W_H: Array
    b: Array

    @property
    def R(self) -> int:
        return self.W_H.shape[0]

    @property
    def D(self) -> int:
        return self.W_I.shape[1]

    def prepare(self) -> RNNCell:
        return self

    def initial_carry(self) -> Array:
        return jnp.zeros((self.R,), self.W_H.dtype)

    def __call__(self, h: Array, x: Array) -> tuple[Array, Array]:
        h = jnp.tanh(self.W_H @ h + self.W_I @ x + self.b)
        return h, h

    @staticmethod
    def init(D: int, R: int, *, key, dtype=jnp.float32) -> RNNCell:
        k1, k2 = jax.random.split(key)
        return RNNCell(
            W_I=normal(k1, (R, D), 1.0 / math.sqrt(D), dtype),
            W_H=orthogonal(k2, R, dtype),
            b=jnp.zeros((R,), dtype),
        )

    @staticmethod
    def n_params(D: int, R: int) -> int:
        return R * D + R * R + R


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class GRUCell:
    """A GRU layer (Cho et al. 2014; reset gate applied after ``U_n h``, as in cuDNN and equinox).

    ``W`` is ``(3R, D)``, ``U`` is ``(3R, R)`` and ``b`` is ``(3R,)``, stacked as (update, reset, candidate).
    """

    W: Array
    U: Array
    b: Array

    @property
    def R(self) -> int:
        return self.U.shape[1]

    @property
    def D(self) -> int:
        return self.W.shape[1]

    def prepare(self) -> GRUCell:
        return self

    def initial_carry(self) -> Array:
        return jnp.zeros((self.R,), self.U.dtype)

    def __call__(self, h: Array, x: Array) -> tuple[Array, Array]:
        R = self.R
        wx = self.W @ x + self.b
        uh = self.U @ h
        z = jax.nn.sigmoid(wx[:R] + uh[:R])
        r = jax.nn.sigmoid(wx[R : 2 * R] + uh[R : 2 * R])
        n = jnp.tanh(wx[2 * R :] + r * uh[2 * R :])
        h = (1.0 - z) * n + z * h
        return h, h

    @staticmethod
    def init(D: int, R: int, *, key, dtype=jnp.float32) -> GRUCell:
        k1, k2, k3, k4 = jax.random.split(key, 4)
        U = jnp.concatenate([orthogonal(k, R, dtype) for k in (k2, k3, k4)], axis=0)
        return GRUCell(W=normal(k1, (3 * R, D), 1.0 / math.sqrt(D), dtype), U=U, b=jnp.zeros((3 * R,), dtype))

    @staticmethod
    def n_params(D: int, R: int) -> int:
        return 3 * (R * D + R * R + R)
