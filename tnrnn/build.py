"""Compile a cell into an explicit tensor network (`tnrnn.network.TNGraph`), structure apart from data.

Every function here takes the cell (``cell="rac"`` by default, a registered name or a `tnrnn.cells.Cell`) and
dispatches on its ``network_form`` through one registry (`NETWORK_BUILDERS`): ``"rac"`` (below, built in
`tnrnn._rac_network`), or a bilinear form (``"bilinear"``, ``"homogenised"``, ``"squared"``: `NETWORK_FORMS`, built
in `tnrnn._product_network`). A cell whose ``network_form`` is ``None`` has no tensor network and is refused in one
line. The RAC network:

The construction (theory page, section 'The tree of copies')::

    TN(t, 0) = a fresh copy of the input f(x^t)                                 (leg dim M)
    TN(t, l) = δ_R( W^{H,l} · TN(t-1, l),  W^{I,l} · TN(t, l-1) ),   W^{H,l} TN(0, l) := ones
    network  = W^O · TN(T, L)

Vectors cannot be cloned in a tensor network, so every reuse of a hidden state is a full copy of the sub-network
computing it, down to fresh copies of the inputs; Hadamard products are order-3 copy tensors. Depth ``L = 1`` gives
the matrix product state of the shallow RAC (bond ``R``, physical ``M``) with each core factored as
``W^H -- δ -- W^I``.

Two variants, named by domain (theory page, section 'The two input domains'):

* ``"continuous"``: every input copy is its own input node ``x{t}.{c}``; the network is a tree and represents the
  order ``C(T+L-1, L)`` tensor ``A^{dup}``.
* ``"onehot"``: the copies of ``x^t`` are joined by one copy tensor ``dx{t}`` (dimension ``M``) fed by a single
  input node ``x{t}``, so the represented tensor has exactly ``T`` open legs of dimension ``M``: the order-``T``
  coefficient (grid) tensor of the discrete domain. Where ``x^t`` has a single copy (``t = T``, or ``L = 1``) no
  copy tensor is needed and ``W^{I,1}`` takes the leg ``x{t}`` directly.

Names (deterministic; ``c`` is the copy number of the sub-network, assigned in depth-first order from the root)::

    nodes    WO, h{l}_{t}.{c} (copy), WH{l}_{t}.{c}, one{l}.{c} (t = 1), WI{l}_{t}.{c}, x{t}.{c} (continuous input),
             x{t} (one-hot input), dx{t} (one-hot copy tensor)
    indices  y (class, dim K), h{l}_{t}.{c}, g{l}_{t}.{c} = W^{H,l} h^{t-1,l}, i{l}_{t}.{c} = W^{I,l} h^{t,l-1},
             x{t}.{c} (input copy), x{t} (one-hot open leg)

Array axis order follows the matrices: ``W^{I,l}`` node ``(i, child)`` holds ``W_I[l-1]`` of shape ``(R, ·)``,
``W^{H,l}`` node ``(g, h_{t-1})`` holds ``W_H[l-1]``, ``W^O`` node ``(y, h{L}_{T}.0)`` holds ``W_O``, a ones node
``(g,)`` holds ``ones(R)``; the copy node of a Hadamard product has legs ``(g, i, h)``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb
from typing import TYPE_CHECKING, NamedTuple

from tnrnn._deprecation import warn_deprecated
from tnrnn._product_network import (
    MAX_CELL_NODES,
    NETWORK_FORMS,
    _build_product,
    _product_arrays,
    _product_nodes,
)
from tnrnn._rac_network import _build_rac, _rac_arrays, input_copy_counts
from tnrnn._registry import Registry
from tnrnn._types import ArgumentError, check_domain, check_positive_int, check_sizes, named_domain, refuse_count

if TYPE_CHECKING:  # numpy is imported with the network class, so the closed-form checks stay light
    from tnrnn.network import TNGraph

__all__ = [
    "build_network",
    "network_size",
    "network_form_names",
    "compile_rac",
    "network_arrays",
    "closed_form_counts",
    "input_copy_counts",
    "BYTES_PER_NODE",
    "refuse_large_network",
    "build_cell_network",
    "cell_network_arrays",
    "cell_network_inputs",
    "cell_network_size",
    "refuse_large_cell_network",
    "NETWORK_FORMS",
    "MAX_CELL_NODES",
]

#: memory taken per node by a built network and a min-cut over it (measured peak: about 750 bytes), used to refuse
#: a network that would not fit before building it
BYTES_PER_NODE = 1024


def closed_form_counts(*sizes: int, L: int | None = None, T: int | None = None, domain: str | None = None) -> dict:
    """Closed-form node counts of the compiled network of depth ``L`` and length ``T`` (theory page, 'Node counts').

    The sizes are keywords (``closed_form_counts(L=2, T=4, domain="continuous")``); the earlier positional order
    ``(T, L)`` still works for one release with a `DeprecationWarning`.

    Returns
    -------
    dict
        ``input_copies = C(T+L-1, L)``, ``hadamard = C(T+L, L) - 1`` (copy tensors of the products, = ``W^I``
        nodes), ``ones = C(T-1+L, L-1)``, ``W_H = hadamard - ones``, ``copy_tensors`` (plus, one-hot, one per
        input with more than one copy), ``nodes`` and ``edges``.

    References
    ----------
    Theory page, section 'Node counts' (the tests check them against the built graphs).
    """
    if sizes:
        if len(sizes) != 2 or L is not None or T is not None:
            raise ArgumentError("sizes", sizes, "the keywords L= and T=")
        warn_deprecated("closed_form_counts(T, L)", "closed_form_counts(L=..., T=...)")
        T, L = sizes
    if L is None or T is None:
        raise ArgumentError("L" if L is None else "T", None, "an integer >= 1 (closed_form_counts(L=..., T=...))")
    domain = named_domain(domain, "closed_form_counts")
    domain = check_domain(domain)
    T, L = check_positive_int("T", T), check_positive_int("L", L)
    inputs = comb(T + L - 1, L)
    had = comb(T + L, L) - 1
    ones = comb(T - 1 + L, L - 1)
    core = 3 * had + 1  # δ, W^I, (W^H or ones) per product, plus W^O
    if domain == "continuous":
        nodes = inputs + core
        copy_tensors = had
        edges = nodes - 1
    else:
        joined = T - 1 if L >= 2 else 0  # n_t >= 2 except at t = T (and everywhere for L = 1)
        nodes = core + T + joined
        copy_tensors = had + joined
        # every W^{I,1} leg, plus one leg per copy tensor dx{t}, plus the core tree's other edges
        edges = (core - 1) + inputs + joined
    return {
        "input_copies": inputs,
        "hadamard": had,
        "W_I": had,
        "ones": ones,
        "W_H": had - ones,
        "copy_tensors": copy_tensors,
        "nodes": nodes,
        "edges": edges,
    }


def network_size(M: int, R: int, L: int, T: int, *, domain: str | None = None, cell="rac") -> int:
    """Number of nodes of `build_network`, from closed forms, without building it.

    The RAC: `closed_form_counts`; a cell of bilinear form: `cell_network_size`. Raises `ArgumentError` (one line)
    for a cell without a tensor network.
    """
    domain = named_domain(domain, "network_size")
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    cellobj = _network_cell(cell, M, R, L)
    return _FORMS[_cell_form(cellobj)].nodes(cellobj, T, domain)


def refuse_large_network(M: int, R=None, L=None, T=None, *, domain: str | None = None, cell="rac") -> int:
    """Refuse, from its closed-form node count, a network that would not fit in memory; return the count.

    Raises `tnrnn.MemoryRefusal` naming ``T`` (or ``L`` when it is the larger) with the count, the memory it needs
    (`BYTES_PER_NODE` each) and the limit; an `ArgumentError` for a cell without a tensor network, or a cell
    network above `MAX_CELL_NODES` nodes. Costs no more than the closed forms.

    The version-1 call ``refuse_large_network(L, T, domain=...)`` (the RAC) works for one release, with a
    `DeprecationWarning`.
    """
    domain = named_domain(domain, "refuse_large_network")
    if L is None and T is None and R is not None:  # version 1: (L, T)
        warn_deprecated("refuse_large_network(L, T)", "refuse_large_network(M, R, L, T, domain=..., cell=...)")
        M, R, L, T = 1, 1, M, R
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    cellobj = _network_cell(cell, M, R, L)
    form = _FORMS[_cell_form(cellobj)]
    nodes = form.nodes(cellobj, T, domain)
    if form.max_nodes is not None and nodes > form.max_nodes:
        raise ArgumentError(
            "T",
            T,
            f"a length whose {cellobj.name!r} network has at most {form.max_nodes} nodes (L={L}, T={T} "
            f"would have {nodes})",
        )
    name, value = ("L", L) if L > T else ("T", T)
    refuse_count(name, value, f"nodes of the {domain} network", nodes, BYTES_PER_NODE)
    return nodes


def build_network(M: int, R: int, L: int, T: int, *, domain: str | None = None, K: int = 1, cell="rac") -> TNGraph:
    """The structure-only tensor network of a cell (default: the depth-``L`` RAC) on ``T`` steps (no arrays).

    Parameters
    ----------
    M, R, L, T : int
        Input dimension, width, depth and length.
    domain : {"continuous", "onehot"}
        ``"continuous"``: a tree with one input node per input copy. ``"onehot"``: the copies of each input joined
        by a copy tensor (``T`` input nodes). See the module notes.
    K : int
        Dimension of the output leg ``y`` (number of classes).
    cell : str or `tnrnn.cells.Cell`
        ``"rac"`` (default) builds the RAC network described in the module notes; a cell of bilinear form
        (``bilinear``, ``mi``, ``quad`` or yours: its ``network_form`` is a key of `NETWORK_FORMS`) the network
        of the notes below. A cell without a ``network_form`` is refused in one line.

    Returns
    -------
    TNGraph
        Built in time linear in its size (no per-node objects beyond names and index tuples), so structures far
        larger than can be contracted (``L = 3, T = 96``: about 620 000 nodes) build in seconds.

    Raises
    ------
    ArgumentError
        For a cell without a product form (one line), or a bilinear-form network above `MAX_CELL_NODES` nodes.
    MemoryRefusal
        For a network that would not fit in memory (from its closed-form node count, before building).

    Notes
    -----
    The network of a cell of bilinear form has the nodes (``c`` the copy number, depth-first from the root)::

        WO                        (y, h{L}_{T}.0)            W^O, padded with a zero column if homogenised
        A{l}_{t}.{c}              (h, u, v)  role "core"     one core per state (bilinear, homogenised)
        h{l}_{t}.{c}, A{l}_{t}.{c}a, A{l}_{t}.{c}b            squared: copy (a, b, h) and its two cores
        one{l}.{c}                (h{l}_0.{c},)  role "ones"  the first step's u (ones, or e_{R+1} = h^0 = 0)
        x{t}.{c} / x{t}, dx{t}                                  inputs as in the RAC network

    Bond ``R`` (``R + 1`` homogenised) on state legs, ``M`` on input legs (``M + 1`` homogenised and continuous:
    feed ``(x, 1)``, `cell_network_inputs`; in the one-hot domain ``sum_d x_d = 1`` lets the constant be folded
    into the layer-1 cores); ``meta`` holds the cell name, the form, ``homogenised`` and ``input_constant``.

    References
    ----------
    Theory page, section 'The tree of copies' (shallow RAC = matrix product state; deep RAC = tree of
    copies).
    """
    domain = named_domain(domain, "build_network")
    M, R, L, T = check_sizes(M, R, L, T)
    K = check_positive_int("K", K)
    domain = check_domain(domain)
    cellobj = _network_cell(cell, M, R, L)
    form = _FORMS[_cell_form(cellobj)]
    refuse_large_network(M, R, L, T, domain=domain, cell=cellobj)
    return form.build(cellobj, T, domain, K)


def _network_cell(cell, M: int, R: int, L: int):
    """The `tnrnn.cells.Cell` of ``cell`` (a name or an instance, whose ``K`` is kept) with sizes ``M, R, L``."""
    from tnrnn.cells.base import Cell, make_cell

    return make_cell(cell, M, R, L, cell.K if isinstance(cell, Cell) else 1)


def network_arrays(graph: TNGraph, params, cell=None) -> dict:
    """The arrays of a compiled network, node name -> array, taken from the cell's parameters ``params``.

    Parameters
    ----------
    graph : TNGraph
        A network of `build_network`.
    params
        The cell's parameters: a `tnrnn.rac.RAC` for the RAC, the parameter dict of a bilinear-form cell.
    cell : str or `tnrnn.cells.Cell`, optional
        The cell of the network; by default the registered cell the graph names (``graph.meta["cell"]``, the RAC
        when absent). Needed for a cell of your own.

    Returns
    -------
    dict
        Weight nodes get the parameters' arrays (the RAC: ``W_I``, ``W_H``, ``W_O``, ``ones(R)``; a bilinear form:
        its cores, initial vectors and ``W^O``). Copy nodes and input nodes get no entry: copy tensors are
        structural (contraction code builds them, usually as hyperindices) and inputs are data given at
        contraction time (`cell_network_inputs`). The dict refers to the parameters' arrays, so it is
        differentiable with respect to them.
    """
    meta = graph.meta
    if cell is None:
        cell = meta.get("cell", "rac")
    cellobj = _network_cell(cell, meta["M"], meta["R"], meta["L"])
    return _FORMS[_cell_form(cellobj)].arrays(graph, cellobj, params)


def compile_rac(model, T: int, *, domain: str = "continuous") -> tuple[TNGraph, dict]:
    """Compile a RAC into ``(graph, arrays)``: the structure and, beside it, the arrays of its weight nodes.

    Parameters
    ----------
    model : tnrnn.rac.RAC
        The model (any depth).
    T : int
        Sequence length.
    domain : {"continuous", "onehot"}
        Network variant (see the module notes).

    Returns
    -------
    graph : TNGraph
        ``build_network(model.M, model.R, model.L, T, domain=domain, K=model.K)``.
    arrays : dict
        `network_arrays` of the graph.
    """
    graph = build_network(model.M, model.R, model.L, T, domain=domain, K=model.K)
    return graph, network_arrays(graph, model)


# ---------------------------------------------------------------------------------------------------------------
# cells of bilinear form (tnrnn.cells): bilinear, mi, quad, and user cells that declare a network form


def _cell_form(cell) -> str:
    """The cell's ``network_form``, refused in one line when it has none (or one no builder knows)."""
    form = getattr(cell, "network_form", None)
    if form not in _FORMS:
        from tnrnn.cells.base import CELL_REGISTRY

        names = ", ".join(n for n, c in sorted(CELL_REGISTRY.items()) if getattr(c, "network_form", None) in _FORMS)
        raise ArgumentError(
            "cell",
            cell.name,
            f"a cell with a product form ({names}): "
            f"{cell.name!r} has no tensor network (its update is not a product of linear maps of its inputs)",
        )
    return form


