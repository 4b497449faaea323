"""Composite figures: the unrolled computation graph, and networks of several depths side by side."""

from __future__ import annotations

from collections.abc import Mapping

from tnrnn._axes import figure_and_axes
from tnrnn._types import ArgumentError
from tnrnn.draw._artists import (
    _DOMAIN_WORDS,
)
from tnrnn.draw.network import _spans, check_drawing_size, draw_network
from tnrnn.layout import (
    FONT_SIZE,
    MAX_WIDTH_INCHES,  # noqa: F401 (re-exported, as before the layout moved)
    UNIT_INCHES,  # noqa: F401
    UNIT_PER_FONT,
    computation_graph_layout,
    drawing_layout,
    drawing_scale,
    figure_size,  # noqa: F401
    legend_box,
)
from tnrnn.style import OKABE_ITO, house_style

# ---------------------------------------------------------------------------------------------------------------
# the unrolled computation graph


def draw_computation_graph(L: int, T: int, *, ax=None, title: str | None = None):
    """The unrolled computation graph of a depth-``L`` RAC over ``T`` steps.

    Nodes ``h^{t,l}`` sit on a grid (time to the right, depth upwards) above the inputs ``x^t``; every hidden
    node is a Hadamard merge (⊙) of the recurrent arrow ``W^{H,l} h^{t-1,l}`` from the left and the input arrow
    ``W^{I,l} h^{t,l-1}`` from below; ``W^{H,l} h^{0,l}`` is the ones vector (the grey **1** at ``t = 0``) and the
    output ``y = W^O h^{T,L}`` sits on top.

    Returns
    -------
    (fig, ax)
        The node markers are one collection with gid ``"cg-nodes"`` and attribute ``tnrnn_names``
        (``"x{t}"``, ``"h{t},{l}"``, ``"one{l}"``, ``"y"``), ``T (L + 1) + L + 1`` nodes in all.

    References
    ----------
    The theory page, section 'The model: recurrent arithmetic circuits'.
    """
    from tnrnn._types import check_positive_int

    L = check_positive_int("L", L)
    T = check_positive_int("T", T)
    with house_style():
        return _draw_computation_graph(L, T, ax, title)


