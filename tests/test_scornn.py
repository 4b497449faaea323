"""scoRNN in JAX: the scaled Cayley transform, its gradient, orthogonality under training and its own A optimizer."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn.tasks import CopyTask, TrainConfig, count_leaves, init_model, param_count, train
from tnrnn.tasks.models import ScoRNNCell, cayley_grad, modrelu, scaled_cayley
from tnrnn.testing import assert_close, rng


def _skew(R, seed, scale=0.5):
    X = rng(seed).normal(size=(R, R)) * scale
    return jnp.asarray(X - X.T)


def _d(R):
    return jnp.asarray([1.0] * (R // 2) + [-1.0] * (R - R // 2))


@pytest.mark.parametrize("R", [2, 5, 8])
def test_scaled_cayley_is_orthogonal_and_solves_its_definition(R):
    A, d = _skew(R, R), _d(R)
    W = np.asarray(scaled_cayley(A, d))
    I = np.eye(R)
    assert_close(W.T @ W, I)
    # (I + A) W D = (I - A)  since D² = I
    assert_close((I + np.asarray(A)) @ W @ np.diag(np.asarray(d)), I - np.asarray(A))


def test_cayley_grad_matches_finite_differences_over_the_free_entries():
    R = 5
    A, d = _skew(R, 1), _d(R)
    C = jnp.asarray(rng(2).normal(size=(R, R)))
    x = jnp.asarray(rng(3).normal(size=(R,)))

    def loss(A):  # a nonlinear loss of W
        W = scaled_cayley(A, d)
        return jnp.sum(C * W) + jnp.sum(jnp.tanh(W @ x) ** 2)

    g = np.asarray(jax.grad(loss)(A))
    assert np.array_equal(g, -g.T)  # skew-symmetric, exactly
    eps = 1e-6
    fd = np.zeros((R, R))
    for i in range(R):
        for j in range(i + 1, R):
            E = np.zeros((R, R))
            E[i, j], E[j, i] = 1.0, -1.0  # moving one free entry keeps A skew-symmetric
            E = jnp.asarray(E)
            fd[i, j] = (float(loss(A + eps * E)) - float(loss(A - eps * E))) / (2 * eps)
            fd[j, i] = -fd[i, j]
    # central differences: error O(eps²) ~ 1e-12 plus round-off ~ 1e-16 / eps
    assert_close(g, fd, atol=1e-8, rtol=1e-6)


def test_cayley_grad_is_the_skew_part_of_the_unconstrained_gradient():
    """V^T - V (the authors' formula) equals g - g^T for the plain autodiff gradient g of L(W(A))."""
    R = 6
    A, d = _skew(R, 4), _d(R)
    C = jnp.asarray(rng(5).normal(size=(R, R)))

    def plain(A):
        I = jnp.eye(R)
        return jnp.sum(C * (jnp.linalg.solve(I + A, I - A) * d[None, :]) ** 2)

    g = jax.grad(plain)(A)
    G = jax.grad(lambda W: jnp.sum(C * W**2))(scaled_cayley(A, d))
    assert_close(cayley_grad(A, d, G), g - g.T)


def test_modrelu():
    """The paper's definition, written as it is there: ``(|z| + b) z / |z|`` where ``|z| + b >= 0``, else 0."""
    z = [-2.0, -0.5, 0.0, 0.3, 1.5, -0.75]
    b = [-1.0, -1.0, 0.5, -0.1, 0.2, 0.25]

    def paper(zi, bi):  # Arjovsky, Shah, Bengio 2016, eq. (8), for real z (z = 0 maps to 0)
        return (abs(zi) + bi) * zi / abs(zi) if zi != 0 and abs(zi) + bi >= 0 else 0.0

    got = np.asarray(modrelu(jnp.asarray(z), jnp.asarray(b)))
    assert_close(got, np.asarray([paper(zi, bi) for zi, bi in zip(z, b, strict=True)]))
    assert got[0] == -1.0 and got[1] == 0.0 and got[5] == -1.0  # shrunk, cut off, grown (b > 0)
    # odd in z, the identity at b = 0, zero wherever the bias cancels the modulus
    zs = jnp.asarray(rng(3).normal(size=16))
    bs = jnp.asarray(rng(4).normal(size=16))
    assert_close(modrelu(-zs, bs), -modrelu(zs, bs))
    assert_close(modrelu(zs, jnp.zeros(16)), zs)
    assert np.all(np.asarray(modrelu(zs, -jnp.abs(zs) - 0.1)) == 0)


def test_init_follows_the_authors():
    cell = ScoRNNCell.init(6, 7, key=jax.random.key(0), dtype=jnp.float64)
    A = np.asarray(cell.A)
    assert np.array_equal(A, -A.T)
    # block-diagonal: only the (2k, 2k+1) entries and their mirrors, all <= 0 above the diagonal
    mask = np.zeros((7, 7), bool)
    for k in range(3):
        mask[2 * k, 2 * k + 1] = mask[2 * k + 1, 2 * k] = True
    assert np.all(A[~mask] == 0) and np.all(np.triu(A)[mask & np.triu(np.ones((7, 7), bool))] <= 0)
    assert cell.d == (1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0)
    assert np.all(np.abs(np.asarray(cell.U)) <= 0.01) and not np.any(np.asarray(cell.b))
    assert_close(np.asarray(cell.W).T @ np.asarray(cell.W), np.eye(7))


@pytest.mark.parametrize("depth", [1, 3])
def test_param_count_counts_the_free_entries_of_A(depth):
    R = 7
    model = init_model("scornn", n_inputs=6, n_classes=6, width=R, depth=depth, key=jax.random.key(0))
    # each A leaf holds R² numbers of which R (R - 1) / 2 are free
    assert count_leaves(model) - depth * (R * (R + 1) // 2) == param_count(
        "scornn", n_inputs=6, n_classes=6, width=R, depth=depth
    )


def _train_scornn(lr_A, dtype=jnp.float64, steps=60):
    task = CopyTask(n=3, M_c=2, B=3)
    model = init_model(
        "scornn", n_inputs=task.n_inputs, n_classes=task.n_classes, width=8, depth=2, key=jax.random.key(0), dtype=dtype
    )
    config = TrainConfig(
        batch=16,
        lr=1e-2,
        lr_A=lr_A,
        optimizer="rmsprop",
        max_steps=steps,
        eval_every=20,
        patience=10,
        n_val=32,
        n_test=32,
        target_accuracy=1.1,
    )
    best, rec = train(task, model, config, key=jax.random.key(1), progress=False)
    return model, best, rec


def test_w_stays_orthogonal_and_a_skew_after_training_steps():
    model, best, rec = _train_scornn(lr_A=1e-2)
    assert rec["best_step"] > 0
    for before, after in zip(model.cells, best.cells, strict=True):
        A = np.asarray(after.A)
        assert not np.allclose(A, np.asarray(before.A))  # A did move
        assert np.array_equal(A, -A.T)  # and stayed exactly skew-symmetric
        W = np.asarray(after.W)
        assert_close(W.T @ W, np.eye(W.shape[0]))


def test_a_has_its_own_learning_rate():
    model, slow, _ = _train_scornn(lr_A=1e-9)
    _, fast, _ = _train_scornn(lr_A=1e-2)
    move = [float(np.max(np.abs(np.asarray(m.cells[0].A) - np.asarray(model.cells[0].A)))) for m in (slow, fast)]
    u_move = float(np.max(np.abs(np.asarray(slow.cells[0].U) - np.asarray(model.cells[0].U))))
    # RMSProp steps are about lr in size: lr_A = 1e-9 moves A by about 1e-9 per step, while U moves with lr
    assert move[0] < 1e-6 < move[1] and u_move > 1e-3
