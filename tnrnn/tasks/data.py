"""Data for the two memory tasks: Copying Memory and Start-End Similarity (SES).

Both generators are vectorised JAX functions of a PRNG ``key`` (keyword-only), jit-compiled once per set of sizes
(the sizes are static), so a call outside the training loop costs one compilation, and the training loop draws a
fresh batch inside its own jit-compiled step. Symbols are integers (``int32``); the models one-hot encode them.

Protocols follow the authors' public code (user guide 'Memory experiments', sections 'Copying Memory' and
'Start-End Similarity').

Copying Memory
    Alphabet: ``n`` data symbols ``0..n-1``, blank ``n``, recall marker ``n+1`` (``n + 2`` classes in and out).
    Input: ``M_c`` random data symbols, ``B`` blanks, the marker, ``M_c - 1`` blanks, so ``T = 2 M_c + B``.
    Target: ``M_c + B`` blanks, then the ``M_c`` data symbols. Output at every step.
Start-End Similarity
    Alphabet: ``n`` data symbols plus blank ``n`` (``n + 1`` input classes; the blank is unused when
    ``m = T/2``). Two words of ``m`` symbols start at the same offset ``pos`` of each half of a length-``T``
    sequence; the number of matching positions is ``round(k m / C)`` with ``k ~ U{0..C}``; a non-matching
    position of the second word takes a *different* symbol, uniform over the other ``n - 1``. Label
    ``round(C · matches / m)`` in ``{0..C}``; output at the last step only.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp

from tnrnn._types import ArgumentError, check_positive_int

__all__ = [
    "CopyTask",
    "SESTask",
    "copying_memory_batch",
    "ses_batch",
    "copy_baselines",
    "ses_baselines",
    "make_task",
    "TASKS",
]

from tnrnn._choices import TASKS  # noqa: E402 - one definition, JAX-free

_INT = jnp.int32


def _check_task_int(name, value, minimum):
    return check_positive_int(name, value, minimum=minimum)


@dataclasses.dataclass(frozen=True)
class CopyTask:
    """Copying Memory with ``n`` data symbols, ``M_c`` symbols to memorise and delay ``B``.

    Attributes
    ----------
    n : int
        Number of data symbols (``>= 2``).
    M_c : int
        Number of symbols to memorise (``>= 1``).
    B : int
        Delay (``>= 0``); ``T = 2 M_c + B``.
    """

    n: int
    M_c: int
    B: int

    name = "copy"
    per_step = True

    def __post_init__(self):
        _check_task_int("n", self.n, 2)
        _check_task_int("M_c", self.M_c, 1)
        _check_task_int("B", self.B, 0)

    @property
    def T(self) -> int:
        return 2 * self.M_c + self.B

    @property
    def n_inputs(self) -> int:
        return self.n + 2

    @property
    def n_classes(self) -> int:
        return self.n + 2

    def sample(self, batch: int, *, key):
        """``(inputs, targets)``, both ``int32`` of shape ``(batch, T)``; see `copying_memory_batch`."""
        return copying_memory_batch(batch, n=self.n, M_c=self.M_c, B=self.B, key=key)

    def baselines(self) -> dict:
        return copy_baselines(self.n, self.M_c, self.B)

    def settings(self) -> dict:
        return {"task": "copy", "n": self.n, "M_c": self.M_c, "B": self.B, "T": self.T}


@dataclasses.dataclass(frozen=True)
class SESTask:
    """Start-End Similarity: ``n`` data symbols, words of ``m`` symbols, length ``T``, ``C + 1`` classes.

    Attributes
    ----------
    n : int
        Number of data symbols (``>= 2``, so that a differing position can take a different symbol).
    m : int
        Word length, ``2 <= m <= T/2``.
    T : int
        Sequence length, even.
    C : int
        Number of similarity levels minus one (labels ``0..C``); the authors use ``C = 2``.
    """

    n: int
    m: int
    T: int
    C: int = 2

    name = "ses"
    per_step = False

    def __post_init__(self):
        _check_task_int("n", self.n, 2)
        _check_task_int("C", self.C, 1)
        _check_task_int("T", self.T, 4)
        if self.T % 2:
            raise ArgumentError("T", self.T, "an even integer (two halves of T/2 steps)")
        _check_task_int("m", self.m, 2)
        if self.m > self.T // 2:
            raise ArgumentError("m", self.m, f"a word length 2 <= m <= T/2 = {self.T // 2} (T={self.T})")

    @property
    def n_inputs(self) -> int:
        return self.n + 1

    @property
    def n_classes(self) -> int:
        return self.C + 1

    def sample(self, batch: int, *, key):
        """``(inputs, labels)``: ``int32`` of shapes ``(batch, T)`` and ``(batch,)``; see `ses_batch`."""
        x, y, _ = ses_batch(batch, n=self.n, m=self.m, T=self.T, C=self.C, key=key)
        return x, y

    def baselines(self) -> dict:
        return ses_baselines(self.C)

    def settings(self) -> dict:
        return {"task": "ses", "n": self.n, "m": self.m, "T": self.T, "C": self.C}


def make_task(task: str, **settings):
    """Build a task by name: ``"copy"`` (`CopyTask`) or ``"ses"`` (`SESTask`)."""
    if task == "copy":
        return CopyTask(**settings)
    if task == "ses":
        return SESTask(**settings)
    raise ArgumentError("task", task, "one of " + ", ".join(repr(t) for t in TASKS))


def copying_memory_batch(batch: int, *, n: int, M_c: int, B: int, key):
    """A batch of Copying Memory sequences.

    Parameters
    ----------
    batch : int
        Number of sequences.
    n, M_c, B : int
        Data symbols, symbols to memorise, delay.
    key : jax.Array
        PRNG key.

    Returns
    -------
    inputs, targets : int32 arrays of shape ``(batch, 2 M_c + B)``
        Blank is ``n``, the recall marker ``n + 1``.
    """
    return _copying_memory_batch(batch, n=n, M_c=M_c, B=B, key=key)


@functools.partial(jax.jit, static_argnames=("batch", "n", "M_c", "B"))
def _copying_memory_batch(batch, *, n, M_c, B, key):
    data = jax.random.randint(key, (batch, M_c), 0, n, dtype=_INT)
    blank, marker = n, n + 1
    inputs = jnp.concatenate(
        [
            data,
            jnp.full((batch, B), blank, _INT),
            jnp.full((batch, 1), marker, _INT),
            jnp.full((batch, M_c - 1), blank, _INT),
        ],
        axis=1,
    )
    targets = jnp.concatenate([jnp.full((batch, M_c + B), blank, _INT), data], axis=1)
    return inputs, targets


def ses_batch(batch: int, *, n: int, m: int, T: int, C: int = 2, key):
    """A batch of Start-End Similarity sequences.

    Parameters
    ----------
    batch : int
        Number of sequences.
    n, m, T, C : int
        Data symbols, word length, sequence length (even), similarity levels minus one.
    key : jax.Array
        PRNG key.

    Returns
    -------
    inputs : int32 array ``(batch, T)``
        Blank is ``n``.
    labels : int32 array ``(batch,)``
        ``round(C · matches / m)``.
    matches : int32 array ``(batch,)``
        Number of positions where the two words agree (``round(k m / C)``, ``k ~ U{0..C}``).

    Notes
    -----
    The offset ``pos`` is uniform over every placement, ``0 <= pos <= T/2 - m``; the authors' code draws
    ``pos`` in ``[0, T/2 - m)`` (the last placement is never used there). Rounding is half-to-even, as
    numpy's.
    """
    return _ses_batch(batch, n=n, m=m, T=T, C=C, key=key)


@functools.partial(jax.jit, static_argnames=("batch", "n", "m", "T", "C"))
def _ses_batch(batch, *, n, m, T, C, key):
    half = T // 2
    k_k, k_perm, k_w, k_shift, k_pos = jax.random.split(key, 5)
    k = jax.random.randint(k_k, (batch,), 0, C + 1, dtype=_INT)
    n_match = jnp.round(k.astype(jnp.float32) * (m / C)).astype(_INT)
    # a uniformly random set of n_match positions: the ranks of i.i.d. uniforms form a random permutation
    ranks = jnp.argsort(jax.random.uniform(k_perm, (batch, m), jnp.float32), axis=1).argsort(axis=1)
    match = ranks < n_match[:, None]
    w1 = jax.random.randint(k_w, (batch, m), 0, n, dtype=_INT)
    shift = jax.random.randint(k_shift, (batch, m), 1, n, dtype=_INT)  # a different symbol, uniform over n-1
    w2 = jnp.where(match, w1, (w1 + shift) % n)
    pos = jax.random.randint(k_pos, (batch,), 0, half - m + 1, dtype=_INT)
    rows = jnp.broadcast_to(jnp.arange(batch, dtype=_INT)[:, None], (batch, m))
    cols = pos[:, None] + jnp.arange(m, dtype=_INT)[None, :]
    x = jnp.full((batch, T), n, _INT)
    x = x.at[rows, cols].set(w1).at[rows, cols + half].set(w2)
    matches = jnp.sum(w1 == w2, axis=1, dtype=_INT)
    labels = jnp.round(matches.astype(jnp.float32) * (C / m)).astype(_INT)
    return x, labels, matches


def copy_baselines(n: int, M_c: int, B: int) -> dict:
    """The memoryless strategy for Copying Memory (user guide 'Memory experiments', section 'Copying Memory').

    Predict blank everywhere except the last ``M_c`` steps, where the ``n`` data symbols are equally likely:
    loss ``M_c ln(n) / T``, accuracy ``(M_c + B + M_c/n) / T``, data accuracy ``1/n``.
    """
    T = 2 * M_c + B
    return {
        "loss": M_c * math.log(n) / T,
        "accuracy": (M_c + B + M_c / n) / T,
        "data_accuracy": 1.0 / n,
    }


def ses_baselines(C: int = 2) -> dict:
    """Chance for SES: labels are uniform over ``C + 1`` classes, so accuracy ``1/(C+1)``, loss ``ln(C+1)``."""
    return {"loss": math.log(C + 1), "accuracy": 1.0 / (C + 1)}
