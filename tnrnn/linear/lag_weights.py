"""Analytic lag weights β_j² of the wide linear RNN and the memory quantities derived from them.

Pure Python arithmetic (no JAX): every function works in the number type it is given, so passing
`fractions.Fraction` values (or ``exact=True``) gives exact rational results, which is what the tests compare with
the values stated on the theory page, section 'Memory lags'.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from tnrnn._types import ArgumentError
from tnrnn.linear.model import check_lag, check_param, check_variance

__all__ = [
    "lag_weight",
    "lag_weights",
    "lag_weights_exact",
    "peak_lag",
    "memory_lag",
    "memory_constant",
    "lag_weight_summary",
    "MAX_SUMMARY_LAG",
]

#: the largest ``J`` of `lag_weight_summary` (the ``tnrnn linear lag-weights`` command lists every lag)
MAX_SUMMARY_LAG = 100_000


def _as_fraction(value) -> Fraction:
    """Exact rational of a number; a float is read as its shortest round-trip decimal (0.81 → 81/100)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, exact):
    values = [
        check_variance("rho2", rho2),
        check_variance("sigma_c2", sigma_c2),
        check_variance("sigma_f2", sigma_f2),
    ]
    if len(tuple(lr_scale)) != 3:
        raise ArgumentError("lr_scale", lr_scale, "three relative learning rates (lr_W, lr_F, lr_C)")
    values += [check_variance(nm, v) for nm, v in zip(("lr_W", "lr_F", "lr_C"), lr_scale, strict=True)]
    check_param(param)
    if exact:
        values = [_as_fraction(v) for v in values]
    return values


def _coefficients(q, sc, sf, lw, lf, lc, param):
    """``(s', p')`` with ``β_0² = s'`` and ``β_j² = q^{j-1} (q s' + j p')`` for ``j >= 1``."""
    s = lc * sf + (lf * sc if param == "ntk" else 0)
    p = lw * sc * sf
    return s, p


def lag_weight(j: int, *, rho2, sigma_c2=1, sigma_f2=1, param: str = "ntk", lr_scale=(1, 1, 1), exact=False):
    """The lag weight β_j² of one lag, in the arithmetic of the inputs (or exactly with ``exact=True``).

    Parameters
    ----------
    j : int
        Lag, ``>= 0``.
    rho2, sigma_c2, sigma_f2 : number
        Initial variances ``σ_W² = ρ²``, ``σ_C²``, ``σ_F²`` (each ``>= 0``).
    param : {"ntk", "standard"}
        Parameterisation. Under ``"standard"`` the step is ``η₀/n`` and the ``F`` term vanishes (the theory page,
        section 'The model and its impulse response').
    lr_scale : (λ_W, λ_F, λ_C)
        Relative learning rates of the three parameter groups.
    exact : bool
        Convert every input to `fractions.Fraction` first (floats through their shortest decimal).

    Returns
    -------
    number
        ``λ_C σ_F² q^j + λ_F σ_C² q^j + λ_W j σ_C² σ_F² q^{j-1}`` with ``q = ρ²`` (NTK); the same without the
        ``λ_F`` term (standard).

    Notes
    -----
    Wide limit ``n → ∞`` with ``T, n_x, n_y`` fixed, iid Gaussian initialisation, squared loss, lag ``j`` using
    ``W^j`` with no feed-through term (the theory page, sections 'The model and its impulse response' and
    'Assumptions'). The lag-NTK is then diagonal in the lag with these
    entries (times ``1/n_x``). ``q = 0`` is allowed (``0⁰ = 1``).

    References
    ----------
    the theory page, sections 'Lag weights' and 'The model and its impulse response' (per-group rates,
    standard parameterisation),
    Appendix A (derivation); Emami et al., "Implicit Bias of Linear RNNs", ICML 2021.
    """
    j = check_lag("j", j)
    q, sc, sf, lw, lf, lc = _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, exact)
    s, p = _coefficients(q, sc, sf, lw, lf, lc, param)
    return _beta(j, q, s, p)


def _beta(j, q, s, p):
    """β_j² from the coefficients: ``s`` at lag 0, ``q^{j-1} (q s + j p)`` after it."""
    return s if j == 0 else q ** (j - 1) * (q * s + j * p)


