"""Notebook display: the rich reprs Jupyter shows for results, reports, atlas queries and networks.

`RankResult`, the bounds reports and atlas query results render as small HTML tables (the status as a coloured
badge that also says it in words, so it reads without colour); networks render as SVG or PNG, with their min-cut
when one was computed. Markup is well-formed XML (every tag closed, every value escaped), so one parser checks it.
Pure Python at import: matplotlib is imported only when a network is drawn.
"""

from __future__ import annotations

import html
import math

__all__ = [
    "STATUS_COLOURS",
    "status_badge",
    "value_text",
    "key_value_table",
    "records_table",
    "rank_html",
    "bounds_html",
    "network_image",
    "DRAW_LIMIT",
]

#: badge colours of the statuses (Okabe-Ito: bluish green, orange, vermillion; grey), with black text on each
STATUS_COLOURS = {"proven": "#009E73", "lower-bound": "#E69F00", "partial": "#D55E00", "diagnostic": "#BBBBBB"}
#: the most nodes a network's notebook display draws (larger ones show their text repr)
DRAW_LIMIT = 2000
_CELL = 'style="text-align:left;padding:1px 8px"'
_HEAD = 'style="text-align:left;padding:1px 8px;border-bottom:1px solid #888"'


def status_badge(status) -> str:
    """The status as a coloured badge (HTML); the word is always written, the colour only repeats it."""
    colour = STATUS_COLOURS.get(status, "#FFFFFF")
    return (
        f'<span style="background:{colour};color:#000;padding:0 6px;border-radius:3px;font-weight:bold">'
        f"{html.escape(str(status))}</span>"
    )


def value_text(v) -> str:
    """A value as short plain text: big integers as a power of two with their digit count, floats to 3 digits."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        if abs(v) >= 10**15:
            return f"≈ 2^{math.log2(abs(v)):.1f} ({len(str(abs(v)))} digits)"
        return str(v)
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        if len(v) == 2 and all(isinstance(x, int) for x in v):
            return f"{v[0]} × {v[1]}"
        return ", ".join(value_text(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {value_text(x)}" for k, x in v.items())
    return str(v)


def _cell(v, *, status=False) -> str:
    return status_badge(v) if status else html.escape(value_text(v))


def key_value_table(rows, *, caption: str | None = None) -> str:
    """A two-column HTML table of ``(name, value)`` pairs (a value of ``status`` is a badge)."""
    body = "".join(
        f"<tr><th {_CELL}>{html.escape(name)}</th><td {_CELL}>{_cell(value, status=name == 'status')}</td></tr>"
        for name, value in rows
    )
    cap = f'<caption style="text-align:left">{caption}</caption>' if caption else ""
    return f"<table>{cap}<tbody>{body}</tbody></table>"


def records_table(records, columns, *, caption: str | None = None) -> str:
    """An HTML table of ``records`` (dicts) over ``columns``; a ``status`` column is coloured."""
    head = "".join(f"<th {_HEAD}>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td {_CELL}>{_cell(r.get(c), status=c == 'status')}</td>" for c in columns) + "</tr>"
        for r in records
    )
    cap = f'<caption style="text-align:left">{caption}</caption>' if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def rank_html(res) -> str:
    """A `RankResult`: the rank and its status in the caption, the certificate in a short table below."""
    part = res.partition.get("name", "custom")
    caption = (
        f"<b>rank {html.escape(value_text(res.rank))}</b> {status_badge(res.status)} "
        f"{html.escape(res.cell)} M={res.M} R={res.R} L={res.L} T={res.T}, {html.escape(res.domain)} domain, "
        f"{html.escape(part)} partition"
    )
    if res.method == "svd":
        rows = [("method", "float SVD: a diagnostic that under-counts (use method modp)"), ("matrix", list(res.N))]
    else:
        rows = [
            ("status", res.status),
            ("failure bound", res.failure_bound),
            ("proven upper bound", res.upper_bound),
            ("primes", res.primes),
            ("seeds", res.seeds),
            ("rank per seed", res.ranks),
            ("matrix", list(res.N)),
            ("degree", res.degree),
            ("confidence", res.confidence),
            ("elimination", res.extra.get("elimination")),
        ]
        if res.extra.get("stopped"):
            rows.append(("stopped", res.extra["stopped"]))
    secs = res.timing.get("total")
    if isinstance(secs, (int, float)):
        rows.append(("seconds", float(secs)))
    return key_value_table(rows, caption=caption)


def bounds_html(report) -> str:
    """A bounds report (`tnrnn.bounds.bounds_report`, `tnrnn.cells.cell_bounds_report`): one row per bound."""
    sizes = " ".join(f"{k}={report[k]}" for k in ("M", "R", "L", "T") if k in report)
    part = (report.get("partition") or {}).get("name", "start-end")
    caption = f"<b>bounds</b> {html.escape(str(report.get('cell', 'rac')))} {sizes}, {html.escape(part)} partition"
    skip = {"M", "R", "L", "T", "cell", "partition"}
    rows = [(k, v) for k, v in report.items() if k not in skip]
    return key_value_table(rows, caption=caption)


def network_image(graph, cut, fmt: str):
    """``graph`` drawn (`tnrnn.draw.draw_network`, with ``cut`` highlighted) as SVG text or PNG bytes.

    None when the network has more than `DRAW_LIMIT` nodes (the notebook then shows the text repr).
    """
    if graph.n_nodes > DRAW_LIMIT:
        return None
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    import tnrnn  # the drawing through the curated top level, loaded on first use: the structure modules that call
    # this hook (network, cuts) sit below the drawing module, and no module of theirs imports it

    fig, _ = tnrnn.draw_network(graph, cut=cut)
    buf = io.BytesIO()
    try:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tnrnn"}):
            fig.savefig(buf, format=fmt, dpi=100, bbox_inches="tight", metadata={"svg": {"Date": None}}.get(fmt))
    finally:
        plt.close(fig)
    data = buf.getvalue()
    return data.decode("utf-8") if fmt == "svg" else data
