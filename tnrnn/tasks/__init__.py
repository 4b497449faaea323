"""Memory tasks: Copying Memory and Start-End Similarity data, stacked RNNs (RAC, tanh RNN, GRU) and training.

See the user guide 'Memory experiments' for the protocols. Nothing here imports matplotlib; the plot of a
results file is `tnrnn.plots.plot_memory_accuracy`.
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
    QUICK_CONFIG,
    format_summary,
    load_results,
    run_experiment,
    save_results,
    summarize,
)
from tnrnn.tasks.models import (
    CELLS,
    GRUCell,
    RACCell,
    RNNCell,
    StackedRNN,
    count_leaves,
    init_model,
    match_width,
    param_count,
)
from tnrnn.tasks.train import TrainConfig, evaluate, loss_and_metrics, train

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
    "RNNCell",
    "GRUCell",
    "StackedRNN",
    "init_model",
    "param_count",
    "count_leaves",
    "match_width",
    "TrainConfig",
    "train",
    "evaluate",
    "loss_and_metrics",
    "run_experiment",
    "save_results",
    "load_results",
    "summarize",
    "QUICK_CONFIG",
    "format_summary",
]
