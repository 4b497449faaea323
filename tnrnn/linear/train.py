"""The scaled convolution model (SCM), synthetic teachers and jitted full-batch gradient descent.

The SCM (the theory page, section 'Lag weights') is ``ŷ[t] = Σ_j (β_j/√n_x) K_j x[t-j]`` with trainable
``K_j ∈ R^{n_y×n_x}`` and fixed β_j. It is linear in ``K`` and its NTK is the wide-limit NTK of the linear RNN, so
gradient descent on both from matched initial functions (``β_j K_j(0)/√n_x = L_j(0)``) follows the same path as
``n → ∞``.

Both models are trained through their filters: the loss depends on the RNN parameters only through the impulse
response ``L_0..L_{T-1}`` (``ŷ`` is exactly the causal convolution by it), so `train_gd` computes ``L`` by a
`lax.scan` over powers (``T`` products with the ``n × n_x`` input block) instead of running the recurrence over a
batch; the gradient is the same function of θ (`tests/test_linear_model.py` checks it against the recurrence).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from tnrnn._jax_types import Array
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.linear.model import (
    LinearRNN,
    causal_convolution,
    check_lag,
    group_lr_scale,
    impulse_response,
    lagged_inputs,
)

__all__ = [
    "TEACHERS",
    "ScaledConvolution",
    "matched_scm",
    "gp_initial_filters",
    "teacher_filters",
    "make_data",
    "mse_loss",
    "TrainResult",
    "train_gd",
    "train_rnn",
    "train_scm",
    "stable_step",
    "relative_path_difference",
]


#: synthetic teachers (the user guide 'Linear RNNs')
TEACHERS = ("geometric", "spike", "ssm")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class ScaledConvolution:
    """The scaled convolution model: filters ``L_j = scale_j K_j`` with ``scale_j = β_j/√n_x``.

    Attributes
    ----------
    K : array, shape (J + 1, n_y, n_x)
        Trainable kernel.
    scale : array, shape (J + 1,)
        Fixed per-lag scale ``β_j/√n_x`` (a pytree leaf, but `train_scm` never updates it).
    """

    K: Array
    scale: Array

    def filters(self) -> Array:
        """``L_j = scale_j K_j``, shape ``(J + 1, n_y, n_x)``."""
        return self.scale[:, None, None] * self.K

    def __call__(self, xs: Array) -> Array:
        return causal_convolution(self.filters(), xs)


def gp_initial_filters(J: int, *, key, rho2=0.5, sigma_c2=1.0, sigma_f2=1.0, n_x: int = 1, n_y: int = 1, dtype=None):
    """A draw of the wide-limit initial function: ``L_j(0)`` iid ``N(0, σ_C² σ_F² ρ^{2j}/n_x)``.

    References
    ----------
    the theory page, section 'Lag weights' (the GP at initialisation).

    Notes
    -----
    Independent across lags and entries only as ``n → ∞``; a finite-width RNN's impulse response also has the
    spectral-radius fluctuations of its transition matrix, which matter at ``ρ²`` near 1 and long lags.
    """
    J = check_lag("J", J)
    dtype = dtype or jnp.result_type(float)
    var = float(sigma_c2) * float(sigma_f2) * float(rho2) ** np.arange(J + 1) / n_x
    z = jax.random.normal(key, (J + 1, n_y, n_x), dtype)
    return jnp.sqrt(jnp.asarray(var, dtype))[:, None, None] * z


def matched_scm(L0, beta2) -> ScaledConvolution:
    """The SCM whose initial function equals the filters ``L0``: ``K_j(0) = √n_x L_j(0)/β_j``.

    Lags with ``β_j = 0`` (only possible with ``ρ² = 0``, where ``L_j(0) = 0`` too) get ``K_j = 0``.

    Parameters
    ----------
    L0 : array, shape (J + 1, n_y, n_x)
        Initial filters (e.g. `impulse_response` of the RNN at initialisation).
    beta2 : array, shape (J + 1,)
        Lag weights (`tnrnn.linear.lag_weights`).
    """
    L0 = jnp.asarray(L0)
    beta = jnp.sqrt(jnp.asarray(beta2, L0.dtype))
    if beta.shape != L0.shape[:1]:
        raise ArgumentError("beta2", f"shape {beta.shape}", f"one weight per lag, shape {L0.shape[:1]}")
    n_x = L0.shape[2]
    scale = beta / math.sqrt(n_x)
    safe = jnp.where(scale > 0, scale, 1.0)
    K = jnp.where((scale > 0)[:, None, None], L0 / safe[:, None, None], 0.0)
    return ScaledConvolution(K=K, scale=scale)


def teacher_filters(
    kind: str, J: int, *, n_x: int = 1, n_y: int = 1, a=0.8, delay: int = 10, r=0.9, order: int = 4, key=None
):
    """Impulse response ``L*_0..L*_J`` of a synthetic teacher, shape ``(J + 1, n_y, n_x)``, float64 numpy.

    Parameters
    ----------
    kind : {"geometric", "spike", "ssm"}
        ``"geometric"``: ``h_j = a^j``; ``"spike"``: ``h_j = 1[j = delay]``; both as ``L*_j = h_j 1 1ᵀ/√n_x``.
        ``"ssm"``: a random stable state-space model ``L*_j = C* A*^j B*`` of the given ``order`` with ``A*``
        Gaussian rescaled to spectral radius ``r``, normalised to ``Σ_j ‖L*_j‖² = 1`` over ``0..J``.
    key : jax.Array
        PRNG key, needed for ``"ssm"`` only (keyword-only).

    References
    ----------
    the user guide 'Linear RNNs' (teachers of short and long memory).
    """
    check_choice("kind", kind, TEACHERS)
    J = check_lag("J", J)
    n_x, n_y = check_positive_int("n_x", n_x), check_positive_int("n_y", n_y)
    j = np.arange(J + 1)
    if kind in ("geometric", "spike"):
        if kind == "geometric":
            h = float(a) ** j
        else:
            delay = check_lag("delay", delay)
            h = (j == delay).astype(np.float64)
        return h[:, None, None] * np.ones((n_y, n_x)) / math.sqrt(n_x)
    if key is None:
        raise ArgumentError("key", None, "a jax PRNG key for the 'ssm' teacher")
    order = check_positive_int("order", order)
    if not 0 < float(r) < 1:
        raise ArgumentError("r", r, "a spectral radius in (0, 1) (a stable teacher)")
    ka, kb, kc = jax.random.split(key, 3)
    A = np.asarray(jax.random.normal(ka, (order, order), jnp.float32), np.float64)
    A *= float(r) / max(abs(np.linalg.eigvals(A)))
    B = np.asarray(jax.random.normal(kb, (order, n_x), jnp.float32), np.float64)
    C = np.asarray(jax.random.normal(kc, (n_y, order), jnp.float32), np.float64)
    Ls, M = [], B
    for _ in range(J + 1):
        Ls.append(C @ M)
        M = A @ M
    L = np.stack(Ls)
    return L / np.linalg.norm(L)


def make_data(L_star, N: int, T: int, *, key, snr_db=None, dtype=None):
    """White Gaussian input sequences and teacher outputs, with optional additive output noise.

    Parameters
    ----------
    L_star : array, shape (J + 1, n_y, n_x)
        Teacher filters.
    N, T : int
        Number and length of sequences.
    key : jax.Array
        PRNG key (keyword-only).
    snr_db : float or None
        Signal-to-noise ratio of the targets in dB (noise variance = mean clean-output power ``/ 10^(snr/10)``).

    Returns
    -------
    (xs, ys, ys_clean)
        Arrays of shapes ``(N, T, n_x)``, ``(N, T, n_y)``, ``(N, T, n_y)``.
    """
    N, T = check_positive_int("N", N), check_positive_int("T", T)
    dtype = dtype or jnp.result_type(float)
    L_star = jnp.asarray(L_star, dtype)
    kx, kn = jax.random.split(key)
    xs = jax.random.normal(kx, (N, T, L_star.shape[2]), dtype)
    clean = causal_convolution(L_star, xs)
    if snr_db is None:
        return xs, clean, clean
    power = jnp.mean(clean**2)
    noise = jax.random.normal(kn, clean.shape, dtype) * jnp.sqrt(power / 10 ** (float(snr_db) / 10))
    return xs, clean + noise, clean


def mse_loss(L, X, ys):
    """``ℒ = (1/(2 N T)) Σ ‖ŷ − y‖²`` for filters ``L`` on a lagged design ``X = lagged_inputs(xs, J)``."""
    pred = jnp.einsum("ntjk,jyk->nty", X, L)
    return 0.5 * jnp.mean(jnp.sum((pred - ys) ** 2, axis=-1))


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What `train_gd` returns.

    Attributes
    ----------
    params : pytree
        Trained parameters (a `LinearRNN` or a `ScaledConvolution`).
    train_loss, test_loss : numpy arrays, shape (steps + 1,)
        Loss before every step and after the last (``test_loss`` is empty without test data).
    L_init, L_final : numpy arrays, shape (J + 1, n_y, n_x)
        Filters before and after training.
    lr : float
        The base step size used.
    """

    params: object
    train_loss: np.ndarray
    test_loss: np.ndarray
    L_init: np.ndarray
    L_final: np.ndarray
    lr: float


