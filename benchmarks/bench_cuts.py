"""Benchmark of the min-cut engines (`tnrnn.cuts.min_cut`) on structure-only deep RAC networks.

For each size, one run measures every engine on the same graph, so the ratios compare like with like:

* ``tree``     -- the exact tree dynamic programme (vectorised numpy), the default on continuous networks;
* ``scipy``    -- `scipy.sparse.csgraph.maximum_flow` (Dinic, int32) on the split flow network;
* ``networkx`` -- the reference: `networkx.minimum_cut` with its default flow function (preflow-push) on the same
  integer capacities.

Times are end to end (`min_cut(graph, engine=...)`: flow network, solve, certificate check) on a graph built once
before timing; the fast engines are warmed up once and repeated (median), networkx runs once in a child process
with a time limit (it takes minutes at the large sizes) and is reported as "> limit" when it does not finish.
Every engine's bound must be identical (checked).

Usage::

    python benchmarks/bench_cuts.py            # L=2,T=200; L=3,T=70 (246k nodes); L=3,T=96 (623k); several minutes
    python benchmarks/bench_cuts.py --quick    # L=2,T=60 and L=2,T=100 only (under a minute)
    python benchmarks/bench_cuts.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time

from tnrnn.build import build_network
from tnrnn.cuts import min_cut


def _nx_worker(args, q):
    M, R, L, T, domain = args
    g = build_network(M, R, L, T, domain=domain)
    g.edge_arrays(), g.role_codes, g.time_array, g.degrees  # same warm caches as the parent
    t0 = time.perf_counter()
    res = min_cut(g, engine="networkx")
    q.put((res.bound, time.perf_counter() - t0))


def time_networkx(M, R, L, T, domain, limit):
    q = mp.Queue()
    proc = mp.Process(target=_nx_worker, args=((M, R, L, T, domain), q))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return q.get()


def bench_size(M, R, L, T, domain, repeats, nx_limit):
    t0 = time.perf_counter()
    g = build_network(M, R, L, T, domain=domain)
    build_s = time.perf_counter() - t0
    g.edge_arrays(), g.role_codes, g.time_array, g.degrees  # caches shared by every engine
    row = {"M": M, "R": R, "L": L, "T": T, "domain": domain, "nodes": g.n_nodes, "edges": g.n_edges}
    row["hadamard_copies"] = sum(1 for r, l in zip(g.roles, g.layers, strict=True) if r == "copy" and l >= 1)
    row["build_s"] = build_s
    bounds = {}
    engines = ["tree", "scipy"] if g.is_tree() else ["scipy"]
    for engine in engines:
        res = min_cut(g, engine=engine)  # warm-up (imports, caches)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = min_cut(g, engine=engine)
            times.append(time.perf_counter() - t0)
        bounds[engine] = res.bound
        row[f"{engine}_s"] = statistics.median(times)
    nx_bound, nx_s = time_networkx(M, R, L, T, domain, nx_limit)
    row["networkx_s"] = nx_s
    row["networkx_limit_s"] = nx_limit
    if nx_bound is not None:
        bounds["networkx"] = nx_bound
    if len(set(bounds.values())) != 1:
        raise SystemExit(f"engines disagree: {bounds}")
    row["log2_bound"] = min_cut(g, engine=engines[0]).log2_bound
    for engine in engines:
        row[f"networkx_over_{engine}"] = (nx_s / row[f"{engine}_s"]) if nx_s else None
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nx-limit", type=float, default=420.0, help="seconds allowed to networkx per size")
    ap.add_argument("--json", default=None, help="also write the rows to this file")
    ap.add_argument("--sizes", default=None, help="L:T pairs at M=R=2, e.g. '2:200,3:70' (overrides the defaults)")
    args = ap.parse_args(argv)
    if args.sizes:
        sizes = [(2, 2, int(L), int(T)) for L, T in (pair.split(":") for pair in args.sizes.split(","))]
    elif args.quick:
        sizes = [(2, 2, 2, 60), (2, 2, 2, 100)]
    else:  # about 81k, 246k (the "about 250k nodes") and 623k nodes
        sizes = [(2, 2, 2, 200), (2, 2, 3, 70), (2, 2, 3, 96)]
    rows = []
    print("| L | T | nodes | edges | build s | tree s | scipy s | networkx s | networkx / tree | networkx / scipy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for M, R, L, T in sizes:
        row = bench_size(M, R, L, T, "continuous", args.repeats, args.nx_limit)
        rows.append(row)
        nx_txt = f"{row['networkx_s']:.2f}" if row["networkx_s"] else f"> {args.nx_limit:.0f}"

        def ratio(key, row=row):
            return f"{row[key]:.0f}x" if row[key] else "n/a"

        print(
            f"| {L} | {T} | {row['nodes']} | {row['edges']} | {row['build_s']:.2f} | {row['tree_s']:.3f} | "
            f"{row['scipy_s']:.3f} | {nx_txt} | {ratio('networkx_over_tree')} | {ratio('networkx_over_scipy')} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
