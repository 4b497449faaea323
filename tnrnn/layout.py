"""Where the nodes of a drawing go: positions and geometry only (no matplotlib, no arrays).

`tnrnn.draw` renders what this module places; both are deterministic, so two drawings of one network are
identical.

**The tensor network** (`network_layout`). The tensor network of a RAC is a tree rooted at ``W^O`` (continuous
domain) or becomes one once the input nodes and the copy tensors joining input copies are set aside (one-hot
domain). It is laid out as an *HV tree*: the recurrent branch of a node (``W^H`` and the earlier hidden state, or
the ``ones`` vector at ``t = 1``) continues on the same row to the left, the input branch (``W^I`` and the layer
below) hangs below. Every subtree occupies its own column range, so no two nodes share a position and no two
bottom-row labels collide, for networks of any size. Rows are then layers: the top row holds the layer-``L``
copy tensors, the bottom row the inputs. A shallow RAC comes out as the familiar matrix product state, a chain
with its input legs hanging down. Trees that are not RAC networks use the same rule with every child hanging
below. `drawing_layout` folds wide trees into bands and wraps very large networks around a circle
(`radial_layout`).

**The unrolled computation graph** (`computation_graph_layout`): a grid, time to the right and depth upwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tnrnn._types import ArgumentError

__all__ = [
    "FONT_SIZE",
    "LABEL_LIMIT",
    "MAX_WIDTH_INCHES",
    "TARGET_ASPECT",
    "UNIT_INCHES",
    "UNIT_PER_FONT",
    "DrawingScale",
    "drawing_scale",
    "figure_size",
    "legend_box",
    "DrawingLayout",
    "computation_graph_layout",
    "drawing_layout",
    "edge_segments",
    "network_layout",
    "radial_layout",
]
from tnrnn._layout_sizes import (  # noqa: F401 - re-exported: the layout's public sizes
    EXTRA_HEIGHT,
    FOLD_COST,
    FONT_SIZE,
    LABEL_LIMIT,
    MAX_WIDTH_INCHES,
    RIGHT_MARGIN,
    ROW_NAMES_WIDTH,
    TARGET_ASPECT,
    UNIT_INCHES,
    UNIT_PER_FONT,
    DrawingScale,
    clear_above,
    computation_graph_layout,
    drawing_scale,
    edge_segments,
    figure_size,
    input_legs,
    is_leg,
    legend_box,
    midpoint,
)


def _adjacency(graph, keep):
    adj = {k: [] for k in range(graph.n_nodes) if keep[k]}
    eu, ev, _ = graph.edge_arrays()
    for u, v in zip(eu.tolist(), ev.tolist(), strict=True):
        if keep[u] and keep[v]:
            adj[u].append(v)
            adj[v].append(u)
    return adj


def _is_horizontal(parent_role: str, child_role: str, same_layer: bool = False) -> bool:
    """Children that continue on their parent's row: the recurrent branch and the top state beside ``W^O``.

    In a cell network (`tnrnn.build.build_network`) a core's recurrent branch is its child in the same layer.
    """
    return (
        (parent_role == "copy" and child_role in ("W_H", "ones"))
        or (parent_role == "core" and same_layer)
        or (parent_role == "W_H" and child_role == "copy")
        or parent_role == "W_O"
    )


def _hv_layout(graph, adj, root) -> dict[int, tuple[float, float]]:
    """HV-tree positions (root at the origin; subtrees extend to the left and down), iteratively."""
    roles, layers = graph.roles, graph.layers
    parent = {root: -1}
    order = [root]
    stack = [root]
    while stack:  # pre-order, children in node order
        v = stack.pop()
        for c in sorted(adj[v], reverse=True):
            if c not in parent:
                parent[c] = v
                order.append(c)
                stack.append(c)
    children: dict[int, list[int]] = {v: [] for v in order}
    for v in order[1:]:
        children[parent[v]].append(v)
    # bottom-up: relative offsets of every child and the left extent (<= 0) of every subtree
    left: dict[int, float] = {}
    offset: dict[int, tuple[float, float]] = {}
    for v in reversed(order):
        kids = sorted(children[v])
        horiz = [c for c in kids if _is_horizontal(roles[v], roles[c], layers[c] == layers[v])]
        vert = [c for c in kids if c not in horiz]
        x, lo = 0.0, 0.0
        for c in vert:
            offset[c] = (x, -1.0)
            lo = min(lo, x + left[c])
            x = x + left[c] - 1.0
        x = lo - 1.0
        for c in horiz:
            offset[c] = (x, 0.0)
            lo = min(lo, x + left[c])
            x = x + left[c] - 1.0
        left[v] = lo
    pos = {root: (0.0, 0.0)}
    for v in order[1:]:
        px, py = pos[parent[v]]
        dx, dy = offset[v]
        pos[v] = (px + dx, py + dy)
    return pos


def network_layout(graph) -> dict[str, tuple[float, float]]:
    """Deterministic, overlap-free positions of every node of a tensor network (see the module notes).

    Parameters
    ----------
    graph : tnrnn.network.TNGraph
        A compiled RAC network (`tnrnn.build.build_network`, either domain) or any tree.

    Returns
    -------
    dict
        Node name -> ``(x, y)`` in layout units (neighbouring columns are 1 apart, rows are 1 apart, the root
        ``W^O`` sits at the top right). One-hot input copy tensors and inputs take two rows below the rest, each
        under the mean position of the weights it feeds, pushed apart to stay 2 units apart.
    """
    n = graph.n_nodes
    roles, layers = graph.roles, graph.layers
    if n == 0:
        return {}
    if graph.is_tree():
        keep = [True] * n
    else:  # one-hot: set aside the inputs and the copy tensors that join input copies
        keep = [not (r == "input" or (r == "copy" and l == 0)) for r, l in zip(roles, layers, strict=True)]
    adj = _adjacency(graph, keep)
    root = next((k for k in range(n) if keep[k] and roles[k] == "W_O"), next(k for k in range(n) if keep[k]))
    pos = _hv_layout(graph, adj, root)
    if len(pos) != sum(keep):
        raise ArgumentError("graph", f"{n} nodes", "a tree, or a one-hot RAC network (a tree once inputs are removed)")
    if not all(keep):
        _place_inputs(graph, keep, pos)
    names = graph.names
    return {names[k]: pos[k] for k in sorted(pos)}


def _place_inputs(graph, keep, pos):
    """Put the set-aside one-hot copy tensors and inputs on two rows below the tree."""
    eu, ev, _ = graph.edge_arrays()
    nbrs: dict[int, list[int]] = {}
    for u, v in zip(eu.tolist(), ev.tolist(), strict=True):
        nbrs.setdefault(u, []).append(v)
        nbrs.setdefault(v, []).append(u)
    bottom = min(y for _, y in pos.values())
    aside = [k for k in range(graph.n_nodes) if not keep[k]]
    # each row: copy tensors under the weights they feed, then the inputs under their copy tensor or weight
    rows = {}
    for k in aside:
        if graph.roles[k] == "copy":
            rows[k] = bottom - 1.5
        else:
            rows[k] = bottom - 2.5
    for level in (bottom - 1.5, bottom - 2.5):
        ks = [k for k in aside if rows[k] == level]
        want = {}
        for k in ks:
            xs = [pos[j][0] for j in nbrs.get(k, []) if j in pos]
            want[k] = sum(xs) / len(xs) if xs else 0.0
        ordered = sorted(ks, key=lambda k: (want[k], graph.times[k]))
        placed = _spread([want[k] for k in ordered], 2.0)
        for k, x in zip(ordered, placed, strict=True):
            pos[k] = (x, level)


def radial_layout(pos: dict) -> dict:
    """`network_layout` positions wrapped around a circle: columns become angles, rows become rings.

    The top row (the root's) is the innermost ring, the inputs the outermost; used for the compact drawing of
    networks above `LABEL_LIMIT` nodes, whose straight layout would be far wider than tall.
    """
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x0, x1, y1 = min(xs), max(xs), max(ys)
    span = x1 - x0 + 2.0
    out = {}
    for name, (x, y) in pos.items():
        angle = math.pi / 2 - 2 * math.pi * (x - x0) / span
        r = 2.0 + (y1 - y)
        out[name] = (r * math.cos(angle), r * math.sin(angle))
    return out


def _spread(xs: list[float], gap: float) -> list[float]:
    """Sorted targets moved as little as possible (pool-adjacent averaging) to stay ``gap`` apart."""
    blocks: list[list[float]] = []  # [start, count, sum of (target - gap*i)]
    for i, x in enumerate(xs):
        blocks.append([i, 1, x - gap * i])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][1] > blocks[-1][2] / blocks[-1][1]:
            s, c, t = blocks.pop()
            blocks[-1][1] += c
            blocks[-1][2] += t
    out = []
    for start, count, total in blocks:
        base = total / count
        out.extend(base + gap * (start + j) for j in range(count))
    return out


@dataclass(frozen=True)
class DrawingLayout:
    """The positions a drawing uses: `network_layout`, folded into bands or wrapped around a circle.

    Attributes
    ----------
    pos : dict
        Node name -> ``(x, y)`` in layout units.
    kind : str
        ``"straight"`` (one band), ``"folded"`` (several bands stacked top to bottom, earliest times on top) or
        ``"radial"``.
    bands : tuple of (float, float)
        The ``(top, bottom)`` rows of every band (one entry unless folded).
    wraps : dict
        Edge index -> polyline (tuple of points) for the edges that join one band to the next: they leave a band at
        its right end, run through the gap below it and enter the next band from the left, crossing no node.
    """

    pos: dict
    kind: str
    bands: tuple = ()
    wraps: dict = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(x0, x1, y0, y1)`` over every node and wrap line."""
        pts = list(self.pos.values()) + [p for line in self.wraps.values() for p in line]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), max(xs), min(ys), max(ys)


