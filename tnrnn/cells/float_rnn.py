"""Trainable-only cells: the tanh RNN (``rnn``) and scoRNN (``scornn``), baselines of the memory experiments.

Their steps are not polynomials (tanh, modReLU), so they have no exact separation rank (``exact_rank = False``):
they are in `tnrnn.cells.CELL_REGISTRY` for their trainable form only (`tnrnn.cells.trainable`), and every rank,
bound, sweep or atlas request refuses them (`tnrnn.cells.make_cell`). Their layers are
`tnrnn.cells.layers.RNNCell` and `tnrnn.cells.scornn.ScoRNNCell`; both read out with a bias.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from tnrnn.cells.base import Cell, register_cell

__all__ = ["RNN", "ScoRNN"]


class _FloatOnly(Cell):
    """A cell with a trainable form and no exact rank (nothing to compute with an arithmetic)."""

    trainable = True
    exact_rank = False
    readout_bias = True

    def param_shapes(self) -> dict:
        shapes = {k: tuple(s for _ in range(self.L)) for k, s in self.layer_param_shapes(self.R, self.R).items()}
        for k, s in self.layer_param_shapes(self.M, self.R).items():
            shapes[k] = (s, *shapes[k][1:])
        return {**shapes, "W_O": (self.K, self.R)}


@register_cell
@dataclasses.dataclass(frozen=True)
class RNN(_FloatOnly):
    """The tanh RNN, ``h^{t,l} = tanh(W_H h^{t-1,l} + W_I h^{t,l-1} + b)``, ``h^{0,l} = 0`` (training only)."""

    name = "rnn"
    first_step = "h^{0,l} = 0"

    @classmethod
    def layer_param_shapes(cls, D: int, R: int) -> dict[str, tuple[int, ...]]:
        return {"W_I": (R, D), "W_H": (R, R), "b": (R,)}

    @classmethod
    def trainable_layer(cls, D: int, R: int, *, key, dtype=None, first: bool = True):
        """`tnrnn.cells.layers.RNNCell`: ``W_I ~ N(0, 1/D)``, ``W_H`` orthogonal, ``b = 0``."""
        from tnrnn.cells.layers import RNNCell

        return RNNCell.init(D, R, key=key, **({} if dtype is None else {"dtype": dtype}))


@register_cell
@dataclasses.dataclass(frozen=True)
class ScoRNN(_FloatOnly):
    """scoRNN, ``h^{t,l} = modReLU(W h^{t-1,l} + U h^{t,l-1}, b)``, ``W`` a scaled Cayley transform (training only).

    Its layer is `tnrnn.cells.scornn.ScoRNNCell`.
    """

    name = "scornn"
    first_step = "h^{0,l} = 0"
    #: the authors' optimizer and rates (``A`` has its own, `tnrnn.tasks.TrainConfig.lr_A`)
    train_defaults: ClassVar[dict] = {"optimizer": "rmsprop", "lr": 1e-3, "lr_A": 1e-4}

    @classmethod
    def layer_param_shapes(cls, D: int, R: int) -> dict[str, tuple[int, ...]]:
        return {"A": (R, R), "U": (R, D), "b": (R,)}

    @classmethod
    def layer_param_count(cls, D: int, R: int) -> int:
        """Free parameters: ``R (R - 1) / 2`` in the skew-symmetric ``A``, ``R D`` in ``U``, ``R`` in ``b``."""
        return R * (R - 1) // 2 + R * D + R

    @classmethod
    def trainable_layer(cls, D: int, R: int, *, key, dtype=None, first: bool = True):
        """`tnrnn.cells.scornn.ScoRNNCell` with the authors' initialisation."""
        from tnrnn.cells.scornn import ScoRNNCell

        return ScoRNNCell.init(D, R, key=key, **({} if dtype is None else {"dtype": dtype}))
