"""Recurrent cells on one protocol (`Cell`), and the arithmetics their steps are written against.

Importing the cells loads neither numpy nor JAX; the arithmetics (numpy) load on first use, and the trainable layers
(`tnrnn.cells.layers`, `tnrnn.cells.scornn`; JAX) when a cell's trainable form is asked for.
"""

from tnrnn._lazy import lazy_names
from tnrnn.cells.base import (
    CELL_REGISTRY,
    Arithmetic,
    Cell,
    cell_identity,
    cell_names,
    cell_spec,
    jax_pytrees,
    make_cell,
    register_cell,
    register_params,
)
from tnrnn.cells.float_rnn import RNN, ScoRNN
from tnrnn.cells.gru import GRU
from tnrnn.cells.lstm import LSTM
from tnrnn.cells.polynomial import Bilinear, Linear, MultiplicativeIntegration, Quadratic
from tnrnn.cells.rac import RAC, Rac, rac_layer
from tnrnn.cells.report import bound_columns, bounds_report, cell_bounds_report, cell_upper_bounds
from tnrnn.cells.trainable import TrainableForm, trainable_cell, trainable_cell_names

__all__ = [
    "Cell",
    "Arithmetic",
    "register_cell",
    "register_params",
    "jax_pytrees",
    "make_cell",
    "cell_names",
    "cell_identity",
    "cell_spec",
    "CELL_REGISTRY",
    "TrainableForm",
    "trainable_cell",
    "trainable_cell_names",
    "Rac",
    "RAC",
    "rac_layer",
    "Bilinear",
    "MultiplicativeIntegration",
    "Quadratic",
    "Linear",
    "GRU",
    "LSTM",
    "RNN",
    "ScoRNN",
    "FloatArith",
    "NumpyModular",
    "ResidueArith",
    "DegreeArith",
    "bounds_report",
    "bound_columns",
    "cell_upper_bounds",
    "cell_bounds_report",
]

#: the arithmetics import numpy: loaded on first use (`__getattr__`), so that bounds and reports of cells stay light
_LAZY = dict.fromkeys(["DegreeArith", "FloatArith", "NumpyModular", "ResidueArith"], "tnrnn.cells.arith")

__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
