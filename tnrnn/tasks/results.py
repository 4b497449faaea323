"""The results file of the memory experiments: its format, `save_results` and `load_results`.

Apart from `tnrnn.tasks.experiment` (which runs the sweeps and writes the file) so that readers of the file, the
plots of `tnrnn.plots.memory` among them, need neither the training code nor JAX's models. The names are
re-exported by `tnrnn.tasks.experiment` and `tnrnn.tasks`.
"""

from __future__ import annotations

import dataclasses

from tnrnn._io import atomic_write, load_json_results, strict_json

__all__ = ["READ_FORMATS", "RESULTS_FORMAT", "load_results", "save_results"]

RESULTS_FORMAT = "tnrnn-memory-experiment/2"
#: formats `load_results` reads (format 1 files have one budget, no tuning and no analysis)
READ_FORMATS = ("tnrnn-memory-experiment/1", RESULTS_FORMAT)


def save_results(results: dict, path) -> str:
    """Write ``results`` as strict JSON (indented, keys in insertion order); returns the path.

    The project's JSON policy (`tnrnn._io.jsonable`): never NaN or Infinity, so a non-finite number (the loss of a
    diverged run) is written as ``null`` and reads back as None; dataclasses become objects and numpy scalars and
    arrays Python numbers and lists. The file is written to a temporary name and renamed into place.
    """
    path = str(path)
    with atomic_write(path) as fh:
        fh.write(strict_json(_plain(results), indent=1) + "\n")
    return path


def load_results(source) -> dict:
    """A memory-experiment results dict from a path (format `READ_FORMATS`), or the dict itself, unchanged.

    The linear-RNN results (another format) are read by `tnrnn.linear.load_results`; both go through
    `tnrnn._io.load_json_results`.
    """
    return load_json_results(source, formats=READ_FORMATS, what="a memory-experiment results file")


def _plain(obj):
    """``obj`` with every dataclass replaced by its dict (`tnrnn._io.jsonable` does the rest)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj
