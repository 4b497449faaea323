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

_DGEMM = None
_TRIED = False


def _load():
    global _DGEMM, _TRIED
    if _TRIED:
        return _DGEMM
    _TRIED = True
    try:
        from scipy.linalg import cython_blas

        cap = cython_blas.__pyx_capi__["dgemm"]
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
        _DGEMM = proto(ptr)
    except Exception:  # pragma: no cover - depends on the scipy build
        _DGEMM = None
    return _DGEMM


def have_inplace_gemm() -> bool:
    """Whether the in-place BLAS path is available (else `gemm_update` uses numpy)."""
    return _load() is not None


def gemm_update(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> None:
    """``C -= A @ B`` in place, for float64 arrays whose last axis is contiguous (``C`` may be a strided view).

    In column-major terms ``C^T (cols x rows, leading dimension = C's row stride) -= B^T A^T``.
    """
    if not _gemm(C, A, B, -1.0, 1.0):
        C -= A @ B


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` (float64) through the same BLAS as `gemm_update`.

    numpy and scipy wheels each bundle their own OpenBLAS, each with its own thread pool. Right after a large
    `gemm_update` scipy's threads still spin, and a small numpy matmul then waits for a core: measured 6 ms
    against 98 ms for the blockwise inverse of a 256 x 256 panel. Keeping every matmul of an elimination on one
    BLAS avoids that.
    """
    if A.ndim != 2 or B.ndim != 2 or A.dtype != np.float64 or B.dtype != np.float64:
        return A @ B
    A = A if A.strides[1] == 8 else np.ascontiguousarray(A)
    B = B if B.strides[1] == 8 else np.ascontiguousarray(B)
    C = np.empty((A.shape[0], B.shape[1]))
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
    dgemm = _load()
    ok = (
        dgemm is not None
        and C.dtype == A.dtype == B.dtype == np.float64
        and C.strides[1] == A.strides[1] == B.strides[1] == 8
        and C.strides[0] % 8 == 0
        and A.strides[0] % 8 == 0
        and B.strides[0] % 8 == 0
        and C.strides[0] // 8 >= cols
        and A.strides[0] // 8 >= k
        and B.strides[0] // 8 >= cols
        and max(rows, cols, k, C.strides[0] // 8) < 2**31
    )
    if not ok:
        return False
    by, ci, cd = ctypes.byref, ctypes.c_int, ctypes.c_double
    P = ctypes.POINTER(ctypes.c_double)
    n = ctypes.c_char(b"N")
    dgemm(
        by(n),
        by(n),
        by(ci(cols)),
        by(ci(rows)),
        by(ci(k)),
        by(cd(alpha)),
        B.ctypes.data_as(P),
        by(ci(B.strides[0] // 8)),
        A.ctypes.data_as(P),
        by(ci(A.strides[0] // 8)),
        by(cd(beta)),
        C.ctypes.data_as(P),
        by(ci(C.strides[0] // 8)),
    )
    return True
