"""The block elimination with its trailing update in JAX (the ``"jax-block"`` engine): the GPU path.

The panels are found on the host by `tnrnn.rank._block`'s routines; only the update runs on the device.
"""

from __future__ import annotations

import time

import numpy as np

from tnrnn.rank._block import (
    _PANEL,
    _WIDE,
    EliminationTimeout,
    _check_block_prime,
    _float_copy,
    _is_complex,
    _panel,
    _reduce,
    extension_panel,
)

__all__ = ["jax_modular_rank"]


def jax_modular_rank(matrix: np.ndarray, p: int, *, panel: int | None = None, deadline=None, progress=None) -> int:
    """Exact rank modulo ``p < 2^21`` (or over ``GF(p^2)``) by block elimination with the update in JAX (GPU too).

    The matrix lives on JAX's default device as float64 centred residues (under a local ``jax.enable_x64``; the
    global configuration is not changed). Each panel of ``panel`` columns is copied to the host, its pivot rows and
    multipliers ``G`` are found there (`_panel`, as in `blas_modular_rank`), and every row is updated on the device
    by one jitted, fixed-shape matmul ``S <- reduce(S - G_pad @ S[piv_pad])`` with the pivot rows zeroed after, so
    eliminated columns of live rows are exactly 0 and one compilation serves every panel. Reducing after every
    update keeps each entry a centred residue, so a matmul adds at most ``panel * H^2 < 2^48`` (exact, module
    notes).
    """
    import jax
    import jax.numpy as jnp

    extension = _is_complex(matrix)
    if panel is None:  # `_PANEL`, or over GF(p^2) the widest exact one for p (`extension_panel`)
        panel = extension_panel(p) if extension else _PANEL
    _check_block_prime(p, panel, extension)
    n, m = matrix.shape
    if n == 0 or m == 0:
        return 0
    b = min(panel, m)
    with jax.enable_x64(True):
        host = _float_copy(matrix, p, False)
        S = jnp.asarray(host.astype(_WIDE[host.dtype]))  # narrow storage is widened on the device
        update = _jax_update(p, extension)
        alive = np.ones(n, bool)
        rank = 0
        for c0 in range(0, m, b):
            if deadline is not None and time.monotonic() > deadline:
                raise EliminationTimeout(rank)
            c1 = min(c0 + b, m)
            live = np.flatnonzero(alive)
            if live.size == 0:
                break
            Pv = np.asarray(S[:, c0:c1])[live]
            piv, rest, G = _panel(_reduce(Pv, p), p)
            k = piv.size
            if progress is not None:
                progress(c1, m)
            if k == 0:
                continue
            rows_piv = live[piv]
            G_full = np.zeros((n, b), G.dtype)
            G_full[live[rest], :k] = G
            idx = np.zeros(b, np.int32)
            idx[:k] = rows_piv
            mask = np.zeros(b)
            mask[:k] = 1.0
            S = update(S, jnp.asarray(G_full), jnp.asarray(idx), jnp.asarray(mask))
            alive[rows_piv] = False
            rank += k
        return rank


_JAX_UPDATES: dict = {}


def _jax_update(p: int, extension: bool = False):
    if (p, extension) not in _JAX_UPDATES:
        import jax
        import jax.numpy as jnp

        inv = 1.0 / p

        def reduce(x):
            return x - p * jnp.rint(x * inv)

        def update(S, G, idx, mask):
            SI = S[idx] * mask[:, None]  # padded pivot rows are masked out
            S = S - G @ SI
            S = jax.lax.complex(reduce(S.real), reduce(S.imag)) if extension else reduce(S)
            return S.at[idx].multiply(1.0 - mask[:, None])  # the pivot rows are done: zero them

        _JAX_UPDATES[p, extension] = jax.jit(update, donate_argnums=0)
    return _JAX_UPDATES[p, extension]
