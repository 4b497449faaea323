"""Training a `StackedRNN` on a memory task with optax: jit-compiled chunks of steps and early stopping.

A chunk of ``eval_every`` optimisation steps is one compiled `jax.lax.scan`; each step draws a fresh batch
from the task's generator (as the authors' code does). After each chunk the model is scored on a fixed
validation set, and a `StallRule` decides what happens next:

``schedule="patience"``
    stop when the validation loss has not improved by more than ``min_delta`` for ``patience`` checks;
``schedule="plateau"`` (the authors')
    the first such stall multiplies the learning rate (and the scoRNN ``A`` learning rate) by 0.1, the second
    stops.

Neither a stop nor a decay happens before ``min_steps``, so a run still on the initial chance plateau keeps
training. Training also stops when the validation accuracy reaches ``target_accuracy``, or after ``max_steps``.
The best checkpoint (lowest validation loss) is restored and, unless ``test=False`` (learning-rate tuning),
scored on a fixed test set.

scoRNN cells (`tnrnn.tasks.models.ScoRNNCell`) get their own optimizer for ``A`` (the same kind, learning rate
``lr_A``) through `optax.multi_transform`; the gradient reaching it is the Cayley-transform gradient, which is
skew-symmetric, and Adam and RMSProp map a skew-symmetric gradient sequence to skew-symmetric updates (their
moment estimates are odd / even functions of it, entry by entry), so ``A`` stays skew-symmetric.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from tnrnn._progress import progress_bar
from tnrnn._types import ArgumentError, check_choice, check_positive_int
from tnrnn.tasks.models import is_skew_leaf

__all__ = [
    "TrainConfig",
    "train",
    "evaluate",
    "loss_and_metrics",
    "fixed_sets",
    "StallRule",
    "lr_sequence",
    "OPTIMIZERS",
    "SCHEDULES",
]

from tnrnn._choices import TRAIN_OPTIMIZERS as OPTIMIZERS  # noqa: E402 - one definition, JAX-free

SCHEDULES = ("patience", "plateau")
#: learning-rate factor of the plateau schedule (the authors' 0.1)
DECAY_FACTOR = 0.1


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
        Validation checks without improvement that make a stall (stop, or decay under ``"plateau"``).
    min_delta : float
        Improvement of the validation loss that counts.
    min_steps : int
        No stop and no decay before this many steps (``0``: none).
    schedule : {"patience", "plateau"}
        ``"patience"``: the first stall stops. ``"plateau"``: the first stall multiplies the learning rates by
        0.1, the second stops (the authors' schedule).
    lr_A : float
        Learning rate of the skew-symmetric ``A`` of scoRNN cells (the authors' 1e-4); unused by other cells.
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
    min_steps: int = 0
    schedule: str = "patience"
    lr_A: float = 1e-4

    def __post_init__(self):
        for name in ("batch", "max_steps", "eval_every", "patience", "n_val", "n_test"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("min_steps", self.min_steps, minimum=0)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        for name in ("lr", "lr_A"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == np.inf:
                raise ArgumentError(name, value, "a positive, finite learning rate")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class StallRule:
    """What to do after each validation check: ``"continue"``, ``"decay"`` (lr x `DECAY_FACTOR`) or ``"stop"``.

    A check *improves* when the validation loss is below the best so far by more than ``min_delta``; ``patience``
    checks in a row without improvement make a stall. Under ``"patience"`` a stall stops; under ``"plateau"`` the
    first stall decays the learning rate (and restarts the count), the second stops. Before ``min_steps`` a stall
    does nothing (the count keeps growing, so the action comes at the first check at or after ``min_steps``).

    Attributes
    ----------
    scale : float
        Current learning-rate factor (1, then 0.1 after a decay).
    decays : int
        Decays so far.
    """

    def __init__(self, config: TrainConfig):
        self.schedule = config.schedule
        self.patience = config.patience
        self.min_delta = config.min_delta
        self.min_steps = config.min_steps
        self.best = np.inf
        self.stalled = 0
        self.decays = 0
        self.scale = 1.0

    def update(self, step: int, val_loss: float) -> str:
        """Record the validation loss after ``step`` steps and return the action."""
        if val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.stalled = 0
        else:
            self.stalled += 1
        if self.stalled < self.patience or step < self.min_steps:
            return "continue"
        if self.schedule == "plateau" and self.decays == 0:
            self.decays += 1
            self.scale *= DECAY_FACTOR
            self.stalled = 0
            return "decay"
        return "stop"


def lr_sequence(val_losses, config: TrainConfig) -> tuple[list[float], int]:
    """The learning rate of every chunk that `train` would run for a given sequence of validation losses.

    Returns ``(lrs, n_chunks)``: ``lrs[i]`` is the learning rate of chunk ``i`` and ``n_chunks`` how many chunks
    run before the rule stops (``len(val_losses)`` if it never does). Accuracy targets and ``max_steps`` are not
    applied here.
    """
    rule = StallRule(config)
    lrs = []
    for i, loss in enumerate(val_losses):
        lrs.append(config.lr * rule.scale)
        if rule.update((i + 1) * config.eval_every, float(loss)) == "stop":
            return lrs, i + 1
    return lrs, len(lrs)


def _skew_labels(params):
    return jax.tree_util.tree_map_with_path(lambda p, _: "A" if is_skew_leaf(p) else "rest", params)


def _optimizer(optimizer: str, clip: float):
    """The optimizer with unit learning rates.

    Adam and RMSProp steps are proportional to the learning rate, so the compiled chunk multiplies them by the current
    rates (``lr``, ``lr_A`` for scoRNN ``A``, times the decay). One compiled chunk then serves every learning rate of a
    tuning grid and every decay.
    """

    def make():
        return optax.adam(1.0) if optimizer == "adam" else optax.rmsprop(1.0, decay=0.9)

    opt = optax.multi_transform({"rest": make(), "A": make()}, _skew_labels)
    return optax.chain(optax.clip_by_global_norm(clip), opt) if clip > 0 else opt


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


def _compiled(task, config: TrainConfig):
    """Jitted (chunk, evaluate) functions for one task; reused across seeds, learning rates and decays."""
    return _compiled_for(task, config.batch, config.eval_every, config.optimizer, float(config.clip))


@functools.lru_cache(maxsize=64)
def _compiled_for(task, batch: int, eval_every: int, optimizer: str, clip: float):
    opt = _optimizer(optimizer, clip)

    def loss_fn(model, x, y):
        return loss_and_metrics(task, model, x, y)[0]

    def chunk(model, opt_state, key, lr, lr_A):
        def scale(path, u):
            return u * (lr_A if is_skew_leaf(path) else lr).astype(u.dtype)

        def body(carry, k):
            model, opt_state = carry
            x, y = task.sample(batch, key=k)
            loss, grads = jax.value_and_grad(loss_fn)(model, x, y)
            updates, opt_state = opt.update(grads, opt_state, model)
            updates = jax.tree_util.tree_map_with_path(scale, updates)
            return (optax.apply_updates(model, updates), opt_state), loss

        (model, opt_state), losses = jax.lax.scan(body, (model, opt_state), jax.random.split(key, eval_every))
        return model, opt_state, jnp.mean(losses)

    def evaluate(model, x, y):
        return loss_and_metrics(task, model, x, y)[1]

    return opt, jax.jit(chunk), jax.jit(evaluate)


def evaluate(task, model, x, y) -> dict:
    """Metrics of ``model`` on a fixed set, as Python floats."""
    _, _, ev = _compiled(task, TrainConfig())
    return {k: float(v) for k, v in ev(model, x, y).items()}


def fixed_sets(task, config: TrainConfig, key):
    """The fixed validation and test sets of a run: ``((x_val, y_val), (x_test, y_test), k_train)``.

    ``key`` is the run's data key; the training batches are drawn from the returned ``k_train``. Validation and
    test sets come from different keys, so neither ever appears in the other or in training.
    """
    k_val, k_test, k_train = jax.random.split(key, 3)
    return task.sample(config.n_val, key=k_val), task.sample(config.n_test, key=k_test), k_train


def train(
    task,
    model,
    config: TrainConfig = TrainConfig(),
    *,
    key,
    progress: bool | None = None,
    desc: str = "",
    test: bool = True,
):
    """Train ``model`` on ``task`` and return ``(best_model, record)``.

    Parameters
    ----------
    task : CopyTask or SESTask
        The task (its generator gives fresh training batches; fixed validation and test sets are drawn from
        ``key`` by `fixed_sets`).
    model : StackedRNN
        Initial model.
    config : TrainConfig
    key : jax.Array
        PRNG key for the data (keyword-only); the model's own initialisation key is the caller's.
    progress : bool or None
        Show a tqdm progress bar on stderr; None (default): only when stderr is a terminal or a notebook.
    desc : str
        Label of the progress bar.
    test : bool
        Score the best checkpoint on the test set. ``False`` (learning-rate tuning) never touches the test set;
        ``record["test"]`` is then None.

    Returns
    -------
    best_model : StackedRNN
        The checkpoint with the lowest validation loss.
    record : dict
        ``curves`` (step, lr, train_loss, val_loss, val_accuracy[, val_data_accuracy]), ``test`` metrics of
        the best checkpoint, ``val`` metrics, ``steps``, ``best_step``, ``decay_steps``, ``stop_reason``,
        ``wall_s``.
    """
    start = time.perf_counter()
    opt, chunk, ev = _compiled(task, config)
    (x_val, y_val), test_set, k_train = fixed_sets(task, config, key)
    acc_key = "data_accuracy" if task.per_step else "accuracy"

    opt_state = opt.init(model)
    curves = {"step": [], "lr": [], "train_loss": [], "val_loss": [], "val_accuracy": []}
    if task.per_step:
        curves["val_data_accuracy"] = []
    best = (np.inf, model, 0, None)
    rule = StallRule(config)
    decay_steps = []
    stop_reason = "max_steps"
    n_chunks = -(-config.max_steps // config.eval_every)
    bar = progress_bar(total=n_chunks * config.eval_every, desc=desc, progress=progress)
    step = 0
    try:
        for i in range(n_chunks):
            lr_now = config.lr * rule.scale
            lrs = (jnp.asarray(lr_now, jnp.float32), jnp.asarray(config.lr_A * rule.scale, jnp.float32))
            model, opt_state, train_loss = chunk(model, opt_state, jax.random.fold_in(k_train, i), *lrs)
            step += config.eval_every
            val = {k: float(v) for k, v in ev(model, x_val, y_val).items()}
            curves["step"].append(step)
            curves["lr"].append(lr_now)
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
            if val["loss"] < best[0]:
                best = (val["loss"], model, step, val)
            if val[acc_key] >= config.target_accuracy:
                stop_reason = "target accuracy"
                break
            action = rule.update(step, val["loss"])
            if action == "decay":
                decay_steps.append(step)
            elif action == "stop":
                stop_reason = "no improvement" if config.schedule == "patience" else "second stall"
                break
    finally:
        bar.close()
    _, best_model, best_step, best_val = best
    if best_val is None:  # never improved on +inf (non-finite from the first check)
        best_val = {k: float(v) for k, v in ev(best_model, x_val, y_val).items()}
    test_metrics = None
    if test:
        x_test, y_test = test_set
        test_metrics = {k: float(v) for k, v in ev(best_model, x_test, y_test).items()}
    record = {
        "curves": curves,
        "val": best_val,
        "test": test_metrics,
        "steps": step,
        "best_step": best_step,
        "decay_steps": decay_steps,
        "stop_reason": stop_reason,
        "wall_s": time.perf_counter() - start,
    }
    return best_model, record
