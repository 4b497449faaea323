"""tnrnn.rank.certificate: status, degree and failure bound of a rank."""

import pytest

from tnrnn.cells import make_cell
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    failure_bound,
    separation_rank,
)
from tnrnn.rank._run import _primes_below

P21 = _primes_below(BLAS_PRIME_BOUND, 1)[0]
P31 = 2**31 - 1  # int64 mode: width * (p-1)^2 < 2^63 for width <= 2


def test_certificate_status_and_failure_bound():
    proven = separation_rank(2, 2, 2, 8, domain="continuous")  # state bound 10 is attained
    assert (proven.rank, proven.status, proven.failure_bound, proven.upper_bound) == (10, "proven", 0.0, 10)
    low = separation_rank(2, 3, 2, 8, domain="continuous", n_seeds=2, confidence="fast")  # 42 < state bound 45
    assert low.status == "lower-bound" and low.rank == 42 and low.upper_bound == 45
    D = make_cell("rac", 2, 3, 2).output_degree(8)
    assert low.degree == D
    expected = 1.0
    for p in low.primes:
        expected *= (42 + 1) * D / p
    assert low.failure_bound == pytest.approx(expected, rel=1e-12)
    assert 0 < low.failure_bound < 1e-4
    # the default certifies over GF(p^2): the prime-field pass counts min(1, 43 D / p), the extension 43 D / p^2
    cert = separation_rank(2, 3, 2, 8, domain="continuous")
    assert (cert.rank, cert.status, cert.confidence) == (42, "lower-bound", "certified")
    p, q = cert.primes
    assert cert.extra["fields"] == [f"GF({p})", f"GF({q}^2)"]
    assert cert.failure_bound == pytest.approx(min(1.0, 43 * D / p) * 43 * D / q**2, rel=1e-12)
    assert cert.failure_bound <= 1e-6
    assert "certified lower bound" in low.summary() and "42" in low.summary()
    assert "proven exact" in proven.summary()


def test_output_degree_counted_by_hand():
    # shallow RAC, T = 2: y = W_O [(W_H (W_I x1)) ⊙ (W_I x2)]: degree 1 + (1 + 1 + 1) + (1 + 1) = 6 in weights and
    # inputs; 4 in weights alone (one-hot inputs are fixed)
    cell = make_cell("rac", 2, 2, 1)
    assert cell.output_degree(2) == 6
    assert cell.output_degree(2, input_degree=0) == 4
    # one step more adds W_H, W_I and x: 3
    assert cell.output_degree(3) == 9
    # depth 2, T = 1: y = W_O (W_I2 (W_I1 x)): 4
    assert make_cell("rac", 2, 2, 2).output_degree(1) == 4


def test_failure_bound_formula():
    assert failure_bound(9, 10, [1000, 2000], [20, 20]) == pytest.approx((100 / 1000) * (100 / 2000))
    assert failure_bound(9, 10, [1000, 2000], [20, 5]) == pytest.approx(100 / 1000)  # too small: no information
    assert failure_bound(9, 1000, [1000], [20]) == 1.0


@pytest.mark.parametrize(
    "bound, says, never",
    [
        (3.5e-7, "exact with high probability (failure bound 3.5e-07)", "no guarantee"),
        (2.5e-3, "exact except with probability at most 0.0025", "high probability"),
        (1.0, "no guarantee that it is exact", "high probability"),
        (None, "no guarantee that it is exact", "high probability"),
    ],
)
def test_summary_words_follow_the_failure_bound(bound, says, never):
    # a vacuous bound (the fast mode's 1 on a deep cell) is never called "exact with high probability"
    from dataclasses import replace

    low = separation_rank(2, 3, 2, 8, domain="continuous", n_seeds=2, confidence="fast")
    text = replace(low, failure_bound=bound).summary()
    assert "rank 42: certified lower bound; " + says in text and never not in text


def test_fast_mode_with_a_vacuous_bound_says_so():
    # (M, R, L, T) = (2, 2, 4, 8): rank 2038, entry degree 1154, so (r + 1) D > p for every prime below 2^21
    res = separation_rank(2, 2, 4, 8, domain="continuous", confidence="fast", n_seeds=1)
    assert res.status == "lower-bound" and res.failure_bound == 1.0
    assert "no guarantee that it is exact" in res.summary() and "high probability" not in res.summary()
