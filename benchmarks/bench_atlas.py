"""Benchmark of the rank atlas (`tnrnn.atlas`): a repeated table from the atlas, and parallel sweeps.

Two measurements, each with its peer in the same run:

1. **Cache**: ``tnrnn table`` over 20 cells, computed (into a fresh atlas), then repeated from the atlas. Timed in
   process (`tnrnn.table.rank_table`, median of ``--repeat`` atlas runs, with and without the min-cut column) and
   through the command line (a new Python process each, so the atlas run pays the interpreter start-up; the
   min-cut column is stored in the atlas too). Wall time and the processes' CPU time (user + system) are both
   reported: on a loaded machine the wall time of a 0.2 s process is mostly waiting for a core. The command line
   computes twice, first with a fresh JAX compilation cache (it compiles every kernel), then into a fresh atlas with
   the kernels in that cache: the second, cheaper one is the baseline of the ratio. The command-line
   atlas run is also checked with ``python -X importtime``: it must import none of JAX, numpy, tensornetwork,
   flint, networkx, scipy or matplotlib. Goal: at least 50x faster from the atlas.
2. **Jobs**: the full L <= 3, M, R in {2, 3, 4}, T <= 8, both-domain sweep (216 cells; ``--timeout 60 --frontier``
   as for the frontier table, so the cells that do not finish in a minute are partial and a cell too large for
   memory ends its series) through ``tnrnn table --jobs 1`` and ``--jobs 2``, each into a fresh atlas and a fresh
   JAX compilation cache, so both compute everything. Goal on a 2-core machine: at least 1.7x. Beside the ratio:
   the machine load (``os.getloadavg``), the per-cell times (from the atlas), the bound that no split of whole
   cells can beat (``sum / max(longest, sum / 2)``), and the makespan of two workers that take the cells in the
   cost-model order with the measured times (what the scheduler can reach; the rest is start-up and load). The
   ``--jobs 1`` run computes in the command's process with every BLAS/XLA thread, the workers of ``--jobs 2`` with
   one each, so a cell's time differs between the runs: the bound is also given from the ``--jobs 2`` times.

Usage::

    python benchmarks/bench_atlas.py                 # both parts (about 10 minutes: the sweep runs twice)
    python benchmarks/bench_atlas.py --only cache    # the cache part (about a minute)
    python benchmarks/bench_atlas.py --quick         # small sizes (seconds)
    python benchmarks/bench_atlas.py --json atlas.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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
#: the full L <= 3, T <= 8 sweep of the issue: M, R in {2, 3, 4}, both domains (216 cells)
JOBS_CELLS = {"L": [1, 2, 3], "M": [2, 3, 4], "R": [2, 3, 4], "T": [2, 4, 6, 8], "domains": ["onehot", "continuous"]}
QUICK_JOBS_CELLS = {"L": [1, 2], "M": [2, 3], "R": [2, 3], "T": [2, 4, 6], "domains": ["onehot", "continuous"]}
#: seconds per cell in the jobs benchmark (the frontier table's limit)
JOBS_TIMEOUT = 60.0
#: modules that a table served from the atlas must not import
HEAVY = ("jax", "numpy", "tensornetwork", "flint", "networkx", "scipy", "matplotlib")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _count(c) -> int:
    return len(c["L"]) * len(c["M"]) * len(c["R"]) * len(c["T"]) * len(c["domains"])


def _table(c, **kw):
    return rank_table(M=c["M"], R=c["R"], L=c["L"], T=c["T"], domains=c["domains"], progress=False, **kw)


def _argv(c, atlas, *extra):
    return [
        sys.executable,
        "-m",
        "tnrnn",
        "table",
        "--no-progress",
        "--json",
        "--atlas",
        atlas,
        *(x for k in ("L", "M", "R", "T") for x in (f"--{k}", ",".join(map(str, c[k])))),
        "--domain",
        ",".join(c["domains"]),
        *extra,
    ]


def _cli(c, atlas, *extra, env=None) -> tuple[float, float, str]:
    """One ``tnrnn table`` process: (wall seconds, CPU seconds of it and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        _argv(c, atlas, *extra), check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def _bare(repeat) -> tuple[float, float]:
    """Median wall and CPU seconds of an empty interpreter (``python -c pass``): the floor of any command."""
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def heavy_imports(c, atlas) -> list[str]:
    """The `HEAVY` top-level packages that ``tnrnn table`` imports (``python -X importtime``)."""
    argv = _argv(c, atlas)
    out = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], check=True, capture_output=True, text=True)
    names = {m.group(1).split(".")[0] for m in re.finditer(r"^import time:.*\|\s*([\w.]+)$", out.stderr, re.M)}
    return sorted(names & set(HEAVY))


