"""Benchmark of the exact separation-rank engine (`tnrnn.rank.separation_rank`).

Three measurements, all in one run so that ratios compare like with like:

1. **Sweep**: wall time to fill every cell of L <= 3, M, R in {2, 3, 4}, T in {2, 4, 6, 8}, both domains (the
   issue's goal: under 2 minutes in total on a 2-core CPU). Each cell runs in a child process with a time limit;
   cells over the limit are listed, not hidden.
2. **Reach**: the largest even T whose continuous rank (one seed, ``--reach-seeds``) finishes within 60 s, for
   (L=2, M=R=4) (goal T=32) and (L=3, M=R=3) (goal T=10).
3. **Baseline ratio**: a plain numpy "evaluate everything, then eliminate" rank (every pair of points run through
   the whole recurrence, no shared prefix; Gaussian elimination mod p with vectorised numpy row operations) on the
   same matrices, at the sizes it can reach; the engine's time over the baseline's.

Usage::

    python benchmarks/bench_rank.py            # full (about 10 minutes)
    python benchmarks/bench_rank.py --quick    # small sizes only (well under a minute)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time

import numpy as np

from tnrnn._types import parse_partition
from tnrnn.rac import ModularRAC, largest_primes_below, max_safe_prime_bound
from tnrnn.rank import _seed_seq, separation_rank


def _cell_worker(args, q):
    M, R, L, T, domain, n_seeds = args
    t0 = time.perf_counter()
    try:
        res = separation_rank(M, R, L, T, domain=domain, n_seeds=n_seeds)
    except Exception as exc:  # a refusal (memory) counts as not finished; say why
        print(f"  cell L={L} M={M} R={R} T={T} {domain}: {exc}", flush=True)
        q.put((None, time.perf_counter() - t0))
        return
    q.put((res.rank, time.perf_counter() - t0))


def timed_cell(M, R, L, T, domain, limit, n_seeds=2):
    """Run one cell in a child process; return (rank, seconds) or (None, limit) past the limit."""
    q = mp.Queue()
    proc = mp.Process(target=_cell_worker, args=((M, R, L, T, domain, n_seeds), q))
    t0 = time.perf_counter()
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, time.perf_counter() - t0
    return q.get(timeout=10)


def sweep(Ls, Ms, Rs, Ts, limit):
    rows, total, over = [], 0.0, []
    for L in Ls:
        for M in Ms:
            for R in Rs:
                for T in Ts:
                    for domain in ("onehot", "continuous"):
                        rank, sec = timed_cell(M, R, L, T, domain, limit)
                        total += sec
                        rows.append({"L": L, "M": M, "R": R, "T": T, "domain": domain, "rank": rank, "s": sec})
                        if rank is None:
                            over.append((L, M, R, T, domain))
    return rows, total, over


def reach(M, R, L, budget, T_max, n_seeds=1):
    """Largest even T whose continuous rank (``n_seeds`` seeds) finishes within ``budget`` s; stops at a failure."""
    best, log = None, []
    for T in range(2, T_max + 1, 2):
        rank, sec = timed_cell(M, R, L, T, "continuous", budget, n_seeds)
        log.append({"T": T, "rank": rank, "s": round(sec, 2)})
        print(f"  reach L={L} M={M} R={R} T={T}: rank={rank} {sec:.1f}s", flush=True)
        if rank is None:
            break
        best = T
    return best, log


# --- the baseline ----------------------------------------------------------------------------------------------


def numpy_rank_mod_p(A: np.ndarray, p: int) -> int:
    """Gaussian elimination modulo p with vectorised numpy row operations (p < 2^31 keeps products in int64)."""
    A = np.array(A, dtype=np.int64) % p
    rows, cols = A.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        nz = np.nonzero(A[r:, c])[0]
        if nz.size == 0:
            continue
        piv = r + nz[0]
        A[[r, piv]] = A[[piv, r]]
        inv = pow(int(A[r, c]), p - 2, p)
        A[r] = A[r] * inv % p
        below = A[r + 1 :, c].copy()
        A[r + 1 :] = (A[r + 1 :] - below[:, None] * A[r][None, :]) % p
        r += 1
    return r


def baseline_rank(M, R, L, T, N, seed=0):
    """Evaluate y on all N x N full sequences (no shared prefix), then eliminate with numpy."""
    part = parse_partition("start-end", T)
    p = largest_primes_below(min(max_safe_prime_bound(max(M, R)), 2**31) + 1, 1)[0]
    model = ModularRAC.random(M, R, L, p=p, seed=_seed_seq(seed, 0))
    rng = np.random.default_rng(seed)
    a = rng.integers(0, p, (N, len(part.A), M), dtype=np.int64)
    b = rng.integers(0, p, (N, len(part.B), M), dtype=np.int64)
    Y = np.empty((N, N), dtype=np.int64)
    for i in range(N):
        seqs = np.concatenate([np.broadcast_to(a[i], (N, *a[i].shape)), b], axis=1)
        Y[i] = model(seqs)[:, 0]
    return numpy_rank_mod_p(Y, p)


def median_time(fn, args, repeat, **kwargs):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def compare_baseline(cases, repeat):
    rows = []
    for M, R, L, T in cases:
        separation_rank(M, R, L, T, domain="continuous", n_seeds=1)  # warm-up (imports, caches)
        res, t_engine = median_time(separation_rank, (M, R, L, T), repeat, domain="continuous", n_seeds=1)
        N = res.N[0]
        r_base, t_base = median_time(baseline_rank, (M, R, L, T, N), repeat)
        rows.append(
            {"M": M, "R": R, "L": L, "T": T, "N": N, "rank": res.rank, "baseline_rank": r_base,
             "engine_s": t_engine, "baseline_s": t_base, "speedup": t_base / t_engine}
        )
        print(f"  baseline M={M} R={R} L={L} T={T} N={N}: engine {t_engine:.3f}s (rank {res.rank}), "
              f"numpy baseline {t_base:.3f}s (rank {r_base}), speed-up x{t_base / t_engine:.1f}", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per cell / per reach step")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    ap.add_argument("--baseline-only", action="store_true", help="only the numpy-baseline comparison")
    ap.add_argument("--reach-seeds", type=int, default=1, help="seeds per reach step (default 1)")
    args = ap.parse_args(argv)

    if args.baseline_only:
        compare_baseline([(4, 4, 2, 10), (4, 4, 2, 16), (4, 4, 2, 20), (3, 3, 3, 6)], repeat=3)
        return
    if args.quick:
        sw = sweep([1, 2], [2, 3], [2, 3], [2, 4], args.limit)
        reaches = {"L2_M4_R4": reach(4, 4, 2, args.limit, 12), "L3_M3_R3": reach(3, 3, 3, args.limit, 4)}
        base = compare_baseline([(2, 2, 2, 8), (2, 3, 2, 8)], repeat=3)
    else:
        sw = sweep([1, 2, 3], [2, 3, 4], [2, 3, 4], [2, 4, 6, 8], args.limit)
        reaches = {
            "L2_M4_R4": reach(4, 4, 2, args.limit, 40, args.reach_seeds),
            "L3_M3_R3": reach(3, 3, 3, args.limit, 12, args.reach_seeds),
        }
        base = compare_baseline(
            [(2, 3, 2, 8), (3, 3, 2, 8), (2, 2, 3, 8), (4, 4, 2, 10), (4, 4, 2, 16), (4, 4, 2, 20)], repeat=3
        )

    rows, total, over = sw
    print(f"\nsweep: {len(rows)} cells in {total:.1f} s (cells over {args.limit:.0f} s: {over or 'none'})")
    slowest = sorted(rows, key=lambda r: -r["s"])[:5]
    for r in slowest:
        print(f"  slowest: L={r['L']} M={r['M']} R={r['R']} T={r['T']} {r['domain']}: rank {r['rank']} {r['s']:.1f}s")
    for name, (best, _) in reaches.items():
        print(f"reach {name}: largest T within {args.limit:.0f}s = {best}")
    for b in base:
        print(f"baseline ratio M={b['M']} R={b['R']} L={b['L']} T={b['T']} N={b['N']}: x{b['speedup']:.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"sweep": rows, "sweep_total_s": total, "over_limit": over,
                       "reach": {k: {"best_T": v[0], "log": v[1]} for k, v in reaches.items()},
                       "baseline": base}, fh, indent=1)


if __name__ == "__main__":
    main()
