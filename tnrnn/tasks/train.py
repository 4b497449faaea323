"""Training a `StackedRNN` on a memory task with optax: jit-compiled chunks of steps and early stopping.

A chunk of ``eval_every`` optimisation steps is one compiled `jax.lax.scan`; each step draws a fresh batch
from
the task's generator (as the authors' code does). After each chunk the model is scored on a fixed validation
set;
training stops when the validation loss has not improved by more than ``min_delta`` for ``patience`` checks,
when
the validation accuracy reaches ``target_accuracy``, or after ``max_steps``. The best checkpoint (lowest
validation loss) is restored and scored on a fixed test set.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from tnrnn._types import ArgumentError, check_choice, check_positive_int

__all__ = ["TrainConfig", "train", "evaluate", "loss_and_metrics", "OPTIMIZERS"]

OPTIMIZERS = ("adam", "rmsprop")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training settings (all recorded in the results file).

    Attributes
    ----------
    batch : int
        Training batch size.
    lr : float
        Learning rate.
    optimizer : {"adam", "rmsprop"}
        optax optimizer (RMSProp uses decay 0.9, as the authors).
    clip : float
        Global gradient-norm clip (0 disables it).
    max_steps : int
        Upper bound on optimisation steps.
    eval_every : int
        Steps per compiled chunk, between validation checks.
    patience : int
        Validation checks without improvement before stopping.
    min_delta : float
        Improvement of the validation loss that counts.
    target_accuracy : float
        Stop once the validation accuracy (data accuracy for Copying Memory) reaches this value.
    n_val, n_test : int
        Sizes of the fixed validation and test sets.
    """

    batch: int = 128
    lr: float = 3e-3
    optimizer: str = "adam"
    clip: float = 1.0
    max_steps: int = 3000
    eval_every: int = 100
    patience: int = 8
    min_delta: float = 1e-3
    target_accuracy: float = 0.995
    n_val: int = 1000
    n_test: int = 2000

    def __post_init__(self):
        for name in ("batch", "max_steps", "eval_every", "patience", "n_val", "n_test"):
            check_positive_int(name, getattr(self, name))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if not self.lr > 0:
            raise ArgumentError("lr", self.lr, "a positive learning rate")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _optimizer(config: TrainConfig):
    opt = optax.adam(config.lr) if config.optimizer == "adam" else optax.rmsprop(config.lr, decay=0.9)
    return optax.chain(optax.clip_by_global_norm(config.clip), opt) if config.clip > 0 else opt


def loss_and_metrics(task, model, x, y):
    """Mean cross-entropy and accuracies of ``model`` on a batch.

    For Copying Memory (output at every step) the loss is the mean over all ``T`` steps and the metrics are
    ``accuracy`` (all steps) and ``data_accuracy`` (last ``M_c`` steps). For SES (output at the last step) the
    loss and ``accuracy`` are over the single output.
    """
    if task.per_step:
        logits = jax.vmap(model.outputs)(x)  # (B, T, K)
        loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))
        hit = jnp.argmax(logits, axis=-1) == y
        return loss, {
            "loss": loss,
            "accuracy": jnp.mean(hit),
            "data_accuracy": jnp.mean(hit[:, -task.M_c :]),
        }
    logits = jax.vmap(model.last_output)(x)  # (B, K)
    loss = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))
    return loss, {"loss": loss, "accuracy": jnp.mean(jnp.argmax(logits, axis=-1) == y)}


@functools.lru_cache(maxsize=64)
def _compiled(task, config: TrainConfig):
    """Jitted (chunk, evaluate) functions for one task and config; reused across seeds of equal shape."""
    opt = _optimizer(config)

    def loss_fn(model, x, y):
        return loss_and_metrics(task, model, x, y)[0]

    def chunk(model, opt_state, key):
        def body(carry, k):
            model, opt_state = carry
            x, y = task.sample(config.batch, key=k)
            loss, grads = jax.value_and_grad(loss_fn)(model, x, y)
            updates, opt_state = opt.update(grads, opt_state, model)
            return (optax.apply_updates(model, updates), opt_state), loss

        (model, opt_state), losses = jax.lax.scan(body, (model, opt_state), jax.random.split(key, config.eval_every))
        return model, opt_state, jnp.mean(losses)

    def evaluate(model, x, y):
        return loss_and_metrics(task, model, x, y)[1]

    return opt, jax.jit(chunk), jax.jit(evaluate)