@functools.partial(jax.jit, static_argnames=("filters_fn", "steps"))
def _gd_scan(params, aux, factors, lr, X, ys, Xt, yts, *, filters_fn, steps):
    def loss(p):
        return mse_loss(filters_fn(p, aux), X, ys)

    def test(p):
        return mse_loss(filters_fn(p, aux), Xt, yts)

    def step(p, _):
        val, g = jax.value_and_grad(loss)(p)
        tl = test(p)
        p = jax.tree_util.tree_map(lambda a, b, f: a - lr * f * b, p, g, factors)
        return p, (val, tl)

    p, (losses, tests) = jax.lax.scan(step, params, None, length=steps)
    return p, jnp.append(losses, loss(p)), jnp.append(tests, test(p))


def train_gd(params, filters_fn, xs, ys, *, lr: float, steps: int, factors=None, aux=None, xs_test=None, ys_test=None):
    """Full-batch gradient descent ``θ ← θ − η · factor · ∇ℒ`` on ``ℒ = (1/(2NT)) Σ‖ŷ − y‖²``, jitted.

    Parameters
    ----------
    params : pytree
        Initial parameters.
    filters_fn : callable
        ``(params, aux) ↦ L`` of shape ``(T, n_y, n_x)`` (lags ``0..T-1``); hashable with value equality (it is
        a static argument of the jitted loop, so equal functions reuse one compilation).
    xs, ys : arrays, shapes (N, T, n_x) and (N, T, n_y)
    lr : float
        Base step size η.
    steps : int
        Number of GD steps (all inside one `lax.scan`).
    factors : pytree or None
        Per-leaf learning-rate factors shaped like ``params`` (scalars); ``None`` means 1.
    aux : pytree or None
        Fixed, non-trained data passed to ``filters_fn`` (traced, so new values do not recompile).
    xs_test, ys_test : arrays or None
        Held-out data whose loss is recorded at every step.
    """
    steps = check_positive_int("steps", steps, minimum=0)
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise ArgumentError("lr", lr, "a finite number > 0")
    xs, ys = jnp.asarray(xs), jnp.asarray(ys)
    J = xs.shape[1] - 1
    X = lagged_inputs(xs, J)
    if xs_test is None:
        Xt, yts = X[:0], ys[:0]
    else:
        Xt, yts = lagged_inputs(jnp.asarray(xs_test), J), jnp.asarray(ys_test)
    if factors is None:
        factors = jax.tree_util.tree_map(lambda _: 1.0, params)
    L_init = np.asarray(filters_fn(params, aux))
    p, losses, tests = _gd_scan(params, aux, factors, float(lr), X, ys, Xt, yts, filters_fn=filters_fn, steps=steps)
    return TrainResult(
        params=p,
        train_loss=np.asarray(losses),
        test_loss=np.asarray(tests) if xs_test is not None else np.zeros(0),
        L_init=L_init,
        L_final=np.asarray(filters_fn(p, aux)),
        lr=float(lr),
    )


