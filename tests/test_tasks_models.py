"""Tests of tnrnn.tasks.models: parameter counts, width matching and the stacked RAC."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn.tasks import (
    count_leaves,
    init_model,
    match_width,
    param_count,
)
from tnrnn.testing import assert_close

# --- models -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rac", "rnn", "gru"])
@pytest.mark.parametrize("depth", [1, 3])
def test_param_count_closed_form_equals_leaves(cell, depth):
    model = init_model(cell, n_inputs=6, n_classes=3, width=7, depth=depth, key=jax.random.key(0))
    assert count_leaves(model) == param_count(cell, n_inputs=6, n_classes=3, width=7, depth=depth)
    assert model.depth == depth
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(model))


@pytest.mark.parametrize("cell", ["rac", "rnn", "gru"])
def test_match_width_is_the_closest_count(cell):
    target = 3000
    for depth in (1, 2, 3, 4):
        R, count = match_width(cell, depth, target, n_inputs=6, n_classes=6)
        assert count == param_count(cell, n_inputs=6, n_classes=6, width=R, depth=depth)
        neighbours = [param_count(cell, n_inputs=6, n_classes=6, width=r, depth=depth) for r in (R - 1, R + 1)]
        assert all(abs(count - target) <= abs(c - target) for c in neighbours)
        # widths in this range move the count by a few percent at most
        assert abs(count - target) / target < 0.08


def test_rac_cell_is_the_normalised_rac():
    """The normalised RAC's top state is the raw RAC's (tnrnn.rac) divided by a positive scalar."""
    from tnrnn.rac import RAC, initial_carry, rac_step

    model = init_model("rac", n_inputs=4, n_classes=3, width=5, depth=2, key=jax.random.key(3))
    raw = RAC(
        W_I=tuple(c.W_I.astype(jnp.float64) for c in model.cells),
        W_H=tuple(c.W_H.astype(jnp.float64) for c in model.cells),
        W_O=model.W_O.astype(jnp.float64),
    )
    symbols = jnp.array([0, 3, 1, 1, 2, 0], jnp.int32)
    hs = np.asarray(model.hidden_states(symbols), np.float64)
    carry = initial_carry(raw)
    for t, s in enumerate(np.asarray(symbols)):
        carry, h = rac_step(raw, carry, jax.nn.one_hot(s, 4, dtype=jnp.float64))
        h = np.asarray(h)
        ratio = h / hs[t]
        assert np.all(ratio > 0)
        assert_close(ratio / ratio[0], np.ones(5), dtype=np.float32)
