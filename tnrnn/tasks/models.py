"""Stacked recurrent classifiers for the memory tasks: trainable polynomial cells, a tanh RNN, a GRU and scoRNN.

The polynomial cells of `tnrnn.cells` are made trainable: the RAC, second-order, multiplicative-integration,
squared-activation and linear cells.

Every cell is an immutable pytree (`jax.tree_util.register_dataclass`) holding its weights; calling it is one time
step ``(carry, x) -> (carry, h)``. `StackedRNN` runs ``depth`` cells per step (layer ``l`` reads layer ``l-1``'s
state at the same step, as in `tnrnn.rac` and the authors' ``MultiRNNCell``), scans over time with
`jax.lax.scan`, and reads out the top state linearly. Sizes are read from array shapes (or static fields), so they
are static under `jax.jit`. Inputs are integer symbols, one-hot encoded inside the model.

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
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.cells.arith import FloatArith
from tnrnn.cells.base import make_cell
from tnrnn.cells.rac import rac_layer

__all__ = [
    "CELLS",
    "POLYNOMIAL_CELLS",
    "RACCell",
    "PolynomialCell",
    "RNNCell",
    "GRUCell",
    "ScoRNNCell",
    "StackedRNN",
    "scaled_cayley",
    "cayley_grad",
    "modrelu",
    "is_skew_leaf",
    "init_model",
    "param_count",
    "count_leaves",
    "match_width",
]

#: the `tnrnn.cells` cells trained through their own step (`PolynomialCell`), and whether each is RMS-normalised
POLYNOMIAL_CELLS = {"bilinear": True, "mi": True, "quad": True, "linear": False}
CELLS = ("rac", *POLYNOMIAL_CELLS, "rnn", "gru", "scornn")
#: cells read out without a bias (the polynomial cells' ``y = W^O h``; the authors' RAC)
_NO_READOUT_BIAS = ("rac", *POLYNOMIAL_CELLS)
_EPS = 1e-6
_FLOAT = FloatArith(jnp)


def _rms_normalise(v: Array) -> Array:
    return v * jax.lax.rsqrt(jnp.mean(v * v) + _EPS)


def _orthogonal(key, R, dtype):
    q, r = jnp.linalg.qr(jax.random.normal(key, (R, R), jnp.float32))
    return (q * jnp.sign(jnp.diagonal(r))[None, :]).astype(dtype)


def _normal(key, shape, scale, dtype):
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

    def prepare(self) -> RACCell:
        """The cell as used inside the time scan (itself; `ScoRNNCell` builds its ``W`` here)."""
        return self

    def initial_carry(self) -> Array:
        """``g = W^H h^0 := 1``."""
        return jnp.ones((self.R,), self.W_H.dtype)

    def __call__(self, g: Array, x: Array) -> tuple[Array, Array]:
        # the one RAC definition (tnrnn.cells.rac_layer), with the RMS normalisation as its post-step
        return rac_layer(_FLOAT, self.W_I, self.W_H, g, x, post=_rms_normalise)

    @staticmethod
    def init(D: int, R: int, *, key, dtype=jnp.float32, first: bool = True) -> RACCell:
        # First layer (one-hot inputs): each symbol's gate column starts near one (1 ± 0.5), and W_H is orthogonal,
        # so the product of steps is close to an orthogonal map that carries information over many steps.
        # Upper layers: W_I ~ N(0, 1/R); a near-one gate is impossible there (a linear map of a zero-mean state),
        # and identity + noise trained far worse in a pilot (SES n=4, m=3, T=20, depth 2: chance vs 0.89).
        k1, k2 = jax.random.split(key)
        if first:
            W_I = (1.0 + _normal(k1, (R, D), 0.5, jnp.float32)).astype(dtype)
        else:
            W_I = _normal(k1, (R, D), 1.0 / math.sqrt(D), dtype)
        return RACCell(W_I=W_I, W_H=_orthogonal(k2, R, dtype))

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
        return make_cell(self.name, self.D, self.R, 1)

    def prepare(self) -> PolynomialCell:
        return self

    def initial_carry(self):
        """The cell's own first-step convention (ones for ``bilinear``, zeros otherwise)."""
        dtype = jax.tree_util.tree_leaves(self.params)[0].dtype
        return self.cell.initial_carry(self.params, _FLOAT, jnp.zeros((self.D,), dtype))

    def __call__(self, carry, x: Array):
        return self.cell.step(self.params, carry, x, _FLOAT, post=_rms_normalise if self.normalise else None)

    @staticmethod
    def layer_shapes(name: str, D: int, R: int) -> dict:
        """Parameter shapes of one layer (the cell's ``param_shapes`` for ``(D, R, 1)`` without ``W_O``)."""
        return {k: v for k, v in make_cell(name, D, R, 1).param_shapes().items() if k != "W_O"}

    @staticmethod
    def init(name: str, D: int, R: int, *, key, dtype=jnp.float32, first: bool = True) -> PolynomialCell:
        k1, k2, k3 = jax.random.split(key, 3)
        rac = RACCell.init(D, R, key=k1, dtype=jnp.float32, first=first)
        W_H, W_I = rac.W_H, rac.W_I
        if name in ("quad", "linear") or not first:
            W_I = _normal(k2, (R, D), 1.0 / math.sqrt(D), jnp.float32)
        zeros = jnp.zeros((R,), jnp.float32)
        if name == "bilinear":  # the RAC's core plus 10 % noise
            A = jnp.einsum("ri,rj->rij", W_H, W_I)
            p = {"A": A + _normal(k3, A.shape, 0.1 * jnp.std(A), jnp.float32)}
        elif name == "mi":
            p = {
                "W_H": W_H,
                "W_I": W_I,
                "alpha": jnp.ones((R,), jnp.float32),
                "beta1": zeros + 0.5,
                "beta2": zeros + 0.5,
                "b": zeros,
            }
        else:
            p = {"W_H": W_H, "W_I": W_I, **({"b": zeros} if name == "quad" else {})}
        shapes = PolynomialCell.layer_shapes(name, D, R)
        if set(p) != set(shapes) or any((p[k].shape,) != shapes[k] for k in p):  # pragma: no cover - a new cell
            raise ArgumentError("cell", name, "a cell whose layer parameters this initialisation knows")
        params = {k: (p[k].astype(dtype),) for k in shapes}
        return PolynomialCell(params=params, name=name, D=D, R=R, normalise=POLYNOMIAL_CELLS[name])

    @staticmethod
    def n_params(name: str, D: int, R: int) -> int:
        return sum(math.prod(s) for shapes in PolynomialCell.layer_shapes(name, D, R).values() for s in shapes)


