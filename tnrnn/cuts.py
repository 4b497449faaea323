"""Minimum cuts of tensor networks: certified upper bounds on separation ranks (no JAX, no matplotlib).

For a tensor network and a partition ``(A, B)`` of its open legs, the rank of the matricization ``[T]_{A,B}`` is at
most the product of the bond dimensions over any set of edges whose removal separates the ``A``-legs from the
``B``-legs (Levine, Yakira, Cohen & Shashua, ICLR 2018). `min_cut` finds the cheapest such set.

**Legs and sides.** The open legs are the legs of the input nodes (role ``"input"``, see `tnrnn.network`): the input
node(s) of time step ``t`` belong to the side holding ``t``. The output leg ``y`` (the class index) belongs to no
side: the bound is for each scalar output ``y_c``.

**Copy tensors.** A copy (δ) node of dimension ``D`` may be *cut through* at the cost of one index ``D``, since
``δ = Σ_i e_i ⊗ … ⊗ e_i`` has rank ``D`` across any split of its legs. This is what lets the one-hot network reach
``M^{T/2}``. In the flow network each copy node is split into ``in -> out`` joined by an arc of capacity ``D`` and
every edge ``{u, v}`` becomes the arcs ``out(u) -> in(v)`` and ``out(v) -> in(u)`` (the standard node-capacity
reduction), so a minimum s-t cut is a cheapest mix of edges and copy nodes.

**Exactness.** Products are compared through integer capacities:

* if every dimension is a power of one integer ``b`` (``M = R = 2``; ``M = 4, R = 2``; ...), the capacity of a
  dimension ``b^e`` is ``e`` and the minimum is exact;
* otherwise the capacity is ``round(S * log2(dim))`` for the largest power of two ``S <= 2^40`` keeping every
  flow below ``2^30`` for scipy (its flows are int32) or ``2^60`` for the other engines. Rounding moves a cut of
  ``k`` factors by at most ``k / 2``, and the optimal cut has at most ``log2(bound)`` factors, so the true
  minimum is at least ``bound / 2^slack`` with ``slack = (k + log2 bound) / (2 S)``; `CutResult.exact` is True
  when no integer lies in between (ties of equal products are harmless: any minimiser has the same product).

Whatever the capacities, the reported ``bound`` is the exact Python-int product over the returned cut, which is
re-checked to separate the two sides: it is always a valid (certified) upper bound.

Engines (one check, `check_choice`): ``"networkx"`` (the reference, `networkx.minimum_cut` with its default
preflow-push), ``"scipy"`` (`scipy.sparse.csgraph.maximum_flow`, Dinic, int32), ``"tree"`` (an exact dynamic
programme for tree networks such as the continuous RAC network, vectorised over tree levels) and ``"auto"``
(``"tree"`` on trees, else ``"scipy"``). All of them minimise the same integer capacities.
"""

from __future__ import annotations

import numpy as np

from tnrnn._cut_engines import _LIMITS, CUT_ENGINES, MAX_DIM, CutResult, _graph_T, _Problem, _separates
from tnrnn._types import ArgumentError, MemoryRefusal, check_choice, named_domain, parse_partition
from tnrnn.network import TNGraph

__all__ = [
    "ENGINES",
    "CutResult",
    "min_cut",
    "start_end_min_cut",
    "min_cut_or_reason",
    "bounds_with_min_cuts",
    "cut_bound",
    "separates",
    "cell_min_cuts",
    "start_end_bound",
    "MAX_DIM",
]

ENGINES = CUT_ENGINES.choices()


# ---------------------------------------------------------------------------------------------------------------
# public entry points