def evaluate(task, model, x, y) -> dict:
    """Metrics of ``model`` on a fixed set, as Python floats."""
    _, _, ev = _compiled(task, TrainConfig())
    return {k: float(v) for k, v in ev(model, x, y).items()}


def train(task, model, config: TrainConfig = TrainConfig(), *, key, progress: bool = True, desc: str = ""):
    """Train ``model`` on ``task`` and return ``(best_model, record)``.

    Parameters
    ----------
    task : CopyTask or SESTask
        The task (its generator gives fresh training batches; fixed validation and test sets are drawn from
        ``key``).
    model : StackedRNN
        Initial model.
    config : TrainConfig
    key : jax.Array
        PRNG key for the data (keyword-only); the model's own initialisation key is the caller's.
    progress : bool
        Show a tqdm progress bar on stderr.
    desc : str
        Label of the progress bar.

    Returns
    -------
    best_model : StackedRNN
        The checkpoint with the lowest validation loss.
    record : dict
        ``curves`` (step, train_loss, val_loss, val_accuracy[, val_data_accuracy]), ``test`` metrics of the
        best
        checkpoint, ``val`` metrics, ``steps``, ``best_step``, ``stop_reason``, ``wall_s``.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    opt, chunk, ev = _compiled(task, config)
    k_val, k_test, k_train = jax.random.split(key, 3)
    x_val, y_val = task.sample(config.n_val, key=k_val)
    x_test, y_test = task.sample(config.n_test, key=k_test)
    acc_key = "data_accuracy" if task.per_step else "accuracy"

    opt_state = opt.init(model)
    curves = {"step": [], "train_loss": [], "val_loss": [], "val_accuracy": []}
    if task.per_step:
        curves["val_data_accuracy"] = []
    best = (np.inf, model, 0, None)
    since_best = 0
    stop_reason = "max_steps"
    n_chunks = -(-config.max_steps // config.eval_every)
    bar = tqdm(total=n_chunks * config.eval_every, desc=desc, disable=not progress, file=sys.stderr, leave=False)
    step = 0
    try:
        for i in range(n_chunks):
            model, opt_state, train_loss = chunk(model, opt_state, jax.random.fold_in(k_train, i))
            step += config.eval_every
            val = {k: float(v) for k, v in ev(model, x_val, y_val).items()}
            curves["step"].append(step)
            curves["train_loss"].append(float(train_loss))
            curves["val_loss"].append(val["loss"])
            curves["val_accuracy"].append(val["accuracy"])
            if task.per_step:
                curves["val_data_accuracy"].append(val["data_accuracy"])
            bar.update(config.eval_every)
            bar.set_postfix(loss=f"{val['loss']:.3f}", acc=f"{val[acc_key]:.3f}")
            if not np.isfinite(val["loss"]):
                stop_reason = "non-finite loss"
                break
            if val["loss"] < best[0] - config.min_delta:
                best = (val["loss"], model, step, val)
                since_best = 0
            else:
                since_best += 1
            if val[acc_key] >= config.target_accuracy:
                if val["loss"] <= best[0]:
                    best = (val["loss"], model, step, val)
                stop_reason = "target accuracy"
                break
            if since_best >= config.patience:
                stop_reason = "no improvement"
                break
    finally:
        bar.close()
    _, best_model, best_step, best_val = best
    if best_val is None:  # never improved on +inf (non-finite from the first check)
        best_val = {k: float(v) for k, v in ev(best_model, x_val, y_val).items()}
    test = {k: float(v) for k, v in ev(best_model, x_test, y_test).items()}
    record = {
        "curves": curves,
        "val": best_val,
        "test": test,
        "steps": step,
        "best_step": best_step,
        "stop_reason": stop_reason,
        "wall_s": time.perf_counter() - start,
    }
    return best_model, record
