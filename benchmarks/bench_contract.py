"""Benchmark of the contraction of the deep (L = 2) RAC network, continuous domain, against its peers.

One run per T measures, on the same model and inputs:

* ``jax-einsum``  -- `tnrnn.contract` einsum route: copy tensors as hyperindices, one jitted ``jnp.einsum`` along a
  precomputed opt_einsum path;
* ``jax-tn``      -- `tnrnn.contract` tensornetwork route (JAX backend), jitted, same path;
* ``tn-numpy``    -- the peer: `tensornetwork` with the numpy backend and its ``greedy`` contractor (nodes built
  and contracted per call, which is how tensornetwork consumes them; node building is included);
* ``oe-numpy``    -- `opt_einsum.contract` on numpy arrays with the same hyperindex equation and path.

Steady-state times: one warm-up call, then ``--repeats`` calls with ``block_until_ready``; the median is reported.
Compile time is the first call of the jitted function (trace + XLA compile), measured separately from the path
search (``plan_s``). Ratios are against ``tn-numpy`` measured in the same run. The result is checked against
`tnrnn.rac.rac_forward`.

Usage::

    python benchmarks/bench_contract.py            # T = 8, 10, 12, 14, 16
    python benchmarks/bench_contract.py --quick    # T = 8, 12
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)  # a script, not library code

import numpy as np  # noqa: E402
import opt_einsum as oe  # noqa: E402
import tensornetwork as tn  # noqa: E402

from tnrnn.build import compile_rac  # noqa: E402
from tnrnn.contract import _operand_arrays, make_contractor, plan_contraction  # noqa: E402
from tnrnn.rac import init_rac, rac_forward  # noqa: E402
from tnrnn.testing import relative_error  # noqa: E402


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tn_numpy_greedy(graph, arrays_np, xs_np):
    """tensornetwork, numpy backend, greedy contractor (the peer)."""
    plan = plan_contraction(graph, method="tensornetwork", optimize="greedy")  # only for the operand list
    datas = _operand_arrays(plan, arrays_np, xs_np, None)
    spec = [(idx, kind, data) for (_, idx, kind), data in zip(plan.operands, datas, strict=True)]

    def run():
        # a contraction consumes its nodes: build them on every call (no array copies)
        nodes, where = [], {}
        for idx, kind, data in spec:
            if kind == "copy":
                node = tn.CopyNode(len(idx), plan.size_dict[idx[0]], backend="numpy", dtype=np.float64)
            else:
                node = tn.Node(data, backend="numpy")
            nodes.append(node)
            for axis, i in enumerate(idx):
                where.setdefault(i, []).append(node[axis])
        out = []
        for legs in where.values():
            if len(legs) == 2:
                legs[0] ^ legs[1]
            else:
                out.append(legs[0])
        return tn.contractors.greedy(nodes, output_edge_order=out).tensor

    return run


def bench_T(M, R, L, T, repeats, seed=0):
    model = init_rac(M, R, L, key=jax.random.PRNGKey(seed), K=1)
    xs = jax.random.normal(jax.random.PRNGKey(seed + 1), (T, M))
    ref = np.asarray(rac_forward(model, xs))
    graph, arrays = compile_rac(model, T)
    row = {"M": M, "R": R, "L": L, "T": T, "nodes": graph.n_nodes, "backend": jax.default_backend()}

    for method in ("einsum", "tensornetwork"):
        t0 = time.perf_counter()
        plan = plan_contraction(graph, method=method, optimize="greedy")
        row[f"plan_{method}_s"] = time.perf_counter() - t0
        f = make_contractor(plan)
        t0 = time.perf_counter()
        y = f(arrays, xs).block_until_ready()
        row[f"compile_{method}_s"] = time.perf_counter() - t0
        assert relative_error(y, ref) < 1e-10, (method, relative_error(y, ref))
        row[f"jax_{method}_s"] = median_time(lambda f=f: f(arrays, xs).block_until_ready(), repeats)

    arrays_np = {k: np.asarray(v) for k, v in arrays.items()}
    xs_np = np.asarray(xs)
    peer = tn_numpy_greedy(graph, arrays_np, xs_np)
    assert relative_error(peer(), ref) < 1e-10
    row["tn_numpy_greedy_s"] = median_time(peer, repeats)

    plan = plan_contraction(graph, method="einsum", optimize="greedy")
    ops = _operand_arrays(plan, arrays_np, xs_np, None)
    path = [tuple(p) for p in plan.path]
    assert relative_error(oe.contract(plan.equation, *ops, optimize=path), ref) < 1e-10
    row["oe_numpy_s"] = median_time(lambda: oe.contract(plan.equation, *ops, optimize=path), repeats)
    row["speedup_vs_tn_numpy"] = row["tn_numpy_greedy_s"] / row["jax_einsum_s"]
    row["speedup_vs_oe_numpy"] = row["oe_numpy_s"] / row["jax_einsum_s"]
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--M", type=int, default=2)
    ap.add_argument("--R", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    Ts = [8, 12] if args.quick else [8, 10, 12, 14, 16]
    print(f"JAX backend: {jax.default_backend()} ({jax.devices()[0].device_kind})")
    print(
        "| T | nodes | jax-einsum ms | compile s | jax-tn ms | compile s | tn-numpy-greedy ms | oe-numpy ms "
        "| vs tn-numpy | vs oe-numpy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for T in Ts:
        r = bench_T(args.M, args.R, 2, T, args.repeats)
        rows.append(r)
        print(
            f"| {T} | {r['nodes']} | {1e3 * r['jax_einsum_s']:.3f} | {r['compile_einsum_s']:.2f} | "
            f"{1e3 * r['jax_tensornetwork_s']:.3f} | {r['compile_tensornetwork_s']:.2f} | "
            f"{1e3 * r['tn_numpy_greedy_s']:.2f} | {1e3 * r['oe_numpy_s']:.2f} | "
            f"{r['speedup_vs_tn_numpy']:.0f}x | {r['speedup_vs_oe_numpy']:.0f}x |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