def min_cut(graph: TNGraph, partition="start-end", *, engine: str = "auto") -> CutResult:
    """Minimum over cuts separating the two sides' open legs of the product of bond dimensions.

    Parameters
    ----------
    graph : TNGraph
        A network whose input nodes carry time tags ``1..T`` (e.g. from `tnrnn.build.build_network`).
    partition : str, Partition or pair
        Partition of the time steps (`tnrnn._types.parse_partition`), default Start-End.
    engine : {"auto", "networkx", "scipy", "tree"}
        Min-cut engine (see the module notes).

    Returns
    -------
    CutResult
        The bound with its certificate (cut edges, cut copy nodes, sides), re-checked before it is returned.

    References
    ----------
    Levine, Yakira, Cohen & Shashua, "Deep Learning and Quantum Entanglement: Fundamental Connections with
    Implications to Network Design", ICLR 2018 (rank of a matricization <= min-cut);
    Theory page, section 'Min-cut bound' (with its proof; cutting through a copy tensor costs one index).

    Notes
    -----
    Assumes every open leg that matters sits on an input node; other open legs (the class leg ``y``) are
    ignored. Copy nodes may be cut through at the cost of one index.
    """
    _check_graph(graph)
    engine = CUT_ENGINES.check(engine)
    if engine in ("auto", "tree"):
        tree = graph.is_tree()
        if engine == "tree" and not tree:
            raise ArgumentError("engine", "tree", "'networkx', 'scipy' or 'auto' for a network with cycles")
        engine = "tree" if tree else "scipy"
    limit = _LIMITS[engine]
    if engine == "tree":  # children sums must stay below 2**62
        limit = 2**62 // max(4, 1 + int(graph.degrees.max()))
    prob = _Problem(graph, partition, limit=limit)
    side, flow = CUT_ENGINES.lookup(engine)(prob)
    result = prob.result(side, flow, engine)
    graph.__dict__["_last_cut"] = result  # the notebook display draws a network with its last cut
    return result


def start_end_min_cut(
    M: int,
    R: int,
    L: int,
    T: int,
    *,
    domain: str | None = None,
    partition="start-end",
    engine: str = "auto",
    cell="rac",
) -> CutResult:
    """The `min_cut` of the structure-only network of ``cell``.

    The network is built by `tnrnn.build.build_network` (default cell: the RAC).

    References
    ----------
    Theory page, section 'Min-cut bound' (shallow: ``min(R, M^{T/2})``; depth 2, continuous, ``M >= R``:
    ``R^{T/2+1}``).
    """
    domain = named_domain(domain, "start_end_min_cut")
    from tnrnn.build import build_network

    check_choice("engine", engine, ENGINES)
    for name, value in (("M", M), ("R", R)):
        if isinstance(value, int) and value > MAX_DIM:
            raise ArgumentError(name, value, "an integer <= 2^62 for a min-cut (bond dimensions are int64)")
    graph = build_network(M, R, L, T, domain=domain, cell=cell)
    return min_cut(graph, partition, engine=engine)


def start_end_bound(
    M: int, R: int, L: int, T: int, *, domain: str | None = None, cell="rac", cache: dict | None = None
) -> int:
    """The bound of `start_end_min_cut` (the Start-End partition), memoised in ``cache`` when one is given.

    ``cache`` is a dict shared between callers (the rank plots share theirs with the exact ranks), keyed
    ``("cut", cell, M, R, L, domain, T)``. Raises `ArgumentError` where the cell has no tensor network or it is
    too large to build.
    """
    domain = named_domain(domain, "start_end_bound")
    key = ("cut", cell, M, R, L, domain, T)
    if cache is not None and key in cache:
        return cache[key]
    value = start_end_min_cut(M, R, L, T, domain=domain, cell=cell).bound
    if cache is not None:
        cache[key] = value
    return value


