"""Stacked recurrent classifiers for the memory tasks, built from the cells' trainable forms.

Every cell answers its trainable form through the cell protocol (`tnrnn.cells.trainable`): the RAC and the
polynomial cells of `tnrnn.cells` (``bilinear``, ``mi``, ``quad``, ``linear``, trained through their own step), the
GRU (its float form, `tnrnn.cells.layers.GRUCell`), and the trainable-only ``rnn`` and ``scornn``
(`tnrnn.cells.float_rnn`). The layers, their initialisation and the RMS normalisation of the polynomial cells are
documented in `tnrnn.cells.layers` and `tnrnn.cells.scornn` (re-exported here).

`StackedRNN` runs ``depth`` layers per step (layer ``l`` reads layer ``l-1``'s state at the same step, as in
`tnrnn.rac` and the authors' ``MultiRNNCell``), scans over time with `jax.lax.scan`, and reads out the top state
linearly (with a bias when the cell's ``readout_bias`` says so). Inputs are integer symbols, one-hot encoded inside
the model.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from tnrnn._jax_types import Array
from tnrnn._types import ArgumentError, check_positive_int
from tnrnn.cells.layers import GRUCell, PolynomialCell, RACCell, RNNCell, normal
from tnrnn.cells.scornn import ScoRNNCell, cayley_grad, is_skew_leaf, modrelu, scaled_cayley
from tnrnn.cells.trainable import trainable_cell, trainable_cell_names

__all__ = [
    "CELLS",
    "POLYNOMIAL_CELLS",
    "RACCell",
    "PolynomialCell",
    "RNNCell",
    "GRUCell",
    "ScoRNNCell",
    "StackedRNN",
    "scaled_cayley",
    "cayley_grad",
    "modrelu",
    "is_skew_leaf",
    "init_model",
    "param_count",
    "count_leaves",
    "match_width",
]

#: the trainable cells (`tnrnn.cells.trainable_cell_names`) when this module was imported; `init_model` asks the
#: registry each time, so a cell registered later is trainable too
CELLS = trainable_cell_names()


#: the cells trained through their own step (`PolynomialCell`: those that define ``layer_init``) and whether each
#: is RMS-normalised, from the registry (kept for compatibility)
POLYNOMIAL_CELLS = {n: c.normalise for n in CELLS if "layer_init" in vars(c := trainable_cell(n))}


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class StackedRNN:
    """``depth`` stacked cells and a linear readout ``y^t = W_O h^{t,L} (+ b_O)``.

    Attributes
    ----------
    cells : tuple
        One cell per layer, bottom first.
    W_O : array ``(K, R)``
        Readout.
    b_O : array ``(K,)`` or None
        Readout bias (None for the RAC, as in the authors' code, and for the other polynomial cells).
    """

    cells: tuple
    W_O: Array
    b_O: Array | None

    @property
    def depth(self) -> int:
        return len(self.cells)

    @property
    def n_inputs(self) -> int:
        return self.cells[0].D

    def hidden_states(self, symbols: Array) -> Array:
        """Top-layer states ``h^{t,L}`` for one sequence of integer symbols ``(T,)``; shape ``(T, R)``."""
        dtype = self.W_O.dtype
        xs = jax.nn.one_hot(symbols, self.n_inputs, dtype=dtype)

        cells = tuple(cell.prepare() for cell in self.cells)  # scoRNN builds W once per sequence here

        def step(carry, x):
            new = []
            inp = x
            for cell, c in zip(cells, carry, strict=True):
                c, inp = cell(c, inp)
                new.append(c)
            return tuple(new), inp

        carry0 = tuple(cell.initial_carry() for cell in cells)
        _, hs = jax.lax.scan(step, carry0, xs)
        return hs

    def _readout(self, h: Array) -> Array:
        y = h @ self.W_O.T
        return y if self.b_O is None else y + self.b_O

    def outputs(self, symbols: Array) -> Array:
        """Logits at every step, ``(T, K)``, for one sequence ``(T,)``."""
        hs = self.hidden_states(symbols)
        y = hs @ self.W_O.T
        return y if self.b_O is None else y + self.b_O[None, :]

    def last_output(self, symbols: Array) -> Array:
        """Logits at the last step, ``(K,)``."""
        return self._readout(self.hidden_states(symbols)[-1])


def init_model(cell: str, *, n_inputs: int, n_classes: int, width: int, depth: int, key, dtype=jnp.float32):
    """A random `StackedRNN`.

    Parameters
    ----------
    cell : str
        A cell with a trainable form (`tnrnn.cells.trainable_cell_names`): ``rac``, ``bilinear``, ``mi``, ``quad``,
        ``linear`` (the polynomial cells of `tnrnn.cells`), ``gru`` (the float GRU), ``rnn``, ``scornn``.
    n_inputs, n_classes : int
        Alphabet size of the inputs (one-hot dimension) and number of output classes.
    width, depth : int
        Hidden channels per layer and number of layers.
    key : jax.Array
        PRNG key (keyword-only).
    dtype
        Parameter dtype (float32 by default, explicit so that x64 mode does not change training).
    """
    cls = trainable_cell(cell)
    width = check_positive_int("width", width)
    depth = check_positive_int("depth", depth)
    n_inputs = check_positive_int("n_inputs", n_inputs)
    n_classes = check_positive_int("n_classes", n_classes)
    keys = jax.random.split(key, depth + 1)
    cells = tuple(
        cls.trainable_layer(n_inputs if l == 0 else width, width, key=keys[l], dtype=dtype, first=l == 0)
        for l in range(depth)
    )
    W_O = normal(keys[depth], (n_classes, width), 1.0 / math.sqrt(width), dtype)
    b_O = jnp.zeros((n_classes,), dtype) if cls.readout_bias else None
    return StackedRNN(cells=cells, W_O=W_O, b_O=b_O)


def param_count(cell: str, *, n_inputs: int, n_classes: int, width: int, depth: int) -> int:
    """Number of trainable scalars of ``init_model(cell, ...)`` (closed form; `count_leaves` checks it).

    For scoRNN the skew-symmetric ``A`` counts its ``R (R - 1) / 2`` free entries (its leaf holds ``R²``).
    """
    cls = trainable_cell(cell)
    layers = cls.layer_param_count(n_inputs, width) + (depth - 1) * cls.layer_param_count(width, width)
    readout = n_classes * width + (n_classes if cls.readout_bias else 0)
    return layers + readout


def count_leaves(model) -> int:
    """Number of scalars in a pytree."""
    return sum(int(x.size) for x in jax.tree_util.tree_leaves(model))


def match_width(cell: str, depth: int, target: int, *, n_inputs: int, n_classes: int, max_width: int = 4096):
    """The width whose parameter count is closest to ``target`` for a model of ``depth`` layers.

    Ties go to the smaller width. Returns ``(width, count)``.
    """
    trainable_cell(cell)
    depth = check_positive_int("depth", depth)
    target = check_positive_int("params", target)
    best = None
    for R in range(1, max_width + 1):
        c = param_count(cell, n_inputs=n_inputs, n_classes=n_classes, width=R, depth=depth)
        if best is None or abs(c - target) < abs(best[1] - target):
            best = (R, c)
        if c > target:
            break
    if best[1] < 1 or best is None:  # pragma: no cover - counts are positive
        raise ArgumentError("params", target, "a positive parameter budget")
    return best
