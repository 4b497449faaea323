"""Test helpers kept in the package: the one float tolerance policy and seeded generators.

Tests compare integers with ``==`` and floats through `assert_close`, whose tolerances are keyed by dtype here
and nowhere else.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TOLERANCES", "tolerance", "assert_close", "rng", "relative_error"]

#: relative / absolute tolerances by dtype name
TOLERANCES = {
    "float64": {"rtol": 1e-10, "atol": 1e-12},
    "float32": {"rtol": 1e-4, "atol": 1e-6},
}


def tolerance(dtype) -> dict:
    """The ``{"rtol", "atol"}`` pair used for arrays of ``dtype`` (a copy: changing it changes nothing else)."""
    return dict(TOLERANCES[np.dtype(dtype).name])


def relative_error(actual, expected) -> float:
    """``‖actual - expected‖ / ‖expected‖`` (Frobenius), as a Python float."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    denom = np.linalg.norm(expected)
    return float(np.linalg.norm(actual - expected) / (denom if denom else 1.0))


def assert_close(actual, expected, *, dtype=None, **override):
    """`numpy.testing.assert_allclose` with the tolerance for ``dtype`` (default: that of ``expected``)."""
    expected = np.asarray(expected)
    tol = tolerance(dtype or (expected.dtype if expected.dtype.kind == "f" else np.float64))
    tol.update(override)
    np.testing.assert_allclose(np.asarray(actual), expected, **tol)


def rng(seed: int = 0) -> np.random.Generator:
    """A seeded numpy generator (nothing in tnrnn reads global random state)."""
    return np.random.default_rng(seed)
