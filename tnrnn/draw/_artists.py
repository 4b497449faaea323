"""The pieces of a network drawing (`tnrnn.draw.draw_network`).

Colours and styles, edges, nodes, labels, the cut, the legend.
"""

from __future__ import annotations

import math

from tnrnn.layout import (
    MAX_WIDTH_INCHES,  # noqa: F401 (re-exported, as before the layout moved)
    UNIT_INCHES,  # noqa: F401
    DrawingLayout,
    clear_above,
    figure_size,  # noqa: F401
    input_legs,
    midpoint,
)
from tnrnn.style import OKABE_ITO

FORMATS = ("svg", "pdf", "png")

#: colours of the two sides of a partition (Okabe-Ito blue and orange: colour-blind safe, apart in grey-scale)
SIDE_COLORS = (OKABE_ITO["blue"], OKABE_ITO["orange"])
#: colour of a cut (Okabe-Ito vermillion; cut edges are also drawn thick and cut copy tensors ringed)
CUT_COLOR = OKABE_ITO["vermillion"]

#: marker, face colour, relative size and legend text of every node role
ROLE_STYLE = {
    "copy": ("o", "black", 0.45, r"copy tensor $\delta$ (Hadamard $\odot$)"),
    "W_I": ("s", "#9ecae1", 1.0, r"$W^{I,l}$ (input weights)"),
    "W_H": ("D", "#a1d99b", 0.9, r"$W^{H,l}$ (recurrent weights)"),
    "W_O": ("s", "#6a51a3", 1.25, r"$W^{O}$ (output weights)"),
    "ones": ("o", "white", 0.8, r"$\mathbf{1}$ ($W^{H}h^{0} := $ ones)"),
    "input": ("o", None, 1.15, "input $f(x^t)$"),
    "core": ("s", "#fdae6b", 1.0, r"core $A^{l}$ (a cell's full layer tensor)"),
}

_ROLE_TEXT = {"W_I": "I", "W_H": "H", "W_O": "O", "ones": "1"}

#: how a title names an input domain
_DOMAIN_WORDS = {"onehot": "one-hot", "continuous": "continuous"}


def _fit_into_figure(fig, ax, pad: float = 0.06) -> None:
    """Place ``ax`` so that it and what it draws outside its box fill the figure up to ``pad`` inches from each edge.

    What lies outside the box: row names, the bound, the legend, the title. A few passes, as the equal aspect ratio
    moves the box.
    """
    ax.set_anchor("C")
    ax.set_position([0.0, 0.0, 1.0, 1.0])
    for _ in range(4):
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        fb, tb, box = fig.bbox, ax.get_tightbbox(r), ax.get_position(original=False).transformed(fig.transFigure)
        p = pad * fig.dpi
        d_left, d_right = box.x0 - tb.x0, tb.x1 - box.x1
        d_bottom, d_top = box.y0 - tb.y0, tb.y1 - box.y1
        free_w, free_h = fb.width - 2 * p - d_left - d_right, fb.height - 2 * p - d_bottom - d_top
        if free_w <= 1 or free_h <= 1:
            return
        # the new box: the active (aspect-kept) box scaled into the free space, centred there
        k = min(free_w / box.width, free_h / box.height)
        w, h = box.width * k, box.height * k
        x = p + d_left + (free_w - w) / 2
        y = p + d_bottom + (free_h - h) / 2
        ax.set_position([x / fb.width, y / fb.height, w / fb.width, h / fb.height])


def _stroke_sizes(graph, lay: DrawingLayout, unit: float) -> tuple[float, float]:
    """``(line width, node marker size)`` in points, from the points per layout unit."""
    lw = max(0.4, min(1.6, unit / 14))
    if lay.kind != "radial":
        return lw, max(2.0, min(13.0, 0.42 * unit))
    # nodes on the outer ring sit about 2 pi r / n_inputs apart
    r_out = max(math.hypot(*p) for p in lay.pos.values())
    pitch = unit * 2 * math.pi * r_out / max(1, len(graph.input_nodes))
    return max(0.2, min(0.6, pitch / 6)), max(1.0, min(5.0, 0.7 * pitch))


def _draw_edges(ax, graph, lay: DrawingLayout, segments, *, lw: float, text: bool, fs: float):
    """The bonds (dark), the input legs (grey), the cut edges (thick red) and the open output leg of ``W^O``."""
    from matplotlib.collections import LineCollection

    big = lay.kind == "radial"
    styles = {"R": ("0.25", lw, "tn-edges"), "M": ("0.6", 0.7 * lw, "tn-edges")}
    styles["cut"] = (CUT_COLOR, max(1.0 if big else 2.0, 2.6 * lw), "tn-cut-edges")
    for kind, (color, width, gid) in styles.items():
        segs, names = segments[kind]
        coll = LineCollection(segs, colors=color, linewidths=width, zorder=2 if kind == "cut" else 1, gid=gid)
        coll.tnrnn_edges = tuple(names)
        ax.add_collection(coll)
    open_names = set(graph.output)
    for k, name in enumerate(graph.names):
        if graph.roles[k] == "W_O" and any(idx in open_names for idx in graph.indices[k]):
            px, py = lay.pos[name]
            ax.plot([px, px + 0.8], [py, py], color="0.25", lw=lw, zorder=1)
            if text:
                ax.text(px + 0.9, py, "$y$", ha="left", va="center", fontsize=fs)


