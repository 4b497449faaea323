"""Exact rank of an integer matrix modulo a prime: FLINT, a float64 BLAS block elimination, a JAX block elimination.

Engines (`ELIMINATIONS`; `elimination_engine` picks one by size, prime and device):

* ``"flint"``: python-flint's ``nmod_mat`` (any word-size prime). Fastest below side 128, and the only engine for
  primes above ``2^21`` (the ``rigorous`` confidence of `tnrnn.rank.separation_rank`).
* ``"blas-block"``: right-looking block elimination in float64 with BLAS trailing updates, in place, for primes
  below ``2^21``. About as fast as ``scipy.linalg.lu_factor`` on a float64 matrix of the same side at side 8568
  (1.01x; 1.2x at 4096, measured in ``benchmarks/bench_rank.py``). Every matmul goes through scipy's BLAS
  (`tnrnn.rank._blas`), so that numpy's own BLAS threads do not compete with scipy's.
* ``"jax-block"``: the same elimination with the trailing update as a jitted JAX matmul on the default device (a
  GPU when present); the pivots of each narrow panel are found on the host. It updates every row each panel
  (fixed shapes: one compilation), about 3x the flops of the BLAS path, which pays on a GPU, not on a CPU.

Every engine is exact; they differ only in speed. A result of every engine is tested against FLINT.
The block engines' algorithm, exactness argument and the ``GF(p^2)`` extension: `tnrnn.rank._block`.
"""

from __future__ import annotations

import numpy as np

from tnrnn._registry import Registry
from tnrnn.rank._block import (
    BLAS_PRIME_BOUND,
    EXTENSION_BLAS_PRIME_BOUND,
    EliminationTimeout,
    _is_complex,
    blas_modular_rank,
)
from tnrnn.rank._jax_block import jax_modular_rank

__all__ = [
    "ELIMINATIONS",
    "EliminationTimeout",
    "modular_rank",
    "blas_modular_rank",
    "jax_modular_rank",
    "flint_modular_rank",
    "elimination_engine",
    "BLAS_PRIME_BOUND",
    "EXTENSION_BLAS_PRIME_BOUND",
]

#: the engines `modular_rank` accepts by name (``"auto"`` picks one by `elimination_engine`); each takes
#: ``(matrix, p, overwrite=, deadline=, progress=)`` and returns the rank
ELIMINATIONS: Registry = Registry("elimination", argument="engine", extra=("auto",))
#: smallest side for which the block path is used (measured crossover against FLINT: 64: FLINT 1.4 ms, block
#: 5 ms; 128: 4.7 / 3.7 ms; 512: 95 / 23 ms; 2048: 1.5 / 0.22 s)
_BLAS_MIN_SIZE = 128


def elimination_engine(shape: tuple[int, int], p: int, *, device: str | None = None, extension: bool = False) -> str:
    """The engine `modular_rank` uses for this shape, prime, device (``"cpu"``, ``"gpu"``, ...) and field.

    FLINT below side 128 or for primes of ``2^21`` (``2^24`` for the extension field ``GF(p^2)``) and above;
    otherwise the BLAS block path on a CPU and the JAX block path on an accelerator (``device`` defaults to JAX's
    default backend when JAX is loaded, else ``"cpu"``).
    """
    bound = EXTENSION_BLAS_PRIME_BOUND if extension else BLAS_PRIME_BOUND
    if min(shape) < _BLAS_MIN_SIZE or p >= bound:
        return "flint"
    if device is None:
        device = _default_device()
    return "blas-block" if device == "cpu" else "jax-block"


def _default_device() -> str:
    import sys

    if "jax" not in sys.modules:
        return "cpu"
    import jax

    return jax.default_backend()


def modular_rank(matrix: np.ndarray, p: int, *, engine: str = "auto", overwrite: bool = False, deadline=None) -> int:
    """Exact rank of an integer matrix modulo the prime ``p``.

    Parameters
    ----------
    matrix : array of integers (any integer dtype, or float64 / float32 holding integers below ``2^52`` / ``2^24``),
        or a complex array whose parts are such integers: an element ``re + im i`` of ``GF(p^2)`` each
    p : int
        A prime (``p = 3 mod 4`` for a complex matrix).
    engine : {"auto", "flint", "blas-block", "jax-block"}
        ``"auto"``: `elimination_engine`.
    overwrite : bool
        The block engines may eliminate in the memory of ``matrix`` (C-contiguous float64 or int64), destroying it.
    deadline : float, optional
        A ``time.monotonic()`` value; past it the block engines raise `EliminationTimeout` between panels.
    """
    return _rank_with_engine(matrix, p, engine=engine, overwrite=overwrite, deadline=deadline)[0]


def _rank_with_engine(matrix, p, *, engine="auto", overwrite=False, deadline=None, progress=None):
    engine = ELIMINATIONS.check(engine)
    rows, cols = matrix.shape
    if engine == "auto":
        engine = elimination_engine((rows, cols), p, extension=_is_complex(matrix))
    if rows == 0 or cols == 0:
        return 0, engine
    return ELIMINATIONS.lookup(engine)(matrix, p, overwrite=overwrite, deadline=deadline, progress=progress), engine


def flint_modular_rank(matrix: np.ndarray, p: int) -> int:
    """Rank modulo ``p`` by FLINT's ``nmod_mat`` (any prime below ``2^63``).

    A complex matrix ``A0 + A1 i`` over ``GF(p^2) = F_p[i] / (i^2 + 1)`` is eliminated through its regular
    representation ``[[A0, -A1], [A1, A0]]`` over ``F_p`` (multiplication by an element is an ``F_p``-linear map of
    ``GF(p^2)``, a 2-dimensional space), whose rank is twice the rank of ``A``.
    """
    import flint

    rows, cols = matrix.shape
    if rows == 0 or cols == 0:
        return 0
    if _is_complex(matrix):
        A0 = np.rint(np.asarray(matrix).real).astype(np.int64)
        A1 = np.rint(np.asarray(matrix).imag).astype(np.int64)
        return flint_modular_rank(np.block([[A0, -A1], [A1, A0]]), p) // 2
    ints = np.mod(np.asarray(matrix).astype(np.int64) if np.asarray(matrix).dtype.kind == "f" else matrix, p)
    return flint.nmod_mat(rows, cols, np.asarray(ints, np.int64).ravel().tolist(), p).rank()


@ELIMINATIONS.register("flint")
def _flint(matrix, p, *, overwrite=False, deadline=None, progress=None):
    return flint_modular_rank(matrix, p)  # one call: neither a deadline nor progress inside it


@ELIMINATIONS.register("blas-block")
def _blas_block(matrix, p, *, overwrite=False, deadline=None, progress=None):
    return blas_modular_rank(matrix, p, overwrite=overwrite, deadline=deadline, progress=progress)


@ELIMINATIONS.register("jax-block")
def _jax_block(matrix, p, *, overwrite=False, deadline=None, progress=None):
    return jax_modular_rank(matrix, p, deadline=deadline, progress=progress)  # a device copy: never overwrites
