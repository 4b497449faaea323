"""Type names shared by the JAX modules (`tnrnn.rac`, `tnrnn.tasks`, `tnrnn.linear`).

This module imports JAX, so the JAX-free modules (`tnrnn._types` and everything `tnrnn.network` needs) never
import it.
"""

from __future__ import annotations

import jax

__all__ = ["Array"]

#: the array type of every JAX function's arguments and results
Array = jax.Array
