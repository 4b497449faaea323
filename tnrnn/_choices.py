"""The named choices of the experiments, in one JAX-free place.

`tnrnn.tasks`, `tnrnn.linear` and the command line all read them here, so a bad value is refused before JAX is
imported and no list is written twice.
"""

from __future__ import annotations

__all__ = ["TASKS", "TRAIN_OPTIMIZERS", "LINEAR_PARTS", "PARAMETERISATIONS"]

#: the memory tasks of `tnrnn.tasks`
TASKS = ("copy", "ses")
#: the optimisers of `tnrnn.tasks.train`
TRAIN_OPTIMIZERS = ("adam", "rmsprop")
#: the parts of the linear-RNN experiment (`tnrnn.linear.experiments`), in the order they run
LINEAR_PARTS = ("ntk", "equivalence", "sweep", "sunspots")
#: the parameterisations of `tnrnn.linear.model`
PARAMETERISATIONS = ("ntk", "standard")
