"""Memory tasks: data, stacked RNNs, training, learning-rate tuning and the statistics of a depth sweep.

The package holds Copying Memory and Start-End Similarity data, stacked RNNs (the RAC and the other polynomial cells of
`tnrnn.cells`, a tanh RNN, a GRU, scoRNN), training (patience or the authors' plateau schedule, a minimum number of
steps), learning-rate tuning per depth on validation data, and the statistics of a depth sweep (largest length solved,
bootstrap intervals, exact paired tests).

See the user guide 'Memory experiments' for the protocols. Nothing here imports matplotlib; the plots of a
results file are `tnrnn.plots.plot_memory_accuracy` and `tnrnn.plots.plot_memory_solved`.
"""

from tnrnn.tasks.data import (
    TASKS,
    CopyTask,
    SESTask,
    copy_baselines,
    copying_memory_batch,
    make_task,
    ses_baselines,
    ses_batch,
)
from tnrnn.tasks.experiment import (
    PRESETS,
    QUICK_CONFIG,
    format_summary,
    format_tests,
    load_results,
    preset_settings,
    run_experiment,
    save_results,
    summarize,
)
from tnrnn.tasks.models import (
    CELLS,
    GRUCell,
    PolynomialCell,
    RACCell,
    RNNCell,
    ScoRNNCell,
    StackedRNN,
    cayley_grad,
    count_leaves,
    init_model,
    match_width,
    param_count,
    scaled_cayley,
)
from tnrnn.tasks.stats import analyze, bootstrap_ci, largest_solved, sign_flip_test
from tnrnn.tasks.train import StallRule, TrainConfig, evaluate, loss_and_metrics, lr_sequence, train
from tnrnn.tasks.tuning import tune_lr

__all__ = [
    "TASKS",
    "CELLS",
    "CopyTask",
    "SESTask",
    "copying_memory_batch",
    "ses_batch",
    "copy_baselines",
    "ses_baselines",
    "make_task",
    "RACCell",
    "PolynomialCell",
    "RNNCell",
    "GRUCell",
    "ScoRNNCell",
    "scaled_cayley",
    "cayley_grad",
    "StackedRNN",
    "init_model",
    "param_count",
    "count_leaves",
    "match_width",
    "TrainConfig",
    "StallRule",
    "lr_sequence",
    "train",
    "tune_lr",
    "analyze",
    "bootstrap_ci",
    "largest_solved",
    "sign_flip_test",
    "evaluate",
    "loss_and_metrics",
    "run_experiment",
    "save_results",
    "load_results",
    "summarize",
    "QUICK_CONFIG",
    "PRESETS",
    "preset_settings",
    "format_summary",
    "format_tests",
]
