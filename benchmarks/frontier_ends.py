"""Re-run the ends of the committed frontier with the current engine, and merge what they give into its CSV.

`frontier.sh` grows every series of ``results/atlas.csv`` from ``T = 2`` in an atlas file that a fresh machine does
not have; rebuilding it there costs hours. The ranks of the finished cells do not change with a faster engine (only
their times), but the cells where a series stopped (``status="partial"``: the ``--timeout`` ran out) may now finish
and their series go on. This script takes exactly those: for every partial RAC row of the CSV, the cell itself and
the larger ``T`` of its series (up to ``--tmax``), in increasing ``T`` with the frontier rule (a series stops at its
first partial or memory-refused cell), ``--jobs`` worker processes and ``--timeout`` seconds a cell, every finished
cell stored at once in ``--atlas`` (an interrupted run resumes where it stopped). Then each computed row replaces the
CSV's row of the same key in place when it is better by the atlas's merge rule
(`tnrnn.rank.store.better_result`: finished beats partial, proven beats lower-bound, else the larger certified rank),
or is added after the last smaller key of its cell; every other row is kept as it was (the CSV is rewritten
atomically). A computed row that is worse (a partial cell that got less far this time) changes nothing; a row past
its series' first partial cell (two jobs can start it before the smaller ``T`` stops) is dropped.

Usage::

    python benchmarks/frontier_ends.py --timeout 300 --jobs 2   # the frontier's rule (hours: in the background)
    python benchmarks/frontier_ends.py --merge-only                # merge what the atlas holds now
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time

#: the columns that make a row's key in the exported CSV (with the options the frontier leaves at their defaults)
KEY_COLUMNS = ("cell", "L", "M", "R", "T", "domain", "partition", "seed", "n_seeds", "confidence", "max_N")
INT_COLUMNS = ("L", "M", "R", "T", "seed", "n_seeds")


def _key(row: dict) -> tuple:
    return tuple(int(row[k]) if k in INT_COLUMNS else row[k] for k in KEY_COLUMNS)


def _series(row: dict) -> tuple:
    """A row's key without T: the cells of one series."""
    k = _key(row)
    return k[:4] + k[5:]


