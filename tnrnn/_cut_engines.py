"""The min-cut engines behind `tnrnn.cuts.min_cut`: the flow problem they share, and each engine.

Every engine solves the same problem (`_Problem`: integer log-capacities, copy nodes split so that cutting through
one costs one index) and returns a side and the flow; `_Problem.result` recomputes the bound exactly over the
returned cut (the certificate). Engines are chosen by name from `CUT_ENGINES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tnrnn._registry import Registry
from tnrnn._types import ArgumentError, Partition, parse_partition
from tnrnn.network import ROLES, TNGraph, components

#: the largest bond dimension a cut accepts: dimensions live in int64 arrays
MAX_DIM = 2**62

#: bound on the largest finite cut capacity, per engine: scipy flows are int32; the tree programme sums the values
#: of a node's children in int64 (the limit is divided by the largest degree); networkx uses Python ints
_LIMITS = {"scipy": 2**30, "tree": 2**60, "networkx": 2**60}


@dataclass(frozen=True)
class CutResult:
    """A minimum cut and its certificate.

    Attributes
    ----------
    bound : int
        Exact product of the dimensions over ``cut_edges`` and ``cut_copies`` (a certified rank upper bound).
    log2_bound : float
        ``log2(bound)``.
    cut_edges : tuple of str
        Index names of the cut edges (`TNGraph.edge_nodes` gives their endpoints).
    cut_copies : tuple of str
        Copy nodes cut through, each at the cost of one index.
    partition : Partition
        The partition of time steps.
    engine : str
        The engine that found the cut.
    capacity : str
        How products were turned into integer capacities (``"exponent of b"`` or ``"round(S*log2(dim)), S=..."``).
    flow_value : int
        The minimum integer capacity (max-flow value).
    exact : bool
        True when ``bound`` is proven to be the minimum product (see the module notes).
    log2_slack : float
        ``0`` for exponent capacities, else the proven gap: the minimum product is ``>= bound / 2**log2_slack``.
    nodes, edges : int
        Size of the network.
    side_codes : numpy.ndarray
        Per node (graph order): 0 on the ``A`` side, 1 on the ``B`` side, 2 a copy node cut through.
    graph : TNGraph
        The network that was cut (not compared).

    ``sides`` gives the two sorted tuples of node names (computed on first use).
    """

    bound: int
    log2_bound: float
    cut_edges: tuple[str, ...]
    cut_copies: tuple[str, ...]
    partition: Partition
    engine: str
    capacity: str
    flow_value: int
    exact: bool
    log2_slack: float
    nodes: int
    edges: int
    side_codes: np.ndarray = field(repr=False, compare=False)
    graph: TNGraph = field(repr=False, compare=False)

    @cached_property
    def sides(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Sorted node names on the ``A`` side and on the ``B`` side (cut copy nodes are in neither)."""
        names = self.graph.names
        return tuple(tuple(sorted(names[k] for k in np.flatnonzero(self.side_codes == s).tolist())) for s in (0, 1))

    def to_dict(self, *, sides: bool = False) -> dict:
        """JSON-ready dict (the CLI ``cut`` keys); ``sides=True`` adds the two node lists."""
        out = {
            "bound": self.bound,
            "log2_bound": self.log2_bound,
            "cut_edges": list(self.cut_edges),
            "cut_copies": list(self.cut_copies),
            "nodes": self.nodes,
            "edges": self.edges,
            "side_sizes": [int((self.side_codes == 0).sum()), int((self.side_codes == 1).sum())],
            "partition": self.partition.to_dict(),
            "engine": self.engine,
            "capacity": self.capacity,
            "exact": self.exact,
            "log2_slack": self.log2_slack,
        }
        if sides:
            out["sides"] = [list(self.sides[0]), list(self.sides[1])]
        return out

    def _repr_svg_(self):
        """Notebook display: the network with this cut (`tnrnn.draw.draw_network`), as SVG."""
        from tnrnn._display import network_image

        return network_image(self.graph, self, "svg")

    def _repr_png_(self):
        """Notebook display: the network with this cut, as PNG."""
        from tnrnn._display import network_image

        return network_image(self.graph, self, "png")


# ---------------------------------------------------------------------------------------------------------------
# the flow problem shared by every engine


def _graph_T(graph: TNGraph) -> int:
    T = graph.meta.get("T")
    if T is None:
        times = [t for t, r in zip(graph.times, graph.roles, strict=True) if r == "input"]
        if not times:
            raise ArgumentError("graph", "a network without input nodes", "a network with input nodes")
        T = max(times)
    return int(T)


def _base_exponent(d: int) -> tuple[int, int]:
    """``(b, e)`` with ``d = b**e`` and ``b`` not a perfect power."""
    for e in range(d.bit_length(), 1, -1):
        b = round(d ** (1.0 / e))
        for cand in (b - 1, b, b + 1):
            if cand >= 2 and cand**e == d:
                return cand, e
    return d, 1


