"""The empirical neural tangent kernel of a finite-width linear RNN, lag by lag.

Because ``ŷ[t] = Σ_j L_j x[t-j]`` exactly, the NTK of the RNN is determined by the kernel between its Markov
parameters::

    K[(j,a,b), (k,a',b')] = Σ_g λ_g ⟨∂L_j[a,b]/∂θ_g, ∂L_k[a',b']/∂θ_g⟩

(``g`` over the groups ``W, F, C`` with their learning-rate factors, `tnrnn.linear.model.group_lr_scale`). In the
wide limit ``K → δ_jk δ_aa' δ_bb' β_j²/n_x`` (the theory page, section 'Lag weights'). `empirical_lag_ntk` returns the
lag-by-lag matrix
``n_x · mean_{a,b} K[(j,a,b),(k,a,b)]``, which tends to ``diag(β_0², …, β_J²)``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from tnrnn._types import check_choice
from tnrnn.linear.model import LinearRNN, check_lag, group_lr_scale, impulse_response

__all__ = ["NTK_METHODS", "empirical_lag_ntk", "empirical_ntk_tensor"]

#: ``"jacobian"``: `jax.jacrev` of θ ↦ L and a contraction (memory ∝ (J+1)·n_y·n_x·n²);
#: ``"jvp"``: one vjp + one jvp per output entry (matrix-free, memory ∝ n²); ``"auto"`` picks by size.
NTK_METHODS = ("auto", "jacobian", "jvp")

_JACOBIAN_MAX_ENTRIES = 2**25  # 256 MiB of float64 Jacobian


def _scaled(tree: LinearRNN, scale: LinearRNN) -> LinearRNN:
    return LinearRNN(W=tree.W * scale.W, F=tree.F * scale.F, C=tree.C * scale.C, param=tree.param)


def empirical_ntk_tensor(model: LinearRNN, J: int, *, lr_scale=(1.0, 1.0, 1.0), method: str = "auto"):
    """The full empirical kernel between Markov parameters, shape ``(J+1, n_y, n_x, J+1, n_y, n_x)``.

    Parameters
    ----------
    model : LinearRNN
        A finite-width RNN (either parameterisation).
    J : int
        Largest lag.
    lr_scale : (λ_W, λ_F, λ_C)
        Relative learning rates; under the standard parameterisation each is divided by ``n`` (step ``η₀/n``).
    method : {"auto", "jacobian", "jvp"}
        ``"jacobian"`` forms ``∂L/∂θ`` with `jax.jacrev` (the impulse response is a `lax.scan` over powers) and
        contracts it; ``"jvp"`` computes each column ``J Λ Jᵀ e`` with a vjp followed by a jvp, never storing
        the Jacobian (use it for ``n`` in the thousands). ``"auto"`` uses the Jacobian when it has at most 2²⁵
        entries.

    Returns
    -------
    jax.Array

    References
    ----------
    the theory page, section 'Lag weights'.
    """
    J = check_lag("J", J)
    check_choice("method", method, NTK_METHODS)
    scale = group_lr_scale(model, lr_scale)
    out_shape = (J + 1, model.n_y, model.n_x)
    size = (J + 1) * model.n_y * model.n_x
    if method == "auto":
        n_params = model.W.size + model.F.size + model.C.size
        method = "jacobian" if size * n_params <= _JACOBIAN_MAX_ENTRIES else "jvp"

    return _ntk_impl(model, scale, J, method).reshape(out_shape + out_shape)


@functools.partial(jax.jit, static_argnames=("J", "method"))
def _ntk_impl(model, scale, J, method):
    def f(m):
        return impulse_response(m, J).reshape(-1)

    if method == "jacobian":
        return _ntk_jacobian(f, model, scale)
    return _ntk_jvp(f, model, scale, (J + 1) * model.n_y * model.n_x)


def _ntk_jacobian(f, model, scale):
    jac = jax.jacrev(f)(model)
    K = 0.0
    for g in ("W", "F", "C"):
        Jg = getattr(jac, g).reshape(jac.W.shape[0], -1)
        K = K + getattr(scale, g) * (Jg @ Jg.T)
    return K


def _ntk_jvp(f, model, scale, size):
    _, vjp = jax.vjp(f, model)

    def column(e):
        (ct,) = vjp(e)
        ct = _scaled(ct, scale)
        return jax.jvp(f, (model,), (ct,))[1]

    eye = jnp.eye(size, dtype=model.W.dtype)
    return jax.lax.map(column, eye)


def empirical_lag_ntk(model: LinearRNN, J: int, *, lr_scale=(1.0, 1.0, 1.0), method: str = "auto"):
    """The lag-by-lag empirical NTK ``K_jk = n_x · mean_{a,b} K[(j,a,b),(k,a,b)]``, shape ``(J+1, J+1)``.

    For a scalar RNN (``n_x = n_y = 1``) this is exactly ``⟨∂L_j/∂θ, ∂L_k/∂θ⟩`` (weighted by the group
    learning rates). As ``n → ∞`` it tends to ``diag(β_0², …, β_J²)`` (`tnrnn.linear.lag_weights`); at finite
    width the off-diagonal entries are ``O(1/√n)`` fluctuations and the diagonal has relative spread growing with
    the lag (the theory page, section 'Assumptions'; the user guide 'Linear RNNs').

    Parameters
    ----------
    model, J, lr_scale, method
        As in `empirical_ntk_tensor`.

    Returns
    -------
    jax.Array, shape (J + 1, J + 1)

    Notes
    -----
    The kernel is computed in the dtype of ``model``; comparisons with β_j² down to 1e-5 need float64 (the
    caller enables ``jax_enable_x64``).

    References
    ----------
    the theory page, section 'Lag weights' (lag-diagonal kernel).
    """
    K = empirical_ntk_tensor(model, J, lr_scale=lr_scale, method=method)
    diag_entries = jnp.einsum("jabkab->jk", K)
    return diag_entries / model.n_y