def min_cut_or_reason(
    M: int,
    R: int,
    L: int,
    T: int,
    *,
    domain: str = "continuous",
    partition="start-end",
    max_nodes: int = 500_000,
    cell="rac",
) -> tuple[CutResult | None, str | None]:
    """`start_end_min_cut` when the network is small enough, else ``(None, reason)`` without building it.

    The network's size comes from its closed-form node count (`tnrnn.build.network_size`); a cell without a
    tensor network, more than ``max_nodes`` nodes, a refusal by the memory budget or a bond dimension above
    `MAX_DIM` give the reason instead of a cut. Used by ``tnrnn bounds``, whose closed forms need no structure.
    """
    from tnrnn.build import network_size

    try:
        nodes = network_size(M, R, L, T, domain=domain, cell=cell)
    except ArgumentError as exc:  # the cell has no tensor network
        return None, str(exc)
    if nodes > max_nodes:
        return None, f"the {domain} network has {nodes} nodes, more than the {max_nodes} this summary cuts (tnrnn cut)"
    if max(M, R) > MAX_DIM:
        return None, f"a bond dimension of {max(M, R)} is above 2^62 (bond dimensions are int64)"
    try:
        return start_end_min_cut(M, R, L, T, domain=domain, partition=partition, cell=cell), None
    except (MemoryRefusal, ArgumentError) as exc:
        return None, str(exc)


def bounds_with_min_cuts(M: int, R: int, L: int, T: int, *, cell="rac", partition="start-end") -> dict:
    """`tnrnn.cells.bounds_report` with the min-cut bounds of the cell's networks: ``tnrnn bounds --json``.

    ``min_cut`` is from the continuous network (it bounds both domains: a one-hot rank never exceeds the
    continuous one), ``min_cut_onehot`` from the one-hot one; each is ``None``, with the reason in
    ``min_cut_note`` / ``min_cut_onehot_note`` (otherwise ``None``), where the cell has no tensor network or it is
    too large for this summary (`min_cut_or_reason`). The same keys for every cell.
    """
    from tnrnn.cells.report import bounds_report

    out = bounds_report(M, R, L, T, cell=cell, partition=partition)
    for key, domain in (("min_cut", "continuous"), ("min_cut_onehot", "onehot")):
        cut, reason = min_cut_or_reason(M, R, L, T, domain=domain, partition=partition, cell=cell)
        out[key] = None if cut is None else cut.bound
        out[key + "_note"] = reason
    return out


def _check_graph(graph) -> None:
    if not isinstance(graph, TNGraph):
        raise ArgumentError("graph", f"a {type(graph).__name__}", "a tnrnn.TNGraph (tnrnn.build_network)")
    big = max(graph.size_dict.values(), default=1)
    if big > MAX_DIM:
        raise ArgumentError("graph", f"a bond dimension of {big}", "bond dimensions <= 2^62 (int64 arrays)")


def cell_min_cuts(cell, M: int, R: int, L: int, T: int) -> dict:
    """Deprecated: `bounds_with_min_cuts` ``(M, R, L, T, cell=cell)``, the bounds and min-cuts of every cell."""
    from tnrnn._deprecation import warn_deprecated

    warn_deprecated("cell_min_cuts(cell, M, R, L, T)", "bounds_with_min_cuts(M, R, L, T, cell=cell)")
    return bounds_with_min_cuts(M, R, L, T, cell=cell)


def cut_bound(graph: TNGraph, cut_edges, cut_copies=()) -> int:
    """The exact product of the dimensions of ``cut_edges`` (index names) and ``cut_copies`` (copy nodes)."""
    bound = 1
    for index in cut_edges:
        bound *= int(graph.size_dict[index])
    for name in cut_copies:
        bound *= graph.copy_dim(name)
    return bound


def separates(graph: TNGraph, partition, cut_edges, cut_copies=()) -> bool:
    """True when removing ``cut_edges`` and ``cut_copies`` leaves no path from an ``A`` input to a ``B`` input."""
    _check_graph(graph)
    part = parse_partition(partition, _graph_T(graph))
    keep = np.ones(graph.n_edges, dtype=bool)
    pos = [graph._edge_pos.get(name) for name in cut_edges]
    if any(p is None for p in pos):
        raise ArgumentError("cut_edges", cut_edges, "index names of edges of the network")
    keep[pos] = False
    removed = np.zeros(graph.n_nodes, dtype=bool)
    removed[[graph.node_id[name] for name in cut_copies]] = True
    return _separates(graph, part, keep, removed)
