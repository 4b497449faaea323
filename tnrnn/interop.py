"""Export a RAC's tensor network to quimb and cotengra (the optional extra ``interop``).

Both exports read the compiled structure (`tnrnn.build.compile_rac`: a `tnrnn.network.TNGraph` and the arrays of
its weight nodes) and add nothing of their own but array placement:

* `to_quimb` returns a `quimb.tensor.TensorNetwork` with one tensor per node, tagged by role (``"WI"``, ``"WH"``,
  ``"WO"``, ``"ones"``, ``"copy"``, ``"input"``), time step (``"t3"``), layer (``"l2"``) and node name;
* `to_cotengra` returns ``(inputs, output, size_dict, arrays)`` for `cotengra.array_contract` (or, with
  ``cotengra.einsum``, the same operands).

The full contraction of either equals `tnrnn.rac_forward(model, xs)`: for any ``xs`` with ``domain="continuous"``
(the same input fed to every copy, see the theory page, section "The tree of copies") and for one-hot ``xs`` with
``domain="onehot"`` (the copies of each input joined by a copy tensor).

**Copy tensors.** With ``hyper=False`` every copy (δ) node is an explicit tensor, so every index joins at most two
tensors, as in `TNGraph`; a copy tensor of order ``k > 3`` (the one-hot input copy tensors) is split into a chain of
``k - 2`` order-3 copy tensors, the same tensor without its ``D^k`` dense form. With ``hyper=True`` the legs of
every copy node are merged into one hyperindex (`TNGraph.copy_groups`) and no copy tensor is materialised; quimb
and cotengra both contract hyperindices directly.

The other exports need no extra: `TNGraph.to_networkx`, `TNGraph.einsum_inputs` / `TNGraph.equation`
(opt_einsum, numpy or JAX einsum), `TNGraph.to_json` and `tnrnn.contract.to_tensornetwork`.

quimb and cotengra are imported lazily, only by the functions that need them; without them those functions raise
an `ImportError` that names the extra: ``pip install "tnrnn[interop]"``.
"""

from __future__ import annotations

import importlib

import numpy as np

from tnrnn._types import ArgumentError, check_domain

__all__ = ["INTEROP_HINT", "ROLE_TAGS", "to_quimb", "to_cotengra", "network_operands"]

#: the install command named by the error raised when quimb or cotengra is missing
INTEROP_HINT = 'pip install "tnrnn[interop]"'

#: quimb tag of every node role of `tnrnn.network.ROLES`
ROLE_TAGS = {"W_I": "WI", "W_H": "WH", "W_O": "WO", "ones": "ones", "copy": "copy", "input": "input"}


