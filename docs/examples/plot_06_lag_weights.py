"""
Lag weights of linear RNNs
==========================

A wide linear RNN trained by gradient descent learns lag ``j`` of its impulse response at a rate proportional to
``beta_j^2``, which decays like ``rho^{2j}``: the implicit bias towards short memory (theory page, section "Lag
weights").
"""

from tnrnn.linear import lag_weights, memory_lag, peak_lag
from tnrnn.plots import plot_lag_weights

for rho2 in (0.25, 0.5, 0.81, 0.9):
    print(f"rho^2 = {rho2}: peak lag {peak_lag(rho2=rho2)}, 1 %-memory lag {memory_lag(rho2=rho2)}")
print("beta_j^2, rho^2 = 0.81:", [round(float(b), 3) for b in lag_weights(6, rho2=0.81)])

fig, ax = plot_lag_weights()
