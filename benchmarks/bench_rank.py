"""Benchmark of the exact separation-rank engine (`tnrnn.rank.separation_rank`), ratios against peers in one run.

Sections (``--only`` picks some; all by default):

``headline``
    (M, R, L, T) = (3, 3, 3, 10), continuous, one seed (rank 8388, N = 8568): the engine's total time (a first
    call in the process, compiling its kernels, and the same call again) against
    ``scipy.linalg.lu_factor`` of a random float64 matrix of the same side, and against the version-1 engine
    (``--v1 REV``: the git revision whose ``tnrnn/`` is extracted to a temporary folder and run in a child
    process; default the last version-1 commit).
``elimination``
    ``blas_modular_rank`` and ``jax_modular_rank`` (on JAX's default device) against ``lu_factor`` on matrices of
    the same side (median of ``--repeat``).
``narrow``
    ``blas_modular_rank`` of a float32 matrix (the 4-byte storage of large stages) with 1024-column panels (its
    default from side 4096) against 256-column panels (alternating, medians of ``--repeat``) and ``lu_factor`` of
    a float64 matrix of the same side (12000; ``--quick``: 3000).
``sweep``
    Every cell of L <= 3, M, R in {2,3,4}, T in {2,4,6,8}, both domains, 2 seeds, in this process (the
    compilations are shared as in a user's session), with the two large continuous cells (3,3,4,8) and (3,4,4,8)
    timed apart with their values (sample capped at 26000 points a side: their proven cap 40040 needs 18 GiB).
``reach``
    One seed: L=2, M=R=4, T=48 and L=4, M=R=2, T=10 (goal 60 s each); L=3, M=R=3, T=12 and L=4, M=R=2, T=12
    (goal 120 s each).
``memory``
    Peak resident memory of a child process computing the largest reach case, minus its resident memory after
    imports and a warm-up, over the matrix itself (N^2 x 8 bytes).
``rigorous``
    ``confidence="rigorous"`` against ``"fast"`` on a medium case.
``certified``
    The default certificate (a prime-field pass, then ``GF(p^2)`` until the failure bound is <= 1e-6) against
    ``confidence="fast"`` with two seeds (the default before it) and against ``lu_factor`` of the same side, on
    (3, 3, 3, 10) continuous (rank 8388, N = 8568; ``--quick``: (2, 2, 3, 10)), both runs warm; then the one-hot
    sampling cases L = 1, M = R = 2, T = 28 (a 16384 x 16384 grid before) and L = 2, M = R = 2, T = 36. The fast
    and certified runs alternate ``--repeat`` times (medians, and each pair's ratio).
``pages``
    The certified run of ``certified`` with its stage buffer made resident in one call before each stage writes
    (the default, `tnrnn.rank._pages`) against a buffer whose pages the stages' writes fault in (before), alternating
    ``--repeat`` times: medians of the total and of the evaluation and elimination, and each pair's difference.
``field``
    The default certificate of a cell whose bound one repetition over ``p < 2^22`` cannot meet, (L, M, R, T) =
    (3, 2, 2, 28) continuous (``--quick``: T = 26): one repetition over a field sized to the bound (the default)
    against repetitions over ``p < 2^22`` only (before), alternating ``--repeat`` times, medians and the primes.

Usage::

    python benchmarks/bench_rank.py --json rank.json       # everything (about 15 minutes on an idle 2-core CPU)
    python benchmarks/bench_rank.py --quick                 # small sizes (about a minute)
    python benchmarks/bench_rank.py --only headline,elimination
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.linalg

from tnrnn.rank import blas_modular_rank, jax_modular_rank, separation_rank
from tnrnn.rank._run import _primes_below

V1_REV = "868ee43"
SECTIONS = ("headline", "elimination", "narrow", "sweep", "reach", "memory", "rigorous", "certified", "pages", "field")


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def lu_seconds(n: int, repeat: int = 3) -> float:
    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, n))
    times = []
    for _ in range(repeat):
        A = F.copy()
        t0 = time.perf_counter()
        scipy.linalg.lu_factor(A, overwrite_a=True, check_finite=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def write_json(path: str, results: dict) -> None:
    """``results`` to ``path`` whole or not at all (through a temporary file)."""
    with open(path + ".tmp", "w") as fh:
        json.dump(results, fh, indent=1, default=str)
    os.replace(path + ".tmp", path)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def v1_seconds(case: tuple, rev: str, limit: float) -> dict:
    """Run the version-1 engine from git revision ``rev`` in a child process on ``case``."""
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", root, "archive", rev, "tnrnn"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        M, R, L, T = case
        code = (
            "import time, json, tnrnn; from tnrnn.rank import separation_rank; t=time.perf_counter(); "
            f"r=separation_rank({M},{R},{L},{T},domain='continuous',n_seeds=1); "
            "print(json.dumps({'rank': r.rank, 'seconds': time.perf_counter()-t, 'package': tnrnn.__file__}))"
        )
        env = dict(os.environ, PYTHONPATH=tmp)
        try:
            # run in the extracted folder: ``python -c`` puts the working directory first on sys.path, so from a
            # checkout the child would otherwise import the current package instead of version 1
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=limit, cwd=tmp
            )
        except subprocess.TimeoutExpired:
            return {"rank": None, "seconds": limit, "note": f"over {limit} s"}
        if out.returncode:
            return {"rank": None, "seconds": None, "note": out.stderr.strip().splitlines()[-1:]}
        res = json.loads(out.stdout.strip().splitlines()[-1])
        if not res.pop("package").startswith(tmp):
            raise RuntimeError(f"the version-1 child did not import the package extracted to {tmp}")
        return res


def headline(quick: bool, rev: str, limit: float) -> dict:
    case = (2, 2, 3, 10) if quick else (3, 3, 3, 10)
    separation_rank(2, 2, 2, 8, domain="continuous", n_seeds=1, evaluation="jax")  # warm-up (imports)
    res, sec = timed(separation_rank, *case, domain="continuous", n_seeds=1)
    # the same call again: its kernels compiled (as a rerun in a session, or the CLI with its compilation cache)
    again, warm = timed(separation_rank, *case, domain="continuous", n_seeds=1)
    assert again.rank == res.rank
    n = res.N[0]
    lu = lu_seconds(n)
    v1 = v1_seconds(case, rev, limit)
    out = {
        "case": case,
        "rank": res.rank,
        "status": res.status,
        "N": n,
        "seconds": sec,
        "timing": res.timing,
        "warm_seconds": warm,
        "warm_timing": again.timing,
        "lu_seconds": lu,
        "ratio_to_lu": sec / lu,
        "warm_ratio_to_lu": warm / lu,
        "v1": v1,
        "load": load(),
    }
    if v1.get("seconds"):
        out["speedup_over_v1"] = v1["seconds"] / sec
        out["warm_speedup_over_v1"] = v1["seconds"] / warm
        out["v1_same_rank"] = v1.get("rank") == res.rank
    return out


def elimination(quick: bool, repeat: int) -> list[dict]:
    p = _primes_below(2**21, 1)[0]
    rows = []
    for n in (1024, 2048) if quick else (2048, 4096, 8568):
        rng = np.random.default_rng(n)
        A = rng.integers(0, p, (n, n), dtype=np.int64)
        lu = lu_seconds(n, repeat)
        blas = statistics.median(timed(blas_modular_rank, A, p)[1] for _ in range(repeat))
        jx = statistics.median(timed(jax_modular_rank, A, p)[1] for _ in range(max(1, repeat - 1)))
        rows.append(
            {
                "n": n,
                "lu": lu,
                "blas_block": blas,
                "jax_block": jx,
                "blas_over_lu": blas / lu,
                "jax_over_lu": jx / lu,
                "load": load(),
            }
        )
        print(
            f"  elimination n={n}: LU {lu:.2f} s, BLAS block {blas:.2f} s ({blas / lu:.2f}x), "
            f"JAX block {jx:.2f} s ({jx / lu:.2f}x)",
            flush=True,
        )
    return rows


def narrow(quick: bool, repeat: int) -> dict:
    p = _primes_below(2**21, 1)[0]
    n = 3000 if quick else 12000
    A = np.random.default_rng(n).integers(-(p // 2), p // 2, (n, n)).astype(np.float32)
    lu = lu_seconds(n, repeat)
    times: dict[int, list[float]] = {256: [], 1024: []}
    for _ in range(repeat):
        for panel in times:
            times[panel].append(timed(blas_modular_rank, A, p, panel=panel)[1])
    out = {"n": n, "lu": lu, "load": load(), **{f"panel_{k}": statistics.median(v) for k, v in times.items()}}
    print(
        f"  narrow (float32) n={n}: LU {lu:.2f} s, 256-column panels {out['panel_256']:.2f} s "
        f"({out['panel_256'] / lu:.2f}x), 1024 {out['panel_1024']:.2f} s ({out['panel_1024'] / lu:.2f}x) "
        f"[{out['load']}]",
        flush=True,
    )
    return out


def sweep(quick: bool) -> dict:
    Ls, MRs, Ts = ((1, 2), (2, 3), (2, 4)) if quick else ((1, 2, 3), (2, 3, 4), (2, 4, 6, 8))
    big = {(3, 3, 4, 8), (3, 4, 4, 8)}
    rows, total = [], 0.0
    for L in Ls:
        for M in MRs:
            for R in MRs:
                for T in Ts:
                    for domain in ("onehot", "continuous"):
                        if domain == "continuous" and (L, M, R, T) in big:
                            continue
                        res, sec = timed(separation_rank, M, R, L, T, domain=domain)
                        total += sec
                        rows.append(
                            {
                                "L": L,
                                "M": M,
                                "R": R,
                                "T": T,
                                "domain": domain,
                                "rank": res.rank,
                                "status": res.status,
                                "s": sec,
                            }
                        )
    out = {"cells": len(rows), "seconds": total, "rows": rows, "load": load()}
    print(f"  sweep: {len(rows)} cells in {total:.1f} s ({load()})", flush=True)
    if not quick:
        out["large"] = []
        for L, M, R, T in sorted(big):
            res, sec = timed(separation_rank, M, R, L, T, domain="continuous", timeout=600, max_N=26000)
            out["large"].append(
                {
                    "L": L,
                    "M": M,
                    "R": R,
                    "T": T,
                    "rank": res.rank,
                    "status": res.status,
                    "N": res.N[0],
                    "s": sec,
                    "load": load(),
                }
            )
            print(
                f"  large cell L={L} M={M} R={R} T={T}: rank {res.rank} ({res.status}), N={res.N[0]}, {sec:.1f} s",
                flush=True,
            )
    return out


REACH = [((4, 4, 2, 48), 60), ((2, 2, 4, 10), 60), ((3, 3, 3, 12), 120), ((2, 2, 4, 12), 120)]


def reach(quick: bool) -> list[dict]:
    cases = [((4, 4, 2, 20), 60), ((2, 2, 4, 8), 60)] if quick else REACH
    rows = []
    for (M, R, L, T), goal in cases:
        res, sec = timed(separation_rank, M, R, L, T, domain="continuous", n_seeds=1, timeout=3 * goal)
        rows.append(
            {
                "M": M,
                "R": R,
                "L": L,
                "T": T,
                "rank": res.rank,
                "status": res.status,
                "N": res.N[0],
                "upper_bound": res.upper_bound,
                "seconds": sec,
                "goal": goal,
                "timing": res.timing,
                "load": load(),
            }
        )
        print(
            f"  reach M={M} R={R} L={L} T={T}: rank {res.rank} ({res.status}, cap {res.upper_bound}), "
            f"N={res.N[0]}, {sec:.1f} s (goal {goal} s)",
            flush=True,
        )
    return rows


# the child's high-water mark of resident memory: VmHWM belongs to the address space made by exec, whereas
# ru_maxrss keeps the parent's peak across fork + exec (this benchmark's parent holds gigabytes by then)
_MEM_CHILD = """
import json, resource, sys
from tnrnn.rank import separation_rank

