"""Test helpers kept in the package: the one float tolerance policy, seeded generators and a stand-in trainer.

Tests compare integers with ``==`` and floats through `assert_close`, whose tolerances are keyed by dtype here
and nowhere else. The generators (`rng`, `random_rac`, `random_inputs`, `random_partition`, `matrix_of_rank`)
take an explicit seed or generator; `FakeTrainer` stands in for `tnrnn.tasks.train.train` where a test checks
the wiring around training (the CLI, the results file) and not the training itself.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = [
    "TOLERANCES",
    "tolerance",
    "assert_close",
    "rng",
    "relative_error",
    "random_rac",
    "random_inputs",
    "random_partition",
    "matrix_of_rank",
    "flint_rank",
    "extension_matrix_of_rank",
    "flint_extension_rank",
    "FakeTrainer",
    "child_env",
    "sigint_as_in_a_terminal",
]

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


def child_env() -> dict:
    """The environment for a test's child Python: this process's, read now, with this checkout importable first.

    Read at call time, so a child sees what the test set (its private rank atlas ``TNRNN_ATLAS``, for one).
    """
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


@contextlib.contextmanager
def sigint_as_in_a_terminal():
    """Within the block, children start with SIGINT's default disposition, as from a terminal.

    A process started in the background by a non-interactive shell (``cmd &``, as a CI script may run the tests)
    has SIGINT ignored, its children inherit that, and Python then never raises `KeyboardInterrupt`; a test of
    Ctrl-C handling needs the disposition a program run from a terminal has. A handled signal is reset to its
    default at ``exec``, so the parent catches SIGINT for the block (main thread only; elsewhere nothing changes).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def random_rac(M: int, R: int, L: int, *, K: int = 1, seed: int = 0):
    """`tnrnn.rac.init_rac` with the key ``PRNGKey(seed)``: the random float RAC of the tests."""
    import jax

    from tnrnn.rac import init_rac

    return init_rac(M, R, L, key=jax.random.PRNGKey(seed), K=K)


def random_inputs(domain: str, M: int, T: int, *, seed: int = 1) -> np.ndarray:
    """``T`` inputs of width ``M``: one-hot rows of random symbols (``"onehot"``) or standard normals."""
    g = rng(seed)
    if domain == "onehot":
        return np.eye(M)[g.integers(0, M, size=T)]
    return g.normal(size=(T, M))


def random_partition(T: int, gen: np.random.Generator) -> tuple[list[int], list[int]]:
    """A random split of the times ``1..T`` into two non-empty sorted sides (``T >= 2``)."""
    perm = gen.permutation(np.arange(1, T + 1))
    k = int(gen.integers(1, T))
    return sorted(perm[:k].tolist()), sorted(perm[k:].tolist())


def matrix_of_rank(gen: np.random.Generator, n: int, m: int, r: int, p: int) -> np.ndarray:
    """A random ``n x m`` int64 matrix of rank ``r`` modulo ``p`` (generically), exact for ``r p^2 < 2^63``."""
    A = gen.integers(0, p, (n, r), dtype=np.int64)
    B = gen.integers(0, p, (r, m), dtype=np.int64)
    return (A @ B) % p


def flint_rank(A, p: int) -> int:
    """Rank of the integer matrix ``A`` modulo the prime ``p`` by FLINT: the reference the rank engines meet."""
    import flint

    A = np.mod(np.asarray(A).astype(np.int64), p)
    return flint.nmod_mat(A.shape[0], A.shape[1], A.ravel().tolist(), p).rank()


def extension_matrix_of_rank(gen: np.random.Generator, n: int, m: int, r: int, p: int) -> np.ndarray:
    """A random ``n x m`` matrix over ``GF(p^2) = F_p[i] / (i^2 + 1)`` of rank ``r`` (generically).

    complex128 with centred integer parts; exact for ``r p^2 < 2^63``.
    """
    A = gen.integers(0, p, (2, n, r))
    B = gen.integers(0, p, (2, r, m))
    re = (A[0] @ B[0] - A[1] @ B[1]) % p
    im = (A[0] @ B[1] + A[1] @ B[0]) % p
    return np.where(re > p // 2, re - p, re) + 1j * np.where(im > p // 2, im - p, im)


def flint_extension_rank(C, p: int) -> int:
    """Rank over ``GF(p^2)`` of the complex matrix ``C`` by FLINT: half the F_p rank of ``[[A0, -A1], [A1, A0]]``."""
    A0, A1 = np.rint(np.real(C)).astype(np.int64), np.rint(np.imag(C)).astype(np.int64)
    return flint_rank(np.block([[A0, -A1], [A1, A0]]), p) // 2


class FakeTrainer:
    """Stands in for `tnrnn.tasks.train.train`: no compilation, a record of the same format.

    Call ``k`` (from 0) reports test and validation accuracy ``(k % 5 + 5) / 10`` and loss ``1 - accuracy``, so
    runs differ and summaries have a spread. ``calls`` keeps ``(task settings, model depth, config)`` per call.
    `FakeTrainer.record` is the record's layout, which a test checks against the real trainer's.
    """

    def __init__(self):
        self.calls = []

    def record(self, task, config) -> dict:
        k = len(self.calls)
        acc = (k % 5 + 5) / 10
        metrics = {"loss": 1.0 - acc, "accuracy": acc}
        curves = {
            "step": [config.eval_every],
            "lr": [config.lr],
            "train_loss": [1.0],
            "val_loss": [1.0 - acc],
            "val_accuracy": [acc],
        }
        if task.per_step:
            metrics["data_accuracy"] = acc
            curves["val_data_accuracy"] = [acc]
        return {
            "curves": curves,
            "val": dict(metrics),
            "test": dict(metrics),
            "steps": config.eval_every,
            "best_step": config.eval_every,
            "decay_steps": [],
            "stop_reason": "max_steps",
            "wall_s": 0.0,
        }

    def __call__(self, task, model, config, *, key, progress=True, desc="", test=True):
        rec = self.record(task, config)
        if not test:
            rec["test"] = None
        self.calls.append((task.settings(), getattr(model, "depth", None), config))
        return model, rec
