"""Contract a compiled tensor network (the RAC or another cell) with JAX (jit; GPU when JAX sees one, CPU otherwise).

Two routes over one plan (`plan_contraction`), both following a contraction path found once by opt_einsum on the
static structure (shapes only):

* ``method="einsum"``: copy (δ) nodes become hyperindices (`TNGraph.copy_groups`), so no δ is ever a dense array,
  and the whole network is one ``jax.numpy.einsum`` call along the precomputed path. This is the fast route.
* ``method="tensornetwork"``: the network is rebuilt as `tensornetwork` ``Node`` / ``CopyNode`` objects with the
  JAX backend and contracted pairwise along the path (`tensornetwork.contractors.contract_path`). Copy nodes of
  order ``k > 3`` (the one-hot input copy tensors) are split into a chain of ``k - 2`` order-3 copy nodes, which
  represents the same tensor without its ``D^k`` dense form.

This module is the only place that imports `tensornetwork`, so the library can be swapped. The graph stays
structure only; arrays are passed at call time (`tnrnn.build.network_arrays`), and the structure is static under
`jax.jit`. Library code never changes JAX's global configuration (tests and the CLI enable x64).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from tnrnn._types import ArgumentError, check_choice, named_domain, refuse_if_too_large
from tnrnn.build import build_network, network_arrays
from tnrnn.network import TNGraph, einsum_equation

__all__ = [
    "METHODS",
    "OPTIMIZERS",
    "ContractionPlan",
    "plan_contraction",
    "make_contractor",
    "contract",
    "network_forward",
    "network_grid_tensor",
    "to_tensornetwork",
    "cell_network_forward",
]

METHODS = ("einsum", "tensornetwork")
OPTIMIZERS = ("greedy", "auto", "dp", "random-greedy", "branch-2")


@dataclass(frozen=True)
class ContractionPlan:
    """A contraction of one network, fixed before any array is seen.

    Attributes
    ----------
    method : str
        ``"einsum"`` or ``"tensornetwork"``.
    with_inputs : bool
        True: input nodes are fed with data ``xs``; False: their legs stay open (the represented tensor).
    operands : tuple of (str, tuple of str, str)
        ``(name, indices, kind)`` per operand; kind is ``"array"``, ``"input"`` or ``"copy"`` (tensornetwork
        route only).
    output : tuple of str
        Output indices, in the order of the result's axes.
    size_dict : dict
        Index -> dimension.
    path : tuple of tuple of int
        Pairwise contraction path (opt_einsum linear format).
    equation : str
        The einsum equation of ``operands`` (opt_einsum symbols).
    flops : int
        opt_einsum's cost estimate of the path.
    largest_intermediate : int
        Entries of the largest intermediate tensor.
    """

    method: str
    with_inputs: bool
    operands: tuple[tuple[str, tuple[str, ...], str], ...]
    output: tuple[str, ...]
    size_dict: dict = field(repr=False)
    path: tuple[tuple[int, ...], ...] = field(repr=False)
    equation: str = field(repr=False)
    flops: int = 0
    largest_intermediate: int = 0

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.size_dict[i] for i in self.output)


def plan_contraction(
    graph: TNGraph, *, inputs: bool = True, method: str = "einsum", optimize: str = "greedy"
) -> ContractionPlan:
    """Fix the operands and the contraction path of ``graph`` (shapes only).

    Parameters
    ----------
    graph : TNGraph
        A compiled network (`tnrnn.build.build_network`).
    inputs : bool
        Feed the input nodes with data (True) or leave their legs open (False: the represented tensor, e.g. the
        one-hot grid tensor).
    method : {"einsum", "tensornetwork"}
        See the module notes.
    optimize : {"greedy", "auto", "dp", "random-greedy", "branch-2"}
        opt_einsum path strategy.
    """
    import opt_einsum as oe

    method = check_choice("method", method, METHODS)
    optimize = check_choice("optimize", optimize, OPTIMIZERS)
    g = graph if inputs else graph.tensor_view()
    kind_of = {"input": "input", "copy": "copy"}
    if method == "einsum":
        ins, output, names = g.einsum_inputs(hyper=True)
        roles = dict(zip(g.names, g.roles, strict=True))
        operands = tuple((n, idx, kind_of.get(roles[n], "array")) for n, idx in zip(names, ins, strict=True))
    else:
        operands = []
        for name, idx, role in zip(g.names, g.indices, g.roles, strict=True):
            if role == "copy" and len(idx) > 3:
                operands.extend(_copy_chain(name, idx))
            else:
                operands.append((name, tuple(idx), kind_of.get(role, "array")))
        operands, output = tuple(operands), tuple(g.output)
    size = dict(g.size_dict)
    for _, idx, _ in operands:
        for i in idx:
            if i not in size:  # chain bonds of split copy tensors
                size[i] = size[idx[1]]
    eq = einsum_equation([idx for _, idx, _ in operands], output)
    shapes = [tuple(size[i] for i in idx) for _, idx, _ in operands]
    refuse_if_too_large("T", g.meta.get("T"), "network output", tuple(size[i] for i in output), 8)
    if len(operands) == 1:
        path, flops, largest = (), 0, int(np.prod(shapes[0], dtype=np.int64))
    else:
        path, info = oe.contract_path(eq, *shapes, shapes=True, optimize=optimize)
        path, flops, largest = tuple(tuple(p) for p in path), int(info.opt_cost), int(info.largest_intermediate)
        refuse_if_too_large("T", g.meta.get("T"), "largest intermediate tensor", (largest,), 8)
    return ContractionPlan(
        method=method,
        with_inputs=inputs,
        operands=operands,
        output=tuple(output),
        size_dict=size,
        path=path,
        equation=eq,
        flops=flops,
        largest_intermediate=largest,
    )


#: Per-function XLA options (not global configuration). A contraction is hundreds of small dot products whose
#: run time does not improve with XLA's backend optimisation passes, while compile time halves without them
#: (measured at L=2, T=12: 1.5 s -> 0.74 s compile, 0.124 vs 0.127 ms per contraction).
_JIT_OPTIONS = {"xla_backend_optimization_level": 0}


def _copy_chain(name: str, legs: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], str]]:
    """An order-``k`` copy tensor as a chain of ``k - 2`` order-3 copy tensors (same tensor)."""
    k = len(legs)
    bonds = [f"{name}~{j}" for j in range(k - 3)]
    out = [(f"{name}~0", (legs[0], legs[1], bonds[0]), "copy")]
    for j in range(1, k - 3):
        out.append((f"{name}~{j}", (bonds[j - 1], legs[j + 1], bonds[j]), "copy"))
    out.append((f"{name}~{k - 3}", (bonds[-1], legs[k - 2], legs[k - 1]), "copy"))
    return out


def _operand_arrays(plan: ContractionPlan, arrays: dict, xs, dtype) -> list:
    """The arrays of the plan's non-copy operands, in order (input nodes read ``xs[t - 1]``)."""
    out = []
    for name, _, kind in plan.operands:
        if kind == "array":
            out.append(arrays[name])
        elif kind == "input":
            t = _time_of_input(name)
            out.append(xs[t - 1])
        else:
            out.append(None)
    return out


