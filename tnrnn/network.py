"""Tensor networks as index labels: structure only, no arrays (no JAX, no matplotlib).

A `TNGraph` is the cotengra-style triple ``(inputs, output, size_dict)`` plus a name and tags for every node:

* ``names[k]``   -- the deterministic name of node ``k`` (format strings such as ``h{l}_{t}.{copy}``);
* ``indices[k]`` -- the tuple of index names of node ``k`` (its legs, in the axis order of its array);
* ``roles[k]``, ``times[k]``, ``layers[k]``, ``copies[k]`` -- tags: role (one of `ROLES`), time step ``t``,
  layer ``l`` and copy number;
* ``size_dict``  -- index name -> dimension;
* ``output``     -- the open indices (indices carried by exactly one node).

**Copy (δ) tensors are explicit nodes** (role ``"copy"``), never hyperindices: every index is carried by one node
(an open leg) or by two nodes (an edge), so the graph is an ordinary multigraph for networkx and min-cuts. A copy
node of dimension ``D`` has all legs of dimension ``D`` and may be *cut through* at the cost of one index ``D``
(`tnrnn.cuts` models this with the node-capacity split). Contraction code that prefers hyperindices merges the
legs of each copy node into one index (`copy_groups`).

**Input nodes** (role ``"input"``) are placeholders for the data ``f(x^t)``; they carry one leg each and hold no
array. Their legs are the open legs of the *represented tensor* (``A^{dup}`` for continuous inputs, the order-``T``
coefficient / grid tensor for one-hot inputs): removing the input nodes (`tensor_view`) leaves those legs open.
The output leg ``y`` of ``W^O`` (dimension ``K``, the class index) is the only open index of the full graph.

Node counts, names and order are deterministic: two builds give identical JSON (`to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tnrnn._types import ArgumentError

__all__ = ["ROLES", "TNGraph", "JSON_FORMAT"]

#: the node roles of a compiled network: RAC roles, then ``core`` (a full order-3 core of a bilinear-form cell,
#: legs ``(out, u, v)``); ``ones`` also tags the initial-state vectors of other cells
ROLES = ("input", "W_I", "W_H", "W_O", "ones", "copy", "core")

#: the ``format`` field written by `TNGraph.to_json`
JSON_FORMAT = "tnrnn.TNGraph/1"


@dataclass(frozen=True)
class TNGraph:
    """A tensor network as index labels (structure only; see the module notes).

    Attributes
    ----------
    names : tuple of str
        Node names, unique.
    indices : tuple of tuple of str
        The index names of every node, in the axis order of its array.
    roles, times, layers, copies : tuple
        Tags of every node: role (one of `ROLES`), time step ``t`` (1-based), layer ``l`` (0 for inputs and their
        copy tensors) and copy number.
    size_dict : dict
        Index name -> dimension (int).
    output : tuple of str
        Open indices: those carried by exactly one node.
    meta : dict
        Free-form description (for compiled RACs: ``M, R, L, T, K, domain``).
    """

    names: tuple[str, ...]
    indices: tuple[tuple[str, ...], ...]
    roles: tuple[str, ...]
    times: tuple[int, ...]
    layers: tuple[int, ...]
    copies: tuple[int, ...]
    size_dict: dict = field(compare=True)
    output: tuple[str, ...]
    meta: dict = field(default_factory=dict, compare=True)

    __hash__ = None  # a dict field: not hashable

    def __post_init__(self):
        n = len(self.names)
        for attr in ("indices", "roles", "times", "layers", "copies"):
            if len(getattr(self, attr)) != n:
                raise ArgumentError(attr, len(getattr(self, attr)), f"one entry per node ({n} nodes)")

    def __repr__(self) -> str:
        """One line: sizes (for compiled RACs), counts and open legs, never the full index lists."""
        keys = ("M", "R", "L", "T", "K")
        sizes = ", ".join(f"{k}={self.meta[k]}" for k in keys if k in self.meta)
        domain = self.meta.get("domain")
        head = ", ".join(p for p in (sizes, domain) if p)
        copies = sum(r == "copy" for r in self.roles)
        legs = ", ".join(self.output[:3]) + (", ..." if len(self.output) > 3 else "")
        return (
            f"TNGraph({head + ': ' if head else ''}{self.n_nodes} nodes, {self.n_edges} edges, "
            f"{copies} copy tensors, open legs ({legs}))"
        )

    def _repr_svg_(self):
        """Notebook display: the drawing (`tnrnn.draw.draw_network`) as SVG, with its last min-cut if any.

        The cut is the last one `tnrnn.cuts.min_cut` computed on this graph; above `tnrnn._display.DRAW_LIMIT`
        nodes the result is None (the text repr is shown). matplotlib is imported here, on first display, never by
        importing this module.
        """
        from tnrnn._display import network_image

        return network_image(self, self.__dict__.get("_last_cut"), "svg")

    def _repr_png_(self):
        """Notebook display: the drawing as PNG (as `_repr_svg_`)."""
        from tnrnn._display import network_image

        return network_image(self, self.__dict__.get("_last_cut"), "png")

    # ---------------------------------------------------------------------------------------------------------
    # basic views

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.names)

    @cached_property
    def node_id(self) -> dict[str, int]:
        """Node name -> position."""
        ids = {name: k for k, name in enumerate(self.names)}
        if len(ids) != len(self.names):
            raise ArgumentError("names", "duplicate node names", "unique node names")
        return ids

    @cached_property
    def _edge_data(self):
        """Edges as ``(u, v, index)`` position arrays, in order of the second endpoint's appearance."""
        first: dict[str, int] = {}
        eu, ev, ename = [], [], []
        for k, idx in enumerate(self.indices):
            for name in idx:
                j = first.get(name)
                if j is None:
                    first[name] = k
                elif j < 0:
                    raise ArgumentError("indices", name, "indices carried by one node (open) or two (an edge)")
                else:
                    eu.append(j)
                    ev.append(k)
                    ename.append(name)
                    first[name] = -1
        open_ = tuple(name for name, j in first.items() if j >= 0)
        dims = np.fromiter((self.size_dict[name] for name in ename), dtype=np.int64, count=len(ename))
        return np.asarray(eu, np.int64), np.asarray(ev, np.int64), tuple(ename), dims, open_

    @property
    def n_edges(self) -> int:
        """Number of edges (indices shared by two nodes)."""
        return len(self._edge_data[2])

    def edges(self) -> Iterator[tuple[str, str, str]]:
        """Yield every edge as ``(node_u, node_v, index)``, deterministic order."""
        eu, ev, ename, _, _ = self._edge_data
        for u, v, name in zip(eu.tolist(), ev.tolist(), ename, strict=True):
            yield self.names[u], self.names[v], name

    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges as integer arrays ``(u, v, dim)`` of node positions and bond dimensions (for fast engines)."""
        eu, ev, _, dims, _ = self._edge_data
        return eu, ev, dims

    @property
    def edge_indices(self) -> tuple[str, ...]:
        """The index name of every edge, in the order of `edge_arrays`."""
        return self._edge_data[2]

    def edge_nodes(self, index: str) -> tuple[str, str]:
        """The two nodes joined by edge ``index``."""
        pos = self._edge_pos.get(index)
        if pos is None:
            raise ArgumentError("index", index, "the name of an edge of this network")
        eu, ev, _, _, _ = self._edge_data
        return self.names[int(eu[pos])], self.names[int(ev[pos])]

    @cached_property
    def _edge_pos(self) -> dict[str, int]:
        return {name: k for k, name in enumerate(self._edge_data[2])}

    @cached_property
    def role_codes(self) -> np.ndarray:
        """The role of every node as an ``int8`` position in `ROLES` (-1 for other roles)."""
        code = {r: k for k, r in enumerate(ROLES)}
        return np.fromiter((code.get(r, -1) for r in self.roles), dtype=np.int8, count=self.n_nodes)

    @cached_property
    def degrees(self) -> np.ndarray:
        """The number of legs of every node (``int64`` array)."""
        return np.fromiter((len(i) for i in self.indices), dtype=np.int64, count=self.n_nodes)

    @cached_property
    def time_array(self) -> np.ndarray:
        """The time tag of every node as an ``int64`` array."""
        return np.asarray(self.times, dtype=np.int64)

    def nodes_with_role(self, role: str) -> tuple[str, ...]:
        """Names of the nodes with ``role``, in node order."""
        return tuple(n for n, r in zip(self.names, self.roles, strict=True) if r == role)

    def copy_dim(self, name: str) -> int:
        """The dimension of copy node ``name`` (all its legs share it)."""
        k = self.node_id[name]
        if self.roles[k] != "copy":
            raise ArgumentError("name", name, "the name of a copy node")
        return self.size_dict[self.indices[k][0]]

    @property
    def input_nodes(self) -> tuple[str, ...]:
        """Names of the input (data placeholder) nodes."""
        return self.nodes_with_role("input")

    def is_tree(self) -> bool:
        """True when the graph is connected and has ``nodes - 1`` edges (the continuous RAC network)."""
        if self.n_edges != self.n_nodes - 1:
            return False
        return components(self.n_nodes, *self.edge_arrays()[:2])[0] == 1

    def check(self) -> TNGraph:
        """Validate the structure (sizes, open indices, copy nodes of one dimension); return ``self``."""
        for idx in self.indices:
            for name in idx:
                d = self.size_dict.get(name)
                if not isinstance(d, int) or d < 1:
                    raise ArgumentError("size_dict", f"{name}: {d!r}", "a positive integer size for every index")
        if tuple(sorted(self._edge_data[4])) != tuple(sorted(self.output)):
            raise ArgumentError("output", self.output, f"the indices carried by one node: {self._edge_data[4]}")
        for k, role in enumerate(self.roles):
            if role == "copy" and len({self.size_dict[i] for i in self.indices[k]}) != 1:
                raise ArgumentError("indices", self.names[k], "copy nodes whose legs share one dimension")
        self.node_id  # noqa: B018 - uniqueness check
        return self

    def summary(self) -> dict:
        """Counts used by the CLI: ``nodes``, ``edges``, ``copy_tensors``, ``input_copies``, ``is_tree``.

        ``input_copies`` counts the uses of an input: the layer-1 ``W^I`` (or ``core``) nodes (``C(T+L-1, L)`` for
        a depth-``L`` RAC, in both domains). ``copy_tensors`` counts every copy node (Hadamard products, plus in the
        one-hot domain the copy tensors that join the copies of one input).
        """
        roles = self.roles
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "copy_tensors": sum(r == "copy" for r in roles),
            "input_copies": sum(r in ("W_I", "core") and l == 1 for r, l in zip(roles, self.layers, strict=True)),
            "input_nodes": sum(r == "input" for r in roles),
            "open_legs": len(self.output),
            "is_tree": self.is_tree(),
        }

    # ---------------------------------------------------------------------------------------------------------
    # views for contraction

    def tensor_view(self) -> TNGraph:
        """The network with its input nodes removed: their legs become open legs (the represented tensor).

        Output indices are the former input legs in time order (then copy order), followed by ``output``.
        """
        keep = [k for k, r in enumerate(self.roles) if r != "input"]
        legs = [self.indices[k][0] for k in self._inputs_in_time_order()]
        return TNGraph(
            names=tuple(self.names[k] for k in keep),
            indices=tuple(self.indices[k] for k in keep),
            roles=tuple(self.roles[k] for k in keep),
            times=tuple(self.times[k] for k in keep),
            layers=tuple(self.layers[k] for k in keep),
            copies=tuple(self.copies[k] for k in keep),
            size_dict=dict(self.size_dict),
            output=tuple(legs) + tuple(self.output),
            meta={**self.meta, "view": "tensor"},
        )

    def _inputs_in_time_order(self) -> list[int]:
        ks = [k for k, r in enumerate(self.roles) if r == "input"]
        return sorted(ks, key=lambda k: (self.times[k], self.copies[k]))

    def copy_groups(self) -> dict[str, str]:
        """Index -> representative index after merging the legs of every copy node (hyperindex form).

        Connected copy nodes merge into one group. The representative is the first index of the group in node
        order, so the result is deterministic.
        """
        parent: dict[str, str] = {}

        def find(a):
            root = a
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(a, a) != root:
                parent[a], a = root, parent[a]
            return root

        order = {}
        for idx in self.indices:
            for name in idx:
                order.setdefault(name, len(order))
        for k, role in enumerate(self.roles):
            if role != "copy":
                continue
            legs = self.indices[k]
            r0 = find(legs[0])
            for other in legs[1:]:
                r1 = find(other)
                if r1 != r0:
                    if order[r1] < order[r0]:
                        r0, r1 = r1, r0
                    parent[r1] = r0
        return {name: find(name) for name in order}

    def einsum_inputs(self, *, hyper: bool = True) -> tuple[list[tuple[str, ...]], tuple[str, ...], list[str]]:
        """cotengra-style ``(inputs, output, node_names)`` of the network.

        Parameters
        ----------
        hyper : bool
            Merge the legs of every copy node into one hyperindex and drop the copy nodes (the usual einsum form
            of δ tensors; an order-``k`` δ never becomes a dense array). With ``hyper=False`` copy nodes stay as
            operands (dense δ arrays).

        Notes
        -----
        Input nodes are operands like any other. For the represented tensor use ``tensor_view().einsum_inputs()``.
        """
        rep = self.copy_groups() if hyper else None
        inputs, names = [], []
        for k, role in enumerate(self.roles):
            if hyper and role == "copy":
                continue
            idx = self.indices[k]
            if rep is not None:
                idx = tuple(rep[i] for i in idx)
            inputs.append(idx)
            names.append(self.names[k])
        output = tuple(self.output)
        if rep is not None:
            output = tuple(rep[i] for i in output)
            if len(set(output)) != len(output):
                raise ArgumentError("hyper", True, "False: two open legs meet in one copy tensor")
        return inputs, output, names

    def equation(self, *, hyper: bool = True) -> tuple[str, list[str]]:
        """The einsum equation (opt_einsum symbols) and the node name of every operand.

        See `einsum_inputs`. Index number ``k`` in order of appearance gets ``opt_einsum.get_symbol(k)``.
        """
        inputs, output, names = self.einsum_inputs(hyper=hyper)
        return einsum_equation(inputs, output), names

    # ---------------------------------------------------------------------------------------------------------
    # exports

    def to_networkx(self):
        """An undirected `networkx.MultiGraph`: nodes carry their tags, edges carry ``index`` and ``dim``.

        Open legs are stored as the node attribute ``open`` (a tuple of index names).
        """
        import networkx as nx

        G = nx.MultiGraph(**{k: v for k, v in self.meta.items() if isinstance(v, (int, str))})
        open_set = set(self.output)
        for k, name in enumerate(self.names):
            G.add_node(
                name,
                role=self.roles[k],
                t=self.times[k],
                l=self.layers[k],
                copy=self.copies[k],
                indices=self.indices[k],
                open=tuple(i for i in self.indices[k] if i in open_set),
            )
        for u, v, index in self.edges():
            G.add_edge(u, v, key=index, index=index, dim=self.size_dict[index])
        return G

    def to_dict(self) -> dict:
        """A JSON-ready dict (see `to_json`)."""
        return {
            "format": JSON_FORMAT,
            "meta": dict(self.meta),
            "output": list(self.output),
            "size_dict": dict(self.size_dict),
            "nodes": [
                {"name": n, "indices": list(i), "role": r, "t": t, "l": l, "copy": c}
                for n, i, r, t, l, c in zip(
                    self.names, self.indices, self.roles, self.times, self.layers, self.copies, strict=True
                )
            ],
        }

    def to_json(self) -> str:
        """Deterministic JSON text; ``TNGraph.from_json(g.to_json()) == g``."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict) -> TNGraph:
        """Inverse of `to_dict` (validated with `check`)."""
        if data.get("format") != JSON_FORMAT:
            raise ArgumentError("format", data.get("format"), repr(JSON_FORMAT))
        nodes = data["nodes"]
        return cls(
            names=tuple(n["name"] for n in nodes),
            indices=tuple(tuple(n["indices"]) for n in nodes),
            roles=tuple(n["role"] for n in nodes),
            times=tuple(int(n["t"]) for n in nodes),
            layers=tuple(int(n["l"]) for n in nodes),
            copies=tuple(int(n["copy"]) for n in nodes),
            size_dict={str(k): int(v) for k, v in data["size_dict"].items()},
            output=tuple(data["output"]),
            meta=dict(data.get("meta", {})),
        ).check()

    @classmethod
    def from_json(cls, text: str) -> TNGraph:
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))


def einsum_equation(inputs, output) -> str:
    """The opt_einsum equation of operands with index names ``inputs`` and open indices ``output``.

    Index number ``k`` in order of appearance (operands first, then the output) gets ``opt_einsum.get_symbol(k)``.
    """
    from opt_einsum import get_symbol

    sym: dict[str, str] = {}
    for idx in (*inputs, output):
        for i in idx:
            if i not in sym:
                sym[i] = get_symbol(len(sym))
    return ",".join("".join(sym[i] for i in idx) for idx in inputs) + "->" + "".join(sym[i] for i in output)


def components(n: int, u: np.ndarray, v: np.ndarray) -> tuple[int, np.ndarray]:
    """``(count, labels)``: the connected components of the graph with ``n`` nodes and edges ``(u, v)``.

    ``labels[k]`` is the component of node ``k`` (`scipy.sparse.csgraph.connected_components`).
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return 0, np.zeros(0, np.int32)
    adj = coo_array((np.ones(len(u), np.int8), (u, v)), shape=(n, n)).tocsr()
    count, labels = connected_components(adj, directed=False)
    return int(count), labels
