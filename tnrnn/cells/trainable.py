"""The trainable form of a cell: what `tnrnn.tasks` trains, asked of the cell (the layer protocol).

Every cell class answers, through `TrainableForm` (a base of `tnrnn.cells.Cell`)::

    trainable                                   class attribute: whether the cell has a trainable form
    exact_rank                                  class attribute: whether the rank engine can measure it
    readout_bias                                class attribute: whether the trained readout is W_O h + b_O
    trainable_layer(D, R, *, key, dtype, first) one random trainable layer (a JAX pytree, one time step per call)
    layer_param_shapes(D, R)                    {name: shape} of one layer's trainable arrays (no JAX)
    layer_param_count(D, R)                     its number of trainable scalars (no JAX)

A layer is an immutable pytree with ``D`` (its input size), ``R`` (its state size), ``prepare()`` (the step as
used inside the time scan), ``initial_carry()`` and ``__call__(carry, x) -> (carry, h)``; `tnrnn.tasks.StackedRNN`
stacks them. The default form is the cell's own ``step`` for one layer (`tnrnn.cells.layers.PolynomialCell`),
started from the arrays `layer_init` draws; the RAC, the GRU and the trainable-only cells (``rnn``, ``scornn``,
`tnrnn.cells.float_rnn`) override `trainable_layer`. Cells without an exact rank (``exact_rank = False``) are in
`tnrnn.cells.CELL_REGISTRY` for training only: `tnrnn.cells.make_cell` (so every rank, bound, sweep and atlas
request) refuses them, and `tnrnn.cells.cell_names` does not list them.

This module imports neither numpy nor JAX; the layers (`tnrnn.cells.layers`) load JAX when one is made.
"""

from __future__ import annotations

import math
from typing import ClassVar

from tnrnn._types import ArgumentError

__all__ = ["TrainableForm", "trainable_cell", "trainable_cell_names"]


class TrainableForm:
    """The trainable-form half of the cell protocol (module docstring); a base class of `tnrnn.cells.Cell`.

    Attributes
    ----------
    trainable : bool
        Whether `tnrnn.tasks` can train the cell (class attribute; default False).
    exact_rank : bool
        Whether the cell's separation rank can be computed exactly (class attribute; default True). False for
        cells whose step is not a polynomial (tanh, modReLU): they exist for training only.
    readout_bias : bool
        Whether the trained readout has a bias, ``y = W_O h + b_O`` (class attribute; default False: the
        polynomial cells' ``y = W^O h``, the authors' RAC).
    normalise : bool
        Whether the default trainable layer RMS-normalises every new state (class attribute; see
        `tnrnn.cells.layers`).
    train_defaults : dict
        Training settings (`tnrnn.tasks.TrainConfig` fields) the cell is trained with when a preset names no
        optimizer (class attribute; default none: scoRNN's are the authors' RMSprop rates).
    """

    name: ClassVar[str]
    trainable: ClassVar[bool] = False
    exact_rank: ClassVar[bool] = True
    readout_bias: ClassVar[bool] = False
    normalise: ClassVar[bool] = False
    train_defaults: ClassVar[dict] = {}

    @classmethod
    def trainable_layer(cls, D: int, R: int, *, key, dtype=None, first: bool = True):
        """One random trainable layer with ``D`` inputs and ``R`` channels (``first``: the bottom layer).

        The default runs the cell's own ``step`` for one layer (`tnrnn.cells.layers.PolynomialCell`) from the
        arrays of `layer_init`.
        """
        check_trainable(cls)
        from tnrnn.cells.layers import PolynomialCell

        return PolynomialCell.init(cls.name, D, R, key=key, dtype=dtype, first=first)

    @classmethod
    def layer_init(cls, D: int, R: int, start) -> dict:
        """The float32 arrays one default trainable layer starts from, named as in `layer_param_shapes`.

        ``start`` (`tnrnn.cells.layers.LayerStart`) holds the RAC's start (``W_H`` orthogonal, ``W_I_rac``),
        a Gaussian ``W_I_normal`` ``N(0, 1/D)`` and a key for further draws. Override it with `trainable` = True.
        """
        raise NotImplementedError(f"the {cls.name!r} cell has no trainable initialisation")

    @classmethod
    def layer_param_shapes(cls, D: int, R: int) -> dict[str, tuple[int, ...]]:
        """Shapes of one trainable layer's arrays (default: ``param_shapes`` of ``(D, R, 1)`` without ``W_O``)."""
        shapes = cls(D, R, 1).param_shapes()
        return {k: (v[0] if v and isinstance(v[0], tuple) else v) for k, v in shapes.items() if k != "W_O"}

    @classmethod
    def layer_param_count(cls, D: int, R: int) -> int:
        """Trainable scalars of one layer (default: the sizes of `layer_param_shapes`)."""
        return sum(math.prod(s) for s in cls.layer_param_shapes(D, R).values())


def check_trainable(cls) -> None:
    """`ArgumentError` naming the cell and the trainable cells if ``cls`` has no trainable form."""
    if not getattr(cls, "trainable", False):
        raise ArgumentError("cell", cls.name, "a trainable cell: one of " + _listing(trainable_cell_names()))


def _listing(names) -> str:
    return ", ".join(repr(n) for n in names)


def trainable_cell_names() -> tuple[str, ...]:
    """Names of the registered cells that have a trainable form (`TrainableForm.trainable`).

    The cells `tnrnn.tasks.init_model` and ``tnrnn experiment --cell`` accept; those with an exact rank first, each
    group sorted.
    """
    from tnrnn.cells._names import CELL_REGISTRY

    names = CELL_REGISTRY.where(lambda cls: getattr(cls, "trainable", False))
    return tuple(sorted(names, key=lambda n: (not CELL_REGISTRY[n].exact_rank, n)))


def trainable_cell(name) -> type:
    """The registered cell class ``name`` if it has a trainable form; a one-line `ArgumentError` otherwise."""
    from tnrnn.cells._names import CELL_REGISTRY

    names = trainable_cell_names()
    if not isinstance(name, str) or name not in names:
        raise ArgumentError("cell", name, "one of " + _listing(names))
    return CELL_REGISTRY[name]
