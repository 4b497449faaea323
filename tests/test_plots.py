"""Rank plots (tnrnn.plots, figures issue): the plotted values are the engine's and the closed forms'."""

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tnrnn.bounds import (  # noqa: E402
    conjectured_lower_bound,
    depth2_lower_bound,
    proven_upper_bounds,
    shallow_rank,
    state_upper_bound,
)
from tnrnn.cuts import start_end_min_cut  # noqa: E402
from tnrnn.plots import measured_ranks, plot_rank_ratio, plot_rank_vs_T, rank_ratio_table  # noqa: E402
from tnrnn.rank import separation_rank  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


EXACT_T = {
    (1, "continuous"): [2, 4, 6],
    (1, "onehot"): [2, 4],
    (2, "continuous"): [2, 4, 6, 8],
    (2, "onehot"): [4, 6],
    (3, "continuous"): [2, 4],
    (3, "onehot"): [4, 6],
}


def _line(ax, gid):
    (line,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    return line


def test_rank_vs_T_markers_are_exact_ranks():
    M = R = 3
    fig, ax = plot_rank_vs_T(M, R, exact_T=EXACT_T, T_max=8, seed=0)
    assert fig is ax.figure and ax.get_yscale() == "log"
    for (L, domain), Ts in EXACT_T.items():
        line = _line(ax, f"measured-L{L}-{domain}")
        assert list(line.get_xdata()) == Ts
        expected = [separation_rank(M, R, L, T, domain=domain, seed=0).rank for T in Ts]
        assert [int(v) for v in line.get_ydata()] == expected


def test_rank_vs_T_lines_are_the_closed_forms():
    M, R = 2, 3
    _, ax = plot_rank_vs_T(M, R, exact_T={}, T_max=8)
    Ts = [2, 4, 6, 8]

    def ys(gid):
        return tuple(int(v) for v in _line(ax, gid).get_ydata())

    assert ys("lower-L1") == tuple(shallow_rank(M, R, T) for T in Ts)
    assert ys("lower-L2") == tuple(depth2_lower_bound(M, R, T) for T in Ts)
    assert ys("lower-L3") == tuple(conjectured_lower_bound(M, R, 3, T) for T in Ts)
    # the upper line: the smallest of the state, degree and min-cut bounds, recomputed here
    for L in (2, 3):
        want = tuple(
            min(
                min(proven_upper_bounds(M, R, L, T, domain="continuous").values()),
                start_end_min_cut(M, R, L, T, domain="continuous").bound,
            )
            for T in Ts
        )
        assert ys(f"upper-L{L}") == want
        assert (
            want[-1] < start_end_min_cut(M, R, L, 8, domain="continuous").bound
        )  # a closed form beats the min-cut here
    assert ys("upper-L2")[-1] == state_upper_bound(R, 2, 8)
    assert not [ln for ln in ax.lines if ln.get_gid() == "upper-L1"]  # L = 1: the theorem's value is exact
    # three line styles only: theorem (solid), conjecture (dotted), upper bound (dashed)
    assert {_line(ax, g).get_linestyle() for g in ("lower-L1", "lower-L2", "lower-L3", "upper-L2")} == {"-", ":", "--"}
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    for word in ("theorem", "conjecture", "proven", "one-hot", "continuous"):
        assert any(word in t for t in texts), word


def test_rank_vs_T_depths_differ_in_colour_and_marker_and_stay_in_frame():
    M = R = 2
    exact = {(L, d): [2, 4, 6] for L in (1, 2, 3) for d in ("continuous", "onehot")}
    _, ax = plot_rank_vs_T(M, R, exact_T=exact, T_max=12)
    markers = {L: _line(ax, f"measured-L{L}-continuous").get_marker() for L in (1, 2, 3)}
    colours = {L: _line(ax, f"measured-L{L}-continuous").get_color() for L in (1, 2, 3)}
    assert len(set(markers.values())) == 3 and len(set(colours.values())) == 3
    for L in (1, 2, 3):  # the one-hot markers: the same shape, open
        oh = _line(ax, f"measured-L{L}-onehot")
        assert oh.get_marker() == markers[L] and oh.get_markerfacecolor() in ("white", (1.0, 1.0, 1.0, 1.0))
    # every upper bound is inside the frame over the measured range (was: the L = 3 lines left it at once)
    top = ax.get_ylim()[1]
    for L in (2, 3):
        line = _line(ax, f"upper-L{L}")
        assert all(y < top for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True) if x <= 6)


def test_measured_ranks_cache_is_shared():
    cache = {}
    a = measured_ranks(2, 2, [(2, "onehot", 4)], ranks=cache)
    assert cache == {(2, 2, 2, "onehot", 4, 0): a[(2, "onehot", 4)]}
    cache[(2, 2, 2, "onehot", 4, 0)] = -1  # a cached value is reused, never recomputed
    assert measured_ranks(2, 2, [(2, "onehot", 4)], ranks=cache)[(2, "onehot", 4)] == -1
    # another seed is another measurement: it is computed, not read from seed 0's entry
    b = measured_ranks(2, 2, [(2, "onehot", 4)], seed=1, ranks=cache)
    assert b[(2, "onehot", 4)] == a[(2, "onehot", 4)] and cache[(2, 2, 2, "onehot", 4, 1)] == b[(2, "onehot", 4)]