@dataclasses.dataclass(frozen=True)
class _PolynomialSpec:
    """`init` and `n_params` of one polynomial cell, with the signatures of the other cell classes."""

    name: str

    def init(self, D: int, R: int, **kw) -> PolynomialCell:
        return PolynomialCell.init(self.name, D, R, **kw)

    def n_params(self, D: int, R: int) -> int:
        return PolynomialCell.n_params(self.name, D, R)


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
            W_I=_normal(k1, (R, D), 1.0 / math.sqrt(D), dtype),
            W_H=_orthogonal(k2, R, dtype),
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
        U = jnp.concatenate([_orthogonal(k, R, dtype) for k in (k2, k3, k4)], axis=0)
        return GRUCell(W=_normal(k1, (3 * R, D), 1.0 / math.sqrt(D), dtype), U=U, b=jnp.zeros((3 * R,), dtype))

    @staticmethod
    def n_params(D: int, R: int) -> int:
        return 3 * (R * D + R * R + R)


# --- scoRNN (Helfrich, Willmott, Ye 2018) --------------------------------------------------------------------


def _cayley_forward(A: Array, d: Array) -> Array:
    I = jnp.eye(A.shape[0], dtype=A.dtype)
    return jnp.linalg.solve(I + A, I - A) * d[None, :]