def drawing_layout(
    graph,
    *,
    max_width: float | None = None,
    aspect: float = TARGET_ASPECT,
    unit: float = UNIT_INCHES,
    extra_height: float = EXTRA_HEIGHT,
) -> DrawingLayout:
    """The layout `draw_network` uses: straight, folded into bands to stay near ``aspect``, or radial.

    Networks above `LABEL_LIMIT` nodes are wrapped around a circle (`radial_layout`). Otherwise the straight
    `network_layout` is folded into as many bands as bring the drawing's width : height ratio (with the row names,
    the title, the bound and the legend: ``extra_height`` units) closest to ``aspect`` (each band beyond the first
    costs `FOLD_COST` in ``|log(ratio / aspect)|``), and at least as many as keep
    each band within ``max_width`` inches at ``unit`` inches per layout unit. A fold cuts the chain of the top layer
    between two of its time steps, where a single edge joins the two parts (every sub-network owns its own
    columns); the bands are stacked like lines of text (the earliest time steps on top, left-aligned), with that
    edge drawn from the right end of one band through the gap to the left end of the next. Networks
    without such an edge (one-hot inputs joined by copy tensors) stay straight.

    Parameters
    ----------
    graph : tnrnn.network.TNGraph
    max_width : float, optional
        Widest band in inches (default `MAX_WIDTH_INCHES`).
    aspect : float
        Target width : height ratio of the whole drawing (default 16:9).
    unit : float
        Inches per layout unit (default `UNIT_INCHES`, the scale of 10 pt labels).
    extra_height : float
        Layout units above and below the network (title, bound, legend) counted in the ratio.

    Returns
    -------
    DrawingLayout
    """
    pos = network_layout(graph)
    if graph.n_nodes > LABEL_LIMIT:
        return DrawingLayout(radial_layout(pos), "radial")
    max_units = max(4.0, (MAX_WIDTH_INCHES if max_width is None else max_width) / unit - ROW_NAMES_WIDTH - RIGHT_MARGIN)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    width, band_h = max(xs) - min(xs) + 2.0, max(ys) - min(ys)
    cuts = _fold_points(graph, pos) if graph.is_tree() else []
    straight = DrawingLayout(pos, "straight", ((max(ys), min(ys)),))
    if "cell" in graph.meta and width / (len(cuts) + 1) > 2 * max_units:  # a cell tree with too few folds (quad)
        return DrawingLayout(radial_layout(pos), "radial")
    if not cuts:
        return straight

    def ratio(k: int) -> float:  # width : height of the drawing in k bands (band pitch: band height + 3)
        w = width / k + ROW_NAMES_WIDTH + RIGHT_MARGIN
        return w / (k * band_h + (k - 1) * 3.0 + 2.0 + extra_height)

    # the number of bands: enough to respect the maximum width, then the one closest to the target ratio
    need = max(1, min(math.ceil(width / max_units), len(cuts) + 1))
    best = min(range(need, len(cuts) + 2), key=lambda k: abs(math.log(ratio(k) / aspect)) + FOLD_COST * (k - 1))
    if best == 1:
        return straight
    x_right = max(xs)
    chosen = []
    for i in range(1, best):  # the fold nearest to each of the k - 1 equally spaced boundaries
        target = x_right - i * width / best
        free = [c for c in cuts if not chosen or c[0] < chosen[-1][0]]
        if free:
            chosen.append(min(free, key=lambda c: abs(c[0] - target)))
    if not chosen:
        return straight
    bounds = [x_right + 1.0] + [cx for cx, _ in chosen] + [min(xs) - 1.0]
    band_of = {}
    for name, (x, _) in pos.items():
        band_of[name] = next(b for b in range(len(bounds) - 1) if bounds[b + 1] < x <= bounds[b])
    n_bands = len(bounds) - 1
    x_left = min(xs)
    y_top, y_bot = max(ys), min(ys)
    pitch = (y_top - y_bot) + 3.0  # band height plus the gap holding labels and the wrap line
    # the leftmost part (the earliest time steps) becomes the top band, read like lines of text; bands left-aligned
    row = {b: n_bands - 1 - b for b in range(n_bands)}
    shifts = {}
    for b in range(n_bands):
        left = min(x for name, (x, _) in pos.items() if band_of[name] == b)
        shifts[b] = (x_left - left, -row[b] * pitch)
    new = {name: (x + shifts[band_of[name]][0], y + shifts[band_of[name]][1]) for name, (x, y) in pos.items()}
    wraps = {}
    for b, (_, index) in enumerate(chosen):
        u, v = graph.edge_nodes(index)
        a, c = (u, v) if band_of[u] == b else (v, u)  # c: the right end of the band above, a: the left end below
        (ax_, ay), (cx_, cy) = new[a], new[c]
        gap_y = cy - (y_top - y_bot) - 1.9
        wraps[index] = (
            (cx_, cy),
            (cx_ + 0.7, cy),
            (cx_ + 0.7, gap_y),
            (x_left - 0.9, gap_y),
            (x_left - 0.9, ay),
            (ax_, ay),
        )
    bands = tuple((y_top - k * pitch, y_bot - k * pitch) for k in range(n_bands))
    return DrawingLayout(new, "folded", bands, wraps)


def _fold_points(graph, pos) -> list[tuple[float, str]]:
    """Places to fold a tree: ``(x, index)`` of each top-row edge that alone joins the columns left and right of x."""
    y_top = max(y for _, y in pos.values())
    out = []
    xs_sorted = sorted(x for x, _ in pos.values())
    for u, v, index in graph.edges():
        (xu, yu), (xv, yv) = pos[u], pos[v]
        if not (yu == yv == y_top) or abs(xu - xv) < 0.5:
            continue
        cx = (xu + xv) / 2
        lo, hi = min(xu, xv), max(xu, xv)
        if any(lo < x < hi for x in xs_sorted):
            continue  # another node shares the columns between the two ends
        out.append((cx, index))
    # keep the folds whose two sides are joined by this edge only
    eu, ev, _ = graph.edge_arrays()
    xs = [pos[n][0] for n in graph.names]
    pairs = list(zip(eu.tolist(), ev.tolist(), strict=True))
    good = [(cx, index) for cx, index in out if sum((xs[a] < cx) != (xs[b] < cx) for a, b in pairs) == 1]
    return sorted(good, reverse=True)
