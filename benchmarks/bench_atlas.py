"""Benchmark of the rank atlas (`tnrnn.atlas`): a repeated table from the atlas, and parallel sweeps.

Two measurements, each with its peer in the same run:

1. **Cache**: ``tnrnn table`` over 20 cells, computed (into a fresh atlas), then repeated from the atlas. Timed in
   process (`tnrnn.table.rank_table`, median of ``--repeat`` atlas runs, with and without the min-cut column,
   which the atlas does not store) and through the command line (a new Python process each, so the atlas run
   pays the interpreter and import start-up). Goal: at least 50x faster from the atlas.
2. **Jobs**: the full L <= 3, M, R in {2, 3}, T <= 8, both-domain sweep (96 cells) with ``--jobs 1`` and
   ``--jobs 2`` (each into a fresh atlas, so both compute everything). Goal on a 2-core machine: at least 1.7x.
   The machine load (``os.getloadavg``) is printed beside the numbers: on a shared machine the ratio is only
   meaningful when both cores were free.

Usage::

    python benchmarks/bench_atlas.py                 # both parts (minutes: the jobs part computes 96 cells twice)
    python benchmarks/bench_atlas.py --only cache    # the cache part (about a minute)
    python benchmarks/bench_atlas.py --quick         # small sizes (seconds)
    python benchmarks/bench_atlas.py --json atlas.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from tnrnn.table import rank_table

#: the 20 cells of the cache benchmark (L = 3, 4; M = 3, 4; R = 3; T = 2..10; one-hot): up to seconds each, the
#: cells an atlas is for (millisecond cells would measure the start-up, not the atlas)
CACHE_CELLS = {"L": [3, 4], "M": [3, 4], "R": [3], "T": [2, 4, 6, 8, 10], "domains": ["onehot"]}
QUICK_CACHE_CELLS = {"L": [1, 2], "M": [2], "R": [2, 3], "T": [2, 4], "domains": ["continuous", "onehot"]}
JOBS_CELLS = {"L": [1, 2, 3], "M": [2, 3], "R": [2, 3], "T": [2, 4, 6, 8], "domains": ["onehot", "continuous"]}
QUICK_JOBS_CELLS = {"L": [1, 2], "M": [2, 3], "R": [2, 3], "T": [2, 4, 6], "domains": ["onehot", "continuous"]}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _count(c) -> int:
    return len(c["L"]) * len(c["M"]) * len(c["R"]) * len(c["T"]) * len(c["domains"])


def _table(c, **kw):
    return rank_table(c["L"], c["M"], c["R"], c["T"], domains=c["domains"], progress=False, **kw)


def _cli(c, atlas) -> float:
    argv = [sys.executable, "-m", "tnrnn", "table", "--no-progress", "--json", "--atlas", atlas,
            *(x for k in ("L", "M", "R", "T") for x in (f"--{k}", ",".join(map(str, c[k])))),
            "--domains", ",".join(c["domains"])]
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_cache(cells, repeat, tmp) -> dict:
    n = _count(cells)
    print(f"cache: {n} cells, {_load()}")
    atlas = os.path.join(tmp, "cache.sqlite")
    _table({**QUICK_CACHE_CELLS, "L": [1], "T": [2]}, cache=None)  # warm up JAX and the imports
    t0 = time.perf_counter()
    computed = _table(cells, cache=atlas, min_cut=False)
    compute_s = time.perf_counter() - t0
    hits, hits_cut = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        again = _table(cells, cache=atlas, min_cut=False)
        hits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _table(cells, cache=atlas, min_cut=True)
        hits_cut.append(time.perf_counter() - t0)
    assert again == computed, "the atlas returned other rows than the computation"
    cli_atlas = os.path.join(tmp, "cli.sqlite")
    cli_compute = _cli(cells, cli_atlas)
    cli_hits = [_cli(cells, cli_atlas) for _ in range(repeat)]
    out = {
        "cells": n, "compute_s": compute_s, "atlas_s": statistics.median(hits),
        "atlas_with_min_cut_s": statistics.median(hits_cut), "cli_compute_s": cli_compute,
        "cli_atlas_s": statistics.median(cli_hits), "load_after": _load(),
    }
    out["speedup"] = compute_s / out["atlas_s"]
    out["speedup_cli"] = cli_compute / out["cli_atlas_s"]
    print(f"  computed {compute_s:.2f} s; from the atlas {out['atlas_s'] * 1e3:.1f} ms "
          f"(x{out['speedup']:.0f}; with the min-cut column {out['atlas_with_min_cut_s'] * 1e3:.1f} ms)")
    print(f"  command line: computed {cli_compute:.2f} s; from the atlas {out['cli_atlas_s']:.2f} s "
          f"(x{out['speedup_cli']:.1f}, start-up included); {out['load_after']}")
    return out


def bench_jobs(cells, tmp) -> dict:
    n = _count(cells)
    print(f"jobs: {n} cells, before: {_load()}")
    times = {}
    rows = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        rows[jobs] = _table(cells, cache=os.path.join(tmp, f"jobs{jobs}.sqlite"), jobs=jobs, min_cut=False)
        times[jobs] = time.perf_counter() - t0
        print(f"  --jobs {jobs}: {times[jobs]:.1f} s ({_load()})")
    assert rows[1] == rows[2], "parallel rows differ from the serial ones"
    from tnrnn.atlas import Atlas

    with Atlas(os.path.join(tmp, "jobs1.sqlite")) as a:
        walls = sorted((r["wall_seconds"] or 0.0 for r in a.rows()), reverse=True)
    total, longest = sum(walls), walls[0]
    out = {"cells": n, "jobs1_s": times[1], "jobs2_s": times[2], "speedup": times[1] / times[2], "load": _load(),
           "sum_cell_s": total, "longest_cell_s": longest, "ideal_jobs2": total / max(total / 2, longest)}
    print(f"  --jobs 2 is x{out['speedup']:.2f} faster than --jobs 1")
    print(f"  cells: {total:.1f} s in all, the longest {longest:.1f} s: two workers can gain at most "
          f"x{out['ideal_jobs2']:.2f} on this sweep (one cell is not split)")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="cache,jobs", help="cache, jobs or both (comma-separated)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", default=None, help="also write the numbers to this file")
    args = p.parse_args()
    parts = [v for v in args.only.split(",") if v]
    res = {"quick": args.quick}
    with tempfile.TemporaryDirectory() as tmp:
        if "cache" in parts:
            res["cache"] = bench_cache(QUICK_CACHE_CELLS if args.quick else CACHE_CELLS, args.repeat, tmp)
        if "jobs" in parts:
            res["jobs"] = bench_jobs(QUICK_JOBS_CELLS if args.quick else JOBS_CELLS, tmp)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
