"""The results file of the memory experiments: its format, `save_results` and `load_results`.

Apart from `tnrnn.tasks.experiment` (which runs the sweeps and writes the file) so that readers of the file, the
plots of `tnrnn.plots.memory` among them, need neither the training code nor JAX's models. The names are
re-exported by `tnrnn.tasks.experiment` and `tnrnn.tasks`.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np

from tnrnn._io import atomic_write, load_json_results

__all__ = ["READ_FORMATS", "RESULTS_FORMAT", "load_results", "save_results"]

RESULTS_FORMAT = "tnrnn-memory-experiment/2"
#: formats `load_results` reads (format 1 files have one budget, no tuning and no analysis)
READ_FORMATS = ("tnrnn-memory-experiment/1", RESULTS_FORMAT)


def save_results(results: dict, path) -> str:
    """Write ``results`` as JSON (indented, keys in insertion order); returns the path."""
    path = str(path)
    with atomic_write(path) as fh:
        json.dump(results, fh, indent=1, allow_nan=True, default=_jsonable)
        fh.write("\n")
    return path


def load_results(source) -> dict:
    """A memory-experiment results dict from a path (format `READ_FORMATS`), or the dict itself, unchanged.

    The linear-RNN results (another format) are read by `tnrnn.linear.load_results`; both go through
    `tnrnn._io.load_json_results`.
    """
    return load_json_results(source, formats=READ_FORMATS, what="a memory-experiment results file")


def _jsonable(obj):
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and math.isnan(obj):  # pragma: no cover - json handles floats itself
        return None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