def _time_of_input(name: str) -> int:
    # input nodes are named x{t}.{c} (continuous) or x{t} (one-hot)
    return int(name[1:].split(".")[0])


def to_tensornetwork(plan: ContractionPlan, arrays: dict, xs=None, *, backend: str = "jax"):
    """The plan's operands as connected `tensornetwork` nodes.

    Returns
    -------
    nodes : list of tensornetwork.AbstractNode
        In the plan's operand order (copy nodes as ``tn.CopyNode``).
    output_edges : list of tensornetwork.Edge
        The dangling edges in the order of ``plan.output``.
    """
    import tensornetwork as tn

    if plan.method != "tensornetwork":
        raise ArgumentError("plan.method", plan.method, "'tensornetwork' (dense copy nodes, no hyperindices)")
    dtype = arrays[next(n for n, _, k in plan.operands if k == "array")].dtype
    datas = _operand_arrays(plan, arrays, xs, dtype)
    nodes = []
    where: dict[str, list] = {}
    for (name, idx, kind), data in zip(plan.operands, datas, strict=True):
        if kind == "copy":
            node = tn.CopyNode(len(idx), plan.size_dict[idx[0]], name=name, backend=backend, dtype=dtype)
        else:
            node = tn.Node(data, name=name, backend=backend)
        nodes.append(node)
        for axis, i in enumerate(idx):
            where.setdefault(i, []).append(node[axis])
    for i, legs in where.items():
        if len(legs) == 2:
            legs[0] ^ legs[1]
        elif len(legs) > 2:
            raise ArgumentError("index", i, "an index carried by at most two tensornetwork nodes")
    return nodes, [where[i][0] for i in plan.output]


def _run(plan: ContractionPlan, arrays: dict, xs):
    if plan.method == "einsum":
        dtype = None
        ops = _operand_arrays(plan, arrays, xs, dtype)
        if len(ops) == 1:
            return jnp.einsum(plan.equation, ops[0])
        return jnp.einsum(plan.equation, *ops, optimize=[tuple(p) for p in plan.path])
    import tensornetwork as tn

    nodes, out_edges = to_tensornetwork(plan, arrays, xs)
    if len(nodes) == 1:
        return nodes[0].tensor
    return tn.contractors.contract_path(list(plan.path), nodes, out_edges).tensor