def cell_network_size(cell, T: int, *, domain: str = "continuous") -> int:
    """Deprecated: `network_size` ``(M, R, L, T, domain=..., cell=cell)``."""
    warn_deprecated("cell_network_size(cell, T)", "network_size(M, R, L, T, domain=..., cell=cell)")
    return network_size(cell.M, cell.R, cell.L, T, domain=domain, cell=cell)


def refuse_large_cell_network(cell, T: int, *, domain: str = "continuous") -> int:
    """Deprecated: `refuse_large_network` ``(M, R, L, T, domain=..., cell=cell)``."""
    warn_deprecated("refuse_large_cell_network(cell, T)", "refuse_large_network(M, R, L, T, domain=..., cell=cell)")
    return refuse_large_network(cell.M, cell.R, cell.L, T, domain=domain, cell=cell)


def build_cell_network(cell, M=None, R=None, L=None, T=None, *, domain: str = "continuous", K: int = 1) -> TNGraph:
    """Deprecated: `build_network` ``(M, R, L, T, domain=..., K=..., cell=cell)``, the network of every cell."""
    from tnrnn.cells.base import Cell

    warn_deprecated("build_cell_network(cell, ...)", "build_network(M, R, L, T, domain=..., K=..., cell=cell)")
    if isinstance(cell, Cell):
        M, R, L = cell.M, cell.R, cell.L
    elif M is None or R is None or L is None:
        raise ArgumentError("M, R, L", (M, R, L), "the three sizes of the cell")
    return build_network(M, R, L, T, domain=domain, K=K, cell=cell)