def cayley_grad(A: Array, d: Array, G: Array) -> Array:
    """The scoRNN gradient of a loss with respect to the skew-symmetric ``A`` from its gradient ``G`` w.r.t. ``W``.

    ``dL/dA = V^T - V`` with ``V = (I + A)^{-T} G (D + W^T)`` and ``W = (I + A)^{-1}(I - A) D`` (Helfrich et al.
    2018, Theorem 3.2). It is skew-symmetric, and it is the gradient with respect to the free entries ``A_ij``,
    ``i < j`` (each also sets ``A_ji = -A_ij``), so ``A - lr * dL/dA`` stays skew-symmetric.

    Parameters
    ----------
    A : array ``(R, R)``
        Skew-symmetric.
    d : array ``(R,)``
        The diagonal of ``D`` (entries ±1).
    G : array ``(R, R)``
        ``dL/dW``.

    References
    ----------
    K. Helfrich, D. Willmott, Q. Ye, "Orthogonal Recurrent Neural Networks with Scaled Cayley Transform", ICML 2018.
    """
    I = jnp.eye(A.shape[0], dtype=A.dtype)
    W = _cayley_forward(A, d)
    V = jnp.linalg.solve((I + A).T, G * d[None, :] + G @ W.T)
    return V.T - V


@jax.custom_vjp
def scaled_cayley(A: Array, d: Array) -> Array:
    """The scaled Cayley transform ``W = (I + A)^{-1} (I - A) D``, ``D = diag(d)``; orthogonal when ``A`` is skew.

    Its reverse-mode derivative is the scoRNN update direction `cayley_grad` (so ``jax.grad`` of a loss with
    respect to ``A`` is the skew-symmetric gradient over the free entries of ``A``, computed from ``dL/dW`` as in
    the authors' code); ``d`` is fixed and gets a zero cotangent.
    """
    return _cayley_forward(A, d)


def _scaled_cayley_fwd(A, d):
    return _cayley_forward(A, d), (A, d)


def _scaled_cayley_bwd(res, G):
    A, d = res
    return cayley_grad(A, d, G), jnp.zeros_like(d)


scaled_cayley.defvjp(_scaled_cayley_fwd, _scaled_cayley_bwd)


def modrelu(z: Array, b: Array) -> Array:
    """The modReLU for real inputs, ``sign(z) · relu(|z| + b)`` (Arjovsky, Shah, Bengio 2016)."""
    return jnp.sign(z) * jax.nn.relu(jnp.abs(z) + b)


