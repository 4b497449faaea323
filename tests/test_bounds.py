from math import comb

import pytest

from tnrnn import ArgumentError
from tnrnn.bounds import (
    alphabet_upper_bound,
    conjectured_lower_bound,
    degree_upper_bound,
    depth2_lower_bound,
    input_degree,
    lower_bound,
    multiset,
    proven_upper_bounds,
    shallow_rank,
    state_upper_bound,
)
from tnrnn.cells import bounds_report

# Notes §7.3 columns for (L, M, R) over T = 2, 4, 6, 8: LB, UB_state, UB_end.
TABLE = {
    (1, 2, 3): ([2, 3, 3, 3], [3, 3, 3, 3], [2, 4, 8, 16]),
    (1, 3, 4): ([3, 4, 4, 4], [4, 4, 4, 4], [3, 9, 27, 81]),
    (2, 2, 2): ([2, 3, 4, 5], [4, 6, 8, 10], [2, 6, 24, 120]),
    (2, 2, 4): ([2, 3, 4, 5], [16, 40, 80, 140], [2, 6, 24, 120]),
    (2, 3, 3): ([3, 6, 10, 15], [9, 18, 30, 45], [3, 18, 180, 2700]),
    (3, 2, 3): ([2, 4, 7, 11], [27, 180, 840, 2970], [2, 8, 56, 616]),
    (3, 3, 4): ([3, 10, 28, 66], [64, 800, 6720, 40040], [3, 30, 840, 55440]),
}


def test_multiset_values():
    assert [multiset(2, k) for k in range(1, 6)] == [2, 3, 4, 5, 6]
    assert [multiset(3, k) for k in range(2, 7)] == [6, 10, 15, 21, 28]
    assert [multiset(4, k) for k in range(2, 5)] == [10, 20, 35]
    # notes §3.3 values of ((n; T/2)) for T = 2..64
    assert [multiset(8, k) for k in (1, 2, 4, 8, 16, 32)] == [8, 36, 330, 6435, 245157, 15380937]


@pytest.mark.parametrize(("key", "cols"), list(TABLE.items()))
def test_table_columns(key, cols):
    L, M, R = key
    lb, ub_state, ub_end = cols
    for i, T in enumerate((2, 4, 6, 8)):
        low = shallow_rank(M, R, T) if L == 1 else conjectured_lower_bound(M, R, L, T)
        assert low == lb[i]
        assert state_upper_bound(R, L, T) == ub_state[i]
        assert degree_upper_bound(M, L, T, side="B") == ub_end[i]


def test_depth_two_lower_bound_is_the_conjecture_at_L2():
    for M in (1, 2, 3, 5):
        for R in (1, 2, 4):
            for T in (2, 4, 10, 32):
                assert depth2_lower_bound(M, R, T) == conjectured_lower_bound(M, R, 2, T)


def test_input_degree_counts_paths():
    T, L = 6, 3
    assert [input_degree(t, T, L) for t in range(1, T + 1)] == [comb(T - t + 2, 2) for t in range(1, T + 1)]
    assert sum(input_degree(t, T, L) for t in range(1, T + 1)) == comb(T + L - 1, L)