class _Problem:
    """Vertices, arcs and integer capacities of the split flow network of one (graph, partition)."""

    def __init__(self, graph: TNGraph, partition, *, limit: int = _LIMITS["scipy"]):
        self.graph = graph
        self.limit = limit
        self.part = parse_partition(partition, _graph_T(graph))
        n = graph.n_nodes
        codes = graph.role_codes
        in_A = np.zeros(self.part.T + 1, dtype=bool)
        in_A[list(self.part.A)] = True
        self.is_copy = codes == ROLES.index("copy")
        is_input = codes == ROLES.index("input")
        times = graph.time_array
        if is_input.any() and (times[is_input].min() < 1 or times[is_input].max() > self.part.T):
            raise ArgumentError("partition", self.part.spec(), f"a partition of the input times 1..{self.part.T}")
        self.term_A = np.flatnonzero(is_input & in_A[np.clip(times, 0, self.part.T)])
        self.term_B = np.flatnonzero(is_input & ~in_A[np.clip(times, 0, self.part.T)])
        if len(self.term_A) == 0 or len(self.term_B) == 0:
            raise ArgumentError("partition", self.part.spec(), "two sides that each hold an input node")

        eu, ev, edims = graph.edge_arrays()
        self.eu, self.ev, self.edims = eu, ev, edims
        copy_ids = np.flatnonzero(self.is_copy)
        self.copy_ids = copy_ids
        size, indices = graph.size_dict, graph.indices
        self.copy_dims = np.array([size[indices[k][0]] for k in copy_ids.tolist()], dtype=np.int64)
        self._capacities()

        # vertex numbering: node k -> k (its "in" vertex); copy node j-th -> out vertex n + j
        out_of = np.arange(n, dtype=np.int64)
        out_of[copy_ids] = n + np.arange(len(copy_ids), dtype=np.int64)
        self.out_of = out_of
        self.n_vertices = n + len(copy_ids) + 2
        self.src, self.snk = n + len(copy_ids), n + len(copy_ids) + 1

    def _capacities(self):
        dims = sorted({int(d) for d in self.edims.tolist()} | {int(d) for d in self.copy_dims.tolist()})
        big = [d for d in dims if d >= 2]
        bases = {_base_exponent(d)[0] for d in big}
        # trivial cut: every edge at an A terminal (an upper bound on the minimum) in log2 units
        incident = np.isin(self.eu, self.term_A) | np.isin(self.ev, self.term_A)
        trivial_log2 = float(np.log2(self.edims[incident].astype(float)).sum())
        if len(bases) <= 1:
            b = bases.pop() if bases else 2
            cap = {d: (_base_exponent(d)[1] if d >= 2 else 0) for d in dims}
            self.scale = None
            self.capacity = f"exponent of {b}"
        else:
            n_terms = int(incident.sum()) + 1
            S = 2 ** max(0, min(40, math.floor(math.log2(self.limit / (trivial_log2 + n_terms + 1)))))
            cap = {d: round(S * math.log2(d)) for d in dims}
            self.scale = S
            self.capacity = f"round(S*log2(dim)), S=2^{int(math.log2(S))}"
        lut_keys = np.array(dims, dtype=np.int64)
        lut_vals = np.array([cap[d] for d in dims], dtype=np.int64)
        self.ecap = lut_vals[np.searchsorted(lut_keys, self.edims)]
        self.ccap = lut_vals[np.searchsorted(lut_keys, self.copy_dims)] if len(self.copy_dims) else self.copy_dims
        trivial = int(self.ecap[incident].sum())
        self.inf = trivial + 1
        # no minimum cut costs more than the trivial one, so a capacity above it acts as infinite: clipping keeps
        # every minimum and every flow within the engine's integers (a huge bond next to a small one, R >> M)
        np.minimum(self.ecap, self.inf, out=self.ecap)
        if len(self.ccap):
            self.ccap = np.minimum(self.ccap, self.inf)
        if self.inf > self.limit:  # pragma: no cover - guarded by the choice of S
            raise ArgumentError("graph", f"{self.graph.n_nodes} nodes", "a network whose cut capacities fit int32")

    def arcs(self):
        """Arrays ``(tail, head, capacity)`` of every arc of the split flow network."""
        eu, ev, c = self.eu, self.ev, self.ecap
        out_of = self.out_of
        tails = [out_of[eu], out_of[ev], self.copy_ids, np.full(len(self.term_A), self.src), self.term_B]
        heads = [ev, eu, out_of[self.copy_ids], self.term_A, np.full(len(self.term_B), self.snk)]
        caps = [c, c, self.ccap, np.full(len(self.term_A), self.inf), np.full(len(self.term_B), self.inf)]
        return (
            np.concatenate(tails).astype(np.int64),
            np.concatenate(heads).astype(np.int64),
            np.concatenate(caps).astype(np.int64),
        )

    def result(self, side: np.ndarray, flow: int, engine: str) -> CutResult:
        """Turn a source-side indicator over flow vertices into a checked `CutResult`."""
        graph = self.graph
        n = graph.n_nodes
        S_in = side[:n]
        S_out = side[self.out_of]
        cut_e = (S_out[self.eu] & ~S_in[self.ev]) | (S_out[self.ev] & ~S_in[self.eu])
        cut_c = S_in[self.copy_ids] & ~S_out[self.copy_ids]
        cut_edges = tuple(graph.edge_indices[k] for k in np.flatnonzero(cut_e).tolist())
        cut_copies = tuple(graph.names[k] for k in self.copy_ids[cut_c].tolist())
        value = int(self.ecap[cut_e].sum() + self.ccap[cut_c].sum())
        if value != flow:
            raise RuntimeError(f"min-cut certificate mismatch: cut capacity {value} != flow {flow} ({engine})")
        removed = np.zeros(n, dtype=bool)
        removed[self.copy_ids[cut_c]] = True
        if not _separates(graph, self.part, ~cut_e, removed):
            raise RuntimeError(f"min-cut certificate does not separate the two sides ({engine})")
        codes = np.where(S_in & S_out, 0, 1).astype(np.int8)
        codes[removed] = 2
        bound = math.prod(self.edims[cut_e].tolist()) * math.prod(self.copy_dims[cut_c].tolist())
        log2_bound = math.log2(bound)
        if self.scale is None:
            slack, exact = 0.0, True
        else:
            k = int(cut_e.sum() + cut_c.sum())
            slack = (k + log2_bound) / (2 * self.scale)
            exact = bound * -math.expm1(-slack * math.log(2)) < 1 if log2_bound < 1000 else False
        return CutResult(
            bound=bound,
            log2_bound=log2_bound,
            cut_edges=cut_edges,
            cut_copies=cut_copies,
            partition=self.part,
            engine=engine,
            capacity=self.capacity,
            flow_value=value,
            exact=bool(exact),
            log2_slack=float(slack),
            nodes=n,
            edges=graph.n_edges,
            side_codes=codes,
            graph=graph,
        )


