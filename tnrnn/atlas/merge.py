"""Merging atlases: `merge_atlases` keeps, for every key, the result the store ranks best."""

from __future__ import annotations

from collections.abc import Iterable

from tnrnn.atlas.export import _row_label
from tnrnn.rank.store import Atlas, better_result

# --- merging and exporting ------------------------------------------------------------------------------------


def merge_atlases(target: Atlas, sources: Iterable[Atlas]) -> dict:
    """Merge the rows of ``sources`` into ``target``.

    For one key: a missing row is copied; a finished row replaces a partial one; proven beats lower-bound; among
    lower bounds (or partials) the higher certified rank wins (a rank modulo primes is a certified lower bound, so
    the larger one is the better bound). Two proven rows with different ranks, or a certified lower bound above a
    proven rank, contradict each other: the target row is kept as it was and the disagreement is reported in
    ``errors``.

    Min-cut bounds (deterministic) missing from the target are copied; two different bounds for one key are
    reported in ``errors``.

    A source row that is not a valid result is skipped (one `AtlasWarning` naming its key; counted in
    ``skipped``); a target row that is not one is replaced.

    Returns
    -------
    dict
        ``added``, ``replaced``, ``kept``, ``skipped`` (counts), ``min_cuts_added`` and ``errors`` (one line per
        proven disagreement).
    """
    out = {"added": 0, "replaced": 0, "kept": 0, "skipped": 0, "min_cuts_added": 0, "errors": []}
    for src in sources:
        for row in src.min_cut_rows():
            old = target.min_cut_row(row["key"])
            if old is None:
                target.put_min_cut_row(row)
                out["min_cuts_added"] += 1
            elif old["bound"] != row["bound"]:
                out["errors"].append(
                    f"min-cut bounds disagree for {row['key']}: {old['bound']} in {target.path}, "
                    f"{row['bound']} in {src.path}"
                )
        good, bad = src.read_rows(warn=True)
        out["skipped"] += len(bad)
        for row in good:
            had = target.result_row(row["key"])
            if had is None:
                replaced = target.has_result(row["key"])
                target.put_row(row)
                out["replaced" if replaced else "added"] += 1
                continue
            old_status, old_rank = had["status"], had["rank"]
            if old_status == "proven" and row["status"] == "proven" and old_rank != row["rank"]:
                out["errors"].append(
                    f"proven ranks disagree for {_row_label(row)}: {old_rank} in {target.path}, "
                    f"{row['rank']} in {src.path}"
                )
                continue
            sides = ((old_status, old_rank, target.path), (row["status"], row["rank"], src.path))
            proven = [(r, p) for s, r, p in sides if s == "proven"]
            other = max(old_rank, row["rank"])
            if proven and other > proven[0][0]:
                out["errors"].append(
                    f"a certified lower bound {other} exceeds the proven rank {proven[0][0]} ({proven[0][1]}) for "
                    f"{_row_label(row)}"
                )
                continue
            if better_result(row["status"], row["rank"], old_status, old_rank):
                target.put_row(row)
                out["replaced"] += 1
            else:
                out["kept"] += 1
    return out
