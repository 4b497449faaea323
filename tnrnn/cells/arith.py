"""Arithmetics a cell's ``step`` is written against: float, exact modular (JAX or numpy), and degree counting.

A cell never indexes its vectors. It combines them with the few operations below, and the arithmetic decides what a
"vector" is:

==================  ===========================================  ===============================================
arithmetic          a vector of ``n`` channels                    used by
==================  ===========================================  ===============================================
`FloatArith`        an array ``(..., n)`` (numpy or JAX)          the float model, training, the SVD diagnostic
`NumpyModular`      an ``int64`` array ``(..., n)``, residues     the independent exact reference path, large primes
`ResidueArith`      a list of ``n`` float64 (or int64) arrays     the jitted exact rank kernel (`tnrnn.rank`)
`ExtensionArith`    ``n`` complex arrays ``re + im i``            the certified kernel over ``GF(p^2)`` (`tnrnn.rank`)
`DegreeArith`       one Python int: the largest total degree      the certificate's Schwartz-Zippel degree
==================  ===========================================  ===============================================

Operations: ``matvec(W, v)`` (``W v``), ``mul(u, v)`` (Hadamard), ``add(u, v)``, ``scale(c, v)`` (a parameter
vector ``c`` times ``v``, Hadamard), ``param(c, like)`` (a parameter vector as a vector, broadcast like ``like``),
``bilinear(A, u, v)`` (``r -> sum_ij A[r,i,j] u_i v_j``), ``ones(n, like)``, ``zeros(n, like)``, ``const(q, n, like)``
(``n`` channels equal to the rational constant ``q``, a `fractions.Fraction` or int: ``float(q)`` in floating point,
``numerator * denominator^{-1} mod p`` in the modular arithmetics, which need ``p`` not to divide the denominator;
degree 0 for the degree counters), ``first(v)`` (channel 0 as a scalar array).

Exactness of `ResidueArith` (float64). Every value is an integer held as a *centred* residue, ``|x| <= (p+1)/2``,
after each operation (``x - p * rint(x / p)``, exact for ``|x| < 2^53``: ``rint`` of the float quotient is within one
of the true quotient, and ``x - q p`` is then an integer below ``2^53``). A product of two centred residues is below
``2^40.01`` for ``p < 2^21``, and a matrix-vector product sums ``n`` of them, so every partial sum stays below
``2^53`` (exact in any summation order) as long as ``n * ((p+1)/2)^2 < 2^52`` (`residue_width_limit`): 4096 channels
for ``p < 2^21``. The int64 mode reduces with ``remainder`` and needs ``n * (p-1)^2 < 2^63``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "FloatArith",
    "NumpyModular",
    "ResidueArith",
    "DegreeArith",
    "ExtensionArith",
    "as_complex",
    "RESIDUE_PRIME_BOUND",
    "EXTENSION_PRIME_BOUND",
    "extension_width_limit",
    "is_extension_prime",
    "residue_width_limit",
    "int64_prime_bound",
    "rational_residue",
]

#: primes for the float64 residue arithmetic (and the BLAS elimination) are below this
RESIDUE_PRIME_BOUND = 2**21


#: primes of the extension field ``GF(p^2)`` are below this (``p^2`` up to ``2^48``; centred residues fit a float32).
#: The rank engine takes the largest such primes below ``2^22`` (BLAS panels of 256) unless a cell's failure bound
#: needs a larger field (`tnrnn.rank._run._extension_primes`, at most ``2^23.5``)
EXTENSION_PRIME_BOUND = 2**24


def is_extension_prime(p: int) -> bool:
    """Whether ``GF(p^2) = F_p[i] / (i^2 + 1)`` is a field: ``-1`` is a non-residue exactly when ``p = 3 (mod 4)``."""
    return p % 4 == 3


def extension_width_limit(p: int) -> int:
    """Largest number of ``GF(p^2)`` products a float64 sum may add exactly: ``n 2 ((p+1)/2)^2 < 2^52``.

    The real part of ``(a + b i)(c + d i)`` is ``ac - bd``: two products of centred residues.
    """
    h = (p + 1) // 2
    return (2**52 - 1) // (2 * h * h)


def residue_width_limit(p: int) -> int:
    """Largest number of products a float64 residue sum may add exactly: ``n ((p+1)/2)^2 < 2^52``."""
    h = (p + 1) // 2
    return (2**52 - 1) // (h * h)


def rational_residue(q, p: int) -> int:
    """The residue of the rational ``q`` modulo the prime ``p``: ``numerator * denominator^{-1} mod p``.

    Raises `ArgumentError` when ``p`` divides the denominator (the constant has no residue).
    """
    q = Fraction(q)
    if q.denominator % p == 0:
        from tnrnn._types import ArgumentError

        raise ArgumentError("p", p, f"a prime not dividing {q.denominator} (the denominator of the constant {q})")
    return q.numerator * pow(q.denominator, -1, p) % p


def int64_prime_bound(width: int) -> int:
    """Largest ``p`` with ``width * (p-1)^2 < 2^63``, so an int64 sum of ``width`` residue products never overflows."""
    return math.isqrt((2**63 - 1) // max(1, width)) + 1


class FloatArith:
    """Ordinary floating-point arithmetic over arrays whose last axis holds the channels.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``jax.numpy``.
    """

    def __init__(self, xp=np):
        self.xp = xp

    def matvec(self, W, v):
        return v @ W.T

    def mul(self, u, v):
        return u * v

    def add(self, u, v):
        return u + v

    def scale(self, c, v):
        return self.param(c, v) * v  # broadcast explicitly (strict rank promotion)

    def param(self, c, like):
        return self.xp.broadcast_to(c, (*self._batch(like), c.shape[-1]))

    def bilinear(self, A, u, v):
        return self.xp.einsum("rij,...i,...j->...r", A, u, v)

    def ones(self, n, like):
        return self.xp.ones((*self._batch(like), n), dtype=self._dtype(like))

    def zeros(self, n, like):
        return self.xp.zeros((*self._batch(like), n), dtype=self._dtype(like))

    def const(self, q, n, like):
        return self.xp.full((*self._batch(like), n), float(Fraction(q)), dtype=self._dtype(like))

    def first(self, v):
        return v[..., 0]

    def _batch(self, like):
        return tuple(like.shape[:-1]) if hasattr(like, "shape") else tuple(like)

    def _dtype(self, like):
        return like.dtype if hasattr(like, "dtype") else None


class NumpyModular:
    """Exact arithmetic modulo a prime ``p`` on numpy ``int64`` residues in ``[0, p)``.

    Needs ``width * (p-1)^2 < 2^63`` for the widest matrix-vector product (`int64_prime_bound`); the caller checks
    it. Independent of JAX: the reference path the JAX kernel is tested against, and the path for word-size primes.
    """

    def __init__(self, p: int):
        self.p = int(p)

    def _r(self, x):
        return np.remainder(x, self.p, out=x if isinstance(x, np.ndarray) and x.dtype == np.int64 else None)

    def matvec(self, W, v):
        return self._r(np.matmul(v, W.T))

    def mul(self, u, v):
        return self._r(np.multiply(u, v))

    def add(self, u, v):
        return self._r(np.add(u, v))

    def scale(self, c, v):
        return self._r(np.multiply(c, v))

    def param(self, c, like):
        return np.broadcast_to(c, (*tuple(np.shape(like)[:-1]), c.shape[-1]))

    def bilinear(self, A, u, v):
        # sum_ij A[r,i,j] u_i v_j as (A[r] v) . u with a reduction after each contraction
        Av = self._r(np.einsum("rij,...j->...ri", A, v))
        return self._r(np.einsum("...ri,...i->...r", Av, u))

    def ones(self, n, like):
        return np.ones((*tuple(np.shape(like)[:-1]), n), np.int64)

    def zeros(self, n, like):
        return np.zeros((*tuple(np.shape(like)[:-1]), n), np.int64)

    def const(self, q, n, like):
        return np.full((*tuple(np.shape(like)[:-1]), n), rational_residue(q, self.p), np.int64)

    def first(self, v):
        return v[..., 0]


class ResidueArith:
    """Exact arithmetic modulo ``p`` for the jitted rank kernel: a vector is a list of per-channel arrays.

    Keeping channels as separate arrays (structure of arrays) turns every small matrix-vector product into fused
    elementwise loops over the pairs of evaluation points, about 9x faster on a CPU than batched tiny matmuls. The
    weights are JAX arrays indexed by Python ints at trace time. Inputs broadcast: a Start-side vector has shape
    ``(rows, 1)``, an End-side one ``(1, cols)``.

    Parameters
    ----------
    p : int
        The prime. float64 mode: ``p < 2^21`` (`RESIDUE_PRIME_BOUND`); int64 mode: ``width (p-1)^2 < 2^63``.
    xp : module
        ``jax.numpy`` (default) or ``numpy``.
    dtype : {"float64", "int64"}
        Centred float64 residues (fast, exact by the module's argument) or int64 residues in ``[0, p)``.
    """

    def __init__(self, p, xp=None, dtype: str = "float64", inv=None):
        if xp is None:
            import jax.numpy as xp
        self.p = p  # a Python int, or a traced scalar so that one compilation serves every prime
        self.xp = xp
        self.dtype = dtype
        self._inv = 1.0 / p if inv is None else inv

    def reduce(self, x):
        if self.dtype == "int64":
            return self.xp.remainder(x, self.p)
        return x - self.p * self.xp.rint(x * self._inv)

    def matvec(self, W, v):
        n_out, n_in = W.shape
        if n_in != len(v):
            raise ValueError(f"matvec: matrix of {n_in} columns applied to a vector of {len(v)} channels")
        out = []
        for r in range(n_out):
            acc = W[r, 0] * v[0]
            for k in range(1, n_in):
                acc = acc + W[r, k] * v[k]
            out.append(self.reduce(acc))
        return self._one_side(out)

    def _one_side(self, out):
        """Materialise a vector that depends on one side's points only (shape ``(rows, 1)`` or ``(1, cols)``).

        Without this, XLA's fusion may recompute it inside the loop over every pair, e.g. the first layer's input
        projection ``W^I x`` of an End point once per Start point.
        """
        if self.xp is np or not all(getattr(x, "ndim", 0) == 2 and 1 in x.shape for x in out):
            return out
        import jax

        return list(jax.lax.optimization_barrier(tuple(out)))

    def mul(self, u, v):
        return [self.reduce(a * b) for a, b in zip(u, v, strict=True)]

    def add(self, u, v):
        return [self.reduce(a + b) for a, b in zip(u, v, strict=True)]

    def scale(self, c, v):
        return [self.reduce(c[r] * v[r]) for r in range(len(v))]

    def param(self, c, like):
        return [c[r] for r in range(c.shape[-1])]

    def bilinear(self, A, u, v):
        n_out, n_u, n_v = A.shape
        out = []
        for r in range(n_out):
            acc = None
            for i in range(n_u):
                inner = A[r, i, 0] * v[0]
                for j in range(1, n_v):
                    inner = inner + A[r, i, j] * v[j]
                term = self.reduce(inner) * u[i]
                acc = term if acc is None else acc + term
            out.append(self.reduce(acc))
        return out

    def ones(self, n, like):
        return [1.0 if self.dtype == "float64" else 1] * n

    def zeros(self, n, like):
        return [0.0 if self.dtype == "float64" else 0] * n

    def const(self, q, n, like):
        q = Fraction(q)
        if isinstance(self.p, (int, np.integer)):
            r = rational_residue(q, int(self.p))
            if self.dtype == "int64":
                return [r] * n
            return [float(r - self.p if r > self.p // 2 else r)] * n
        # a traced prime (one compilation serves every prime): the inverse of the denominator b is (k p + 1) / b for
        # the one k in [0, b) with b | k p + 1 (exact: k p + 1 < b p)
        b = q.denominator
        cand = self.xp.arange(b, dtype=self.xp.asarray(self.p).dtype) * self.p + 1
        hit = self.xp.sum(self.xp.where(self.xp.remainder(cand, b) == 0, cand, 0))
        inv = hit // b if self.dtype == "int64" else hit / b
        return [self.reduce(q.numerator * inv)] * n

    def first(self, v):
        return v[0]


class ExtensionArith:
    """Exact arithmetic in ``GF(p^2) = F_p[i] / (i^2 + 1)`` (``p = 3 mod 4``) for the rank kernel.

    A vector is a list of ``n`` channels, each a complex128 array whose real and imaginary parts are centred residues:
    the element ``re + im i``. Parameters are complex arrays of the same kind (`tnrnn.cells.Cell.random_residues` with
    ``degree=2`` draws the two parts on a trailing axis of size 2; `as_complex` joins them). Products are complex
    products, ``i^2 = -1``::

        (a + b i)(c + d i) = (ac - bd) + (ad + bc) i

    Exactness: centred residues have ``|x| <= (p+1)/2``, so one part of a product is below ``2 ((p+1)/2)^2`` and a
    sum of ``n`` products stays below ``2^52`` while ``n <= extension_width_limit(p)`` (512 channels for ``p < 2^22``,
    32 for ``p < 2^24``); every partial result of numpy's or XLA's complex product and sum (with or without fused
    multiply-adds, in any order) is then an integer below ``2^53``, exact. Each operation reduces both parts of its
    result (`ResidueArith.reduce`).

    One complex array per channel, not a pair of real arrays: XLA then fuses a step into half as many arrays, which
    made the kernel 1.1x (short schedules) to 2x (long ones, carried between calls) faster on the CPU, and lets it
    fuse longer calls without collapsing (`tnrnn.rank.evaluation._fused_steps`).

    Why a second field: a Schwartz-Zippel failure bound is ``degree / |field|``; ``GF(p^2)`` with ``p`` near
    ``2^22`` has about ``2^44`` elements (``2^48`` near ``2^24``) while every value still fits a float32 and every
    update stays in BLAS.
    """

    def __init__(self, p, xp=None, inv=None):
        self.base = ResidueArith(p, xp, "float64", inv)
        self.p, self.xp = p, self.base.xp

    def reduce(self, z):
        xp, reduce = self.xp, self.base.reduce
        re, im = reduce(xp.real(z)), reduce(xp.imag(z))
        if xp is np:
            return re + 1j * im  # exact: both parts are integers below 2^53
        import jax

        return jax.lax.complex(re, im)

    def matvec(self, W, v):
        n_out, n_in = W.shape[:2]
        if n_in != len(v):
            raise ValueError(f"matvec: matrix of {n_in} columns applied to a vector of {len(v)} channels")
        out = []
        for r in range(n_out):
            acc = W[r, 0] * v[0]
            for k in range(1, n_in):
                acc = acc + W[r, k] * v[k]
            out.append(self.reduce(acc))
        return self.base._one_side(out)

    def mul(self, u, v):
        return [self.reduce(a * b) for a, b in zip(u, v, strict=True)]

    def add(self, u, v):
        return [self.reduce(a + b) for a, b in zip(u, v, strict=True)]

    def scale(self, c, v):
        return [self.reduce(c[r] * v[r]) for r in range(len(v))]

    def param(self, c, like):
        return [c[r] for r in range(c.shape[-1])]

    def bilinear(self, A, u, v):
        n_out, n_u, n_v = A.shape[:3]
        out = []
        for r in range(n_out):
            acc = None
            for i in range(n_u):
                inner = A[r, i, 0] * v[0]
                for j in range(1, n_v):
                    inner = inner + A[r, i, j] * v[j]
                term = self.reduce(inner) * u[i]
                acc = term if acc is None else acc + term
            out.append(self.reduce(acc))
        return out

    def ones(self, n, like):
        return [1.0 + 0.0j] * n

    def const(self, q, n, like):
        return [self.base.const(q, 1, like)[0] + 0.0j] * n  # a rational of F_p, inside GF(p^2)

    def zeros(self, n, like):
        return [0.0j] * n

    def first(self, v):
        return v[0]


def as_complex(x):
    """Elements of ``GF(p^2)`` stored as two parts on a trailing axis of size 2 (float or int) as complex128."""
    x = np.asarray(x, np.float64)
    return x[..., 0] + 1j * x[..., 1]


class DegreeArith:
    """Counts total degree: a vector is the largest degree of its channels as polynomials in the random quantities.

    Every weight (matrix entry or parameter vector entry) is one random variable of degree 1; an input's degree is
    given by the caller (1 for random continuous points, 0 for fixed one-hot points). Used for the Schwartz-Zippel
    failure bound of a rank certificate.
    """

    def matvec(self, W, v):
        return 1 + v

    def mul(self, u, v):
        return u + v

    def add(self, u, v):
        return max(u, v)

    def scale(self, c, v):
        return 1 + v

    def param(self, c, like):
        return 1

    def bilinear(self, A, u, v):
        return 1 + u + v

    def ones(self, n, like):
        return 0

    def zeros(self, n, like):
        return 0

    def const(self, q, n, like):
        return 0

    def first(self, v):
        return v