def test_rank_ratio_values_and_conjecture_failure():
    M = R = 3
    T_values = (2, 4, 6)
    fig, ax = plot_rank_ratio(M, R, bound="lower", T_values=T_values)
    ratio = ax.images[0].tnrnn_ratio
    rows = [(L, d) for L in (1, 2, 3) for d in ("continuous", "onehot")]
    for i, (L, d) in enumerate(rows):
        for j, T in enumerate(T_values):
            r = separation_rank(M, R, L, T, domain=d).rank
            b = shallow_rank(M, R, T) if L == 1 else conjectured_lower_bound(M, R, L, T)
            assert ratio[i, j] == pytest.approx(r / b)
    # the one-hot depth-3 rank falls below the conjecture at T = 4: 9 < 10, flagged by a red box
    i, j = rows.index((3, "onehot")), T_values.index(4)
    assert separation_rank(3, 3, 3, 4, domain="onehot").rank == 9 < 10 == conjectured_lower_bound(3, 3, 3, 4)
    boxes = [(p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2) for p in ax.patches]
    assert any(abs(x - j) < 1e-9 and abs(y - i) < 1e-9 for x, y in boxes)
    flagged = {(round(x), round(y)) for x, y in boxes}
    expected = {(jj, ii) for ii in range(len(rows)) for jj in range(len(T_values)) if ratio[ii, jj] < 1}
    assert flagged == expected


@pytest.mark.parametrize("bound", ["upper", "min-cut"])
def test_rank_ratio_upper_bounds_hold(bound):
    M, R = 2, 2
    rows = rank_ratio_table(M, R, depths=(1, 2, 3), T_values=(2, 4, 6), bound=bound)
    for (L, d), row in rows:
        for T, (r, b) in zip((2, 4, 6), row, strict=True):
            if bound == "upper":
                assert b == min(proven_upper_bounds(M, R, L, T, domain=d).values())
            else:
                assert b == start_end_min_cut(M, R, L, T, domain=d).bound
            assert r <= b
    _, ax = plot_rank_ratio(M, R, bound=bound, T_values=(2, 4, 6))
    assert np.all(ax.images[0].tnrnn_ratio <= 1)
    assert not ax.patches  # an upper bound never gets a failure box


def test_rank_ratio_skipped_cells_are_nan():
    skip = {(3, "continuous", 6)}
    _, ax = plot_rank_ratio(2, 2, bound="lower", T_values=(2, 4, 6), skip=skip)
    ratio = ax.images[0].tnrnn_ratio
    assert np.isnan(ratio[4, 2]) and np.isfinite(np.delete(ratio.ravel(), 4 * 3 + 2)).all()
    assert any(t.get_text() == "n/c" for t in ax.texts)


def test_bad_bound_name():
    from tnrnn import ArgumentError

    with pytest.raises(ArgumentError, match="bound"):
        rank_ratio_table(2, 2, depths=(1,), T_values=(2,), bound="tight")


# --- memory plots: a single length, one seed ------------------------------------------------------------------


def _one_length(seeds=None):
    """The committed SES results cut down to their first length (and ``seeds``), analysis recomputed."""
    import json
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "results", "ses.json")
    if not os.path.exists(path):
        pytest.skip("results/ses.json not committed")
    with open(path) as fh:
        res = json.load(fh)
    v = res["values"][0]
    seeds = res["seeds"] if seeds is None else seeds
    res.update(
        values=[v],
        seeds=seeds,
        runs=[r for r in res["runs"] if r[res["sweep"]] == v and r["seed"] in seeds],
        baselines={str(v): res["baselines"][str(v)]},
        analysis=None,
        summary=None,
    )
    return res, v


def test_memory_plot_of_one_length_centres_it_and_draws_its_chance_line():
    """Was: the points at the frame's edges and a "chance" legend entry for a line that was not drawn."""
    from tnrnn.plots import plot_memory_accuracy

    res, v = _one_length()
    fig, ax = plot_memory_accuracy(res)
    lo, hi = ax.get_xlim()
    xs = [x for ln in ax.lines for x in np.atleast_1d(ln.get_xdata()) if ln.get_transform() == ax.transData]
    assert lo < min(xs) and max(xs) < hi
    assert min(xs) - lo > 0.2 * (hi - lo) and hi - max(xs) > 0.2 * (hi - lo)  # well inside, not at the edges
    (chance,) = [ln for ln in ax.lines if ln.get_label().startswith("chance")]
    assert list(chance.get_ydata()) == [res["baselines"][str(v)]["accuracy"]] * 2
    x0, x1 = chance.get_xdata()
    assert (x0, x1) == (0, 1) and chance.get_transform() != ax.transData  # across the whole axes


def test_memory_title_counts_seeds_in_the_singular():
    from tnrnn.plots import plot_memory_accuracy

    res, _ = _one_length(seeds=[0])
    _, ax = plot_memory_accuracy(res)
    assert "1 seed," in ax.get_title() and "1 seeds" not in ax.get_title()


def test_lag_weights_mark_no_peak_where_weights_grow_and_say_why_a_lag_is_missing():
    """ρ² >= 1: no peak marker at the truncation J (the weights grow without bound); a 1 %-memory lag beyond J is
    written in the legend instead of being silently dropped."""
    from tnrnn.linear import memory_lag
    from tnrnn.plots import plot_lag_weights

    J = 30
    _, ax = plot_lag_weights((0.5, 0.81, 1.0), J=J)
    stars = [ln for ln in ax.lines if ln.get_marker() == "*" and len(ln.get_xdata()) == 1]
    assert sorted(int(ln.get_xdata()[0]) for ln in stars) == [0, 3]  # ρ² = 0.5 and 0.81 only, none at J
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("= 1$" in t and "without bound" in t for t in labels)
    assert any(f"1 %-memory lag {memory_lag(rho2=0.81)} > {J}" in t for t in labels)
    bars = [ln for ln in ax.lines if ln.get_marker() == "|" and len(ln.get_xdata()) == 1]
    assert [int(ln.get_xdata()[0]) for ln in bars] == [memory_lag(rho2=0.5)]