# ---------------------------------------------------------------------------------------------------------------
# engines


def _scipy_engine(prob: _Problem) -> tuple[np.ndarray, int]:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    tails, heads, caps = prob.arcs()
    nv = prob.n_vertices
    C = csr_array((caps.astype(np.int32), (tails, heads)), shape=(nv, nv))
    C.sum_duplicates()
    res = maximum_flow(C, prob.src, prob.snk, method="dinic")
    F = res.flow
    # residual graph: cap - flow on every arc (reverse arcs carry the negated flow)
    Rg = (C - F).tocsr()
    Rg.data[Rg.data < 0] = 0
    Rg.eliminate_zeros()
    reach = breadth_first_order(Rg, prob.src, directed=True, return_predecessors=False)
    side = np.zeros(nv, dtype=bool)
    side[reach] = True
    return side, int(res.flow_value)


def _networkx_engine(prob: _Problem) -> tuple[np.ndarray, int]:
    import networkx as nx

    tails, heads, caps = prob.arcs()
    D = nx.DiGraph()
    D.add_nodes_from(range(prob.n_vertices))
    for u, v, c in zip(tails.tolist(), heads.tolist(), caps.tolist(), strict=True):
        if D.has_edge(u, v):  # parallel edges: add capacities
            D[u][v]["capacity"] += c
        else:
            D.add_edge(u, v, capacity=c)
    value, (reach, _) = nx.minimum_cut(D, prob.src, prob.snk)
    side = np.zeros(prob.n_vertices, dtype=bool)
    side[list(reach)] = True
    return side, int(value)


