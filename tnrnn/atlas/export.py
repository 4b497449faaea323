"""Exporting atlas rows: `export_rows`, `format_rows` (CSV, JSON, Markdown) and `write_atomic`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice


def _row_label(row) -> str:
    return (
        f"cell={row['cell']} M={row['M']} R={row['R']} L={row['L']} T={row['T']} domain={row['domain']} "
        f"partition={row['partition']} seed={row['seed']} n_seeds={row['n_seeds']}"
    )


# fmt: off
#: export columns: the key, the certificate, the bounds and the marks (see `export_rows`)
EXPORT_COLUMNS = (
    "cell", "L", "M", "R", "T", "domain", "partition", "rank", "status", "failure_bound", "lower", "conjecture",
    "conjecture_holds", "state_upper", "degree_upper", "alphabet_upper", "min_cut", "best_upper", "attained", "primes",
    "seeds",
    "N", "elimination", "evaluation", "device", "wall_seconds", "timeout", "seed", "n_seeds", "method", "N0",
    "confidence", "max_N", "engine_version", "toolkit_version", "created", "host",
)
# fmt: on


class AtlasRecords(list):
    """Export records (`export_rows`): a plain list of dicts in every use, a table in a notebook (status coloured)."""

    def _repr_html_(self) -> str:
        from tnrnn._display import records_table

        return records_table(self, QUERY_COLUMNS, caption=f"<b>{len(self)}</b> stored result(s)")


class AtlasQuery(dict):
    """The dict of `query_atlas` (``path``, ``count``, ``skipped``, ``rows``, ``text``); a table in a notebook."""

    def _repr_html_(self) -> str:
        import html

        from tnrnn._display import records_table

        caption = f"<b>{self['count']}</b> stored result(s) in {html.escape(str(self['path']))}"
        return records_table(self["rows"], QUERY_COLUMNS, caption=caption)


def export_rows(rows: list[dict]) -> AtlasRecords:
    """Rows of `Atlas.rows` as export records: the certificate, the best proven bounds and the marks.

    The bounds are what the row's cell proves (`tnrnn.cells.bound_columns`; for a cell not registered in this
    process, the upper bounds stored with its result): ``lower`` (the proven lower bound: the RAC's for Start-End
    and L <= 2), ``conjecture`` (the RAC's depth-L conjecture, Start-End, L >= 2), the proven upper bounds and
    ``min_cut`` (the min-cut of the cell's network, stored with results since the certified engine) and
    ``best_upper`` (their minimum); ``conjecture_holds``:
    ``yes`` (the certified rank reaches it), ``no`` (a proven rank below it: the conjecture fails), ``no?`` (a
    lower-bound rank below it: fails unless the rank is wrong, probability at most ``failure_bound``) or ``open``
    (a partial rank below it); ``attained``: the bounds equal to the rank, ``+``-joined.
    """
    from tnrnn.cells.report import bound_columns

    out = []
    for row in rows:
        rec = {k: row.get(k) for k in EXPORT_COLUMNS if k in row}
        for k in ("primes", "seeds", "N"):
            rec[k] = json.loads(row[k]) if row.get(k) else None
        result = json.loads(row["result"])
        rec["partition"] = (
            result.get("partition", {}).get("name")
            if result.get("partition", {}).get("name") != "custom"
            else row["partition"]
        )
        M, R, L, T, d = row["M"], row["R"], row["L"], row["T"], row["domain"]
        low = conj = None
        ups = {k: v for k, v in (result.get("extra", {}).get("bounds") or {}).items()}
        try:  # what the cell proves (its protocol); a cell not registered here keeps the bounds stored with it
            cols = bound_columns(row["cell"], M, R, L, T, domain=d, partition=row["partition"])
        except ArgumentError:
            cols = None
        if cols is not None:
            low, conj = cols.pop("lower"), cols.pop("conjecture")
            cut = ups.get("min_cut")  # the min-cut the engine computed and stored with the result (its cap)
            ups = {k: v for k, v in cols.items() if v is not None}
            if cut is not None:
                ups["min_cut"] = cut
        rank, status = row["rank"], row["status"]
        rec.update(
            lower=low,
            conjecture=conj,
            state_upper=ups.get("state_upper"),
            degree_upper=ups.get("degree_upper"),
            alphabet_upper=ups.get("alphabet_upper"),
            min_cut=ups.get("min_cut"),
            best_upper=min(ups.values()) if ups else None,
        )
        if conj is None:
            rec["conjecture_holds"] = None
        elif rank >= conj:
            rec["conjecture_holds"] = "yes"
        else:
            rec["conjecture_holds"] = {"proven": "no", "lower-bound": "no?"}.get(status, "open")
        named = {"lower": low, "conjecture": conj, **ups}
        rec["attained"] = "+".join(k for k, v in named.items() if v is not None and v == rank) or None
        out.append({k: rec.get(k) for k in EXPORT_COLUMNS})
    return AtlasRecords(out)


EXPORT_FORMATS = ("csv", "json", "markdown")


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "x".join(map(str, v)) if len(v) == 2 and all(isinstance(x, int) for x in v) else " ".join(map(str, v))
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def format_rows(records: list[dict], fmt: str, columns: Sequence[str] = EXPORT_COLUMNS) -> str:
    """Records as CSV, JSON or a Markdown table (``columns`` in that order)."""
    import csv
    import io

    from tnrnn._io import strict_json

    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    if fmt == "json":
        return strict_json([{k: r.get(k) for k in columns} for r in records], indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in records:
            w.writerow([_csv_cell(r.get(k)) for k in columns])
        return buf.getvalue()
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(_text(r.get(k)) or "–" for k in columns) + " |" for r in records]
    return "\n".join([head, sep, *body]) + "\n"


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return " ".join(map(str, v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: `tnrnn._io.write_text` (kept under this name)."""
    from tnrnn._io import write_text

    write_text(path, text)


QUERY_COLUMNS = (
    "cell",
    "L",
    "M",
    "R",
    "T",
    "domain",
    "partition",
    "rank",
    "status",
    "failure_bound",
    "conjecture",
    "conjecture_holds",
    "best_upper",
    "attained",
    "N",
    "elimination",
    "wall_seconds",
)
# fmt: on
