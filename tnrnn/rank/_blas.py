"""In-place ``C <- C - A @ B`` on a strided sub-block through the BLAS that scipy ships (``dgemm``).

numpy's ``matmul`` cannot accumulate into a strided view, so a trailing update written with it needs a temporary
and a second pass over memory (about 2 s of the 7 s that an 8569 x 8569 elimination took). scipy exports its BLAS
as C function pointers (``scipy.linalg.cython_blas.__pyx_capi__``); calling ``dgemm`` through ``ctypes`` with the
row stride as leading dimension updates the block where it lies, as LAPACK's own LU does. When the pointer cannot
be had, `gemm_update` falls back to numpy (same result, slower).
"""

from __future__ import annotations

import ctypes

import numpy as np

__all__ = ["gemm_update", "matmul", "have_inplace_gemm"]

_ROUTINES: dict = {}

#: dtype -> (BLAS routine, ctypes scalar type, scalars per element)
_KINDS = {np.dtype(np.float64): ("dgemm", 1), np.dtype(np.complex128): ("zgemm", 2)}


def _load(name: str = "dgemm"):
    """The BLAS routine ``name`` (``dgemm`` or ``zgemm``) as a ctypes function, or None."""
    if name in _ROUTINES:
        return _ROUTINES[name]
    try:
        from scipy.linalg import cython_blas

        cap = cython_blas.__pyx_capi__[name]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
        get_ptr.restype, get_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        ptr = get_ptr(cap, get_name(cap))
        P = ctypes.POINTER
        ci, cd, cc = ctypes.c_int, ctypes.c_double, ctypes.c_char
        proto = ctypes.CFUNCTYPE(
            None, P(cc), P(cc), P(ci), P(ci), P(ci), P(cd), P(cd), P(ci), P(cd), P(ci), P(cd), P(cd), P(ci)
        )
        _ROUTINES[name] = proto(ptr)
    except Exception:  # pragma: no cover - depends on the scipy build
        _ROUTINES[name] = None
    return _ROUTINES[name]


def _load_3m():
    """OpenBLAS's ``zgemm3m`` from the library scipy's BLAS lives in, or None.

    ``zgemm3m`` multiplies complex matrices with three real products instead of four (Gauss's trick), a quarter
    fewer flops. It is not part of the reference BLAS that scipy exports, so it is looked up in the OpenBLAS shared
    library that scipy's wheels bundle (the same library, hence the same thread pool); elsewhere ``zgemm`` serves.
    """
    if "zgemm3m" in _ROUTINES:
        return _ROUTINES["zgemm3m"]
    _ROUTINES["zgemm3m"] = None
    try:
        import glob
        import os

        import scipy

        libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), "scipy.libs")
        for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*"))):
            lib = ctypes.CDLL(path)
            for symbol in ("scipy_zgemm3m_", "zgemm3m_"):
                fn = getattr(lib, symbol, None)
                if fn is not None:
                    zgemm = _load("zgemm")
                    _ROUTINES["zgemm3m"] = type(zgemm)(ctypes.cast(fn, ctypes.c_void_p).value) if zgemm else None
                    return _ROUTINES["zgemm3m"]
    except Exception:  # pragma: no cover - depends on the scipy build
        pass
    return None


#: use ``zgemm3m`` for complex updates when it is available (`_load_3m`); tests switch it off to compare
USE_3M = True


def have_inplace_gemm() -> bool:
    """Whether the in-place BLAS path is available (else `gemm_update` uses numpy)."""
    return _load("dgemm") is not None and _load("zgemm") is not None


def gemm_update(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> None:
    """``C -= A @ B`` in place, float64 or complex128, last axes contiguous (``C`` may be a strided view).

    In column-major terms ``C^T (cols x rows, leading dimension = C's row stride) -= B^T A^T``.
    """
    if not _gemm(C, A, B, -1.0, 1.0):
        C -= A @ B


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` (float64 or complex128) through the same BLAS as `gemm_update`.

    numpy and scipy wheels each bundle their own OpenBLAS, each with its own thread pool. Right after a large
    `gemm_update` scipy's threads still spin, and a small numpy matmul then waits for a core: measured 6 ms
    against 98 ms for the blockwise inverse of a 256 x 256 panel. Keeping every matmul of an elimination on one
    BLAS avoids that.
    """
    if A.ndim != 2 or B.ndim != 2 or A.dtype != B.dtype or A.dtype not in _KINDS:
        return A @ B
    A = A if A.strides[1] == A.itemsize else np.ascontiguousarray(A)
    B = B if B.strides[1] == B.itemsize else np.ascontiguousarray(B)
    C = np.empty((A.shape[0], B.shape[1]), A.dtype)
    if not _gemm(C, A, B, 1.0, 0.0):
        np.matmul(A, B, out=C)
    return C


def _gemm(C, A, B, alpha: float, beta: float) -> bool:
    """``C <- alpha A @ B + beta C`` by scipy's ``dgemm``; False (nothing done) when it cannot be called."""
    rows, cols = C.shape
    k = A.shape[1]
    if rows == 0 or cols == 0 or k == 0:
        if beta == 0.0:
            C[...] = 0.0
        return True
    kind = _KINDS.get(C.dtype)
    if kind is None or not C.dtype == A.dtype == B.dtype:
        return False
    gemm, width = _load(kind[0]), kind[1]
    if width == 2 and USE_3M and _load_3m() is not None:
        gemm = _load_3m()
    s = C.itemsize
    ok = (
        gemm is not None
        and C.strides[1] == A.strides[1] == B.strides[1] == s
        and C.strides[0] % s == 0
        and A.strides[0] % s == 0
        and B.strides[0] % s == 0
        and C.strides[0] // s >= cols
        and A.strides[0] // s >= k
        and B.strides[0] // s >= cols
        and max(rows, cols, k, C.strides[0] // s) < 2**31
    )
    if not ok:
        return False
    by, ci = ctypes.byref, ctypes.c_int
    scalar = ctypes.c_double * width  # zgemm takes alpha and beta as complex numbers (two doubles)
    P = ctypes.POINTER(ctypes.c_double)
    n = ctypes.c_char(b"N")
    gemm(
        by(n),
        by(n),
        by(ci(cols)),
        by(ci(rows)),
        by(ci(k)),
        ctypes.cast(scalar(alpha), P),
        B.ctypes.data_as(P),
        by(ci(B.strides[0] // s)),
        A.ctypes.data_as(P),
        by(ci(A.strides[0] // s)),
        ctypes.cast(scalar(beta), P),
        C.ctypes.data_as(P),
        by(ci(C.strides[0] // s)),
    )
    return True
