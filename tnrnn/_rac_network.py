"""The RAC's tensor network: the tree of copies of `tnrnn.build` (its module notes give the construction)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tnrnn._types import ArgumentError

if TYPE_CHECKING:
    from tnrnn.network import TNGraph


def _build_rac(cell, T: int, domain: str, K: int) -> TNGraph:
    """The RAC network of the module notes (sizes checked by `build_network`)."""
    M, R, L = cell.M, cell.R, cell.L
    onehot = domain == "onehot"
    n_copies = input_copy_counts(T, L)

    names: list[str] = []
    indices: list[tuple[str, ...]] = []
    roles: list[str] = []
    times: list[int] = []
    layers: list[int] = []
    copies: list[int] = []
    size: dict[str, int] = {"y": K}

    add_name, add_idx, add_role = names.append, indices.append, roles.append
    add_t, add_l, add_c = times.append, layers.append, copies.append

    # counter[l][t]: next copy number of TN(t, l); l = 0 counts input copies
    counter = [[0] * (T + 1) for _ in range(L + 1)]
    top = f"h{L}_{T}.0"
    counter[L][T] = 1
    add_name("WO"), add_idx(("y", top)), add_role("W_O"), add_t(T), add_l(L), add_c(0)

    stack = [(T, L, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        t, l, c = pop()
        h, g, i = f"h{l}_{t}.{c}", f"g{l}_{t}.{c}", f"i{l}_{t}.{c}"
        size[h] = size[g] = size[i] = R
        add_name(h), add_idx((g, i, h)), add_role("copy"), add_t(t), add_l(l), add_c(c)
        # recurrent branch: W^{H,l} h^{t-1,l}, or the ones vector at t = 1
        if t == 1:
            add_name(f"one{l}.{c}"), add_idx((g,)), add_role("ones"), add_t(1), add_l(l), add_c(c)
        else:
            c2 = counter[l][t - 1]
            counter[l][t - 1] = c2 + 1
            add_name(f"WH{l}_{t}.{c}"), add_idx((g, f"h{l}_{t - 1}.{c2}")), add_role("W_H")
            add_t(t), add_l(l), add_c(c)
            push((t - 1, l, c2))
        # input branch: W^{I,l} h^{t,l-1}
        c3 = counter[l - 1][t]
        counter[l - 1][t] = c3 + 1
        if l == 1:
            x = f"x{t}" if (onehot and n_copies[t - 1] == 1) else f"x{t}.{c3}"
            size[x] = M
            add_name(f"WI1_{t}.{c}"), add_idx((i, x)), add_role("W_I"), add_t(t), add_l(1), add_c(c)
            if not onehot:
                add_name(x), add_idx((x,)), add_role("input"), add_t(t), add_l(0), add_c(c3)
        else:
            add_name(f"WI{l}_{t}.{c}"), add_idx((i, f"h{l - 1}_{t}.{c3}")), add_role("W_I")
            add_t(t), add_l(l), add_c(c)
            push((t, l - 1, c3))

    if onehot:
        for t in range(1, T + 1):
            x = f"x{t}"
            size[x] = M
            if n_copies[t - 1] >= 2:
                legs = (x, *(f"x{t}.{c}" for c in range(n_copies[t - 1])))
                add_name(f"dx{t}"), add_idx(legs), add_role("copy"), add_t(t), add_l(0), add_c(0)
            add_name(x), add_idx((x,)), add_role("input"), add_t(t), add_l(0), add_c(0)

    from tnrnn.network import TNGraph

    return TNGraph(
        names=tuple(names),
        indices=tuple(indices),
        roles=tuple(roles),
        times=tuple(times),
        layers=tuple(layers),
        copies=tuple(copies),
        size_dict=size,
        output=("y",),
        meta={"M": M, "R": R, "L": L, "T": T, "K": K, "domain": domain},
    )


def _rac_arrays(graph: TNGraph, cell, model) -> dict:
    """`network_arrays` of the RAC: ``model`` is a `tnrnn.rac.RAC`."""
    import jax.numpy as jnp

    meta = graph.meta
    if (meta.get("M"), meta.get("R"), meta.get("L"), meta.get("K")) != (model.M, model.R, model.L, model.K):
        raise ArgumentError(
            "model",
            f"M={model.M}, R={model.R}, L={model.L}, K={model.K}",
            f"a RAC with the sizes of the network (M, R, L, K) = "
            f"({meta.get('M')}, {meta.get('R')}, {meta.get('L')}, {meta.get('K')})",
        )
    ones = jnp.ones((model.R,), model.W_O.dtype)
    out = {}
    for name, role, l in zip(graph.names, graph.roles, graph.layers, strict=True):
        if role == "W_I":
            out[name] = model.W_I[l - 1]
        elif role == "W_H":
            out[name] = model.W_H[l - 1]
        elif role == "W_O":
            out[name] = model.W_O
        elif role == "ones":
            out[name] = ones
    return out


def input_copy_counts(T: int, L: int) -> tuple[int, ...]:
    """Copies of each input ``x^1..x^T``: ``n_t = C(T-t+L-1, L-1)`` (theory page, section 'Input degrees').

    The copy count is the output's degree in that input, so this is `tnrnn.bounds.input_degree` at every step.
    """
    from tnrnn.bounds import input_degree

    return tuple(input_degree(t, T, L) for t in range(1, T + 1))
