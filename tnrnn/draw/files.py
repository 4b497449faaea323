"""Writing drawings: the format of a path, `save_figure` (tight, atomic) and `draw_to_file`."""

from __future__ import annotations

from tnrnn._types import ArgumentError
from tnrnn.draw._artists import _DOMAIN_WORDS, FORMATS
from tnrnn.draw.network import check_drawing_size, draw_network
from tnrnn.layout import (
    FONT_SIZE,
    MAX_WIDTH_INCHES,  # noqa: F401 (re-exported, as before the layout moved)
    UNIT_INCHES,  # noqa: F401
    figure_size,  # noqa: F401
)

# ---------------------------------------------------------------------------------------------------------------
# files


def figure_format(path) -> str:
    """The format of an output file from its extension (one of `FORMATS`), or `ArgumentError` naming ``out``."""
    import os

    ext = os.path.splitext(str(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise ArgumentError("out", str(path), "a file name ending in " + ", ".join("." + f for f in FORMATS))
    return ext


def save_figure(fig, path, *, dpi: int = 150, pad: float = 0.08, tight: bool = True) -> str:
    """Write ``fig`` as SVG, PDF or PNG (by extension) with a tight bounding box; return the format.

    SVG text stays text (``<text>`` elements with the font named, editable in a vector editor), set through
    `matplotlib.rc_context` for this call only. No time stamps are written, so an unchanged figure rewrites an
    identical file, and the file is written through `tnrnn._io.atomic_savefig` (a temporary name renamed into place).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Output file; its extension (``.svg``, ``.pdf`` or ``.png``) picks the format.
    dpi : int
        Resolution of PNG files.
    pad : float
        Margin around the tight bounding box, in inches.
    tight : bool
        Crop to the drawn content plus ``pad``; ``False`` keeps the figure's size exactly (``width`` x ``height``
        inches: that many points in SVG and PDF, times ``dpi`` pixels in PNG).
    """
    import matplotlib

    from tnrnn._io import atomic_savefig

    fmt = figure_format(path)
    metadata = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
        "png": {"Software": None},
    }[fmt]
    box = {"bbox_inches": "tight", "pad_inches": pad} if tight else {}
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tnrnn"}):
        atomic_savefig(fig, path, format=fmt, dpi=dpi, metadata=metadata, **box)
    return fmt


def draw_to_file(
    M,
    R,
    L,
    T,
    *,
    out,
    domain: str = "continuous",
    partition="start-end",
    cut: bool = True,
    cell="rac",
    width: float | None = None,
    height: float | None = None,
    font_size: float = FONT_SIZE,
) -> dict:
    """Draw a cell's tensor network (a RAC's by default) with its min-cut into ``out`` (the ``tnrnn draw`` verb).

    Every argument is checked before anything is built or written; ``cell`` is a registered name or a
    `tnrnn.cells.Cell` with a product form (`tnrnn.build.build_network`). ``width``, ``height`` (inches) and
    ``font_size`` (points) are those of `draw_network`; with ``width`` or ``height`` the file has exactly the size
    asked for, otherwise it is cropped to the drawing (a network folded to about 16:9, labels at ``font_size``).

    Returns
    -------
    dict
        ``out``, ``format``, ``nodes``, ``edges`` and ``cut_bound`` (``None`` without a cut).
    """
    import matplotlib.pyplot as plt

    from tnrnn._types import check_domain, check_sizes, parse_partition
    from tnrnn.build import build_network
    from tnrnn.cuts import min_cut

    fmt = figure_format(out)
    width, height, font_size = check_drawing_size(width, height, font_size)
    M, R, L, T = check_sizes(M, R, L, T)
    domain = check_domain(domain)
    part = parse_partition(partition, T)
    graph = build_network(M, R, L, T, domain=domain, cell=cell)
    res = min_cut(graph, part) if cut else None
    if "cell" in graph.meta:
        kind = f"{'shallow' if L == 1 else f'depth-{L}'} {graph.meta['cell']} cell"
    else:
        kind = "shallow RAC = matrix product state" if L == 1 else f"depth-{L} RAC"
    fig, _ = draw_network(
        graph,
        cut=res,
        partition=part,
        title=f"{kind}  ($M = {M}$, $R = {R}$, $T = {T}$, {_DOMAIN_WORDS.get(domain, domain)} inputs; "
        f"{graph.n_nodes} nodes)",
        width=width,
        height=height,
        font_size=font_size,
    )
    try:
        save_figure(fig, out, tight=width is None and height is None)
    finally:
        plt.close(fig)
    return {
        "out": str(out),
        "format": fmt,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "cut_bound": res.bound if res is not None else None,
    }
