"""benchmarks/frontier_ends.py: which cells it re-runs, and how their rows go into the committed frontier file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_benchmark

FRONTIER = Path(__file__).resolve().parent.parent / "results" / "atlas.csv"


@pytest.fixture(scope="module")
def ends():
    return load_benchmark("frontier_ends")


FIELDS = ["cell", "L", "M", "R", "T", "domain", "partition", "rank", "status", "seed", "n_seeds", "confidence", "max_N"]


def _row(T, rank, status, *, cell="rac", domain="onehot"):
    return {
        "cell": cell,
        "L": "2",
        "M": "2",
        "R": "3",
        "T": str(T),
        "domain": domain,
        "partition": "start-end",
        "rank": str(rank),
        "status": status,
        "seed": "0",
        "n_seeds": "2",
        "confidence": "certified",
        "max_N": "",
    }


def _record(T, rank, status, **kw):  # an export record (Python values, as `export_rows` gives them)
    r = _row(T, rank, status, **kw)
    return {**r, "L": 2, "M": 2, "R": 3, "T": T, "rank": rank, "seed": 0, "n_seeds": 2, "max_N": None}


def test_end_specs_take_partial_rac_rows_and_the_larger_T_of_their_series(ends):
    rows = [
        _row(26, 300, "proven"),
        _row(28, 357, "partial"),
        _row(28, 5, "partial", cell="gru"),
        _row(30, 900, "lower-bound", domain="continuous"),
    ]
    specs = ends.end_specs(rows, 32)
    assert [(s.L, s.M, s.R, s.T, s.domain) for s in specs] == [(2, 2, 3, t, "onehot") for t in (28, 30, 32)]
    assert dict(specs[0].options) == {"cell": "rac", "seed": 0, "n_seeds": 2}


def test_only_the_frontier_key_of_the_cells_run_is_merged(ends):
    specs = ends.end_specs([_row(28, 357, "partial")], 30)
    fits = [_record(28, 357, "lower-bound"), _record(30, 400, "partial")]
    other = [
        {**_record(28, 357, "proven"), "partition": "interleaved"},
        {**_record(28, 357, "proven"), "confidence": "fast"},
        {**_record(28, 357, "proven"), "max_N": 64},
        {**_record(28, 357, "proven"), "seed": 1},
        _record(32, 1, "proven"),  # not a cell of the run (T past --tmax)
        _record(28, 1, "proven", domain="continuous"),
    ]
    assert ends.frontier_records(fits + other, specs) == fits


def test_merge_replaces_in_place_only_when_better_and_inserts_new_T_in_its_series(ends):
    rows = [_row(26, 300, "proven"), _row(28, 357, "partial"), _row(28, 100, "proven", domain="continuous")]
    new = [
        _record(26, 300, "proven"),  # the same result: kept
        _record(28, 357, "lower-bound"),  # finished beats partial: replaced in place
        _record(30, 700, "partial"),  # a new cell: after T = 28 of its series
        _record(28, 99, "partial", domain="continuous"),  # worse than the proven row: kept
    ]
    out, counts = ends.merged(FIELDS, rows, new)
    assert counts == {"added": 1, "replaced": 1, "kept": 2, "beyond": 0}
    assert [(r["T"], r["domain"], r["rank"], r["status"]) for r in out] == [
        ("26", "onehot", "300", "proven"),
        ("28", "onehot", "357", "lower-bound"),
        ("28", "continuous", "100", "proven"),
        ("30", "onehot", "700", "partial"),
    ]
    assert ends.merged(FIELDS, rows, [_record(28, 300, "partial")])[1]["kept"] == 1
    assert ends.merged(FIELDS, rows, [_record(28, 400, "partial")])[0][1]["rank"] == "400"  # larger partial wins


def test_merge_drops_a_cell_past_its_series_first_partial_cell(ends):
    # two jobs ran T = 30 and T = 32 at once; T = 30 stopped partial, T = 32 finished: the series ends at T = 30
    rows = [_row(28, 357, "proven")]
    out, counts = ends.merged(FIELDS, rows, [_record(30, 700, "partial"), _record(32, 4096, "proven")])
    assert [(r["T"], r["status"]) for r in out] == [("28", "proven"), ("30", "partial")]
    assert counts == {"added": 2, "replaced": 0, "kept": 0, "beyond": 1}
    other = _record(32, 4096, "proven", domain="continuous")  # another series: kept
    assert [r["T"] for r in ends.merged(FIELDS, rows, [_record(30, 7, "partial"), other])[0]] == ["28", "30", "32"]


def test_merging_nothing_rewrites_the_committed_frontier_byte_for_byte(ends, tmp_path):
    out = tmp_path / "atlas.csv"
    fields, rows = ends.read_rows(str(FRONTIER))
    merged, counts = ends.merged(fields, rows, [])
    ends.write_rows(str(out), fields, merged)
    assert counts == {"added": 0, "replaced": 0, "kept": 0, "beyond": 0}
    assert out.read_bytes() == FRONTIER.read_bytes()