def _draw_computation_graph(L: int, T: int, ax, title):
    fs = FONT_SIZE
    fig, ax = figure_and_axes(ax, figsize=(1.3 * T + 2, 1.15 * L + 2.4))
    gx, gy = 1.6, 1.25  # grid spacing
    pos = computation_graph_layout(L, T, dx=gx, dy=gy)
    arrow = {"arrowstyle": "-|>", "lw": 1.0, "shrinkA": 11, "shrinkB": 11, "mutation_scale": 9}
    cH, cI, cO = OKABE_ITO["bluish green"], OKABE_ITO["blue"], OKABE_ITO["reddish purple"]
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            src = f"h{t - 1},{l}" if t > 1 else f"one{l}"
            ax.annotate("", xy=pos[f"h{t},{l}"], xytext=pos[src], arrowprops={**arrow, "color": cH})
            (ax_, ay), (bx, _) = pos[src], pos[f"h{t},{l}"]
            if t > 1:
                ax.text((ax_ + bx) / 2, ay + 0.1, f"$W^{{H,{l}}}$", ha="center", va="bottom", fontsize=fs, color=cH)
            below = f"h{t},{l - 1}" if l > 1 else f"x{t}"
            ax.annotate("", xy=pos[f"h{t},{l}"], xytext=pos[below], arrowprops={**arrow, "color": cI})
            bx2, by2 = pos[below]
            ax.text(bx2 + 0.09, by2 + gy / 2, f"$W^{{I,{l}}}$", ha="left", va="center", fontsize=fs, color=cI)
    ax.annotate("", xy=pos["y"], xytext=pos[f"h{T},{L}"], arrowprops={**arrow, "color": cO, "shrinkB": 9})
    ax.text(pos["y"][0] + 0.09, pos["y"][1] - gy / 2, "$W^{O}$", ha="left", va="center", fontsize=fs, color=cO)

    names = list(pos)
    kinds = {
        n: ("x" if n.startswith("x") else "one" if n.startswith("one") else "y" if n == "y" else "h") for n in names
    }
    faces = {"x": "#fdd0a2", "h": "white", "one": "0.9", "y": "#dadaeb"}
    coll = ax.scatter(
        [pos[n][0] for n in names],
        [pos[n][1] for n in names],
        s=[470 if kinds[n] != "one" else 260 for n in names],
        marker="o",
        c=[faces[kinds[n]] for n in names],
        edgecolors="black",
        linewidths=0.9,
        zorder=3,
        gid="cg-nodes",
    )
    coll.set_paths([_marker_path("s" if kinds[n] == "x" else "o") for n in names])
    coll.tnrnn_names = tuple(names)
    for n in names:
        px, py = pos[n]
        if kinds[n] == "h":
            ax.text(px, py, r"$\odot$", ha="center", va="center", fontsize=13, zorder=4)
            t, l = n[1:].split(",")
            ax.text(
                px + 0.2, py - 0.2, f"$h^{{{t},{l}}}$", ha="left", va="top", fontsize=0.9 * fs, zorder=4, color="0.2"
            )
        elif kinds[n] == "x":
            ax.text(px, py, f"$x^{{{n[1:]}}}$", ha="center", va="center", fontsize=fs, zorder=4)
        elif kinds[n] == "one":
            ax.text(px, py, r"$\mathbf{1}$", ha="center", va="center", fontsize=fs, zorder=4)
        else:
            ax.text(px, py, "$y$", ha="center", va="center", fontsize=fs, zorder=4)
    for l in range(1, L + 1):
        ax.text(-0.25 * gx, l * gy, f"layer {l}", ha="right", va="center", fontsize=fs, color="0.35")
    ax.text(-0.25 * gx, 0, "input", ha="right", va="center", fontsize=fs, color="0.35")
    for t in range(1, T + 1):
        ax.text(t * gx, -0.55, f"$t={t}$", ha="center", va="top", fontsize=fs, color="0.35")
    ax.set_xlim(-0.95 * gx, (T + 0.6) * gx)
    ax.set_ylim(-0.95, (L + 1) * gy + 0.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(
        title if title is not None else f"{'shallow' if L == 1 else 'deep'} RAC, $L = {L}$, $T = {T}$",
        fontsize=1.1 * fs,
    )
    return fig, ax


def _marker_path(marker):
    from matplotlib.markers import MarkerStyle

    m = MarkerStyle(marker)
    return m.get_path().transformed(m.get_transform())


def computation_graph_figure(T: int = 4, depths=(1, 3)):
    """Shallow and deep unrolled computation graphs side by side (figure F1); returns ``(fig, axes)``."""
    import matplotlib.pyplot as plt

    depths = tuple(depths)
    widths = [1.0] * len(depths)
    with house_style():
        fig, axes = plt.subplots(
            1,
            len(depths),
            figsize=(1.35 * T * len(depths) + 2.5, 1.2 * max(depths) + 2.6),
            layout="constrained",
            gridspec_kw={"width_ratios": widths},
        )
        axes = [axes] if len(depths) == 1 else list(axes)
        for ax, L in zip(axes, depths, strict=True):
            draw_computation_graph(L, T, ax=ax)
        fig.suptitle(
            r"Recurrent arithmetic circuit: $h^{t,l} = (W^{H,l} h^{t-1,l}) \odot (W^{I,l} h^{t,l-1})$, "
            r"$y = W^{O} h^{T,L}$",
            fontsize=1.2 * FONT_SIZE,
        )
    return fig, axes


def network_figure(
    specs, *, cut: bool = True, engine: str = "auto", title: str | None = None, font_size: float = FONT_SIZE
):
    """Several RAC tensor networks stacked vertically, each with its Start-End min-cut, at one common scale.

    Every panel is drawn at the same points per layout unit (the smallest its panels' natural scales allow) and the
    same ``font_size``, so nodes, lines and labels match from one panel to the next; each panel's title sits in a
    band of its own above it, and the legend goes under the last panel.

    Parameters
    ----------
    specs : sequence of mappings
        ``{"M", "R", "L", "T", "domain"}`` per panel (``domain`` defaults to ``"continuous"``).
    cut : bool
        Draw each panel's min-cut.
    engine : str
        Min-cut engine (`tnrnn.cuts.min_cut`).
    title : str, optional
        A title above every panel.
    font_size : float
        Points of every label (`draw_network`).

    Returns
    -------
    (fig, axes)
        One axes per spec; each carries what it draws as ``ax.tnrnn_graph`` (the `tnrnn.network.TNGraph`) and
        ``ax.tnrnn_cut`` (its `tnrnn.cuts.CutResult`, ``None`` when ``cut=False``). Earlier versions
        returned a third element, the list of ``(graph, cut)``: it reads
        ``[(ax.tnrnn_graph, ax.tnrnn_cut) for ax in axes]``.
    """
    import matplotlib.pyplot as plt

    from tnrnn.build import build_network
    from tnrnn.cuts import min_cut

    fs = check_drawing_size(None, None, font_size)[2]
    drawn = []
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise ArgumentError("specs", spec, "mappings with keys M, R, L, T (and domain)")
        g = build_network(spec["M"], spec["R"], spec["L"], spec["T"], domain=spec.get("domain", "continuous"))
        c = min_cut(g, engine=engine) if cut else None
        drawn.append((g, c, drawing_layout(g, unit=UNIT_PER_FONT * fs / 72)))
    if not drawn:
        raise ArgumentError("specs", specs, "at least one mapping with keys M, R, L, T (and domain)")
    last = len(drawn) - 1
    n_legend = len({r for g, _, _ in drawn for r in g.roles if r != "input"}) + 4 + bool(cut)
    # the common scale: the smallest natural unit of the panels, in points
    unit = 72 * min(drawing_scale(lay, font_size=fs).unit for _, _, lay in drawn)
    boxes = []
    for g, _, lay in drawn:
        labels = lay.kind != "radial"
        _, sx, _, sy = _spans(g, lay, labels, unit, fs)
        boxes.append((sx * unit / 72, sy * unit / 72))
    width = max(w for w, _ in boxes)
    cols, legend_in = legend_box(n_legend, width, fs)
    width = max(width, min(cols, n_legend) * 22.5 * fs / 72 * 0.8)
    band = 2.6 * fs / 72  # each panel's title
    sup = 2.2 * fs / 72 if title else 0.0
    height = sup + sum(band + h for _, h in boxes) + legend_in
    with house_style():
        fig = plt.figure(figsize=(width, height))
        axes, top = [], height - sup
        for w, h in boxes:
            top -= band + h
            axes.append(fig.add_axes([(width - w) / 2 / width, top / height, w / width, h / height]))
        for i, (ax, spec, (g, c, _)) in enumerate(zip(axes, specs, drawn, strict=True)):
            L, T = spec["L"], spec["T"]
            dom = spec.get("domain", "continuous")
            if L == 1:
                kind = "shallow RAC = matrix product state"
            elif dom == "onehot":
                kind = f"deep RAC, $L = {L}$: copies of each input joined by a copy tensor"
            else:
                kind = f"deep RAC, $L = {L}$: tree of copies"
            sizes = f"$M = {spec['M']}$, $R = {spec['R']}$, $T = {T}$"
            draw_network(
                g,
                cut=c,
                ax=ax,
                legend=i == last,
                title=f"{kind}   ({sizes}, {_DOMAIN_WORDS.get(dom, dom)} inputs; {g.n_nodes} nodes)",
                font_size=fs,
            )
            ax.tnrnn_graph, ax.tnrnn_cut = g, c
        if title:
            fig.suptitle(title, fontsize=1.2 * fs, y=1 - 0.4 * sup / height)
    return fig, axes
