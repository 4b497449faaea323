"""`rac_layer`, the RAC recurrence itself (`tnrnn.cells.rac`), in a module importing nothing of the toolkit.

The RAC cell (`tnrnn.cells.rac.Rac`) and its trainable layer (`tnrnn.cells.layers.RACCell`) both call it; it is
apart so that the trainable layers need not import the cell protocol (`tnrnn.cells.base`), which asks for them.
"""

from __future__ import annotations

__all__ = ["rac_layer"]


def rac_layer(ar, W_I, W_H, g, inp, post=None):
    """One RAC layer at one step: ``h = g ⊙ (W^I inp)``, then the next carry ``g' = W^H h``.

    Parameters
    ----------
    ar : arithmetic (`tnrnn.cells.arith`)
    W_I, W_H : matrices ``(R, D)`` and ``(R, R)``
    g : vector
        The carry ``W^H h^{t-1}`` (all ones before the first step).
    inp : vector
        The layer's input ``h^{t,l-1}`` (``f(x^t)`` for the first layer).
    post : callable, optional
        Applied to ``h`` before it is stored and fed on (the trainable RAC's RMS normalisation).

    Returns
    -------
    (g_next, h)
    """
    h = ar.mul(g, ar.matvec(W_I, inp))
    if post is not None:
        h = post(h)
    return ar.matvec(W_H, h), h