@dataclasses.dataclass(frozen=True)
class _ScoRNNStep:
    W: Array
    U: Array
    b: Array

    def initial_carry(self) -> Array:
        return jnp.zeros((self.W.shape[0],), self.W.dtype)

    def __call__(self, h: Array, x: Array) -> tuple[Array, Array]:
        h = modrelu(self.W @ h + self.U @ x, self.b)
        return h, h


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class ScoRNNCell:
    """A scoRNN layer ``h' = modReLU(W h + U x, b)`` with ``W = (I + A)^{-1}(I - A) D`` orthogonal.

    Attributes
    ----------
    A : array ``(R, R)``
        Skew-symmetric; its ``R (R - 1) / 2`` entries above the diagonal are the free parameters. Training updates
        it with the Cayley-transform gradient (`cayley_grad`), which keeps it skew-symmetric, and with its own
        learning rate (`tnrnn.tasks.TrainConfig.lr_A`).
    U : array ``(R, D)``
        Input matrix.
    b : array ``(R,)``
        modReLU bias.
    d : tuple of float
        The fixed diagonal of ``D``: ``+1`` for the first ``R // 2`` entries, ``-1`` for the rest (the authors'
        choice); static, not trained.

    Notes
    -----
    Initialisation follows the authors' code: ``A`` block-diagonal with ``A_{2k,2k+1} = -sqrt((1 - cos θ)/(1 + cos
    θ))``, ``θ ~ U[0, π/2]``; ``U ~ U[-0.01, 0.01]``; ``b = 0``. The initial state is zero (the authors draw a
    random state ``U[-sqrt(3/R), sqrt(3/R)]`` for every batch); the authors' L∞ clipping of ``dL/dW`` is replaced
    by the global-norm clip of `TrainConfig`. ``W`` is built once per sequence (`prepare`), not at every step.

    References
    ----------
    K. Helfrich, D. Willmott, Q. Ye, "Orthogonal Recurrent Neural Networks with Scaled Cayley Transform", ICML 2018.
    """

    A: Array
    U: Array
    b: Array
    d: tuple = dataclasses.field(metadata={"static": True})

    @property
    def R(self) -> int:
        return self.A.shape[0]

    @property
    def W(self) -> Array:
        """The orthogonal recurrent matrix."""
        return scaled_cayley(self.A, jnp.asarray(self.d, self.A.dtype))

    def prepare(self) -> _ScoRNNStep:
        """The step function with ``W`` built once (differentiable in ``A`` through `scaled_cayley`)."""
        return _ScoRNNStep(W=self.W, U=self.U, b=self.b)

    def initial_carry(self) -> Array:
        return jnp.zeros((self.R,), self.A.dtype)

    def __call__(self, h: Array, x: Array) -> tuple[Array, Array]:
        return self.prepare()(h, x)

    @staticmethod
    def init(D: int, R: int, *, key, dtype=jnp.float32) -> ScoRNNCell:
        k1, k2 = jax.random.split(key)
        theta = jax.random.uniform(k1, (R // 2,), jnp.float32, 0.0, math.pi / 2)
        s = -jnp.sqrt((1.0 - jnp.cos(theta)) / (1.0 + jnp.cos(theta)))
        idx = 2 * jnp.arange(R // 2)
        upper = jnp.zeros((R, R), jnp.float32).at[idx, idx + 1].set(s)
        A = (upper - upper.T).astype(dtype)
        U = jax.random.uniform(k2, (R, D), jnp.float32, -0.01, 0.01).astype(dtype)
        d = tuple([1.0] * (R // 2) + [-1.0] * (R - R // 2))
        return ScoRNNCell(A=A, U=U, b=jnp.zeros((R,), dtype), d=d)

    @staticmethod
    def n_params(D: int, R: int) -> int:
        """Free parameters: ``R (R - 1) / 2`` in ``A``, ``R D`` in ``U``, ``R`` in ``b``."""
        return R * (R - 1) // 2 + R * D + R


def is_skew_leaf(path) -> bool:
    """Whether a pytree path (`jax.tree_util.tree_flatten_with_path`) ends at a scoRNN ``A``."""
    last = path[-1] if path else None
    return isinstance(last, jax.tree_util.GetAttrKey) and last.name == "A"


_CELL_CLASSES = {
    "rac": RACCell,
    "rnn": RNNCell,
    "gru": GRUCell,
    "scornn": ScoRNNCell,
    **{name: _PolynomialSpec(name) for name in POLYNOMIAL_CELLS},
}


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class StackedRNN:
    """``depth`` stacked cells and a linear readout ``y^t = W_O h^{t,L} (+ b_O)``.

    Attributes
    ----------
    cells : tuple
        One cell per layer, bottom first.
    W_O : array ``(K, R)``
        Readout.
    b_O : array ``(K,)`` or None
        Readout bias (None for the RAC, as in the authors' code, and for the other polynomial cells).
    """

    cells: tuple
    W_O: Array
    b_O: Array | None

    @property
    def depth(self) -> int:
        return len(self.cells)

    @property
    def n_inputs(self) -> int:
        c = self.cells[0]
        if isinstance(c, PolynomialCell):
            return c.D
        return {GRUCell: lambda: c.W, ScoRNNCell: lambda: c.U}.get(type(c), lambda: c.W_I)().shape[1]

    def hidden_states(self, symbols: Array) -> Array:
        """Top-layer states ``h^{t,L}`` for one sequence of integer symbols ``(T,)``; shape ``(T, R)``."""
        dtype = self.W_O.dtype
        xs = jax.nn.one_hot(symbols, self.n_inputs, dtype=dtype)

        cells = tuple(cell.prepare() for cell in self.cells)  # scoRNN builds W once per sequence here

        def step(carry, x):
            new = []
            inp = x
            for cell, c in zip(cells, carry, strict=True):
                c, inp = cell(c, inp)
                new.append(c)
            return tuple(new), inp

        carry0 = tuple(cell.initial_carry() for cell in cells)
        _, hs = jax.lax.scan(step, carry0, xs)
        return hs

    def _readout(self, h: Array) -> Array:
        y = h @ self.W_O.T
        return y if self.b_O is None else y + self.b_O

    def outputs(self, symbols: Array) -> Array:
        """Logits at every step, ``(T, K)``, for one sequence ``(T,)``."""
        hs = self.hidden_states(symbols)
        y = hs @ self.W_O.T
        return y if self.b_O is None else y + self.b_O[None, :]

    def last_output(self, symbols: Array) -> Array:
        """Logits at the last step, ``(K,)``."""
        return self._readout(self.hidden_states(symbols)[-1])


def init_model(cell: str, *, n_inputs: int, n_classes: int, width: int, depth: int, key, dtype=jnp.float32):
    """A random `StackedRNN`.

    Parameters
    ----------
    cell : str
        One of `CELLS`: ``rac``, ``bilinear``, ``mi``, ``quad``, ``linear`` (the polynomial cells of `tnrnn.cells`),
        ``rnn``, ``gru``, ``scornn``.
    n_inputs, n_classes : int
        Alphabet size of the inputs (one-hot dimension) and number of output classes.
    width, depth : int
        Hidden channels per layer and number of layers.
    key : jax.Array
        PRNG key (keyword-only).
    dtype
        Parameter dtype (float32 by default, explicit so that x64 mode does not change training).
    """
    check_choice("cell", cell, CELLS)
    width = check_positive_int("width", width)
    depth = check_positive_int("depth", depth)
    n_inputs = check_positive_int("n_inputs", n_inputs)
    n_classes = check_positive_int("n_classes", n_classes)
    cls = _CELL_CLASSES[cell]
    keys = jax.random.split(key, depth + 1)
    extra = [{"first": l == 0} if cell in _NO_READOUT_BIAS else {} for l in range(depth)]
    cells = tuple(
        cls.init(n_inputs if l == 0 else width, width, key=keys[l], dtype=dtype, **extra[l]) for l in range(depth)
    )
    W_O = _normal(keys[depth], (n_classes, width), 1.0 / math.sqrt(width), dtype)
    b_O = None if cell in _NO_READOUT_BIAS else jnp.zeros((n_classes,), dtype)
    return StackedRNN(cells=cells, W_O=W_O, b_O=b_O)


def param_count(cell: str, *, n_inputs: int, n_classes: int, width: int, depth: int) -> int:
    """Number of trainable scalars of ``init_model(cell, ...)`` (closed form; `count_leaves` checks it).

    For scoRNN the skew-symmetric ``A`` counts its ``R (R - 1) / 2`` free entries (its leaf holds ``R²``).
    """
    check_choice("cell", cell, CELLS)
    cls = _CELL_CLASSES[cell]
    layers = cls.n_params(n_inputs, width) + (depth - 1) * cls.n_params(width, width)
    readout = n_classes * width + (0 if cell in _NO_READOUT_BIAS else n_classes)
    return layers + readout


def count_leaves(model) -> int:
    """Number of scalars in a pytree."""
    return sum(int(x.size) for x in jax.tree_util.tree_leaves(model))


def match_width(cell: str, depth: int, target: int, *, n_inputs: int, n_classes: int, max_width: int = 4096):
    """The width whose parameter count is closest to ``target`` for a model of ``depth`` layers.

    Ties go to the smaller width. Returns ``(width, count)``.
    """
    check_choice("cell", cell, CELLS)
    depth = check_positive_int("depth", depth)
    target = check_positive_int("params", target)
    best = None
    for R in range(1, max_width + 1):
        c = param_count(cell, n_inputs=n_inputs, n_classes=n_classes, width=R, depth=depth)
        if best is None or abs(c - target) < abs(best[1] - target):
            best = (R, c)
        if c > target:
            break
    if best[1] < 1 or best is None:  # pragma: no cover - counts are positive
        raise ArgumentError("params", target, "a positive parameter budget")
    return best
