"""Tensor networks of the cells of bilinear form, built through `tnrnn.build`.

The cells ``bilinear``, ``mi``, ``quad`` and user cells declaring a ``network_form``: one core per state,
homogenised or squared (`NETWORK_FORMS`).
"""

from __future__ import annotations

from math import comb
from typing import TYPE_CHECKING

from tnrnn._types import ArgumentError

if TYPE_CHECKING:
    from tnrnn.network import TNGraph


#: ``network_form`` of a cell -> (factors per state, homogenised): ``bilinear``: one full core ``(R, R, D)`` per
#: state; ``homogenised``: one full core on vectors with a constant channel appended (bond ``R + 1``, input legs
#: ``M + 1``); ``squared``: a copy tensor joining two copies of a homogenised core (``h = z ⊙ z``)
NETWORK_FORMS = {"bilinear": (1, False), "homogenised": (1, True), "squared": (2, True)}


#: cell networks above this many nodes are refused before they are built
MAX_CELL_NODES = 2_000_000


def _product_nodes(cell, T: int, domain: str) -> int:
    """Nodes of a bilinear-form network (see `network_size`).

    ``N(t, l)``, the copies of the state ``h^{t,l}``, satisfy ``N(T, L) = 1`` and ``N(t, l) = f (N(t+1, l) +
    N(t, l+1))`` with ``f`` cores per state (2 for ``squared``: each copy of a square needs two copies of
    everything below it), so ``N(t, l) = f^{(T-t)+(L-l)} C((T-t)+(L-l), L-l)``.
    """
    f, _ = NETWORK_FORMS[cell.network_form]
    L = cell.L
    N = {
        (t, l): f ** ((T - t) + (L - l)) * comb((T - t) + (L - l), L - l)
        for t in range(1, T + 1)
        for l in range(1, L + 1)
    }
    cores = f * sum(N.values())
    copies = sum(N.values()) if f == 2 else 0
    inits = f * sum(N[(1, l)] for l in range(1, L + 1))
    uses = [f * N[(t, 1)] for t in range(1, T + 1)]  # copies of each input
    if domain == "continuous":
        inputs = sum(uses)
    else:
        inputs = T + sum(n >= 2 for n in uses)
    return 1 + cores + copies + inits + inputs


def _build_product(cell, T: int, domain: str, K: int) -> TNGraph:
    """The network of a cell of bilinear form (``bilinear``, ``mi``, ``quad``), sizes checked by `build_network`.

    Nodes as listed in the notes of `build_network`.
    """
    M, R, L = cell.M, cell.R, cell.L
    form = cell.network_form
    f, hom = NETWORK_FORMS[form]
    onehot = domain == "onehot"
    # one-hot inputs satisfy sum_d x_d = 1, so the constant channel of (x, 1) is folded into the layer-1 cores and
    # the input legs stay one-hot of dimension M (a copy tensor only copies one-hot vectors faithfully)
    B, X = (R + 1, M + 1 if not onehot else M) if hom else (R, M)
    uses = [f * f ** ((T - t) + (L - 1)) * comb((T - t) + (L - 1), L - 1) for t in range(1, T + 1)]

    names: list[str] = []
    indices: list[tuple[str, ...]] = []
    roles: list[str] = []
    tags: list[tuple[int, int, int]] = []
    size: dict[str, int] = {"y": K}

    def node(name, idx, role, t, l, c):
        names.append(name), indices.append(idx), roles.append(role), tags.append((t, l, c))

    counter = [[0] * (T + 1) for _ in range(L + 1)]  # next copy number of state (t, l); l = 0: inputs
    top = f"h{L}_{T}.0"
    counter[L][T] = 1
    node("WO", ("y", top), "W_O", T, L, 0)
    stack = [(T, L, 0)]
    while stack:
        t, l, c = stack.pop()
        h = f"h{l}_{t}.{c}"
        size[h] = B
        if f == 1:
            cores = [(f"A{l}_{t}.{c}", h)]
        else:
            a, b = f"a{l}_{t}.{c}", f"b{l}_{t}.{c}"
            size[a] = size[b] = B
            node(h, (a, b, h), "copy", t, l, c)
            cores = [(f"A{l}_{t}.{c}a", a), (f"A{l}_{t}.{c}b", b)]
        for name, out in cores:
            cu = counter[l][t - 1] if t > 1 else counter[l][0]
            if t > 1:
                counter[l][t - 1] += 1
                u = f"h{l}_{t - 1}.{cu}"
            else:
                counter[l][0] += 1
                u = f"h{l}_0.{cu}"
                size[u] = B
            cv = counter[l - 1][t]
            counter[l - 1][t] += 1
            if l == 1:
                v = f"x{t}" if (onehot and uses[t - 1] == 1) else f"x{t}.{cv}"
                size[v] = X
            else:
                v = f"h{l - 1}_{t}.{cv}"
            node(name, (out, u, v), "core", t, l, c)
            if t == 1:
                node(f"one{l}.{cu}", (u,), "ones", 1, l, cu)
            else:
                stack.append((t - 1, l, cu))
            if l == 1:
                if not onehot:
                    node(v, (v,), "input", t, 0, cv)
            else:
                stack.append((t, l - 1, cv))
    if onehot:
        for t in range(1, T + 1):
            x = f"x{t}"
            size[x] = X
            if uses[t - 1] >= 2:
                node(f"dx{t}", (x, *(f"x{t}.{c}" for c in range(uses[t - 1]))), "copy", t, 0, 0)
            node(x, (x,), "input", t, 0, 0)
    times, layers, copies = (tuple(v) for v in zip(*tags, strict=True))
    from tnrnn.network import TNGraph

    return TNGraph(
        names=tuple(names),
        indices=tuple(indices),
        roles=tuple(roles),
        times=times,
        layers=layers,
        copies=copies,
        size_dict=size,
        output=("y",),
        meta={
            "M": M,
            "R": R,
            "L": L,
            "T": T,
            "K": K,
            "domain": domain,
            "cell": cell.name,
            "form": form,
            "homogenised": hom,
            "input_constant": hom and not onehot,
        },
    )


