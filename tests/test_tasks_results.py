"""Tests of tnrnn.tasks.results: the results file (strict JSON, its reader)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.tasks import (
    load_results,
    save_results,
)


def test_load_results_rejects_other_files(tmp_path):
    p = tmp_path / "other.json"
    p.write_text('{"rows": []}')
    with pytest.raises(ArgumentError):
        load_results(p)


def test_save_results_writes_strict_json_nan_as_null(tmp_path):
    """The project's JSON policy: no NaN or Infinity in a results file; a non-finite number becomes null."""
    import dataclasses as dc

    @dc.dataclass
    class Conf:
        lr: float

    from tnrnn.tasks.results import RESULTS_FORMAT

    res = {"format": RESULTS_FORMAT, "loss": float("nan"), "inf": [np.float32("inf"), 1.5], "config": Conf(0.1)}
    path = save_results(res, tmp_path / "r.json")
    text = open(path).read()
    assert "NaN" not in text and "Infinity" not in text
    back = json.loads(text)  # strict: what allow_nan=False parsers read too
    assert back["loss"] is None and back["inf"] == [None, 1.5] and back["config"] == {"lr": 0.1}
    assert load_results(path) == back