def make_contractor(plan: ContractionPlan, *, jit: bool = True):
    """A function ``f(arrays, xs=None)`` contracting the planned network (jitted by default).

    ``arrays`` maps node names to arrays (`tnrnn.build.network_arrays`); ``xs`` of shape ``(T, M)`` feeds the
    input nodes when the plan has inputs.
    """

    def f(arrays, xs=None):
        if plan.with_inputs and xs is None:
            raise ArgumentError("xs", None, "an array of shape (T, M) for a plan with inputs")
        return _run(plan, arrays, xs)

    return jax.jit(f, compiler_options=_JIT_OPTIONS) if jit else f


def contract(
    graph: TNGraph, arrays: dict, xs=None, *, method: str = "einsum", optimize: str = "greedy", jit: bool = True
):
    """Contract ``graph`` with ``arrays`` (and inputs ``xs``, or none: the represented tensor). Plans each call.

    For repeated calls build the plan once (`plan_contraction`) and reuse `make_contractor`.
    """
    plan = plan_contraction(graph, inputs=xs is not None, method=method, optimize=optimize)
    return make_contractor(plan, jit=jit)(arrays, xs)


def network_forward(
    T: int,
    *,
    domain: str | None = None,
    method: str = "einsum",
    optimize: str = "greedy",
    M=None,
    R=None,
    L=None,
    K: int = 1,
    jit: bool = True,
    cell="rac",
):
    """A function ``f(params, xs) -> y`` evaluating a cell (default: the RAC) through its compiled tensor network.

    Equal to the cell's forward pass (``tnrnn.rac.rac_forward(model, xs)`` for the RAC, ``cell.forward(params,
    xs)`` for a `tnrnn.cells.Cell`) for every ``xs`` of shape ``(T, M)`` with ``domain="continuous"`` (the same
    input is fed to every copy), and for one-hot ``xs`` with ``domain="onehot"``. Differentiable in ``params``.

    Parameters
    ----------
    T : int
    domain : {"continuous", "onehot"}
    method, optimize : str
        As for `plan_contraction`.
    M, R, L : int
        The sizes (the structure is static): required for a cell given by name, taken from a `tnrnn.cells.Cell`.
    K : int
        The number of outputs (a cell instance's own ``K`` wins).
    jit : bool
    cell : str or `tnrnn.cells.Cell`
        ``"rac"`` (default) or any cell with a tensor network (`tnrnn.build.build_network`).

    References
    ----------
    The theory page, sections 'Tensor networks and copy tensors' and 'The tree of copies'.
    """
    domain = named_domain(domain, "network_forward")
    from tnrnn.build import cell_network_inputs
    from tnrnn.cells.base import Cell

    if isinstance(cell, Cell):
        M, R, L, K = cell.M, cell.R, cell.L, cell.K
    if M is None or R is None or L is None:
        raise ArgumentError("M, R, L", (M, R, L), "the three sizes of the cell")
    graph = build_network(M, R, L, T, domain=domain, K=K, cell=cell)
    plan = plan_contraction(graph, inputs=True, method=method, optimize=optimize)
    run = make_contractor(plan, jit=False)

    def f(params, xs):
        return run(network_arrays(graph, params, cell), cell_network_inputs(graph, xs))

    return jax.jit(f, compiler_options=_JIT_OPTIONS) if jit else f


def network_grid_tensor(model, T: int, *, method: str = "einsum", optimize: str = "greedy"):
    """The order-``T`` grid tensor of ``model`` from the contracted one-hot network, shape ``(M,) * T + (K,)``.

    Entry ``[d_1, …, d_T, c]`` is ``y_c(e_{d_1}, …, e_{d_T})``: the open legs of the network's ``T`` input copy
    tensors are the ``T`` axes.
    """
    graph = build_network(model.M, model.R, model.L, T, domain="onehot", K=model.K)
    plan = plan_contraction(graph, inputs=False, method=method, optimize=optimize)
    return make_contractor(plan)(network_arrays(graph, model))


def cell_network_forward(
    cell, T: int, *, domain: str = "continuous", method: str = "einsum", optimize: str = "greedy", jit: bool = True
):
    """Deprecated: `network_forward` ``(T, cell=cell, ...)``, the forward pass of every cell's network."""
    from tnrnn._deprecation import warn_deprecated

    warn_deprecated("cell_network_forward(cell, T)", "network_forward(T, cell=cell, ...)")
    return network_forward(T, domain=domain, method=method, optimize=optimize, jit=jit, cell=cell)