def read_rows(path: str) -> tuple[list[str], list[dict]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def end_specs(rows: list[dict], tmax: int) -> list:
    """The partial RAC Start-End rows and the larger T of their series, as sweep cells."""
    from tnrnn.atlas import CellSpec

    specs = []
    for r in rows:
        if r["cell"] != "rac" or r["status"] != "partial" or r["partition"] != "start-end":
            continue
        options = tuple(sorted({"cell": "rac", "seed": int(r["seed"]), "n_seeds": int(r["n_seeds"])}.items()))
        M, R, L, T = (int(r[k]) for k in ("M", "R", "L", "T"))
        specs += [CellSpec(M, R, L, t, r["domain"], options) for t in range(T, tmax + 1, 2)]
    return specs


def frontier_records(records: list[dict], specs) -> list[dict]:
    """The export records of ``specs``' cells with the frontier's key (Start-End, certified, no ``max_N``): an atlas
    file used for other runs too (another partition, seed or confidence) adds nothing else to the frontier."""
    wanted = {(s.L, s.M, s.R, s.T, s.domain, dict(s.options)["seed"], dict(s.options)["n_seeds"]) for s in specs}
    return [
        r
        for r in records
        if r["cell"] == "rac"
        and r["partition"] == "start-end"
        and r["confidence"] == "certified"
        and r.get("max_N") in (None, "")
        and (r["L"], r["M"], r["R"], r["T"], r["domain"], r["seed"], r["n_seeds"]) in wanted
    ]


def merged(fields: list[str], rows: list[dict], new: list[dict]) -> tuple[list[dict], dict]:
    """``rows`` with each of ``new`` (export records) put in where it is better or missing; and the counts."""
    from tnrnn.atlas import format_rows
    from tnrnn.rank.store import better_result

    text = format_rows(new, "csv", columns=fields)  # the export's own formatting of every value
    new = list(csv.DictReader(io.StringIO(text)))
    out = list(rows)
    where = {_key(r): i for i, r in enumerate(out)}
    counts = {"added": 0, "replaced": 0, "kept": 0}
    for r in sorted(new, key=_key):
        k = _key(r)
        if k not in where:  # after the last row of the same cell with a smaller key (the file's own order)
            before = [i for i, o in enumerate(out) if o["cell"] == r["cell"] and _key(o) < k]
            out.insert(before[-1] + 1 if before else len(out), r)
            where = {_key(o): i for i, o in enumerate(out)}
            counts["added"] += 1
        elif better_result(r["status"], int(r["rank"]), out[where[k]]["status"], int(out[where[k]]["rank"])):
            out[where[k]] = r
            counts["replaced"] += 1
        else:
            counts["kept"] += 1
    # two jobs may have started a larger T of a series before its smaller T stopped partial: the frontier rule
    # (a series ends at its first partial cell) drops such a cell, as a sweep that ran them in turn would not have it
    first = {}
    for r in out:
        if r["status"] == "partial":
            first[_series(r)] = min(first.get(_series(r), int(r["T"])), int(r["T"]))
    kept = [r for r in out if int(r["T"]) <= first.get(_series(r), int(r["T"]))]
    counts["beyond"] = len(out) - len(kept)
    return kept, counts


def write_rows(path: str, fields: list[str], rows: list[dict]) -> None:
    from tnrnn.atlas import write_atomic

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_atomic(path, buf.getvalue())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--csv", default="results/atlas.csv", help="the frontier file to read and update")
    p.add_argument("--atlas", default="results/frontier.sqlite", help="the atlas file the cells are stored in")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds a cell (default 300)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--tmax", type=int, default=36, help="the largest T of a series (default 36)")
    p.add_argument("--merge-only", action="store_true", help="merge what the atlas holds; compute nothing")
    a = p.parse_args(argv)
    if not os.path.isfile(a.csv):
        p.error(f"--csv {a.csv!r}: not a file; give the exported frontier (results/atlas.csv)")
    for name, v in (("--timeout", a.timeout), ("--jobs", a.jobs), ("--tmax", a.tmax)):
        if not 0 < v < math.inf:
            p.error(f"{name} {v}: must be a finite number > 0")
    from tnrnn.atlas import Atlas, export_rows, run_sweep
    from tnrnn.cli._args import _jax_env

    _jax_env()  # x64 and the compilation cache, as `tnrnn table` sets them (its workers take them)

    fields, rows = read_rows(a.csv)
    specs = end_specs(rows, a.tmax)
    ends = len({s.series for s in specs})
    print(f"{len(specs)} cells in the {ends} series that end partial in {a.csv}", flush=True)
    if not a.merge_only:
        t0 = time.time()

        def report(s, res, source):
            if res is None:
                what = source
            else:
                bound = "" if res.failure_bound is None else f", failure bound {res.failure_bound:.2g}"
                what = f"{res.rank} {res.status}{bound}, {(res.timing or {}).get('total', 0):.0f} s ({source})"
            print(f"[{time.time() - t0:7.0f} s] {s.label()}: {what}", flush=True)

        run_sweep(specs, cache=a.atlas, jobs=a.jobs, timeout=a.timeout, order="T", frontier=True, on_result=report)
    if not os.path.isfile(a.atlas):
        print(f"no atlas {a.atlas}: nothing to merge", file=sys.stderr)
        return 1
    atlas = Atlas(a.atlas, readonly=True)
    try:
        new = frontier_records(export_rows(atlas.rows(cell="rac")), specs)
    finally:
        atlas.close()
    out, counts = merged(fields, rows, new)
    write_rows(a.csv, fields, out)
    print(f"{a.csv}: {len(out)} rows; {counts}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