def _require(module: str):
    """Import an optional dependency, or raise one `ImportError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"tnrnn.interop needs {module.split('.')[0]}, part of the optional extra 'interop': {INTEROP_HINT}"
        ) from exc


def _check_inputs(model, xs) -> np.ndarray:
    for attr in ("W_I", "W_H", "W_O"):
        if not hasattr(model, attr):
            raise ArgumentError("model", type(model).__name__, "a RAC (tnrnn.init_rac)")
    xs = np.asarray(xs)
    if xs.ndim != 2 or xs.shape[0] < 1 or xs.shape[1] != model.M:
        raise ArgumentError("xs", f"an array of shape {xs.shape}", f"an array of shape (T, M) with M = {model.M}")
    if not np.issubdtype(xs.dtype, np.number):
        raise ArgumentError("xs", f"dtype {xs.dtype}", "a numeric array")
    return xs


def _delta(order: int, dim: int, dtype) -> np.ndarray:
    d = np.zeros((dim,) * order, dtype=dtype)
    d[(np.arange(dim),) * order] = 1
    return d


def network_operands(model, xs, *, domain: str = "continuous", hyper: bool = False):
    """The operands of a RAC's network fed with ``xs``: the common ground of `to_quimb` and `to_cotengra`.

    Parameters
    ----------
    model : tnrnn.rac.RAC
        The model (any depth, any number of outputs ``K``).
    xs : array of shape (T, M)
        The inputs ``f(x^1), ..., f(x^T)``; ``T`` is read from it.
    domain : {"continuous", "onehot"}
        The network variant (`tnrnn.build.build_network`).
    hyper : bool
        Merge the legs of every copy tensor into one hyperindex (True) or keep copy tensors as explicit tensors
        (False; see the module notes).

    Returns
    -------
    operands : list of tuple
        ``(name, indices, array, role, t, l)`` per tensor, arrays as numpy arrays.
    output : tuple of str
        The open index ``("y",)`` (dimension ``K``).
    size_dict : dict
        Index -> dimension for every index used.
    """
    from tnrnn.build import compile_rac
    from tnrnn.contract import _copy_chain

    domain = check_domain(domain)
    xs = _check_inputs(model, xs)
    graph, arrays = compile_rac(model, xs.shape[0], domain=domain)
    dtype = np.result_type(np.asarray(model.W_O).dtype, xs.dtype)
    inputs, output, names = graph.einsum_inputs(hyper=hyper)
    size = dict(graph.size_dict)
    node = graph.node_id
    operands = []
    for name, idx in zip(names, inputs, strict=True):
        k = node[name]
        role, t, l = graph.roles[k], graph.times[k], graph.layers[k]
        if role == "input":
            operands.append((name, idx, np.asarray(xs[t - 1], dtype), role, t, l))
        elif role == "copy":
            dim = size[idx[0]]
            if len(idx) <= 3:
                operands.append((name, idx, _delta(len(idx), dim, dtype), role, t, l))
            else:
                for part, legs, _ in _copy_chain(name, idx):
                    for i in legs:
                        size.setdefault(i, dim)
                    operands.append((part, legs, _delta(3, dim, dtype), role, t, l))
        else:
            operands.append((name, idx, np.asarray(arrays[name], dtype), role, t, l))
    used = {i for _, idx, *_ in operands for i in idx}
    return operands, tuple(output), {i: size[i] for i in sorted(used)}


def to_quimb(model, xs, *, domain: str = "continuous", hyper: bool = False):
    """A RAC's tensor network, fed with ``xs``, as a `quimb.tensor.TensorNetwork`.

    Parameters
    ----------
    model : tnrnn.rac.RAC
        The model.
    xs : array of shape (T, M)
        Inputs. With ``domain="onehot"`` the contraction equals the forward pass for one-hot rows only.
    domain : {"continuous", "onehot"}
        Network variant: the tree of copies, or the copies of each input joined by a copy tensor.
    hyper : bool
        Copy tensors as hyperindices instead of explicit ``"copy"`` tensors (see the module notes).

    Returns
    -------
    quimb.tensor.TensorNetwork
        One tensor per node (copy tensors of order > 3 as chains), tagged with the role (`ROLE_TAGS`), ``"t{t}"``,
        ``"l{l}"`` and the node name; index names are those of `tnrnn.network.TNGraph`. The only open index is
        ``"y"``: ``tn.contract(output_inds=("y",)).data`` equals ``tnrnn.rac_forward(model, xs)``.

    Raises
    ------
    ImportError
        When quimb is not installed (the message names the extra ``interop``).

    Examples
    --------
    >>> tn = to_quimb(model, xs)                           # doctest: +SKIP
    >>> tn.select(["WH", "l2"], which="all").num_tensors   # doctest: +SKIP
    >>> tn.contract(output_inds=("y",)).data               # doctest: +SKIP
    """
    qtn = _require("quimb.tensor")
    operands, _, _ = network_operands(model, xs, domain=domain, hyper=hyper)
    tensors = [
        qtn.Tensor(data, inds=idx, tags=(ROLE_TAGS.get(role, role), f"t{t}", f"l{l}", name))
        for name, idx, data, role, t, l in operands
    ]
    return qtn.TensorNetwork(tensors, virtual=True)


def to_cotengra(model, xs, *, domain: str = "continuous", hyper: bool = True):
    """A RAC's tensor network, fed with ``xs``, as cotengra's ``(inputs, output, size_dict, arrays)``.

    Parameters
    ----------
    model : tnrnn.rac.RAC
        The model.
    xs : array of shape (T, M)
        Inputs (one-hot rows for ``domain="onehot"`` to equal the forward pass).
    domain : {"continuous", "onehot"}
        Network variant.
    hyper : bool
        Copy tensors as hyperindices (default; cotengra contracts them directly) or as explicit operands.

    Returns
    -------
    inputs : list of tuple of str
        The indices of every operand.
    output : tuple of str
        ``("y",)``.
    size_dict : dict
        Index -> dimension.
    arrays : list of numpy.ndarray
        The operands, in the order of ``inputs``.

    Raises
    ------
    ImportError
        When cotengra is not installed (the message names the extra ``interop``).

    Notes
    -----
    Contract with a path finder that runs in this process, ``optimize="greedy"`` (these networks are trees or
    nearly so) or ``cotengra.AutoOptimizer(parallel=False)``. cotengra's default ``optimize="auto"`` searches a
    network of this size in a process pool started by ``os.fork()``, which with JAX loaded (the model is a JAX
    pytree) prints JAX's warning that a fork may deadlock, and may deadlock.

    Examples
    --------
    >>> import cotengra as ctg                                                    # doctest: +SKIP
    >>> inputs, output, size_dict, arrays = to_cotengra(model, xs)                # doctest: +SKIP
    >>> ctg.array_contract(arrays, inputs, output, size_dict=size_dict, optimize="greedy")  # doctest: +SKIP
    """
    _require("cotengra")
    operands, output, size = network_operands(model, xs, domain=domain, hyper=hyper)
    inputs = [idx for _, idx, *_ in operands]
    arrays = [data for _, _, data, *_ in operands]
    return inputs, output, size, arrays
