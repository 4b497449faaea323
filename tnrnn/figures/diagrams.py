"""Diagrams: the computation graph and the tensor networks of each depth, with the cut shown."""

from __future__ import annotations

from tnrnn.figures import _base
from tnrnn.figures._base import figure
from tnrnn.style import styled

# ---------------------------------------------------------------------------------------------------------------
# diagrams


@figure(
    "computation_graph",
    "Unrolled computation graphs of a shallow (L = 1) and a deep (L = 3) RAC: hidden states h^{t,l} "
    "merge the recurrent and the input arrow by a Hadamard product.",
    "paper Fig. F1 (§1.2)",
)
@styled
def fig_computation_graph(out_dir, quick=False, **context) -> list[str]:
    """F1: unrolled computation graphs of a shallow (L = 1) and a deep (L = 3) RAC over T = 4 steps."""
    from tnrnn.draw import computation_graph_figure

    fig, _ = computation_graph_figure(T=4, depths=(1, 3))
    return _base._save(fig, out_dir, "fig_computation_graph")


@figure(
    "tn_shallow_deep",
    "Tensor networks: the shallow RAC is an MPS whose Start-End min-cut is one bond (rank <= R); the "
    "depth-2 RAC is a tree of copies whose cut crosses several bonds.",
    "paper Figs. F3, F4 (§4.2-4.4)",
)
@styled
def fig_tn_shallow_deep(out_dir, quick=False, **context) -> list[str]:
    """F3/F4: the shallow RAC as an MPS and the depth-2 tree of copies, both at T = 4, with min-cuts."""
    from tnrnn.draw import network_figure

    fig, _ = network_figure([dict(M=3, R=2, L=1, T=4), dict(M=3, R=2, L=2, T=4)])
    return _base._save(fig, out_dir, "fig_tn_shallow_deep", tight=True)


@figure(
    "tn_depth3",
    "The depth-3 RAC tensor network (T = 4, 123 nodes): more copies cross the Start-End cut.",
    "paper Fig. F4 (§4.3-4.4)",
)
@styled
def fig_tn_depth3(out_dir, quick=False, **context) -> list[str]:
    """F4: the depth-3 tree of copies (T = 4, 123 nodes) with its min-cut."""
    from tnrnn.draw import network_figure

    fig, _ = network_figure([dict(M=3, R=2, L=3, T=4)])
    return _base._save(fig, out_dir, "fig_tn_depth3", tight=True)


@figure(
    "tn_large",
    "A large network (depth 3, T = 10, 1076 nodes) in the compact radial drawing: rows become rings, "
    "the inputs lie outside; its min-cut bound 2^20 is far above the exact rank 188.",
    "§4.3-4.4 (network growth C(T+L, L))",
)
@styled
def fig_tn_large(out_dir, quick=False, **context) -> list[str]:
    """The depth-3 network at T = 10 (1076 nodes) in the compact radial drawing, with its min-cut."""
    from tnrnn.draw import network_figure

    fig, _ = network_figure([dict(M=2, R=2, L=3, T=10)])
    return _base._save(fig, out_dir, "fig_tn_large", tight=True)


@figure(
    "tn_onehot",
    "Depth-2 network over a discrete alphabet: copy tensors join the copies of each input; the "
    "min-cut goes through copy tensors.",
    "theory: the two input domains; cutting through a copy tensor",
)
@styled
def fig_tn_onehot(out_dir, quick=False, **context) -> list[str]:
    """The depth-2 network for a discrete alphabet: the copies of each input joined by one copy tensor."""
    from tnrnn.draw import network_figure

    fig, _ = network_figure([dict(M=3, R=2, L=2, T=4, domain="onehot")])
    return _base._save(fig, out_dir, "fig_tn_onehot", tight=True)
