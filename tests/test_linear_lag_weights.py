"""Tests of tnrnn.linear.lag_weights: β_j² against the hand-derived values of papers/implicit_bias_linear_rnn.md §5,
peak and memory lags, and the summary's strict-JSON limits."""

from __future__ import annotations

import json
import math
from fractions import Fraction as Fr

import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn.linear import (
    lag_weight,
    lag_weight_summary,
    lag_weights,
    lag_weights_exact,
    memory_constant,
    memory_lag,
    peak_lag,
)
from tnrnn.testing import assert_close

#: the notes print some values rounded to this many decimals
PRINTED_DECIMALS = 5


# --- lag weights: notes §5 -------------------------------------------------------------------------------------


def test_q_half_unit_variances_exact():
    got = lag_weights_exact(10, rho2=Fr(1, 2))
    assert got[:7] == [2, 2, Fr(3, 2), 1, Fr(5, 8), Fr(3, 8), Fr(7, 32)]
    assert got[10] == Fr("0.021484375")
    assert lag_weight(10, rho2=Fr(1, 2)) == Fr("0.021484375")


def test_q_quarter_exact():
    assert lag_weights_exact(5, rho2=Fr(1, 4)) == [
        2,
        Fr("1.5"),
        Fr("0.625"),
        Fr("0.21875"),
        Fr("0.0703125"),
        Fr("0.021484375"),
    ]


def test_q_0_9_exact_and_peak_at_8():
    got = lag_weights_exact(9, rho2=Fr("0.9"))
    assert got[:6] == [2, Fr("2.8"), Fr("3.42"), Fr("3.888"), Fr("4.2282"), Fr("4.46148")]
    # the notes' working: 0.9^7 · (1.8 + 8) = 0.4782969 · 9.8
    assert got[8] == Fr("0.4782969") * Fr("9.8")
    assert round(float(got[8]), PRINTED_DECIMALS) == 4.68731
    assert round(float(got[7]), PRINTED_DECIMALS) == 4.67668
    assert round(float(got[9]), PRINTED_DECIMALS) == 4.64905
    assert peak_lag(rho2=Fr("0.9"), exact=True) == 8
    assert peak_lag(rho2=0.9) == 8
    # β rises exactly while j <= q(2q-1)/(1-q) = 7.2
    bound = Fr("0.9") * (2 * Fr("0.9") - 1) / (1 - Fr("0.9"))
    assert bound == Fr("7.2")
    assert all((got[j + 1] >= got[j]) == (j <= bound) for j in range(9))


def test_q_0_81_peak_at_3():
    got = lag_weights_exact(6, rho2=Fr("0.81"))
    assert peak_lag(rho2=Fr("0.81"), exact=True) == 3
    assert peak_lag(rho2=0.81) == 3
    assert max(range(7), key=lambda j: got[j]) == 3
    assert round(float(got[3]), PRINTED_DECIMALS) == 3.03118


def test_q_one_linear_growth_and_q_half_tie():
    assert lag_weights_exact(6, rho2=1) == [2 + j for j in range(7)]
    assert peak_lag(rho2=1, J=6) == 6
    # at q = 1/2, β_1 = β_0 (a tie, the first maximum is lag 0) and the weights decrease after that
    assert peak_lag(rho2=Fr(1, 2), exact=True) == 0
    with pytest.raises(ArgumentError, match="J"):
        peak_lag(rho2=1)


def test_unequal_variances_exact():
    got = lag_weights_exact(5, rho2=Fr(1, 2), sigma_c2=2, sigma_f2=Fr(1, 2))
    assert got == [Fr("2.5"), Fr("2.25"), Fr("1.625"), Fr("1.0625"), Fr("0.65625"), Fr("0.390625")]


def test_standard_parameterisation_exact():
    got = lag_weights_exact(5, rho2=Fr(1, 2), param="standard")
    assert got == [1, Fr("1.5"), Fr("1.25"), Fr("0.875"), Fr("0.5625"), Fr("0.34375")]


def test_one_percent_memory_lags():
    for q, lag in (("0.25", 6), ("0.5", 11), ("0.81", 37), ("0.9", 80)):
        assert memory_lag(rho2=Fr(q), exact=True) == lag
        assert memory_lag(rho2=float(q)) == lag
    assert memory_lag(rho2=1.0) is None
    assert memory_lag(rho2=0.9, J=50) is None


