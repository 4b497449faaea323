"""The linear RNN in JAX: parameterisations, forward pass, impulse response and causal convolution.

The recurrence (the theory page, section 'The model and its impulse response')::

    h[t] = a_W · W h[t-1] + a_F · F x[t],     h[-1] = 0
    ŷ[t] = a_C · C h[t]

with multipliers ``(a_W, a_F, a_C) = (1/√n, 1/√n_x, 1/√n)`` and unit-scale Gaussian entries
``W ~ N(0, σ_W²), F ~ N(0, σ_F²), C ~ N(0, σ_C²)`` in the **NTK parameterisation**, and multipliers
``(1, 1, 1)`` with entries ``W ~ N(0, σ_W²/n), F ~ N(0, σ_F²/n_x), C ~ N(0, σ_C²/n)`` in the **standard
parameterisation** (the theory page, section 'The model and its impulse response'). Both give the same random function
at initialisation; they differ in how a
gradient step moves it. `group_lr_scale` returns the per-group learning-rate factors that make one base step size
``η`` meaningful for both (``1`` under NTK, ``1/n`` under standard).

The model is exactly a causal convolution by its impulse response (Markov parameters)
``L_j = a_C C (a_W W)^j a_F F``: `impulse_response` computes ``L_0..L_J`` by a `jax.lax.scan` over powers and
`causal_convolution` applies them; `rnn_outputs` runs the recurrence itself. `tests/test_linear_model.py` checks that
the two agree.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from tnrnn._jax_types import Array
from tnrnn._types import ArgumentError, check_choice, check_positive_int

__all__ = [
    "PARAMETERISATIONS",
    "LinearRNN",
    "init_linear_rnn",
    "group_lr_scale",
    "rnn_step",
    "rnn_outputs",
    "impulse_response",
    "causal_convolution",
    "lagged_inputs",
    "check_param",
    "check_variance",
    "check_lag",
]


#: the two parameterisations of the theory page, section 'The model and its impulse response'
from tnrnn._choices import PARAMETERISATIONS  # noqa: E402 - one definition, JAX-free


def check_param(param) -> str:
    """Validate a parameterisation name (``"ntk"`` or ``"standard"``)."""
    return check_choice("param", param, PARAMETERISATIONS)


def check_variance(name: str, value):
    """Return ``value`` if it is a finite real number ``>= 0`` (int, float or Fraction), else raise."""
    allowed = "a finite real number >= 0"
    if isinstance(value, (bool, str)):
        raise ArgumentError(name, value, allowed)
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(name, value, allowed) from None
    if not math.isfinite(f) or f < 0:
        raise ArgumentError(name, value, allowed)
    return value


def check_lag(name: str, value) -> int:
    """Validate a maximum lag (an integer ``>= 0``)."""
    return check_positive_int(name, value, minimum=0)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class LinearRNN:
    """A linear RNN ``h[t] = a_W W h[t-1] + a_F F x[t]``, ``ŷ[t] = a_C C h[t]`` as an immutable pytree.

    Attributes
    ----------
    W : array, shape (n, n)
        Transition matrix (trainable).
    F : array, shape (n, n_x)
        Input matrix (trainable).
    C : array, shape (n_y, n)
        Output matrix (trainable).
    param : str
        ``"ntk"`` or ``"standard"`` (static); fixes the multipliers, see the module docstring.

    Sizes are read from the array shapes, so they are static under `jax.jit`.
    """

    W: Array
    F: Array
    C: Array
    param: str = dataclasses.field(default="ntk", metadata={"static": True})

    @property
    def n(self) -> int:
        return self.W.shape[0]

    @property
    def n_x(self) -> int:
        return self.F.shape[1]

    @property
    def n_y(self) -> int:
        return self.C.shape[0]

    def multipliers(self) -> tuple[float, float, float]:
        """``(a_W, a_F, a_C)``: the fixed factors in front of ``W``, ``F`` and ``C``."""
        if self.param == "ntk":
            return 1.0 / math.sqrt(self.n), 1.0 / math.sqrt(self.n_x), 1.0 / math.sqrt(self.n)
        return 1.0, 1.0, 1.0

    def effective(self) -> tuple[Array, Array, Array]:
        """``(A, B, C_eff) = (a_W W, a_F F, a_C C)``, the matrices the recurrence actually uses."""
        a_w, a_f, a_c = self.multipliers()
        return a_w * self.W, a_f * self.F, a_c * self.C

    def __call__(self, xs: Array) -> Array:
        """Outputs ``ŷ[0..T-1]`` for inputs ``xs`` of shape ``(..., T, n_x)``."""
        return rnn_outputs(self, xs)


def init_linear_rnn(
    n: int,
    *,
    key: Array,
    n_x: int = 1,
    n_y: int = 1,
    rho2=0.5,
    sigma_f2=1.0,
    sigma_c2=1.0,
    param: str = "ntk",
    dtype=None,
) -> LinearRNN:
    """A linear RNN of width ``n`` with independent Gaussian entries of the given variances.

    Parameters
    ----------
    n : int
        Width (hidden units), ``>= 1``.
    key : jax.Array
        PRNG key (keyword-only).
    n_x, n_y : int
        Input and output dimensions.
    rho2, sigma_f2, sigma_c2 : float
        ``σ_W² = ρ²``, ``σ_F²`` and ``σ_C²``, each ``>= 0``. The effective transition matrix ``A = a_W W`` has
        entries of variance ``ρ²/n`` in both parameterisations, so its spectral radius tends to ``ρ``.
    param : {"ntk", "standard"}
        Parameterisation (the theory page, section 'The model and its impulse response').
    dtype : optional
        Floating dtype; defaults to JAX's default float (float64 under x64).

    Returns
    -------
    LinearRNN
    """
    n = check_positive_int("n", n)
    n_x = check_positive_int("n_x", n_x)
    n_y = check_positive_int("n_y", n_y)
    rho2 = float(check_variance("rho2", rho2))
    sigma_f2 = float(check_variance("sigma_f2", sigma_f2))
    sigma_c2 = float(check_variance("sigma_c2", sigma_c2))
    param = check_param(param)
    dtype = dtype or jnp.result_type(float)
    kw, kf, kc = jax.random.split(key, 3)
    sd_w, sd_f, sd_c = math.sqrt(rho2), math.sqrt(sigma_f2), math.sqrt(sigma_c2)
    if param == "standard":
        sd_w, sd_f, sd_c = sd_w / math.sqrt(n), sd_f / math.sqrt(n_x), sd_c / math.sqrt(n)
    return LinearRNN(
        W=sd_w * jax.random.normal(kw, (n, n), dtype),
        F=sd_f * jax.random.normal(kf, (n, n_x), dtype),
        C=sd_c * jax.random.normal(kc, (n_y, n), dtype),
        param=param,
    )


def group_lr_scale(model: LinearRNN, lr_scale=(1.0, 1.0, 1.0)) -> LinearRNN:
    """Per-parameter learning-rate factors as a pytree shaped like ``model`` (scalars per group).

    Parameters
    ----------
    model : LinearRNN
    lr_scale : (λ_W, λ_F, λ_C)
        Relative learning rates of the three groups (the theory page, section 'The model and its impulse response').

    Returns
    -------
    LinearRNN
        Its ``W``, ``F``, ``C`` fields hold the scalar factors ``λ_g`` (NTK) or ``λ_g / n`` (standard: one step
        ``η = η₀/n``, the theory page, section 'Assumptions'), so that gradient descent with base step ``η`` updates
        ``θ_g ← θ_g − η · factor_g · ∇_g ℒ``.
    """
    lw, lf, lc = (float(check_variance(nm, v)) for nm, v in zip(("lr_W", "lr_F", "lr_C"), lr_scale, strict=True))
    if model.param == "standard":
        lw, lf, lc = lw / model.n, lf / model.n, lc / model.n
    return LinearRNN(W=lw, F=lf, C=lc, param=model.param)


def rnn_step(model: LinearRNN, h: Array, x: Array) -> tuple[Array, Array]:
    """One step of the cell: ``h ↦ A h + B x`` and the output ``C_eff h``; batched over leading axes."""
    A, B, C = model.effective()
    h = h @ A.T + x @ B.T
    return h, h @ C.T


def rnn_outputs(model: LinearRNN, xs: Array) -> Array:
    """Run the recurrence with `jax.lax.scan` over time.

    Parameters
    ----------
    model : LinearRNN
    xs : array, shape (..., T, n_x)
        Inputs; leading axes are a batch of sequences.

    Returns
    -------
    array, shape (..., T, n_y)
    """
    xs = jnp.asarray(xs)
    batch = xs.shape[:-2]
    h0 = jnp.zeros((*batch, model.n), jnp.result_type(model.W.dtype, xs.dtype))
    xs_t = jnp.moveaxis(xs, -2, 0)
    _, ys = jax.lax.scan(lambda h, x: rnn_step(model, h, x), h0, xs_t)
    return jnp.moveaxis(ys, 0, -2)


def impulse_response(model: LinearRNN, J: int) -> Array:
    """Markov parameters ``L_j = a_C C (a_W W)^j a_F F`` for ``j = 0..J``.

    Computed by a `jax.lax.scan` over powers (``J`` matrix products with the ``n × n_x`` block, never a matrix
    power), so it is differentiable and cheap: this is what the empirical NTK and the training loop use.

    Returns
    -------
    array, shape (J + 1, n_y, n_x)

    References
    ----------
    the theory page, section 'The model and its impulse response' (unrolled form).
    """
    J = check_lag("J", J)
    A, B, C = model.effective()

    def body(M, _):
        return A @ M, C @ M

    _, Ls = jax.lax.scan(body, B, None, length=J + 1)
    return Ls


def lagged_inputs(xs: Array, J: int) -> Array:
    """The lagged design: ``out[..., t, j, :] = x[t - j]`` (zero when ``t - j < 0``), ``j = 0..J``.

    Returns
    -------
    array, shape (..., T, J + 1, n_x)
    """
    J = check_lag("J", J)
    xs = jnp.asarray(xs)
    T = xs.shape[-2]
    pad = [(0, 0)] * (xs.ndim - 2) + [(J, 0), (0, 0)]
    xp = jnp.pad(xs, pad)
    cols = [xp[..., J - j : J - j + T, :] for j in range(J + 1)]
    return jnp.stack(cols, axis=-2)


def causal_convolution(Ls: Array, xs: Array) -> Array:
    """``ŷ[t] = Σ_{j=0}^{min(t, J)} L_j x[t-j]`` for filters ``Ls`` of shape ``(J + 1, n_y, n_x)``.

    Parameters
    ----------
    Ls : array, shape (J + 1, n_y, n_x)
    xs : array, shape (..., T, n_x)

    Returns
    -------
    array, shape (..., T, n_y)
    """
    Ls = jnp.asarray(Ls)
    if Ls.ndim != 3:
        raise ArgumentError("Ls", f"shape {Ls.shape}", "an array of shape (J + 1, n_y, n_x)")
    X = lagged_inputs(xs, Ls.shape[0] - 1)
    return jnp.einsum("...tjk,jyk->...ty", X, Ls)