def bench_cache(cells, repeat, tmp) -> dict:
    n = _count(cells)
    print(f"cache: {n} cells, {_load()}")
    atlas = os.path.join(tmp, "cache.sqlite")
    _table({**QUICK_CACHE_CELLS, "L": [1], "T": [2]}, cache=None)  # warm up JAX and the imports
    t0 = time.perf_counter()
    computed = _table(cells, cache=atlas, min_cut=True)
    compute_s = time.perf_counter() - t0
    hits, hits_cut = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        _table(cells, cache=atlas, min_cut=False)
        hits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        again = _table(cells, cache=atlas, min_cut=True)
        hits_cut.append(time.perf_counter() - t0)
    assert again == computed, "the atlas returned other rows than the computation"
    load_before = _load()
    jax_cache = {"TNRNN_JAX_CACHE": os.path.join(tmp, "jax-cache")}  # fresh: the first run compiles every kernel
    first_wall, first_cpu, first_out = _cli(cells, os.path.join(tmp, "cli-first.sqlite"), env=jax_cache)
    cli_atlas = os.path.join(tmp, "cli.sqlite")  # computed again, the kernels now loaded from the JAX cache
    cold_wall, cold_cpu, cold_out = _cli(cells, cli_atlas, env=jax_cache)
    runs = [_cli(cells, cli_atlas, env=jax_cache) for _ in range(max(3, repeat))]
    assert all(r[2] == cold_out == first_out for r in runs), "the command line printed other rows from the atlas"
    heavy = heavy_imports(cells, cli_atlas)
    bare_wall, bare_cpu = _bare(max(3, repeat))
    # as an installed package runs: its bytecode cached (PYTHONDONTWRITEBYTECODE=1 recompiles the sources at every
    # start); the cache goes to a temporary folder, not beside the sources
    pyc_env = {**jax_cache, "PYTHONPYCACHEPREFIX": os.path.join(tmp, "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
    _cli(cells, cli_atlas, env=pyc_env)
    pyc_runs = [_cli(cells, cli_atlas, env=pyc_env) for _ in range(max(3, repeat))]
    out = {
        "cells": n,
        "compute_s": compute_s,
        "atlas_s": statistics.median(hits_cut),
        "atlas_without_min_cut_s": statistics.median(hits),
        "cli_compute_s": cold_wall,
        "cli_compute_cpu_s": cold_cpu,
        "cli_compute_compiling_s": first_wall,
        "cli_compute_compiling_cpu_s": first_cpu,
        "cli_atlas_s": statistics.median(r[0] for r in runs),
        "cli_atlas_cpu_s": statistics.median(r[1] for r in runs),
        "cli_runs": len(runs),
        "cli_heavy_imports": heavy,
        "bare_interpreter_s": bare_wall,
        "bare_interpreter_cpu_s": bare_cpu,
        "cli_atlas_bytecode_s": statistics.median(r[0] for r in pyc_runs),
        "cli_atlas_bytecode_cpu_s": statistics.median(r[1] for r in pyc_runs),
        "load_before": load_before,
        "load_after": _load(),
    }
    out["speedup"] = compute_s / out["atlas_s"]
    out["speedup_cli"] = cold_wall / out["cli_atlas_s"]
    out["speedup_cli_cpu"] = cold_cpu / out["cli_atlas_cpu_s"]
    out["speedup_cli_compiling"] = first_wall / out["cli_atlas_s"]
    print(
        f"  in process: computed {compute_s:.2f} s; from the atlas {out['atlas_s'] * 1e3:.1f} ms "
        f"(x{out['speedup']:.0f}; {out['atlas_without_min_cut_s'] * 1e3:.1f} ms without the min-cut column)"
    )
    print(
        f"  command line: computed {cold_wall:.2f} s ({cold_cpu:.2f} s CPU; {first_wall:.2f} s and {first_cpu:.2f} s "
        f"when it also compiles the JAX kernels); from the atlas, median of {len(runs)}: {out['cli_atlas_s']:.3f} s "
        f"({out['cli_atlas_cpu_s']:.3f} s CPU): x{out['speedup_cli']:.1f} wall, x{out['speedup_cli_cpu']:.1f} CPU "
        f"(x{out['speedup_cli_compiling']:.1f} wall against the compiling run), start-up included"
    )
    print(
        f"  with the bytecode cached (as installed): {out['cli_atlas_bytecode_s']:.3f} s "
        f"({out['cli_atlas_bytecode_cpu_s']:.3f} s CPU): x{cold_wall / out['cli_atlas_bytecode_s']:.1f} wall, "
        f"x{cold_cpu / out['cli_atlas_bytecode_cpu_s']:.1f} CPU"
    )
    print(
        f"  an empty interpreter takes {bare_wall:.3f} s ({bare_cpu:.3f} s CPU): no command can beat "
        f"x{cold_wall / bare_wall:.0f} wall, x{cold_cpu / max(bare_cpu, 1e-9):.0f} CPU here"
    )
    print(
        f"  heavy modules imported from the atlas: {', '.join(heavy) or 'none'}; before: {load_before}; "
        f"after: {out['load_after']}"
    )
    return out


def _two_workers(times) -> float:
    """Makespan of two workers that take the cells in the given order, each the next when it is free."""
    free = [0.0, 0.0]
    for t in times:
        i = free.index(min(free))
        free[i] += t
    return max(free)


def _spearman(xs, ys) -> float:
    def ranks(v):
        order = sorted(range(len(v)), key=v.__getitem__)
        r = [0.0] * len(v)
        for k, i in enumerate(order):
            r[i] = float(k)
        return r

    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    den = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return num / den if den else float("nan")


def bench_jobs(cells, tmp) -> dict:
    from tnrnn.atlas import Atlas, CellSpec, _cost

    n = _count(cells)
    print(f"jobs: {n} cells, --timeout {JOBS_TIMEOUT:g} --frontier")
    times, cpus, loads, outs = {}, {}, {}, {}
    for jobs in (1, 2):
        env = {"TNRNN_JAX_CACHE": os.path.join(tmp, f"jax{jobs}")}  # cold: both runs compile everything
        before = _load()
        times[jobs], cpus[jobs], outs[jobs] = _cli(
            cells,
            os.path.join(tmp, f"jobs{jobs}.sqlite"),
            "--jobs",
            str(jobs),
            "--timeout",
            str(JOBS_TIMEOUT),
            "--frontier",
            env=env,
        )
        loads[jobs] = (before, _load())
        # the workers' CPU time does not reach this process (they are the forkserver's children): --jobs 1 only
        busy = f", {cpus[jobs]:.1f} s CPU: {cpus[jobs] / times[jobs]:.2f} cores busy on average" if jobs == 1 else ""
        print(f"  --jobs {jobs}: {times[jobs]:.1f} s{busy} (before: {before}; after: {loads[jobs][1]})")
    key = ("L", "M", "R", "T", "domain", "rank", "status")
    rows = {j: [tuple(r[k] for k in key) for r in json.loads(outs[j])["rows"]] for j in (1, 2)}
    by_cell = {j: {r[:5]: r[5:] for r in rows[j]} for j in (1, 2)}
    differ = {
        str(k): [by_cell[1].get(k), by_cell[2].get(k)]
        for k in by_cell[1].keys() | by_cell[2].keys()
        if by_cell[1].get(k) != by_cell[2].get(k)
    }  # (rank, status) per run: a partial cell may differ
    per_run = {}
    for jobs in (1, 2):
        with Atlas(os.path.join(tmp, f"jobs{jobs}.sqlite")) as a:
            per_run[jobs] = {
                (r["L"], r["M"], r["R"], r["T"], r["domain"]): (r["wall_seconds"] or 0.0, r["status"]) for r in a.rows()
            }
    walls = {k: v[0] for k, v in per_run[1].items()}
    total, longest = sum(walls.values()), max(walls.values())
    # the same bound from the cells' times in the --jobs 2 run: one BLAS/XLA thread each, next to the other worker
    walls2 = [v[0] for v in per_run[2].values()]
    total2, longest2 = sum(walls2), max(walls2)
    options = tuple(sorted({"seed": 0, "n_seeds": 2}.items()))
    cost = {k: _cost(CellSpec(k[1], k[2], k[0], k[3], k[4], options)) or 0.0 for k in walls}
    order = sorted(walls, key=lambda k: -cost[k])
    scheduled = _two_workers([walls[k] for k in order])
    top = sorted(walls, key=lambda k: -walls[k])[:6]
    out = {
        "cells": n,
        "rows": len(rows[1]),
        "rows_differ": len(differ),
        "jobs1_s": times[1],
        "jobs2_s": times[2],
        "jobs1_cpu_s": cpus[1],
        "speedup": times[1] / times[2],
        "loads": {str(j): loads[j] for j in loads},
        "sum_cell_s": total,
        "longest_cell_s": longest,
        "ideal_jobs2": total / max(total / 2, longest),
        "sum_cell_jobs2_s": total2,
        "longest_cell_jobs2_s": longest2,
        "ideal_jobs2_from_jobs2_times": total / max(total2 / 2, longest2),
        "cost_order_makespan_s": scheduled,
        "cost_order_jobs2": total / scheduled,
        "cost_model_spearman": _spearman([cost[k] for k in walls], list(walls.values())),
        "partial_cells": sorted(str(k) for k, v in per_run[1].items() if v[1] == "partial"),
        "largest_cells": [
            {
                "cell": str(k),
                "seconds": walls[k],
                "cost_estimate": cost[k],
                "seconds_jobs2": per_run[2].get(k, (None,))[0],
            }
            for k in top
        ],
        "overhead_jobs1_s": times[1] - total,
    }
    out["differing_rows"] = differ
    print(
        f"  --jobs 2 is x{out['speedup']:.2f} faster than --jobs 1 ({len(rows[1])} rows; {len(differ)} differ"
        + "".join(f"; {k}: {v[0]} against {v[1]}" for k, v in differ.items())
        + ")"
    )
    print(
        f"  cells: {total:.1f} s in all, the longest {longest:.1f} s: no split of whole cells beats "
        f"x{out['ideal_jobs2']:.2f}; two workers in the cost-model order with these times: "
        f"{scheduled:.1f} s (x{out['cost_order_jobs2']:.2f}); --jobs 1 spent {out['overhead_jobs1_s']:.1f} s "
        "outside the cells (start-up, compile, atlas)"
    )
    print(
        f"  in the --jobs 2 run (one thread per worker) the cells took {total2:.1f} s in all, the longest "
        f"{longest2:.1f} s: at those times --jobs 2 can be at most x{out['ideal_jobs2_from_jobs2_times']:.2f} faster "
        "than the --jobs 1 run (whose cells may use every core)"
    )
    print(
        f"  cost model against the measured times: Spearman {out['cost_model_spearman']:.2f}; largest cells: "
        + "; ".join(f"{d['cell']} {d['seconds']:.1f} s (est. {d['cost_estimate']:.3g} s)" for d in out["largest_cells"])
    )
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