def cell_network_arrays(graph: TNGraph, cell, params) -> dict:
    """Deprecated: `network_arrays` ``(graph, params, cell)``, the arrays of every cell's network."""
    warn_deprecated("cell_network_arrays(graph, cell, params)", "network_arrays(graph, params, cell)")
    return network_arrays(graph, params, cell)


def cell_network_inputs(graph: TNGraph, xs):
    """The data for the input nodes: ``xs`` ``(T, M)``, with a constant 1 appended where the network asks for it.

    It does so for homogenised cells in the continuous domain.
    """
    if not graph.meta.get("input_constant"):
        return xs
    import numpy as np

    xp = np
    if not isinstance(xs, np.ndarray):
        import jax.numpy as xp
    return xp.concatenate([xs, xp.ones((*xs.shape[:-1], 1), xs.dtype)], axis=-1)


class _Form(NamedTuple):
    """How to count, build and fill the network of one ``network_form``."""

    nodes: Callable  # (cell, T, domain) -> int
    build: Callable  # (cell, T, domain, K) -> TNGraph
    arrays: Callable  # (graph, cell, params) -> dict
    max_nodes: int | None  # refused above this many nodes (beyond the memory budget)


def _rac_nodes(cell, T: int, domain: str) -> int:
    return closed_form_counts(L=cell.L, T=T, domain=domain)["nodes"]


#: ``network_form`` -> its `_Form`: the one registry every network function here dispatches on (a cell declares its
#: form; a new form is one `_Form` registered here)
NETWORK_BUILDERS: Registry[_Form] = Registry("network form", argument="network_form")
NETWORK_BUILDERS.register("rac", _Form(_rac_nodes, _build_rac, _rac_arrays, None))
for _name in NETWORK_FORMS:
    NETWORK_BUILDERS.register(_name, _Form(_product_nodes, _build_product, _product_arrays, MAX_CELL_NODES))
_FORMS = NETWORK_BUILDERS  # the name the rest of this module uses


def network_form_names() -> tuple[str, ...]:
    """The ``network_form`` values `build_network` knows (a cell declaring another one has no network)."""
    return NETWORK_BUILDERS.names()
