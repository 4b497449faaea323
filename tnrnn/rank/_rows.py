"""Stored rows: the checks of a result or min-cut row, which of two results wins, and the row of a new result.

Part of `tnrnn.rank.store`.
"""

from __future__ import annotations

import datetime
import json

from tnrnn.rank._keys import KEY_FIELDS, _key_text, _warn

# --- checking stored rows -------------------------------------------------------------------------------------


class _BadRow(ValueError):
    """A stored row that is not a valid result (the message says why)."""


def _is_int(v, minimum=0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _is_ints(v) -> bool:
    return isinstance(v, list) and all(_is_int(x) for x in v)


#: the checks of a stored result's fields (`RankResult`'s), by field
_FIELD_CHECKS = {
    "rank": _is_int,
    "M": lambda v: _is_int(v, 1),
    "R": lambda v: _is_int(v, 1),
    "L": lambda v: _is_int(v, 1),
    "T": lambda v: _is_int(v, 1),
    "domain": lambda v: isinstance(v, str),
    "method": lambda v: isinstance(v, str),
    "partition": lambda v: isinstance(v, dict),
    "seeds": _is_ints,
    "primes": _is_ints,
    "ranks": _is_ints,
    "N": lambda v: _is_ints(v) and len(v) == 2,
    "upper_bound": lambda v: v is None or _is_int(v),
    "status": lambda v: isinstance(v, str),
    "failure_bound": lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)),
    "cell": lambda v: isinstance(v, str),
    "extra": lambda v: isinstance(v, dict),
    "timing": lambda v: isinstance(v, dict),
}


def _required_fields() -> tuple[str, ...]:
    """`RankResult`'s fields without a default: what every stored result must hold."""
    import dataclasses

    from tnrnn.rank.certificate import RankResult

    missing = dataclasses.MISSING
    return tuple(
        f.name for f in dataclasses.fields(RankResult) if f.default is missing and f.default_factory is missing
    )


def _check_row(row: dict) -> dict:
    """The result (a dict) of a stored ``results`` row, after checking it and the columns readers use.

    Raises `_BadRow` (saying what is wrong): the result is not a JSON object, lacks a field of `RankResult`, has a
    field of the wrong type, or disagrees with the row's columns.
    """
    from tnrnn.rank.certificate import STATUSES

    try:
        d = json.loads(row.get("result"))
    except (TypeError, ValueError) as exc:
        raise _BadRow(f"its result is not valid JSON ({exc})") from None
    if not isinstance(d, dict):
        raise _BadRow("its result is not a JSON object")
    missing = [k for k in _required_fields() if k not in d]
    if missing:
        raise _BadRow(f"its result lacks {', '.join(missing)}")
    wrong = [k for k, ok in _FIELD_CHECKS.items() if k in d and not ok(d[k])]
    if d.get("status", "lower-bound") not in STATUSES:
        wrong.append("status")
    if wrong:
        raise _BadRow(f"its result has a wrong {', '.join(wrong)}")
    differ = [k for k in ("M", "R", "L", "T", "domain", "rank", "status") if row.get(k) != d.get(k, row.get(k))]
    if differ:
        raise _BadRow(f"its columns {', '.join(differ)} differ from its result")
    for k in ("primes", "seeds", "N"):
        if row.get(k) is not None:
            try:
                json.loads(row[k])
            except (TypeError, ValueError):
                raise _BadRow(f"its column {k} is not valid JSON") from None
    return d


def _row_ok(row: dict, check=None) -> bool:
    """Whether ``check(row)`` (default `_check_row`; `_check_bound` for a min-cut row) passes."""
    try:
        (check or _check_row)(row)
    except _BadRow:
        return False
    return True


def _check_bound(row: dict) -> int:
    """The bound of a stored ``min_cuts`` row (a decimal integer >= 1); raises `_BadRow`."""
    text = row.get("bound")
    if not isinstance(text, str) or not text.isdigit() or int(text) < 1:
        raise _BadRow(f"its bound {text!r} is not an integer >= 1")
    return int(text)


def _warn_bad_row(path: str, key, why, action: str) -> None:
    """One `AtlasWarning` for a stored row that is not valid (naming its key)."""
    _warn(f"{path}: the stored row {key} is not a valid result ({why}); {action}", suffix="")


_STATUS_ORDER = {"partial": 0, "lower-bound": 1, "proven": 2}


def better_result(status: str, rank: int, old_status: str, old_rank: int) -> bool:
    """Whether a result (``status``, ``rank``) is better than another for the same key: the rule of a merge.

    Finished beats partial; proven beats lower-bound; otherwise (two lower bounds, two partials) the larger certified
    rank. (Two proven ranks that differ contradict each other: `tnrnn.atlas.merge_atlases` reports them.) A
    recomputation written to the atlas follows `_better` instead, which also lets a newer finished result replace an
    older one.
    """
    if status != "partial" and old_status != "partial" and status != old_status:
        return status == "proven"
    return (_STATUS_ORDER.get(status, 0), rank) > (_STATUS_ORDER.get(old_status, 0), old_rank)


def _better(status, rank, old_status, old_rank, *, final=True) -> bool:
    """Whether a new (status, rank) replaces a stored one.

    Finished beats partial; among partials the larger rank, or the one no timeout stopped (``final``).
    """
    if old_status == "partial":
        return status != "partial" or rank > old_rank or final
    return status != "partial"


def _timed_out(d: dict) -> bool:
    """Did a timeout stop this (partial) result? ``max_N`` partials are final for their key."""
    return d.get("status") == "partial" and str((d.get("extra") or {}).get("stopped", "")).startswith("timeout")


def _toolkit_version() -> str:
    try:
        from importlib.metadata import version

        return version("tnrnn")
    except Exception:  # noqa: BLE001 - not installed: the source tree's version
        return "0.1.0"


def _row(key: dict, result, timeout, meta) -> dict:
    import socket  # only when writing

    d = result.to_dict()
    extra = d.get("extra") or {}
    meta = dict(meta or {})
    row = {"key": _key_text(key), **{k: key[k] for k in KEY_FIELDS}}
    row.update(
        rank=int(d["rank"]),
        status=d["status"],
        failure_bound=d["failure_bound"],
        upper_bound=None if d["upper_bound"] is None else str(d["upper_bound"]),
        primes=json.dumps(d["primes"]),
        seeds=json.dumps(d["seeds"]),
        N=json.dumps(d["N"]),
        elimination=extra.get("elimination"),
        evaluation=extra.get("evaluation"),
        device=extra.get("device"),
        wall_seconds=(d.get("timing") or {}).get("total"),
        timeout=timeout,
        toolkit_version=meta.get("toolkit_version") or _toolkit_version(),
        created=meta.get("created") or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        host=meta.get("host") or socket.gethostname(),
        result=json.dumps(d),
    )
    return row
