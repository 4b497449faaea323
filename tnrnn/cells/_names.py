"""The cell registry (`tnrnn.cells.CELL_REGISTRY`), in a module of its own.

`tnrnn.cells.base` fills and reads it; the trainable layers (`tnrnn.cells.layers`) and `tnrnn.cells.trainable` read
it without importing the protocol that asks for them.
"""

from __future__ import annotations

from tnrnn._registry import Registry

__all__ = ["CELL_REGISTRY"]

#: name -> cell class, filled by `tnrnn.cells.register_cell`
CELL_REGISTRY: Registry[type] = Registry("cell")