def _tree_engine(prob: _Problem) -> tuple[np.ndarray, int]:
    """Exact dynamic programme over a tree (node cuts at copy nodes), vectorised level by level.

    For every node ``v`` and side ``s`` of the leg toward its parent, ``val[s, v]`` is the cheapest cut of the
    subtree under ``v``. A non-copy node keeps all legs on ``s``; a copy node may instead be cut through (its
    capacity) and then every child leg takes the child's cheaper side. A child ``c`` whose parent leg is on ``s``
    costs ``min(val[s, c], val[1-s, c] + w_c)`` (the second term cuts the edge).
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import breadth_first_order, shortest_path

    graph = prob.graph
    n = graph.n_nodes
    eu, ev, w_e = prob.eu, prob.ev, prob.ecap
    roles = graph.roles
    root = next((k for k, r in enumerate(roles) if r == "W_O"), None)
    if root is None:
        root = next(k for k, r in enumerate(roles) if r != "input")
    adj = coo_array((np.ones(len(eu), np.int8), (eu, ev)), shape=(n, n)).tocsr()
    order, pred = breadth_first_order(adj, root, directed=False, return_predecessors=True)
    depth = shortest_path(adj, directed=False, unweighted=True, indices=root).astype(np.int64)
    w = np.zeros(n, dtype=np.int64)  # capacity of the edge to the parent
    child_is_v = pred[ev] == eu
    w[np.where(child_is_v, ev, eu)] = w_e
    ncap = np.zeros(n, dtype=np.int64)
    ncap[prob.copy_ids] = prob.ccap
    is_copy = prob.is_copy

    INF = prob.inf
    base = np.zeros((2, n), dtype=np.int64)
    base[1, prob.term_A] = INF
    base[0, prob.term_B] = INF
    acc = np.zeros((2, n), dtype=np.int64)  # sum over children, parent leg on side 0 / 1
    acc_free = np.zeros(n, dtype=np.int64)  # sum over children of their cheaper side
    val = np.zeros((2, n), dtype=np.int64)
    noncut = np.zeros((2, n), dtype=np.int64)
    cutv = np.full(n, INF, dtype=np.int64)

    max_depth = int(depth[order].max())
    order_by_depth = order[np.argsort(depth[order], kind="stable")]
    bounds = np.searchsorted(depth[order_by_depth], np.arange(max_depth + 2))
    levels = [order_by_depth[bounds[d] : bounds[d + 1]] for d in range(max_depth + 1)]

    for d in range(max_depth, -1, -1):
        lev = levels[d]
        nc = np.minimum(base[:, lev] + acc[:, lev], INF)
        noncut[:, lev] = nc
        cv = np.where(is_copy[lev], np.minimum(ncap[lev] + acc_free[lev], INF), INF)
        cutv[lev] = cv
        val[:, lev] = np.minimum(nc, cv[None, :])
        if d == 0:
            break
        par = pred[lev]
        v0, v1, wl = val[0, lev], val[1, lev], w[lev]
        np.add.at(acc[0], par, np.minimum(v0, v1 + wl))
        np.add.at(acc[1], par, np.minimum(v1, v0 + wl))
        np.add.at(acc_free, par, np.minimum(v0, v1))

    # backtrack top-down: up[v] = side of v's leg toward its parent; cut[v] = copy node cut through
    up = np.zeros(n, dtype=np.int64)
    cut = np.zeros(n, dtype=bool)
    up[root] = 0 if val[0, root] <= val[1, root] else 1
    cut[root] = bool(is_copy[root] and cutv[root] < noncut[up[root], root])
    for d in range(1, max_depth + 1):
        lev = levels[d]
        par = pred[lev]
        cheaper = np.where(val[0, lev] <= val[1, lev], 0, 1)
        p = np.where(cut[par], cheaper, up[par])
        stay = val[p, lev] <= val[1 - p, lev] + w[lev]
        u = np.where(stay, p, 1 - p)
        up[lev] = u
        cut[lev] = is_copy[lev] & (cutv[lev] < noncut[u, lev])

    # express as a source-side indicator over the split flow vertices
    side = np.zeros(prob.n_vertices, dtype=bool)
    side[:n] = (up == 0) | cut  # "in" vertices (the only vertex of a non-copy node)
    side[prob.out_of[prob.copy_ids]] = (up[prob.copy_ids] == 0) & ~cut[prob.copy_ids]  # "out" vertices
    side[prob.src] = True
    flow = int(min(val[0, root], val[1, root]))
    return side, flow


def _separates(graph: TNGraph, part: Partition, keep: np.ndarray, removed: np.ndarray) -> bool:
    eu, ev, _ = graph.edge_arrays()
    keep = keep & ~removed[eu] & ~removed[ev]
    labels = components(graph.n_nodes, eu[keep], ev[keep])[1]
    is_input = graph.role_codes == ROLES.index("input")
    times = graph.time_array
    in_A = np.isin(times, np.asarray(part.A, dtype=np.int64))
    a_labels = np.unique(labels[is_input & in_A])
    b_labels = np.unique(labels[is_input & ~in_A])
    return len(np.intersect1d(a_labels, b_labels)) == 0


#: engine name -> ``engine(problem) -> (side, flow)``; ``"auto"`` picks ``"tree"`` on a tree, else ``"scipy"``
CUT_ENGINES: Registry = Registry("cut engine", argument="engine", extra=("auto",))
CUT_ENGINES.register("networkx", _networkx_engine)
CUT_ENGINES.register("scipy", _scipy_engine)
CUT_ENGINES.register("tree", _tree_engine)