def _draw_nodes(ax, graph, pos, side_A: set, *, base: float, big: bool, text: bool, fs: float) -> list:
    """One scatter collection per role (inputs coloured by side); returns the legend handles of the roles."""
    handles = []
    for role in ("copy", "W_I", "W_H", "core", "ones", "W_O", "input"):
        # the one-hot copy tensors joining input copies are drawn with the other copy tensors
        ks = [k for k, r in enumerate(graph.roles) if r == role]
        if not ks:
            continue
        marker, face, rel, legend_text = ROLE_STYLE[role]
        names = [graph.names[k] for k in ks]
        if role == "input":
            faces = [SIDE_COLORS[0] if graph.times[k] in side_A else SIDE_COLORS[1] for k in ks]
        else:
            faces = face
        coll = ax.scatter(
            [pos[nm][0] for nm in names],
            [pos[nm][1] for nm in names],
            s=(base * rel) ** 2,
            marker=marker,
            c=faces,
            edgecolors="black" if role != "copy" else "none",
            linewidths=0.6 if not big else 0.3,
            zorder=3,
            gid="tn-nodes",
        )
        coll.tnrnn_names = tuple(names)
        if role != "input":
            if role == "copy" and not graph.is_tree():
                legend_text = r"copy tensor $\delta$ (Hadamard $\odot$; joins input copies)"
            if role == "ones" and "cell" in graph.meta:  # a cell's first-step state
                legend_text = (
                    r"$h^{0} = 0$ with its constant: $(0, \ldots, 0, 1)$"
                    if graph.meta.get("homogenised")
                    else r"$\mathbf{1}$ (first step: $u := $ ones)"
                )
            handles.append(_legend_marker(marker, face, legend_text))
        if text and role in _ROLE_TEXT and base * rel >= 1.3 * fs:  # a letter only where the marker holds it
            color = "white" if role == "W_O" else "black"
            for nm in names:
                ax.text(*pos[nm], _ROLE_TEXT[role], ha="center", va="center", fontsize=fs, color=color, zorder=4)
    return handles


def _draw_labels(ax, graph, lay: DrawingLayout, cut_set: set, unit: float, fs: float):
    """Time steps under the inputs; on small networks drawn large, the dimension of every edge (red on the cut)."""
    pos = lay.pos
    for k, r in enumerate(graph.roles):
        if r == "input":
            px, py = pos[graph.names[k]]
            ax.text(px, py - 0.42, f"{graph.times[k]}", ha="center", va="top", fontsize=fs, zorder=4)
    if graph.n_nodes > 60 or unit < 2.2 * fs:
        return
    for u, v, index in graph.edges():
        if index in lay.wraps:
            continue
        (ux, uy), (vx, vy) = pos[u], pos[v]
        dx, dy = (0.0, 0.22) if uy == vy else (0.18, 0.0)
        ax.text(
            (ux + vx) / 2 + dx,
            (uy + vy) / 2 + dy,
            str(graph.size_dict[index]),
            ha="center",
            va="center",
            fontsize=fs,
            color=CUT_COLOR if index in cut_set else "0.35",
            zorder=4,
        )


def _draw_cut(ax, graph, cut, lay: DrawingLayout, segments, *, base: float, lw: float, fs: float):
    """The copy tensors the cut goes through (red rings), and the bound above the drawing with arrows to the cut."""
    pos, big = lay.pos, lay.kind == "radial"
    cc = [pos[c] for c in cut.cut_copies]
    ring = ax.scatter(
        [p[0] for p in cc],
        [p[1] for p in cc],
        s=(base * 1.25) ** 2,
        facecolors="none",
        edgecolors=CUT_COLOR,
        linewidths=max(0.8 if big else 1.5, 2 * lw),
        zorder=4,
        gid="tn-cut-copies",
    )
    ring.tnrnn_names = tuple(cut.cut_copies)
    cut_pts = [midpoint(seg) for seg in segments["cut"][0]] + cc
    if not cut_pts:
        return
    x0, x1, _, y1 = lay.extent
    W = x1 - x0 + 2.0
    if big:  # no room beside the cut: top left corner
        cx, ty = x0, y1 + 0.5
    else:  # the bound above the drawing; arrows drop only where nothing lies between it and the cut
        cx, ty = min(max(sum(p[0] for p in cut_pts) / len(cut_pts), x0 + 0.3 * W), x1 - 0.3 * W), y1 + 0.9
    ax.text(
        cx,
        ty,
        _format_bound(graph, cut),
        ha="left" if big else "center",
        va="bottom",
        fontsize=fs,
        color=CUT_COLOR,
        zorder=5,
        gid="tn-cut-bound",
    )
    if big:
        return
    others = segments["R"][0] + segments["M"][0]
    arrow = {"arrowstyle": "-|>", "color": CUT_COLOR, "lw": 0.7, "alpha": 0.7, "shrinkA": 0, "shrinkB": 3}
    for px, py in cut_pts:
        if clear_above(pos, others, px, py, ty):
            ax.annotate("", xy=(px, py), xytext=(px, ty - 0.05), zorder=2, gid="tn-cut-arrow", arrowprops=arrow)