@dataclasses.dataclass(frozen=True)
class _RNNFilters:
    """A hashable ``model ↦ impulse_response(model, J)`` (equal for equal ``J``) for the jitted loop's cache."""

    J: int

    def __call__(self, model: LinearRNN, aux=None):
        return impulse_response(model, self.J)


def _scm_filters(K, scale):
    return scale[:, None, None] * K


def train_rnn(model: LinearRNN, xs, ys, *, lr: float, steps: int, lr_scale=(1.0, 1.0, 1.0), **test):
    """Gradient descent on a linear RNN with per-group factors (`group_lr_scale`: ``1/n`` under standard).

    The loss is evaluated through the impulse response ``L_0..L_{T-1}`` (exactly the RNN's output on
    sequences of length ``T``). Returns a `TrainResult`; see `train_gd`.
    """
    J = jnp.asarray(xs).shape[1] - 1
    fn = _RNNFilters(J)
    return train_gd(model, fn, xs, ys, lr=lr, steps=steps, factors=group_lr_scale(model, lr_scale), **test)


def train_scm(scm: ScaledConvolution, xs, ys, *, lr: float, steps: int, **test):
    """Gradient descent on the kernel ``K`` of the scaled convolution model (``scale`` stays fixed).

    Returns a `TrainResult` whose ``params`` is the trained `ScaledConvolution`; see `train_gd`.
    """
    res = train_gd(scm.K, _scm_filters, xs, ys, lr=lr, steps=steps, aux=scm.scale, **test)
    return dataclasses.replace(res, params=ScaledConvolution(K=res.params, scale=scm.scale))