def _first_lag(pred, J=None):
    """The first lag ``j`` in ``1..J`` (``J=None``: unbounded) with ``pred(j)``, or None; ``pred`` false, then true.

    A doubling search and a bisection: ``O(log j)`` evaluations, so lags in the millions (``ρ²`` near 1) take
    microseconds. Unbounded, ``pred`` must become true.
    """
    lo, hi = 0, 1  # pred(lo) is false (0 stands for "before lag 1")
    if J is not None and J < 1:
        return None
    while not pred(hi):
        if J is not None and hi >= J:
            return None
        lo, hi = hi, 2 * hi if J is None else min(2 * hi, J)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if pred(mid) else (mid, hi)
    return hi


def _sequence(J, q, s, p):
    """β_0²..β_J² by one multiplication per lag (same arithmetic as `lag_weight`)."""
    out = [s]
    power = 1  # q^{j-1}
    for j in range(1, J + 1):
        out.append(power * (q * s + j * p))
        power = power * q
    return out


def lag_weights_exact(J: int, *, rho2, sigma_c2=1, sigma_f2=1, param: str = "ntk", lr_scale=(1, 1, 1)):
    """β_0², …, β_J² as a list of `fractions.Fraction` (exact rational arithmetic).

    Floats are read as their shortest decimal (``0.81 → 81/100``); pass `Fraction` or strings for other values.
    See `lag_weight` for the formula, assumptions and references.
    """
    J = check_lag("J", J)
    q, sc, sf, lw, lf, lc = _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, True)
    s, p = _coefficients(q, sc, sf, lw, lf, lc, param)
    return _sequence(J, q, s, p)


def lag_weights(J: int, *, rho2, sigma_c2=1.0, sigma_f2=1.0, param: str = "ntk", lr_scale=(1.0, 1.0, 1.0)):
    """β_0², …, β_J² as a float64 numpy array of shape ``(J + 1,)``.

    See `lag_weight` for the formula, assumptions and references.
    """
    J = check_lag("J", J)
    vals = _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, False)
    q, sc, sf, lw, lf, lc = (float(v) for v in vals)
    s, p = _coefficients(q, sc, sf, lw, lf, lc, param)
    return np.asarray(_sequence(J, q, s, p), dtype=np.float64)


def peak_lag(*, rho2, sigma_c2=1, sigma_f2=1, param: str = "ntk", lr_scale=(1, 1, 1), J=None, exact=False) -> int:
    """The lag with the largest β_j² (the first one on a tie), over all lags or over ``0..J``.

    Notes
    -----
    The ratio ``β_{j+1}²/β_j²`` is non-increasing in ``j`` (it equals ``q (q s + (j+1) p)/(q s + j p)`` for
    ``j >= 1`` and ``(q s + p)/s`` at ``j = 0``), so β_j² is unimodal and the search stops at the first strict
    decrease. With unit ``C`` and ``F`` variances β_j² rises exactly while ``j <= q(2q-1)/(1-q)``: the peak is at
    lag 0 for ``q <= 1/2`` (a tie β_0 = β_1 at ``q = 1/2``), 3 for ``q = 0.81``, 8 for ``q = 0.9``. For
    ``ρ² >= 1`` the weights never decay and ``J`` is required.

    References
    ----------
    the theory page, section 'Memory lags'
    """
    q, sc, sf, lw, lf, lc = _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, exact)
    if J is not None:
        J = check_lag("J", J)
    elif q >= 1:
        raise ArgumentError("J", J, "a maximum lag (an integer >= 0) when rho2 >= 1: the lag weights do not decay")
    s, p = _coefficients(q, sc, sf, lw, lf, lc, param)
    # unimodal: the peak is the first lag not below the next one (a tie keeps the first); within 0..J, J at most
    past_peak = lambda j: _beta(j + 1, q, s, p) <= _beta(j, q, s, p)  # noqa: E731 - monotone in j
    if past_peak(0) or J == 0:
        return 0
    found = _first_lag(past_peak, J)
    return J if found is None else found


