"""
Export to quimb and cotengra
============================

`tnrnn.interop.to_quimb` turns a RAC fed with inputs into a `quimb.tensor.TensorNetwork` whose tensors are tagged by
role (``"WI"``, ``"WH"``, ``"WO"``, ``"ones"``, ``"copy"``, ``"input"``), time step (``"t3"``) and layer (``"l2"``).
Its full contraction is the RAC's output. Needs the extra ``interop``: ``pip install "tnrnn[interop]"``.
"""

import jax
import numpy as np

import tnrnn
from tnrnn.interop import to_cotengra, to_quimb

jax.config.update("jax_enable_x64", True)
model = tnrnn.init_rac(3, 2, 2, key=jax.random.PRNGKey(0))
xs = np.random.default_rng(0).normal(size=(4, 3))

tn = to_quimb(model, xs)
print(tn.num_tensors, "tensors;", len(tn.select_tensors(["WH", "l2"], which="all")), "of them W^{H,2}")
y_quimb = tn.contract(output_inds=("y",), optimize="greedy").data
print("quimb:", y_quimb, " forward pass:", np.asarray(tnrnn.rac_forward(model, xs)))

# %%
# The same network for cotengra, with the copy tensors as hyperindices:
import cotengra as ctg  # noqa: E402

inputs, output, size_dict, arrays = to_cotengra(model, xs)
print("cotengra:", ctg.array_contract(arrays, inputs, output, size_dict=size_dict, optimize="greedy"))

# %%
# The exports that need no extra: networkx and einsum.
graph = tnrnn.build_network(3, 2, 2, 4, domain="continuous")
G = graph.to_networkx()
eq, names = graph.equation()
print(G.number_of_nodes(), "networkx nodes;", "einsum equation of", len(names), "operands")
