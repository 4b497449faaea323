"""Tests of tnrnn.linear.experiments (settings, results): refusals before any work."""

from __future__ import annotations

import os

import pytest

from tnrnn import ArgumentError


def test_run_linear_experiments_refuses_empty_parts_and_bad_out(tmp_path):
    from tnrnn.linear.experiments import run_linear_experiments

    with pytest.raises(ArgumentError) as info:
        run_linear_experiments(str(tmp_path), parts=[])
    assert info.value.name == "parts"
    (tmp_path / "f").write_text("")
    with pytest.raises(ArgumentError) as info:
        run_linear_experiments(str(tmp_path / "f"), quick=True, parts=["ntk"])
    assert info.value.name == "out_dir"
    with pytest.raises(ArgumentError) as info:
        run_linear_experiments(str(tmp_path), quick=True, parts=["ntk"], filename="../x.json")
    assert info.value.name == "filename"
    assert os.listdir(tmp_path) == ["f"]