def _homogenised_core(cell, params, l: int, xp):
    """The core ``(R+1, R+1, D+1)`` of layer ``l`` acting on ``(u, 1)`` and ``(v, 1)`` (see `build_cell_network`)."""
    R = cell.R
    W_H, W_I = params["W_H"][l], params["W_I"][l]
    D = W_I.shape[1]
    dtype = W_I.dtype
    if cell.network_form == "homogenised":  # mi: α a b + β1 a + β2 b + bias
        alpha, b1, b2, bias = (params[k][l] for k in ("alpha", "beta1", "beta2", "b"))
        block = [
            [alpha[:, None, None] * W_H[:, :, None] * W_I[:, None, :], (b1[:, None] * W_H)[:, :, None]],
            [(b2[:, None] * W_I)[:, None, :], bias[:, None, None]],
        ]
    else:  # squared: z = W^H u + W^I v + b, affine, as a core on (u, 1) and (v, 1)
        block = [
            [xp.zeros((R, R, D), dtype), W_H[:, :, None]],
            [W_I[:, None, :], params["b"][l][:, None, None]],
        ]
    top = xp.concatenate([xp.concatenate(row, axis=2) for row in block], axis=1)
    const = xp.zeros((1, R + 1, D + 1), dtype)
    const = const.at[0, R, D].set(1) if hasattr(const, "at") else _set(const, (0, R, D), 1)
    return xp.concatenate([top, const], axis=0)


def _set(a, where, value):
    a = a.copy()
    a[where] = value
    return a


def _product_arrays(graph: TNGraph, cell, params) -> dict:
    """`network_arrays` of a bilinear-form network: cores, initial vectors and ``W^O``; copy and input nodes none.

    Works with numpy or JAX parameters (the array module follows ``W^O``); differentiable in ``params`` under JAX.
    """
    import numpy as np

    if graph.meta.get("cell") != cell.name or (graph.meta["M"], graph.meta["R"], graph.meta["L"]) != (
        cell.M,
        cell.R,
        cell.L,
    ):
        raise ArgumentError(
            "cell",
            cell.name,
            f"the cell and sizes of the network ({graph.meta.get('cell')}, "
            f"M={graph.meta['M']}, R={graph.meta['R']}, L={graph.meta['L']})",
        )
    W_O = params["W_O"]
    if isinstance(W_O, np.ndarray):
        xp = np
    else:
        import jax.numpy as xp
    hom = graph.meta["homogenised"]
    R = cell.R
    if hom:
        cores = [_homogenised_core(cell, params, l, xp) for l in range(cell.L)]
        if not graph.meta["input_constant"]:  # one-hot: (x, 1) = (x, sum_d x_d), fold the constant column in
            c0 = cores[0]
            cores[0] = c0[:, :, : cell.M] + c0[:, :, cell.M :]
        init = xp.zeros((R + 1,), W_O.dtype)
        init = init.at[R].set(1) if hasattr(init, "at") else _set(init, R, 1)
        W_O = xp.concatenate([W_O, xp.zeros((W_O.shape[0], 1), W_O.dtype)], axis=1)
    else:
        cores = list(params["A"])
        init = xp.ones((R,), W_O.dtype)
    out = {}
    for name, role, l in zip(graph.names, graph.roles, graph.layers, strict=True):
        if role == "core":
            out[name] = cores[l - 1]
        elif role == "ones":
            out[name] = init
        elif role == "W_O":
            out[name] = W_O
    return out
