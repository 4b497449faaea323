#!/usr/bin/env bash
# GPU check: install the GPU extra (JAX with CUDA 12), then print the device, the rank-engine and contraction
# timings on it, and the same on this machine's CPU, in well under 5 minutes.
#
#   bash benchmarks/gpu_check.sh            # on a machine with an NVIDIA GPU (CUDA 12 driver)
#   TNRNN_SKIP_INSTALL=1 bash benchmarks/gpu_check.sh   # use what is installed (e.g. to try it on a CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
if [ -z "${TNRNN_SKIP_INSTALL:-}" ]; then
  python3 -m pip install -q ".[gpu]" 2>&1 | tail -n 3 || python3 -m pip install -q -e ".[gpu]"
fi
python3 - <<'PY'
import json, os, time
import jax
import numpy as np

print("jax", jax.__version__, "default backend:", jax.default_backend(), "devices:", jax.devices(), flush=True)
from tnrnn.rank import separation_rank, jax_modular_rank, blas_modular_rank
from tnrnn.rank._run import _primes_below


def rank_case(label, device, M, R, L, T, confidence="fast", **kw):
    """One rank: ``fast`` (one prime-field seed) or the ``certified`` default (prime field, then GF(p^2))."""
    with jax.default_device(device):
        separation_rank(2, 3, 2, 8, domain="continuous", n_seeds=1, evaluation="jax")  # warm-up: both fields
        t0 = time.perf_counter()
        r = separation_rank(M, R, L, T, domain="continuous", n_seeds=1, evaluation="jax", confidence=confidence, **kw)
        sec = time.perf_counter() - t0
    print(json.dumps({"stage": "rank", "on": label, "case": [M, R, L, T], "confidence": confidence, "rank": r.rank,
                      "status": r.status, "failure_bound": r.failure_bound, "fields": r.extra["fields"],
                      "N": r.N[0], "seconds": round(sec, 2), "timing": {k: round(v, 2) for k, v in r.timing.items()},
                      "elimination": r.extra["elimination"]}), flush=True)


def elim_case(label, device, n, extension=False, need=0):
    """jax-block elimination of a random n x n matrix over GF(p) or GF(p^2) (complex parts); ``need``: the field
    one repetition needs (a larger p, a narrower panel: the certified default's sized field)."""
    from tnrnn.rank._run import _extension_primes
    p = _extension_primes(8, 1, need)[0] if extension else _primes_below(2**21, 1)[0]
    g = np.random.default_rng(0)
    A = g.integers(0, p, (n, n), dtype=np.int64)
    if extension:
        A = A + 1j * g.integers(0, p, (n, n), dtype=np.int64)
    with jax.default_device(device):
        jax_modular_rank(A[:512, :512], p)
        t0 = time.perf_counter()
        r = jax_modular_rank(A, p)
        sec = time.perf_counter() - t0
    print(json.dumps({"stage": "jax-block elimination", "field": f"GF({p}^2)" if extension else f"GF({p})",
                      "on": label, "n": n, "rank": r, "seconds": round(sec, 2)}), flush=True)


def contraction(label, device, T):
    from tnrnn.contract import network_forward
    from tnrnn.rac import init_rac, rac_forward
    with jax.default_device(device), jax.enable_x64(True):
        model = init_rac(2, 2, 2, key=jax.random.PRNGKey(0))
        xs = jax.random.normal(jax.random.PRNGKey(1), (T, 2))
        f = network_forward(T, M=2, R=2, L=2, domain="continuous")
        t0 = time.perf_counter(); y = f(model, xs).block_until_ready(); compile_s = time.perf_counter() - t0
        times = []
        for _ in range(20):
            t0 = time.perf_counter(); f(model, xs).block_until_ready(); times.append(time.perf_counter() - t0)
        err = float(abs(y - rac_forward(model, xs)).max())
    print(json.dumps({"stage": "contraction", "on": label, "T": T, "compile_s": round(compile_s, 2),
                      "median_ms": round(1e3 * sorted(times)[10], 3), "max_abs_err": err}), flush=True)


cpu = jax.devices("cpu")[0]
targets = [("default:" + jax.default_backend(), jax.devices()[0])]
if jax.default_backend() != "cpu":
    targets.append(("cpu", cpu))
quick = jax.default_backend() == "cpu"
for label, dev in targets:
    rank_case(label, dev, 3, 3, 3, 8 if quick else 10)
    rank_case(label, dev, 3, 3, 3, 8 if quick else 10, confidence="certified")
    elim_case(label, dev, 2048 if quick else 8192)
    elim_case(label, dev, 1024 if quick else 4096, extension=True)
    elim_case(label, dev, 1024 if quick else 4096, extension=True, need=2.0**46.9)
    contraction(label, dev, 12)
if jax.default_backend() != "cpu":
    with jax.default_device(jax.devices()[0]):
        rank_case("default:" + jax.default_backend(), jax.devices()[0], 4, 4, 2, 48)
p = _primes_below(2**21, 1)[0]
A = np.random.default_rng(0).integers(0, p, (4096, 4096), dtype=np.int64)
t0 = time.perf_counter(); blas_modular_rank(A, p); print(json.dumps({"stage": "blas-block elimination", "on": "cpu",
      "n": 4096, "seconds": round(time.perf_counter() - t0, 2)}))
PY
