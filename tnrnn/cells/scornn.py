"""The trainable scoRNN layer (Helfrich, Willmott, Ye 2018): the scaled Cayley transform and its gradient.

The trainable form of the ``scornn`` cell (`tnrnn.cells.float_rnn.ScoRNN`); `tnrnn.tasks.train` gives its
skew-symmetric ``A`` (`is_skew_leaf`) its own learning rate.

References
----------
K. Helfrich, D. Willmott, Q. Ye, "Orthogonal Recurrent Neural Networks with Scaled Cayley Transform", ICML 2018.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from tnrnn._jax_types import Array

__all__ = ["ScoRNNCell", "scaled_cayley", "cayley_grad", "modrelu", "is_skew_leaf"]


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
    def D(self) -> int:
        return self.U.shape[1]

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