def stable_step(lr: float, xs, beta2, *, n_y: int = 1) -> float:
    """``min(lr, 1/λ_max)`` where ``λ_max`` is the largest eigenvalue of the SCM loss Hessian in ``K``.

    GD on a quadratic is stable for ``η λ_max < 2`` (the theory page, section 'Assumptions'); capping at ``1/λ_max``
    keeps a margin, which
    the finite-width RNN needs at ``ρ²`` near 1.
    """
    xs = jnp.asarray(xs)
    N, T, n_x = xs.shape
    X = np.asarray(lagged_inputs(xs, T - 1)).reshape(N * T, T * n_x)
    scale = np.repeat(np.sqrt(np.asarray(beta2, np.float64)) / math.sqrt(n_x), n_x)
    Xs = X * scale[None, :]
    lam = float(np.linalg.eigvalsh(Xs.T @ Xs / (N * T))[-1])
    return float(min(lr, 1.0 / lam)) if lam > 0 else float(lr)


def relative_path_difference(L_rnn, L_scm, L0) -> float:
    """How far the RNN's learned change is from the SCM's: ``‖L_rnn − L_scm‖ / ‖L_scm − L(0)‖``.

    Frobenius norms over all lags (the user guide 'Linear RNNs').
    """
    L_rnn, L_scm, L0 = (np.asarray(v, np.float64) for v in (L_rnn, L_scm, L0))
    denom = np.linalg.norm(L_scm - L0)
    return float(np.linalg.norm(L_rnn - L_scm) / (denom if denom else 1.0))