def _draw_row_names(ax, graph, lay: DrawingLayout, unit: float, fs: float) -> None:
    """The row names of a RAC network left of each band (in the margin `_spans` leaves)."""
    L = graph.meta.get("L")
    if not _has_row_names(graph, unit, fs):
        return
    x0 = lay.extent[0]
    for top, _ in lay.bands:
        rows = {}
        for l in range(L, 0, -1):
            rows[top - 2 * (L - l)] = f"layer {l}: $\\delta$, $W^{{H,{l}}}$"
            if unit >= 1.4 * fs:  # rows far enough apart for a name on every one
                rows[top - 2 * (L - l) - 1] = f"$W^{{I,{l}}}$"
        if graph.is_tree():
            rows[top - 2 * L] = "inputs"
        else:
            rows[top - 2 * L - 0.5] = "input copies"
            rows[top - 2 * L - 1.5] = "inputs"
        for yy, text in rows.items():
            ax.text(x0 - 1.0, yy, text, ha="right", va="center", fontsize=fs, color="0.35")


def _draw_legend(ax, graph, handles: list, part, *, with_cut: bool, big: bool, cols: int, fs: float):
    """The legend under the drawing: node roles, the two sides, the bond and leg dimensions, the cut."""
    dims = sorted({int(graph.size_dict[i]) for i in input_legs(graph)})
    R = graph.meta.get("R")
    handles = handles + [
        _legend_marker("o", SIDE_COLORS[0], "Start input ($t \\leq T/2$)" if part.is_start_end else "side A"),
        _legend_marker("o", SIDE_COLORS[1], "End input ($t > T/2$)" if part.is_start_end else "side B"),
        _legend_line(
            "0.25",
            1.4,
            (f"bond dim $R+1={R + 1}$" if graph.meta.get("homogenised") else f"bond dim $R={R}$") if R else "bond",
        ),
        _legend_line(
            "0.6",
            1.0,
            (f"input leg dim $M+1={dims[0]}$" if graph.meta.get("input_constant") else f"input leg dim $M={dims[0]}$")
            if len(dims) == 1
            else "input leg",
        ),
    ]
    if with_cut:
        handles.append(_legend_line(CUT_COLOR, 2.6, "min-cut (edges / ringed copy tensors)"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=min(cols, len(handles)),
        fontsize=fs,
        frameon=False,
        handletextpad=0.4,
        columnspacing=1.2,
    )


def _legend_marker(marker, face, text):
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        ls="none",
        marker=marker,
        markerfacecolor=face,
        markeredgecolor="black",
        markeredgewidth=0.6,
        markersize=7 if marker != "o" or face != "black" else 4.5,
        label=text,
    )


def _legend_line(color, lw, text):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=lw, label=text)


def _has_row_names(graph, unit: float, fs: float) -> bool:
    """True when the drawing writes the row names of a RAC network (`_draw_row_names`)."""
    return bool(graph.meta.get("L") and graph.meta.get("T") and "cell" not in graph.meta and unit >= fs)


def _format_bound(graph, cut) -> str:
    """``"min-cut through 3 bonds: rank <= 2^3 = 8"`` as mathtext.

    The value is written out below 10^9; above, an exact power of two is written as one (``2^{135}``, once when the
    product already reads so) and any other value as ``≈ 2^{x.x}``.
    """
    dims = [int(graph.size_dict[i]) for i in cut.cut_edges] + [graph.copy_dim(c) for c in cut.cut_copies]
    counts: dict[int, int] = {}
    for d in dims:
        counts[d] = counts.get(d, 0) + 1
    factors = [f"{d}^{{{c}}}" if c > 1 else f"{d}" for d, c in sorted(counts.items())]
    product = r" \cdot ".join(factors)
    bound = int(cut.bound)
    relation = "="
    if bound < 10**9:
        value = f"{bound}"
    elif bound & (bound - 1) == 0:
        value = f"2^{{{bound.bit_length() - 1}}}"
    else:
        value, relation = f"2^{{{cut.log2_bound:.1f}}}", r"\approx"
    parts = []
    if cut.cut_edges:
        parts.append(f"{len(cut.cut_edges)} bond{'s' if len(cut.cut_edges) > 1 else ''}")
    if cut.cut_copies:
        parts.append(f"{len(cut.cut_copies)} copy tensor{'s' if len(cut.cut_copies) > 1 else ''}")
    what = f"min-cut through {' + '.join(parts)}:  "
    if product in (value, ""):
        return what + f"$\\mathrm{{rank}} \\leq {value}$"
    return what + f"$\\mathrm{{rank}} \\leq {product} {relation} {value}$"
