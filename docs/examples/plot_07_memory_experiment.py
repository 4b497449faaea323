"""
A short memory experiment
=========================

Train RNNs of depth 1 and 2 with matched parameter counts on Start-End Similarity, the task that probes the
Start-End dependence the separation rank measures. ``quick=True`` trains for a few dozen steps only: this shows the
workflow, not a result (see the user guide "Memory experiments" for real settings).
"""

from tnrnn.plots import plot_memory_accuracy
from tnrnn.tasks.experiment import format_summary, run_experiment

results = run_experiment(
    "ses", cell="rnn", depths=(1, 2), values=(6,), seeds=(0,), n=3, m=2, params=300, quick=True, progress=False
)
print(format_summary(results))
fig, ax = plot_memory_accuracy(results)
