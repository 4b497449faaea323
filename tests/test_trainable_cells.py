"""Trainable polynomial cells for the memory tasks (tnrnn.tasks.models.PolynomialCell): the cells' own step."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn._types import ArgumentError
from tnrnn.cells import layers as cell_layers
from tnrnn.cells import make_cell
from tnrnn.tasks.models import (
    CELLS,
    POLYNOMIAL_CELLS,
    PolynomialCell,
    count_leaves,
    init_model,
    match_width,
    param_count,
)

NEW = sorted(POLYNOMIAL_CELLS)  # bilinear, linear, mi, quad
M, K, W = 3, 2, 4  # alphabet size (one-hot inputs), classes and width: one set of shapes keeps compilations few


def _raw(model):
    """The model with the normalisation hook of the polynomial cells off."""
    cells = tuple(dataclasses.replace(c, normalise=False) if isinstance(c, PolynomialCell) else c for c in model.cells)
    return dataclasses.replace(model, cells=cells)


def _layer_params(cell, model):
    """Per-layer float64 numpy parameters of a stacked model, by name."""
    if cell == "rac":
        return [{"W_I": np.asarray(c.W_I, np.float64), "W_H": np.asarray(c.W_H, np.float64)} for c in model.cells]
    return [{k: np.asarray(v[0], np.float64) for k, v in c.params.items()} for c in model.cells]


def _reference(cell, layers, W_O, symbols):
    """The cells' definitions written out directly (the issue's table), float64: ``W^O h^{T,L}``."""
    R = W_O.shape[1]
    state = [np.ones(R) if cell == "bilinear" else np.zeros(R) for _ in layers]
    for t, s in enumerate(symbols):
        v = np.eye(M)[s]
        for l, p in enumerate(layers):
            u = state[l]
            if cell == "rac":
                h = (p["W_H"] @ u if t > 0 else np.ones(R)) * (p["W_I"] @ v)
            elif cell == "bilinear":
                h = np.einsum("rij,i,j->r", p["A"], u, v)
            elif cell == "mi":
                a, c = p["W_H"] @ u, p["W_I"] @ v
                h = p["alpha"] * a * c + p["beta1"] * a + p["beta2"] * c + p["b"]
            elif cell == "quad":
                h = (p["W_H"] @ u + p["W_I"] @ v + p["b"]) ** 2
            else:
                h = p["W_H"] @ u + p["W_I"] @ v
            state[l] = v = h
    return W_O @ v


@pytest.mark.parametrize("cell", ["rac", *NEW])
@pytest.mark.parametrize("depth", [1, 2])
def test_trainable_model_is_the_cells_forward_pass(cell, depth, monkeypatch):
    if cell == "rac":  # the RAC's hook is fixed in its step: switch it off here (the new cells' is a field)
        monkeypatch.setattr(cell_layers, "rms_normalise", lambda v: v)
    model = _raw(init_model(cell, n_inputs=M, n_classes=K, width=W, depth=depth, key=jax.random.key(7)))
    symbols = np.array([0, 2, 1, 1, 0, 2])
    got = np.asarray(model.last_output(jnp.asarray(symbols)), np.float64)
    layers, W_O = _layer_params(cell, model), np.asarray(model.W_O, np.float64)
    want = _reference(cell, layers, W_O, symbols)
    scale = np.abs(want).max()
    assert np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale), (got, want)
    # and the protocol's own float forward pass of the depth-L cell, with the layers' parameters stacked
    proto = make_cell(cell, M, W, depth, K)
    stacked = {k: tuple(p[k] for p in layers) for k in layers[0]}
    fwd = proto.forward(proto.make_params(**stacked, W_O=W_O), np.eye(M)[symbols])
    assert np.allclose(got, fwd, rtol=1e-4, atol=1e-4 * scale)


def test_a_normalised_bilinear_state_is_the_raw_state_rescaled():
    """Bilinear in (u, v), like the RAC: the RMS hook divides every state by a positive scalar only."""
    model = init_model("bilinear", n_inputs=M, n_classes=K, width=W, depth=2, key=jax.random.key(3))
    symbols = jnp.array([0, 2, 1, 1, 2, 0])
    hs = np.asarray(model.hidden_states(symbols), np.float64)
    raw = np.asarray(_raw(model).hidden_states(symbols), np.float64)
    ratio = raw / hs
    assert np.all(ratio > 0)
    assert np.allclose(ratio / ratio[:, :1], 1.0, rtol=1e-3)
    assert np.allclose(np.sqrt(np.mean(hs**2, axis=1)), 1.0, rtol=1e-3)  # and the hook did act


@pytest.mark.parametrize("cell", NEW)
def test_gradients_are_finite_over_long_sequences(cell):
    model = init_model(cell, n_inputs=M, n_classes=K, width=W, depth=2, key=jax.random.key(0))
    xs = jax.random.randint(jax.random.key(1), (4, 60), 0, M)
    y = jnp.array([0, 1, 1, 0])

    def loss(m):
        logits = jax.vmap(m.last_output)(xs)
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(4), y])

    value, grads = jax.jit(jax.value_and_grad(loss))(model)
    leaves = jax.tree_util.tree_leaves(grads)
    assert np.isfinite(float(value))
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert sum(float(jnp.sum(g * g)) for g in leaves) > 0


def test_the_squared_cell_overflows_without_its_normalisation():
    """Why ``quad`` is normalised: its degree doubles at every step, so float32 states leave range quickly."""
    model = init_model("quad", n_inputs=M, n_classes=K, width=W, depth=1, key=jax.random.key(0))
    hs = np.asarray(_raw(model).hidden_states(jnp.zeros(60, jnp.int32)))
    top = np.abs(hs[-1])
    assert not np.all(np.isfinite(top)) or top.max() > 1e30 or top.max() < 1e-30
    assert np.all(np.isfinite(np.asarray(model.hidden_states(jnp.zeros(60, jnp.int32)))))


#: parameters of one layer (input size D, width R) from the cells' definitions
LAYER_PARAMS = {
    "bilinear": lambda D, R: R * R * D,
    "mi": lambda D, R: R * R + R * D + 4 * R,
    "quad": lambda D, R: R * R + R * D + R,
    "linear": lambda D, R: R * R + R * D,
}


@pytest.mark.parametrize("cell", NEW)
@pytest.mark.parametrize("depth", [1, 3])
def test_param_count_and_width_sizing(cell, depth):
    model = init_model(cell, n_inputs=M, n_classes=K, width=W, depth=depth, key=jax.random.key(0))
    closed = LAYER_PARAMS[cell](M, W) + (depth - 1) * LAYER_PARAMS[cell](W, W) + K * W  # no readout bias
    assert count_leaves(model) == param_count(cell, n_inputs=M, n_classes=K, width=W, depth=depth) == closed
    assert model.b_O is None and model.n_inputs == M
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(model))
    R, count = match_width(cell, depth, 2000, n_inputs=M, n_classes=K)
    assert count == param_count(cell, n_inputs=M, n_classes=K, width=R, depth=depth)
    neighbours = [param_count(cell, n_inputs=M, n_classes=K, width=r, depth=depth) for r in (R - 1, R + 1)]
    assert all(abs(count - 2000) <= abs(c - 2000) for c in neighbours)


@pytest.mark.parametrize("cell", NEW)
def test_cli_quick_experiment_trains_and_tunes_each_cell(cell, tmp_path, capsys):
    from tnrnn.cli import main
    from tnrnn.tasks import load_results, make_task

    argv = (
        f"experiment ses --cell {cell} --T 4 --m 2 --n 2 --depths 1 --seeds 0 --params 60 --batch 4 --steps 2 "
        "--lr-grid 1e-3,1e-2 --pilot-steps 2 --pilot-seeds 1000 --quick --no-progress --json"
    )
    rc = main([*argv.split(), "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    res = load_results(json.loads(out)["path"])
    assert res["cell"] == cell and len(res["runs"]) == 1
    (mdl,) = res["models"]
    task = make_task("ses", n=2, m=2, T=4)
    sizes = {"n_inputs": task.n_inputs, "n_classes": task.n_classes}
    assert (mdl["width"], mdl["n_params"]) == match_width(cell, 1, 60, **sizes)
    (tuned,) = res["tuning"]
    assert tuned["chosen_lr"] in (1e-3, 1e-2) and mdl["lr"] == tuned["chosen_lr"]
    assert np.isfinite(res["runs"][0]["test"]["loss"])


def test_bad_cell_name_is_one_line_listing_the_cells(tmp_path, capsys):
    from tnrnn.cli import main

    rc = main(["experiment", "ses", "--cell", "lstm", "--quick", "--out", str(tmp_path), "--no-progress"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(lines) == 1, lines
    assert "lstm" in lines[0] and all(name in lines[0] for name in CELLS)
    with pytest.raises(ArgumentError) as exc:
        init_model("lstm", n_inputs=3, n_classes=2, width=4, depth=1, key=jax.random.key(0))
    assert "\n" not in str(exc.value) and all(name in str(exc.value) for name in CELLS)
    assert list(tmp_path.iterdir()) == []
