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
    ys = {tuple(int(v) for v in ln.get_ydata()) for ln in ax.lines if list(ln.get_xdata()) == Ts}
    assert tuple(shallow_rank(M, R, T) for T in Ts) in ys
    assert tuple(depth2_lower_bound(M, R, T) for T in Ts) in ys
    assert tuple(conjectured_lower_bound(M, R, 3, T) for T in Ts) in ys
    assert tuple(state_upper_bound(R, 3, T) for T in Ts) in ys
    assert tuple(start_end_min_cut(M, R, 2, T).bound for T in Ts) in ys
    styles = {ln.get_linestyle() for ln in ax.lines}
    assert {"-", ":", "-.", "--"} <= styles
    # two legends: depth colours and the kind of every line (theorem, bound, conjecture, measurement)
    texts = [t.get_text() for leg in [ax.get_legend(), *[a for a in ax.artists]] for t in leg.get_texts()]
    for word in ("theorem", "conjecture", "proven", "measurement"):
        assert any(word in t for t in texts), word


def test_measured_ranks_cache_is_shared():
    cache = {}
    a = measured_ranks(2, 2, [(2, "onehot", 4)], ranks=cache)
    assert cache == {(2, 2, 2, "onehot", 4): a[(2, "onehot", 4)]}
    cache[(2, 2, 2, "onehot", 4)] = -1  # a cached value is reused, never recomputed
    assert measured_ranks(2, 2, [(2, "onehot", 4)], ranks=cache)[(2, "onehot", 4)] == -1


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
