"""Exact separation ranks of recurrent cells, in both input domains, with certificates.

The package has four parts: `tnrnn.rank.evaluation` (the matrix ``[y(a_i, b_j)]`` modulo a prime, by a jitted JAX
kernel on the default device), `tnrnn.rank.elimination` (exact rank modulo a prime: FLINT, BLAS block, JAX block),
`tnrnn.rank.certificate` (`RankResult`: what the number means) and `tnrnn.rank.engine` (`separation_rank`).
The names below are loaded on first use.
"""

from tnrnn._lazy import lazy_names

#: public name -> the submodule that defines it, imported on first use (`__getattr__`): ``tnrnn.rank.RankResult``
#: (or ``tnrnn.rank.certificate``) loads neither numpy nor JAX, so that reading certificates (the rank atlas) is cheap
_LAZY = {
    **dict.fromkeys(["STATUSES", "RankResult", "RankInterrupted", "failure_bound"], "tnrnn.rank.certificate"),
    **dict.fromkeys(
        [
            "BLAS_PRIME_BOUND",
            "ELIMINATIONS",
            "EliminationTimeout",
            "blas_modular_rank",
            "elimination_engine",
            "flint_modular_rank",
            "jax_modular_rank",
            "modular_rank",
        ],
        "tnrnn.rank.elimination",
    ),
    **dict.fromkeys(
        ["CONFIDENCES", "EVALUATIONS", "METHODS", "_seed_seq", "plan", "separation_rank"], "tnrnn.rank.engine"
    ),
    **dict.fromkeys(
        [
            "EvaluationTimeout",
            "_one_hot_grid",
            "evaluation_matrix",
            "one_hot_grid",
            "reference_matrix",
            "residue_matrix",
        ],
        "tnrnn.rank.evaluation",
    ),
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


__all__ = [
    "RankResult",
    "RankInterrupted",
    "STATUSES",
    "failure_bound",
    "separation_rank",
    "plan",
    "METHODS",
    "CONFIDENCES",
    "EVALUATIONS",
    "ELIMINATIONS",
    "BLAS_PRIME_BOUND",
    "EliminationTimeout",
    "EvaluationTimeout",
    "evaluation_matrix",
    "reference_matrix",
    "residue_matrix",
    "one_hot_grid",
    "modular_rank",
    "blas_modular_rank",
    "jax_modular_rank",
    "flint_modular_rank",
    "elimination_engine",
    "grid_tensor",
]


def grid_tensor(model, T: int):
    """The order-``T`` grid tensor ``G[d_1..d_T] = y(e_{d_1}, ..., e_{d_T})`` of a float `tnrnn.rac.RAC`.

    The first output is used. Shape ``(M,) * T``. In the one-hot domain its Start-End matricization rank is the
    separation rank.
    """
    import itertools

    import jax
    import jax.numpy as jnp

    from tnrnn._types import ArgumentError, check_positive_int, refuse_if_too_large
    from tnrnn.rac import rac_forward

    T = check_positive_int("T", T)
    M = model.M
    if M**T > 2**24:
        raise ArgumentError("T", T, f"M^T <= 2^24 grid entries (M={M})")
    refuse_if_too_large("T", T, "grid tensor", (M,) * T, 8 * (T * M + 1))
    idx = jnp.asarray(list(itertools.product(range(M), repeat=T)), dtype=jnp.int32).reshape(-1, T)
    xs = jax.nn.one_hot(idx, M, dtype=model.W_O.dtype)
    ys = jax.vmap(rac_forward, in_axes=(None, 0))(model, xs)[:, 0]
    return ys.reshape((M,) * T)
