"""Residues for the evaluation paths of `tnrnn.rank.evaluation`: centring, the arithmetic of each dtype, the prefix.

Shared by the jitted kernel (`tnrnn.rank.evaluation.residue_matrix`) and the numpy paths, so both compute the same
exact residues; ``dtype`` is ``"float64"`` (centred residues, ``p < 2^21``), ``"int64"`` or ``"extension"``
(``GF(p^2)``, complex128 values).
"""

from __future__ import annotations

import numpy as np

from tnrnn.cells.arith import (
    EXTENSION_PRIME_BOUND,
    RESIDUE_PRIME_BOUND,
    ExtensionArith,
    ResidueArith,
    as_complex,
    extension_width_limit,
    int64_prime_bound,
    is_extension_prime,
    residue_width_limit,
)

__all__ = ["check_residue_prime"]


def _map_leaves(f, tree):
    """``f`` on every array of a carry made of tuples and lists of arrays (no JAX needed)."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map_leaves(f, t) for t in tree)
    return f(tree)


def check_residue_prime(cell, p: int, dtype: str) -> None:
    """Refuse a prime the residue arithmetic cannot handle exactly for this cell."""
    from tnrnn._types import ArgumentError

    width = cell.width()
    if dtype == "extension":
        if p >= EXTENSION_PRIME_BOUND or not is_extension_prime(p) or width > extension_width_limit(p):
            raise ArgumentError(
                "p", p, f"a prime = 3 mod 4 below 2^24 with width {width} <= {extension_width_limit(p)}"
            )
    elif dtype == "float64":
        if p >= RESIDUE_PRIME_BOUND or width > residue_width_limit(p):
            raise ArgumentError("p", p, f"a prime below 2^21 with width {width} <= {residue_width_limit(p)}")
    elif p > int64_prime_bound(width):
        raise ArgumentError("p", p, f"a prime <= {int64_prime_bound(width)} (so that {width} (p-1)^2 < 2^63)")


def _centre(x: np.ndarray, p: int, dtype: str):
    """Centred residues of ``x`` for the arithmetic of ``dtype``.

    float64 centred residues; int64 residues in ``[0, p)`` for ``"int64"``; over ``GF(p^2)`` the two parts on a
    trailing axis of size 2 become one complex128 value (`tnrnn.cells.ExtensionArith`'s representation).
    """
    x = np.remainder(np.asarray(x, np.int64), p)
    if dtype == "int64":
        return x
    x = np.where(x > p // 2, x - p, x).astype(np.float64)
    return as_complex(x) if dtype == "extension" else x


def _centred_params(params, p: int, dtype: str):
    """``(host, device)``: the parameters as centred residues in numpy (for the prefix) and on JAX's device."""
    import jax
    import jax.numpy as jnp

    from tnrnn.cells.base import jax_pytrees

    jax_pytrees()  # parameter dataclasses become pytrees once JAX is in use
    host = jax.tree_util.tree_map(lambda w: _centre(w, p, dtype), params)
    return host, jax.tree_util.tree_map(jnp.asarray, host)


def _arith(pp, dtype: str):
    """The residue arithmetic of a kernel; ``pp = (p, 1/p)`` are traced, so one compilation serves every prime."""
    import jax.numpy as jnp

    if dtype == "int64":
        return ResidueArith(pp[0], jnp, dtype, inv=0.0)
    if dtype == "extension":
        return ExtensionArith(pp[0], jnp, inv=pp[1])
    return ResidueArith(pp[0], jnp, dtype, inv=pp[1])


def _host_arith(p: int, dtype: str):
    """The same arithmetic on numpy (the prefix, and `extension_matrix`)."""
    return ExtensionArith(p, np) if dtype == "extension" else ResidueArith(p, np, dtype)


def _inputs(points, t: int, M: int, expand=lambda v: v) -> list:
    """The input vector at local step ``t``: ``M`` channels (complex over ``GF(p^2)``, `_centre`)."""
    return [expand(points[:, t, m]) for m in range(M)]


def _pp(p: int, dtype: str):
    import jax.numpy as jnp

    if dtype == "int64":
        return jnp.asarray([p, p], jnp.int64)
    return jnp.asarray([float(p), 1.0 / p], jnp.float64)


def _prefix(cell, params, rows: np.ndarray, k: int, p: int, dtype: str):
    """The carry after the first ``k`` steps for every row point, in numpy (leaves of shape ``(n,)``).

    The prefix runs once per row point, so it is cheap; numpy saves a compilation per cell and schedule. It is the
    same `ResidueArith` on numpy, hence the same exact residues as the kernel.
    """
    ar = _host_arith(p, dtype)
    n = rows.shape[0]
    carry = cell.initial_carry(params, ar, rows[:, 0, :])
    for t in range(k):
        carry, _ = cell.step(params, carry, _inputs(rows, t, cell.M), ar)
    np_dtype = {"int64": np.int64, "extension": np.complex128}.get(dtype, np.float64)
    return _map_leaves(lambda v: np.ascontiguousarray(np.broadcast_to(np.asarray(v, np_dtype), (n,))), carry)
