"""Recurrent cells on one protocol (`Cell`), and the arithmetics their steps are written against."""

from tnrnn.cells.arith import DegreeArith, FloatArith, NumpyModular, ResidueArith
from tnrnn.cells.base import (
    CELL_REGISTRY,
    Cell,
    cell_identity,
    cell_names,
    jax_pytrees,
    make_cell,
    register_cell,
    register_params,
)
from tnrnn.cells.polynomial import Bilinear, Linear, MultiplicativeIntegration, Quadratic
from tnrnn.cells.rac import RAC, Rac, rac_layer
from tnrnn.cells.report import cell_bounds_report, cell_upper_bounds

__all__ = [
    "Cell",
    "register_cell",
    "register_params",
    "jax_pytrees",
    "make_cell",
    "cell_names",
    "cell_identity",
    "CELL_REGISTRY",
    "Rac",
    "RAC",
    "rac_layer",
    "Bilinear",
    "MultiplicativeIntegration",
    "Quadratic",
    "Linear",
    "FloatArith",
    "NumpyModular",
    "ResidueArith",
    "DegreeArith",
    "cell_upper_bounds",
    "cell_bounds_report",
]