def test_peak_and_memory_lags_equal_a_scan_of_the_exact_weights():
    """The searches (doubling and bisection) against the plain definition: scan β_0², β_1², ... exactly."""
    J = 400
    for q in (Fr(0), Fr(1, 4), Fr(1, 2), Fr(81, 100), Fr(9, 10), Fr(19, 20), Fr(1), Fr(11, 10)):
        for sc, sf, param, lam in (
            (1, 1, "ntk", (1, 1, 1)),
            (2, Fr(1, 2), "ntk", (1, 0, 3)),
            (1, 3, "standard", (1, 1, 1)),
        ):
            kw = dict(rho2=q, sigma_c2=sc, sigma_f2=sf, param=param, lr_scale=lam)
            beta = lag_weights_exact(J, **kw)
            first_max = max(range(J + 1), key=lambda j: (beta[j], -j))
            for limit in (0, 3, 40, J):
                assert peak_lag(J=limit, exact=True, **kw) == max(range(limit + 1), key=lambda j: (beta[j], -j))
                below = [j for j in range(1, limit + 1) if beta[j] < beta[0] / 100]
                assert memory_lag(J=limit, exact=True, **kw) == (below[0] if below else None)
            if q < 1:
                assert peak_lag(exact=True, **kw) == first_max
                below = [j for j in range(1, J + 1) if beta[j] < beta[0] / 100]
                assert below and memory_lag(exact=True, **kw) == below[0]


def test_lags_near_rho2_one():
    # about 1.8 million lags (a scan of them took 20 s; the search evaluates a few dozen)
    q = 0.99999
    lag = memory_lag(rho2=q)  # unit variances, NTK: β_0² = 2, β_j² = q^{j-1} (2q + j)
    assert q ** (lag - 1) * (2 * q + lag) < 2 / 100 <= q ** (lag - 2) * (2 * q + lag - 1)
    assert peak_lag(rho2=q) == math.floor(q * (2 * q - 1) / (1 - q)) + 1  # β rises while j <= q(2q-1)/(1-q)


def test_memory_constants_and_learning_times():
    assert [round(memory_constant(q), 2) for q in (0.25, 0.5, 0.81, 0.9)] == [0.72, 1.44, 4.75, 9.49]
    beta2 = lag_weights_exact(10, rho2=Fr(1, 2))
    eta = Fr(1, 10)
    assert [1 / (eta * beta2[j]) for j in (0, 5)] == [5, Fr(80, 3)]
    assert round(float(1 / (eta * beta2[10])), 1) == 465.5


def test_float_equals_exact_and_groups_add_up():
    for q in (0.25, 0.5, 0.81, 0.9, 1.0, 1.3, 0.0):
        for param in ("ntk", "standard"):
            exact = [float(v) for v in lag_weights_exact(15, rho2=q, sigma_c2=1.5, sigma_f2=0.7, param=param)]
            assert_close(lag_weights(15, rho2=q, sigma_c2=1.5, sigma_f2=0.7, param=param), exact)
    total = lag_weights_exact(8, rho2=Fr(3, 5), sigma_c2=2, sigma_f2=3, lr_scale=(1, 1, 1))
    parts = [
        lag_weights_exact(8, rho2=Fr(3, 5), sigma_c2=2, sigma_f2=3, lr_scale=lam)
        for lam in ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    ]
    assert [a + b + c for a, b, c in zip(*parts, strict=True)] == total
    # W group alone: j σ_C² σ_F² q^{j-1}
    assert parts[0] == [j * 6 * Fr(3, 5) ** (j - 1) if j else 0 for j in range(9)]


def test_summary_keys():
    s = lag_weight_summary(12, rho2=0.5)
    assert s["peak_lag"] == 0 and s["memory_lag_1pct"] == 11 and len(s["beta2"]) == 13


# --- strict JSON: out-of-range lag weights are refused ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "J"), [({"rho2": 1e308}, 20), ({"rho2": 4.0}, 600), ({"rho2": 0.5, "sigma_c2": 1e308, "sigma_f2": 10.0}, 3)]
)
def test_summary_refuses_overflowing_lag_weights(kw, J):
    from tnrnn.linear import lag_weight_summary

    assert not np.isfinite(lag_weights(J, **kw)).all()  # the float weights really overflow
    with pytest.raises(ArgumentError) as info:
        lag_weight_summary(J, **kw)
    assert info.value.name == "rho2" and "float64" in str(info.value)


def test_summary_lag_limit_and_edge_values():
    from tnrnn.linear import lag_weight_summary
    from tnrnn.linear.lag_weights import MAX_SUMMARY_LAG

    with pytest.raises(ArgumentError) as info:
        lag_weight_summary(MAX_SUMMARY_LAG + 1, rho2=0.5)
    assert info.value.name == "J"
    one = lag_weight_summary(0, rho2=1.0)
    assert one["beta2"] == [2.0] and one["memory_constant"] is None
    assert json.loads(json.dumps(lag_weight_summary(30, rho2=1.0), allow_nan=False))["J"] == 30