def hwm_kib():
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

separation_rank(2, 2, 2, 8, domain="continuous", n_seeds=1, evaluation="jax")
base = hwm_kib()
M, R, L, T = map(int, sys.argv[1:5])
r = separation_rank(M, R, L, T, domain="continuous", n_seeds=1, confidence=sys.argv[5])
peak = hwm_kib()
print(json.dumps({"base_kib": base, "peak_kib": peak, "N": r.N[0], "rank": r.rank}))
"""


def memory(quick: bool, confidence: str = "fast") -> dict:
    """Peak memory of one prime-field repetition (``fast``: the narrow float32 storage at N = 21252), or of the
    ``certified`` default (its GF(p^2) stage, when the rank is below the cap, is complex64: 8 bytes an entry)."""
    M, R, L, T = (2, 2, 3, 10) if quick else (3, 3, 3, 12)
    out = subprocess.run(
        [sys.executable, "-c", _MEM_CHILD, str(M), str(R), str(L), str(T), confidence],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(out.stdout.strip().splitlines()[-1])
    matrix = 8 * d["N"] ** 2
    d.update(
        case=(M, R, L, T),
        matrix_bytes=matrix,
        extra_bytes=(d["peak_kib"] - d["base_kib"]) * 1024,
        ratio=(d["peak_kib"] - d["base_kib"]) * 1024 / matrix,
        load=load(),
    )
    print(
        f"  memory {d['case']}: N={d['N']}, peak - base = {d['extra_bytes'] / 2**30:.2f} GiB, "
        f"matrix {matrix / 2**30:.2f} GiB, ratio {d['ratio']:.2f}",
        flush=True,
    )
    return d


def rigorous(quick: bool) -> dict:
    case = (2, 2, 3, 8) if quick else (2, 2, 3, 10)
    std, s_sec = timed(separation_rank, *case, domain="continuous", confidence="fast")
    rig, r_sec = timed(separation_rank, *case, domain="continuous", confidence="rigorous")
    d = {
        "case": case,
        "standard": {"rank": std.rank, "failure_bound": std.failure_bound, "seconds": s_sec},
        "rigorous": {"rank": rig.rank, "failure_bound": rig.failure_bound, "seconds": r_sec, "primes": rig.primes},
        "cost": r_sec / s_sec,
        "load": load(),
    }
    print(
        f"  rigorous {case}: rank {rig.rank} (standard {std.rank}); failure bound {rig.failure_bound:.2g} vs "
        f"{std.failure_bound:.2g}; {r_sec:.2f} s vs {s_sec:.2f} s ({r_sec / s_sec:.1f}x)",
        flush=True,
    )
    return d


def _warm_extension_kernels(case) -> None:
    """Compile the GF(p^2) kernels of ``case`` (continuous) on a block of 8 x 1100 points (the large run's tiles)."""
    from tnrnn._types import parse_partition
    from tnrnn.cells import make_cell
    from tnrnn.rank._run import _extension_primes
    from tnrnn.rank.evaluation import residue_matrix

    M, R, L, T = case
    cell, part = make_cell("rac", M, R, L), parse_partition("start-end", T)
    p = _extension_primes(cell.width(), 1)[0]
    g = np.random.default_rng(0)
    a, b = (g.integers(0, p, (n, len(s), M, 2)) for n, s in ((8, part.A), (1100, part.B)))
    residue_matrix(cell, cell.random_residues(p, 0, degree=2), part, a, b, p, dtype="extension")


def warm(case) -> None:
    """Compile a continuous cell's prime-field and GF(p^2) kernels (the latter at the tile shapes of a large run)."""
    separation_rank(*case, domain="continuous", confidence="fast", n_seeds=1)
    _warm_extension_kernels(case)


def fast_certified_pairs(case, repeat: int, indent: str = "  "):
    """``(fast, certified, fast times, certified times)``: the fast mode (two seeds) and the certified default of a
    continuous cell, alternating ``repeat`` times so that a change of load on the shared machine falls on both."""
    f_times, c_times = [], []
    for _ in range(repeat):
        fast, f_sec = timed(separation_rank, *case, domain="continuous", confidence="fast", n_seeds=2)
        cert, c_sec = timed(separation_rank, *case, domain="continuous")
        f_times.append(f_sec)
        c_times.append(c_sec)
        ratio = c_sec / f_sec
        print(f"{indent}pair: fast {f_sec:.1f} s, certified {c_sec:.1f} s = {ratio:.2f}x [{load()}]", flush=True)
    return fast, cert, f_times, c_times


def certified(quick: bool, repeat: int = 3) -> dict:
    case = (2, 2, 3, 10) if quick else (3, 3, 3, 10)
    warm(case)
    fast, cert, f_times, c_times = fast_certified_pairs(case, repeat)
    f_sec, c_sec = statistics.median(f_times), statistics.median(c_times)
    lu = lu_seconds(cert.N[0])
    d = {
        "case": case,
        "fast": {"rank": fast.rank, "status": fast.status, "failure_bound": fast.failure_bound, "seconds": f_sec},
        "certified": {
            "rank": cert.rank,
            "status": cert.status,
            "failure_bound": cert.failure_bound,
            "fields": cert.extra["fields"],
            "N": cert.N,
            "seconds": c_sec,
            "timing": cert.timing,
        },
        "fast_seconds": f_times,
        "certified_seconds": c_times,
        "pair_ratios": [c / f for c, f in zip(c_times, f_times, strict=True)],
        "lu_seconds": lu,
        "certified_over_lu": c_sec / lu,
        "certified_over_fast": c_sec / f_sec,
        "load": load(),
    }
    print(
        f"  certified {case}: rank {cert.rank} {cert.status}, failure bound {cert.failure_bound:.2g} "
        f"({', '.join(cert.extra['fields'])}), median of {repeat} {c_sec:.1f} s = {c_sec / lu:.2f}x LU({cert.N[0]}) "
        f"= {c_sec / f_sec:.2f}x fast ({fast.rank}, bound {fast.failure_bound:.2g}, median {f_sec:.1f} s) [{load()}]",
        flush=True,
    )
    d["onehot"] = []
    for M, R, L, T in [(2, 2, 1, 28), (2, 2, 2, 36)]:
        times, res = [], None
        for _ in range(3):
            res, sec = timed(separation_rank, M, R, L, T, domain="onehot")
            times.append(sec)
        row = {"case": (M, R, L, T), "rank": res.rank, "status": res.status, "N": res.N}
        row["seconds"] = statistics.median(times)
        d["onehot"].append(row)
        print(f"  one-hot {row['case']}: rank {res.rank} {res.status}, sample {res.N}, {row['seconds']:.3f} s")
    return d


def pages(quick: bool, repeat: int = 3) -> dict:
    from tnrnn.rank import _run
    from tnrnn.rank._pages import numpy_buffer

    case = (2, 2, 3, 10) if quick else (3, 3, 3, 10)
    warm(case)  # compile, as in `certified`
    populated = (_run.stage_buffer, _run.populate)
    faulted = (numpy_buffer, lambda buffer, lo, hi: None)  # the allocation before `tnrnn.rank._pages`
    runs = {"populated": [], "faulted": []}
    try:
        for _ in range(repeat):
            for name, memory in (("populated", populated), ("faulted", faulted)):
                _run.stage_buffer, _run.populate = memory
                res, sec = timed(separation_rank, *case, domain="continuous")
                runs[name].append({"seconds": sec, **{key: res.timing[key] for key in ("evaluate", "eliminate")}})
            print(f"  pair: populated {runs['populated'][-1]}, faulted {runs['faulted'][-1]} [{load()}]", flush=True)
    finally:
        _run.stage_buffer, _run.populate = populated
    d = {"case": case, "runs": runs, "load": load()}
    for name, rows in runs.items():
        d[name] = {key: statistics.median(r[key] for r in rows) for key in ("seconds", "evaluate", "eliminate")}
    d["pair_gains"] = [f["seconds"] - p["seconds"] for p, f in zip(runs["populated"], runs["faulted"], strict=True)]
    print(
        f"  certified {case}, medians of {repeat}: populated {d['populated']}, faulted {d['faulted']}; "
        f"faulted - populated per pair {[round(g, 2) for g in d['pair_gains']]} s [{load()}]",
        flush=True,
    )
    return d


def field(quick: bool, repeat: int = 3) -> dict:
    from tnrnn.rank import _run

    case = (2, 2, 3, 26) if quick else (2, 2, 3, 28)  # (M, R, L, T)
    separation_rank(*case, domain="continuous", confidence="fast", n_seeds=1)  # compile the prime-field kernels
    sized = _run._EXTENSION_LARGER
    runs = {"sized": [], "before": []}
    try:
        for _ in range(repeat):
            for name, menu in (("sized", sized), ("before", [])):
                _run._EXTENSION_LARGER = menu  # no larger bound: p < 2^22 and repetitions, as before
                res, sec = timed(separation_rank, *case, domain="continuous")
                runs[name].append({"seconds": sec, "primes": res.primes, "failure_bound": res.failure_bound})
            print(f"  pair: sized {runs['sized'][-1]}, before {runs['before'][-1]} [{load()}]", flush=True)
    finally:
        _run._EXTENSION_LARGER = sized
    d = {"case": case, "runs": runs, "load": load()}
    d["median"] = {name: statistics.median(r["seconds"] for r in rows) for name, rows in runs.items()}
    d["ratio"] = d["median"]["before"] / d["median"]["sized"]
    print(f"  certified {case}: medians {d['median']}, before / sized = {d['ratio']:.2f} [{load()}]", flush=True)
    return d


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--repeat", type=int, default=3, help="repetitions for medians")
    ap.add_argument("--v1", default=V1_REV, help="git revision of the version-1 engine (headline baseline)")
    ap.add_argument("--v1-limit", type=float, default=900.0, help="seconds allowed to the version-1 engine")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        ap.error(f"--only {','.join(bad)}: not a section (allowed: {', '.join(SECTIONS)})")
    results = {"load_start": load(), "quick": args.quick}
    for name in only:
        print(f"[{name}] ({load()})", flush=True)
        if name == "headline":
            results[name] = headline(args.quick, args.v1, args.v1_limit)
            h = results[name]
            print(
                f"  headline {h['case']}: rank {h['rank']} ({h['status']}), N={h['N']}: {h['seconds']:.2f} s = "
                f"{h['ratio_to_lu']:.2f}x LU ({h['lu_seconds']:.2f} s); v1 {h['v1'].get('seconds')} s "
                f"(speed-up {h.get('speedup_over_v1', float('nan')):.1f}x); stages {h['timing']}",
                flush=True,
            )
            print(
                f"  again, compiled: {h['warm_seconds']:.2f} s = {h['warm_ratio_to_lu']:.2f}x LU, "
                f"speed-up over v1 {h.get('warm_speedup_over_v1', float('nan')):.1f}x; stages {h['warm_timing']}",
                flush=True,
            )
        elif name in ("elimination", "narrow", "certified", "pages", "field"):
            results[name] = globals()[name](args.quick, args.repeat)
        else:
            results[name] = globals()[name](args.quick)
    results["load_end"] = load()
    results["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
