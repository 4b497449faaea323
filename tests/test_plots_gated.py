"""The gated-cells figure: its committed measurements against the bounds, and what the plot functions draw."""

from __future__ import annotations

import json
import os

from tnrnn.cells import cell_upper_bounds
from tnrnn.plots.gated import GATED_FORMAT, gated_rank_data, gated_rows, gated_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "results", "gated_ranks.json")


def _committed() -> dict:
    with open(COMMITTED) as fh:
        return json.load(fh)


def test_committed_ranks_stay_within_the_proven_bounds():
    data = _committed()
    assert data["format"] == GATED_FORMAT and data["rows"]
    M, R = data["M"], data["R"]
    for r in data["rows"]:
        bounds = cell_upper_bounds(r["cell"], M, R, r["L"], r["T"], domain=r["domain"])
        assert r["upper"] == min(bounds.values()) and bounds[r["bound"]] == r["upper"], r
        assert 0 <= r["rank"] <= r["upper"], r
        assert (r["status"] == "proven") == (r["rank"] == r["upper"]) or r["status"] == "partial", r
    # the shallow RAC theorem and the hand-derived shallow GRU value hold in the committed data
    for r in gated_rows(data, cell="rac", L=1):
        assert r["rank"] == min(R, M ** (r["T"] // 2))
    assert {(r["cell"], r["domain"]) for r in data["rows"]} >= {
        (c, d) for c in ("rac", "mi", "gru", "lstm") for d in ("continuous", "onehot")
    }


def test_committed_ranks_agree_with_the_engine_where_cheap():
    from tnrnn.rank import separation_rank

    data = _committed()
    cheap = [r for r in data["rows"] if r["T"] <= 4 and r["status"] != "partial" and r["rank"] <= 64]
    assert len(cheap) >= 20
    for r in cheap[::3]:
        res = separation_rank(data["M"], data["R"], r["L"], r["T"], domain=r["domain"], cell=r["cell"])
        assert res.rank == r["rank"], r


def _small():
    return {
        "format": GATED_FORMAT,
        "M": 2,
        "R": 2,
        "timeout": 1.0,
        "rows": [
            {"cell": "gru", "L": 1, "T": 2, "domain": "continuous", "rank": 6, "status": "proven", "upper": 6},
            {"cell": "gru", "L": 1, "T": 4, "domain": "continuous", "rank": 33, "status": "lower-bound", "upper": 55},
            {"cell": "gru", "L": 2, "T": 2, "domain": "continuous", "rank": 15, "status": "proven", "upper": 15},
            {"cell": "gru", "L": 2, "T": 4, "domain": "continuous", "rank": 700, "status": "partial", "upper": 2295},
            {"cell": "rac", "L": 1, "T": 2, "domain": "continuous", "rank": 2, "status": "proven", "upper": 2},
            {"cell": "rac", "L": 1, "T": 4, "domain": "continuous", "rank": 2, "status": "proven", "upper": 2},
            {"cell": "rac", "L": 2, "T": 2, "domain": "continuous", "rank": 2, "status": "proven", "upper": 2},
            {"cell": "rac", "L": 2, "T": 4, "domain": "continuous", "rank": 6, "status": "proven", "upper": 6},
        ],
    }


def test_plots_draw_the_ranks_the_bounds_and_the_ratio():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.plots.gated import plot_depth_ratio, plot_gated_rank_vs_T

    data = _small()
    fig, ax = plot_gated_rank_vs_T(data, 2, "continuous")
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert list(lines["rank-gru"].get_ydata()) == [15] and list(lines["partial-gru"].get_ydata()) == [700]
    assert list(lines["bound-gru"].get_ydata()) == [15, 2295] and list(lines["rank-rac"].get_ydata()) == [2, 6]
    plt.close(fig)
    fig, ax = plot_depth_ratio(data, "continuous", Ls=(2,))
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert list(lines["ratio-gru-L2"].get_ydata()) == [15 / 6] and list(lines["ratio-rac-L2"].get_ydata()) == [1, 3]
    assert list(lines["ratio-partial-gru-L2"].get_ydata()) == [700 / 33]
    plt.close(fig)
    table = gated_table(data)
    assert "| `gru` | 2 | continuous | **15** | ≥ 700 |" in table and "| `gru` | 1 | continuous | **6** | 33 |" in table


def test_data_of_a_tiny_sweep():
    data = gated_rank_data(specs=("gru", "lstm"), Ls=(1,), T_max=2, domains=("continuous",), cache=None)
    rows = {r["cell"]: r for r in data["rows"]}
    assert (rows["gru"]["rank"], rows["gru"]["status"], rows["gru"]["bound"]) == (6, "proven", "degree_upper")
    assert rows["lstm"]["upper"] == 10 and 0 < rows["lstm"]["rank"] <= 10  # state and degree bound: both 10


def test_figure_from_the_committed_data(tmp_path):
    from tnrnn.figures import FIGURES

    paths = FIGURES["gated_rank_vs_T"].func(str(tmp_path), quick=True, results_dir=os.path.join(ROOT, "results"))
    assert [os.path.basename(p) for p in paths] == ["fig_gated_rank_vs_T.png", "fig_gated_rank_vs_T.pdf"]
    assert all(os.path.getsize(p) > 1000 for p in paths)
