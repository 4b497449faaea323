"""The size model of a memory experiment (tnrnn._experiment_sizes): per-layer sizes asked of the cell, no JAX."""

import subprocess
import sys

import pytest

from tnrnn._experiment_sizes import refuse_experiment_sizes
from tnrnn._types import ArgumentError
from tnrnn.cells import trainable_cell, trainable_cell_names

KW = {"sweep": "T", "values": [20], "depths": [2], "seeds": [0], "params": [3000], "n": 4, "M_c": 5}


def test_the_weights_are_sized_by_the_cells_layer_count():
    # bilinear layers hold R^3 scalars (order-3 cores): a width every R^2 cell trains is refused for it alone
    width = 1000
    assert trainable_cell("bilinear").layer_param_count(width, width) > 100 * trainable_cell("rac").layer_param_count(
        width, width
    )
    for name in trainable_cell_names():
        if name != "bilinear":
            refuse_experiment_sizes(name, width=width, **KW)
    with pytest.raises(ArgumentError) as exc:
        refuse_experiment_sizes("bilinear", width=width, **KW)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("width=1000") and "weights and optimizer state" in msg
    assert f"2 x {width**3} entries" in msg  # depth 2 x the cell's layer count


def test_loops_and_cells_are_checked():
    with pytest.raises(ArgumentError, match="seeds="):
        refuse_experiment_sizes("rac", **{**KW, "seeds": list(range(10**4)), "depths": list(range(1, 10**3))})
    with pytest.raises(ArgumentError, match="cell='lstm'"):
        refuse_experiment_sizes("lstm", **KW)


def test_it_imports_no_jax():
    call = f"s.refuse_experiment_sizes('gru', **{KW!r})"
    code = f"import sys, tnrnn._experiment_sizes as s; {call}; assert 'jax' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
