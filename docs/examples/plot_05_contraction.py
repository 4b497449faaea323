"""
Contraction (on a GPU when present)
===================================

`tnrnn.contract.network_forward` compiles the network once (the contraction path is found on the structure alone)
and returns a jitted function equal to `tnrnn.rac_forward`. JAX places it on a GPU when one is installed; nothing in
the code changes.
"""

import time

import jax
import numpy as np

import tnrnn
from tnrnn.contract import network_forward, plan_contraction
from tnrnn.testing import relative_error

jax.config.update("jax_enable_x64", True)
print("JAX device:", jax.devices()[0].platform)

M, R, L, T = 2, 2, 2, 8
model = tnrnn.init_rac(M, R, L, key=jax.random.PRNGKey(0))
xs = jax.numpy.asarray(np.random.default_rng(0).normal(size=(T, M)))

f = network_forward(T, M=M, R=R, L=L, domain="continuous")
y = f(model, xs).block_until_ready()  # compiles
start = time.perf_counter()
for _ in range(20):
    y = f(model, xs).block_until_ready()
ms = (time.perf_counter() - start) / 20 * 1e3
print(f"network: {np.asarray(y)}, forward: {np.asarray(tnrnn.rac_forward(model, xs))}, {ms:.3f} ms per call")
print("relative difference:", relative_error(y, tnrnn.rac_forward(model, xs)))

# %%
# The plan: path and cost from opt_einsum, fixed before any array is seen.
plan = plan_contraction(tnrnn.build_network(M, R, L, T, domain="continuous"))
print(len(plan.operands), "operands,", plan.flops, "flops, largest intermediate", plan.largest_intermediate)