def memory_lag(
    *,
    rho2,
    sigma_c2=1,
    sigma_f2=1,
    param: str = "ntk",
    lr_scale=(1, 1, 1),
    threshold=Fraction(1, 100),
    J=None,
    exact=False,
):
    """The first lag with ``β_j²/β_0² < threshold`` (the "1 %-memory lag" for the default threshold).

    Returns
    -------
    int or None
        ``None`` when the ratio never drops below ``threshold`` (``ρ² >= 1``) or not within ``0..J``.

    Notes
    -----
    With unit ``C`` and ``F`` variances (NTK) the 1 %-memory lag is 6, 11, 37 and 80 for ``ρ² = 0.25, 0.5, 0.81,
    0.9``.

    References
    ----------
    the theory page, section 'Memory lags' (1 %-memory lag).
    """
    q, sc, sf, lw, lf, lc = _checked(rho2, sigma_c2, sigma_f2, param, lr_scale, exact)
    threshold = _as_fraction(threshold) if exact else threshold
    if not threshold > 0:
        raise ArgumentError("threshold", threshold, "a number > 0")
    if J is not None:
        J = check_lag("J", J)
    s, p = _coefficients(q, sc, sf, lw, lf, lc, param)
    if s == 0:
        raise ArgumentError("sigma_c2, sigma_f2", (sigma_c2, sigma_f2), "variances with beta_0^2 > 0")
    if 1 < threshold:
        return 0
    if q >= 1 and J is None:
        return None
    # β_j²/β_0² rises from 1 >= threshold to the peak and falls after it, so "below the threshold" is monotone
    return _first_lag(lambda j: _beta(j, q, s, p) < threshold * s, J)


def memory_constant(rho2) -> float:
    """``τ = 1/ln(1/ρ²)``, the e-folding lag of the asymptotic decay ``β_j² ∝ j e^{-j/τ}`` (``inf`` if ρ² >= 1).

    References
    ----------
    the theory page, section 'Memory lags' (τ = 0.72, 1.44, 4.75, 9.49 for ρ² = 0.25, 0.5, 0.81, 0.9).
    """
    q = float(check_variance("rho2", rho2))
    if q >= 1:
        return math.inf
    if q == 0:
        return 0.0
    return 1.0 / math.log(1.0 / q)


def lag_weight_summary(J: int, *, rho2, sigma_c2=1.0, sigma_f2=1.0, param: str = "ntk", lr_scale=(1.0, 1.0, 1.0)):
    """Everything the ``tnrnn linear lag-weights`` command prints, as a JSON-ready dict.

    Every value is finite (strict JSON): settings whose β_j² overflow float64 are refused (`ArgumentError` naming
    ``rho2``), as is ``J > MAX_SUMMARY_LAG``. ``ρ² = 1`` and above are allowed (the weights do not decay: the peak
    lag, memory lag and constant are ``None``); ``J = 0`` lists β_0² alone.

    Keys: ``beta2`` (list of β_0²..β_J²), ``peak_lag`` and ``memory_lag_1pct`` (`peak_lag` and `memory_lag` over
    all lags, as the API gives them, not only over the ``0..J`` listed), ``decay_rate`` (ρ², the asymptotic ratio
    β_{j+1}²/β_j²), ``memory_constant`` (τ, or ``None`` when infinite) and the settings.
    """
    J = check_lag("J", J)
    if J > MAX_SUMMARY_LAG:
        raise ArgumentError("J", J, f"an integer 0 <= J <= {MAX_SUMMARY_LAG} (one lag weight per lag is listed)")
    kw = dict(rho2=rho2, sigma_c2=sigma_c2, sigma_f2=sigma_f2, param=param, lr_scale=lr_scale)
    beta2 = lag_weights(J, **kw)
    if not np.isfinite(beta2).all():
        j = int(np.flatnonzero(~np.isfinite(beta2))[0])
        raise ArgumentError(
            "rho2",
            rho2,
            f"a value whose lag weights up to J={J} fit in float64 (beta_{j}^2 overflows; lower rho2, "
            "the variances, the rates or J)",
        )
    tau = memory_constant(rho2)
    decays = float(rho2) < 1
    return {
        "beta2": [float(b) for b in beta2],
        "peak_lag": peak_lag(**kw) if decays else None,
        "memory_lag_1pct": memory_lag(**kw),
        "decay_rate": float(rho2),
        "memory_constant": None if math.isinf(tau) else tau,
        "rho2": float(rho2),
        "sigma_c2": float(sigma_c2),
        "sigma_f2": float(sigma_f2),
        "param": param,
        "lr_scale": [float(v) for v in lr_scale],
        "J": J,
    }
