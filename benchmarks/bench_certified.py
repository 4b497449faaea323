"""The certified default against the fast mode on every kind of large continuous cell, and the plan's time estimate.

`bench_rank.py --only certified` measures one cell, (M, R, L, T) = (3, 3, 3, 10), whose rank (8388) sits just below
its proven cap (8568): the case where the certificate costs the most against the fast mode, whose second seed runs
at the cap's side while the certificate's ``GF(p^2)`` stage runs at ``rank + 1`` (almost the same side) in three
real products per update. This benchmark measures the same ratio on continuous cells of side 4000 and more with
other distances to the cap, depths and schedule lengths, one of them meeting its cap (no certificate needed), and
sets the plan's estimates (`tnrnn.rank.plan`: ``estimate_seconds`` for the prime-field pass, ``certify_seconds``
for the ``GF(p^2)`` stage) beside the measured times.

For each cell, after its kernels are compiled: the prime-field pass alone (``confidence="fast"``, one seed), then
``--repeat`` alternating pairs of the fast mode with two seeds (the default before the certificate) and the certified
default; medians, each pair's ratio, and the ``GF(p^2)`` stage's time as the certified run minus the prime-field
pass.

Usage::

    python benchmarks/bench_certified.py --json certified.json          # about 20 minutes on an idle 2-core CPU
    python benchmarks/bench_certified.py --quick                         # small cells (about a minute)
    python benchmarks/bench_certified.py --cells 3,3,3,10 2,2,4,10       # chosen cells (M,R,L,T)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_rank import fast_certified_pairs, load, timed, warm, write_json  # noqa: E402

from tnrnn.rank import plan, separation_rank  # noqa: E402

#: (M, R, L, T), continuous, side >= 4000: rank / cap from the atlas
CELLS = [
    (3, 3, 3, 10),  # 8388 / 8568: just below the cap (the headline cell)
    (2, 3, 3, 10),  # 7146 / 8568
    (2, 2, 4, 10),  # 6444 / 6912: depth 4
    (4, 4, 3, 6),  # 5920 / 6720
    (2, 4, 2, 34),  # 4488 / 4560: a long schedule
    (2, 2, 3, 32),  # 4654 / 4658: long and deep; its field is sized past 2^44
    (2, 4, 3, 10),  # 9856 / 9856: meets the cap, proven by the prime field alone
]
QUICK = [(2, 2, 3, 10), (2, 2, 2, 16)]


def measure(case, repeat: int) -> dict:
    M, R, L, T = case
    info = plan(M, R, L, T, domain="continuous")
    warm(case)
    prime, prime_sec = timed(separation_rank, *case, domain="continuous", confidence="fast", n_seeds=1)
    fast, cert, fast_times, cert_times = fast_certified_pairs(case, repeat, indent="    ")
    f_sec, c_sec = statistics.median(fast_times), statistics.median(cert_times)
    row = {
        "case": case,
        "cap": info["cap"],
        "rank": cert.rank,
        "status": cert.status,
        "failure_bound": cert.failure_bound,
        "fields": cert.extra.get("fields"),
        "N": cert.N,
        "fast_rank": fast.rank,
        "fast_failure_bound": fast.failure_bound,
        "prime_pass_seconds": prime_sec,
        "prime_pass_timing": prime.timing,
        "fast_seconds": fast_times,
        "certified_seconds": cert_times,
        "pair_ratios": [c / f for c, f in zip(cert_times, fast_times, strict=True)],
        "certified_over_fast": c_sec / f_sec,
        "gf_stage_seconds": c_sec - prime_sec,
        "estimate_seconds": info["estimate_seconds"],
        "certify_seconds": info["certify_seconds"] if cert.rank < (info["cap"] or 0) else 0.0,
        "load": load(),
    }
    print(
        f"  {case}: rank {cert.rank} / cap {info['cap']} {cert.status}, bound {cert.failure_bound:.2g} "
        f"({', '.join(row['fields'] or [])}); certified {c_sec:.1f} s / fast {f_sec:.1f} s = "
        f"{row['certified_over_fast']:.2f}x (pairs {', '.join(f'{r:.2f}' for r in row['pair_ratios'])}); "
        f"prime-field pass {prime_sec:.1f} s (plan {info['estimate_seconds']:.1f}), GF(p^2) stage "
        f"{row['gf_stage_seconds']:.1f} s (plan {row['certify_seconds']:.1f}) [{load()}]",
        flush=True,
    )
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cells only")
    ap.add_argument("--cells", nargs="*", default=None, help="cells as M,R,L,T (default: the list in CELLS)")
    ap.add_argument("--repeat", type=int, default=2, help="alternating fast/certified pairs per cell")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.cells:
        cells = []
        for text in args.cells:
            parts = text.split(",")
            if len(parts) != 4 or not all(x.strip().isdigit() for x in parts):
                ap.error(f"--cells {text!r}: expected four positive integers M,R,L,T")
            cells.append(tuple(int(x) for x in parts))
    else:
        cells = QUICK if args.quick else CELLS
    if args.repeat < 1:
        ap.error(f"--repeat {args.repeat}: must be at least 1")
    results = {"load_start": load(), "cells": []}
    for case in cells:
        print(f"[{case}] ({load()})", flush=True)
        results["cells"].append(measure(case, args.repeat))
        if args.json:  # after each cell, so an interrupted run keeps what it measured
            write_json(args.json, results)
    ratios = [c["certified_over_fast"] for c in results["cells"]]
    results["median_ratio"] = statistics.median(ratios)
    print(f"certified / fast over {len(ratios)} cells: median {results['median_ratio']:.2f}x, max {max(ratios):.2f}x")
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