def test_lower_bound_names_the_result():
    value, text = lower_bound(2, 3, 1, 8)
    assert value == min(3, 2 ** (8 // 2)) and isinstance(text, str) and text
    assert "Theorem 1(1)" in text
    assert "Theorem 1(2)" in lower_bound(2, 3, 2, 8)[1]
    value, text = lower_bound(3, 3, 3, 4)
    assert value is None and "conjecture" in text and "10" in text


def test_conjecture_exceeds_alphabet_bound_in_onehot():
    """Notes §3.2: M=R=3, T=4, L=3 gives 10 > 9 = M^{T/2}."""
    assert conjectured_lower_bound(3, 3, 3, 4) == 10 > alphabet_upper_bound(3, 4) == 9


def test_proven_upper_bounds_by_domain_and_partition():
    se = proven_upper_bounds(2, 2, 2, 8, domain="onehot")
    assert se == {"degree_upper": 120, "state_upper": 10, "alphabet_upper": 16}
    cont = proven_upper_bounds(2, 2, 2, 8, domain="continuous")
    assert "alphabet_upper" not in cont
    inter = proven_upper_bounds(2, 2, 2, 8, domain="continuous", partition="interleaved")
    assert "state_upper" not in inter  # the state bound needs a Start-End split


def test_bounds_report_keys():
    rep = bounds_report(2, 2, 2, 4)
    for k in ("lower", "state_upper", "degree_upper", "alphabet_upper", "min_cut", "theorem"):
        assert k in rep
    assert rep["lower"] == 3 and rep["state_upper"] == 6 and rep["degree_upper"] == 6 and rep["alphabet_upper"] == 4
    assert rep["cell"] == "rac" and rep["conjecture"] == conjectured_lower_bound(2, 2, 2, 4)


def test_bounds_report_of_version_1_is_deprecated_and_agrees():
    from tnrnn.bounds import bounds_report as old_report

    for args, part in (((2, 3, 2, 6), "start-end"), ((2, 3, 3, 5), ((1, 3, 5), (2, 4)))):
        with pytest.warns(DeprecationWarning, match="bounds_report"):
            old = old_report(*args, partition=part)
        new = bounds_report(*args, partition=part)
        assert old == {k: new[k] for k in old} and set(new) - set(old) == {"cell", "total_degree_upper"}


@pytest.mark.parametrize(("args", "name"), [((2, 2, 2, 5), "T"), ((0, 2, 2, 4), "M"), ((2, 2, 0, 4), "L")])
def test_bad_arguments(args, name):
    with pytest.raises(ArgumentError, match=f"{name}="):
        bounds_report(*args)


# --- validation and size refusal --------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["C", "start", None, 1, "a"])
def test_degree_bound_side_is_a_checked_choice(side):
    with pytest.raises(ArgumentError) as info:
        degree_upper_bound(2, 2, 4, side=side)
    assert info.value.name == "side" and "'both'" in str(info.value)


def test_bounds_report_other_partitions_give_the_partition_free_bounds():
    from tnrnn.bounds import alphabet_upper_bound

    part = ((1, 3, 5), (2, 4))
    rep = bounds_report(2, 3, 2, 5, partition=part)
    assert rep["state_upper"] is None and rep["lower"] is None and rep["conjecture"] is None
    assert rep["degree_upper"] == degree_upper_bound(2, 2, 5, part)
    assert rep["alphabet_upper"] == alphabet_upper_bound(2, 5, part) == 2**2
    assert rep["partition"] == {"name": "custom", "A": [1, 3, 5], "B": [2, 4]}
    assert bounds_report(2, 3, 2, 4)["partition"]["name"] == "start-end"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((2, 2, 2, 10**7), "T"),
        ((2, 2, 1000, 100_000), "T"),
        ((1, 1, 10**18, 2), "L"),
        ((2, 2, 2000, 1200), "L"),
        ((10**18, 2, 3, 1000), "T"),
    ],
)
def test_closed_forms_beyond_the_exact_size_are_refused_fast(args, name):
    import time

    from tnrnn.bounds import check_closed_form_size

    t0 = time.perf_counter()
    with pytest.raises(ArgumentError, match="bits|at most") as info:
        bounds_report(*args)
    assert info.value.name == name
    with pytest.raises(ArgumentError):
        check_closed_form_size(*args)
    assert time.perf_counter() - t0 < 5


def test_size_estimate_is_a_lower_bound_of_the_exact_sizes():
    from tnrnn.bounds import check_closed_form_size

    for M, R, L, T in [(2, 2, 1000, 1000), (3, 3, 5, 40), (5, 2, 3, 12), (2, 7, 1, 30)]:
        rep = bounds_report(M, R, L, T)
        exact = sum(
            v.bit_length()
            for k, v in rep.items()
            if k in ("state_upper", "degree_upper", "alphabet_upper") and v is not None
        )
        assert 0 < check_closed_form_size(M, R, L, T) and exact <= 3 * check_closed_form_size(M, R, L, T)
