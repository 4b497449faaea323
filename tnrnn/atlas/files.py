"""The command line's atlas operations on files: query, export, merge, with their argument checks.

What ``tnrnn atlas ...`` and the ``--atlas`` / ``--no-cache`` flags call.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice, check_positive_int, parse_partition
from tnrnn.atlas.export import (
    EXPORT_COLUMNS,
    EXPORT_FORMATS,
    QUERY_COLUMNS,
    AtlasQuery,
    export_rows,
    format_rows,
    write_atomic,
)
from tnrnn.atlas.merge import merge_atlases
from tnrnn.rank.store import (
    KEY_FIELDS,
    Atlas,
    AtlasUnavailable,
    default_atlas_path,
)

# --- the command line's operations (``tnrnn atlas ...``, ``--atlas``/``--no-cache``) ------------------------

#: the filters of ``tnrnn atlas query/export`` (every key field and the status)
FILTERS = (*KEY_FIELDS, "status")


def cache_argument(atlas, no_cache: bool = False):
    """The ``cache=`` value of ``--atlas PATH`` / ``--no-cache``: None, the path, or True (the default atlas)."""
    if no_cache:
        return None
    if atlas is None:
        return True
    return _check_atlas_path(atlas)


def _check_atlas_path(path, *, must_exist=False, name="atlas") -> str:
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ArgumentError(name, path, "a file path")
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if os.path.isdir(full) or os.fspath(path).endswith(("/", os.sep)):
        raise ArgumentError(name, path, "a file path (this is a directory)")
    if must_exist and not os.path.exists(full):
        raise ArgumentError(name, path, "an existing atlas file")
    if not os.path.isdir(os.path.dirname(full)):
        raise ArgumentError(name, path, "a file in an existing directory")
    return full


def check_filters(filters: dict) -> dict:
    """Validate ``tnrnn atlas`` filters (raises `ArgumentError` naming the filter); drops the None ones."""
    from tnrnn._types import DOMAINS
    from tnrnn.rank.certificate import STATUSES
    from tnrnn.rank.engine import CONFIDENCES, METHODS

    out = {}
    for name, value in filters.items():
        if value is None:
            continue
        check_choice("filter", name, FILTERS)
        if name in ("M", "R", "L", "T", "n_seeds", "N0", "max_N", "engine_version"):
            value = check_positive_int(name, value)
        elif name == "seed":
            value = check_positive_int(name, value, minimum=0)
        elif name in ("domain", "method", "confidence", "status"):
            value = check_choice(
                name, value, {"domain": DOMAINS, "method": METHODS, "confidence": CONFIDENCES, "status": STATUSES}[name]
            )
        elif name == "partition":
            if value not in ("start-end", "interleaved"):
                T = filters.get("T")
                if T is None:
                    import re

                    if not re.fullmatch(r"\d+(,\d+)*;\d+(,\d+)*", value):
                        raise ArgumentError("partition", value, "start-end, interleaved or explicit sides '1,2;3,4'")
                else:
                    value = parse_partition(value, T).spec()
        elif name == "cell" and not value:
            raise ArgumentError("cell", value, "a cell name such as rac")
        out[name] = value
    return out


def _open_for_cli(path, *, must_exist) -> Atlas | None:
    """The atlas of ``--atlas`` (or the default one): read-only (``must_exist``: list, query, export), or to write."""
    given = path is not None
    full = _check_atlas_path(path, must_exist=must_exist and given) if given else default_atlas_path()
    if not os.path.exists(full):
        if must_exist:
            return None  # the default atlas does not exist yet: nothing stored
        os.makedirs(os.path.dirname(full), exist_ok=True)
    try:
        return Atlas(full, readonly=must_exist)
    except AtlasUnavailable as exc:
        raise ArgumentError("atlas", path or full, f"a usable atlas file ({exc})") from None


# fmt: off
#: the columns of ``tnrnn atlas list/query`` in a terminal
def query_atlas(path, filters: dict, *, fmt: str = "markdown") -> AtlasQuery:
    """``tnrnn atlas list/query``: ``rows`` (export records), ``count``, ``skipped``, ``path`` and the ``text``.

    A dict; in a notebook it shows as a table of the rows (status coloured). The file is opened read-only;
    ``skipped`` counts the rows that are not valid results (one warning each).
    """
    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    filters = check_filters(filters)
    atlas = _open_for_cli(path, must_exist=True)
    rows, skipped = _valid_rows(atlas, filters)
    records = export_rows(rows)
    columns = QUERY_COLUMNS if fmt == "markdown" else EXPORT_COLUMNS
    return AtlasQuery(
        path=atlas.path if atlas is not None else default_atlas_path(),
        count=len(records),
        skipped=skipped,
        rows=records,
        text=format_rows(records, fmt, columns),
    )


def _valid_rows(atlas: Atlas | None, filters: dict) -> tuple[list[dict], int]:
    """The valid rows of ``atlas`` under ``filters``, and how many were skipped (one warning each)."""
    if atlas is None:
        return [], 0
    good, bad = atlas.read_rows(warn=True, **filters)
    return good, len(bad)


_EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}


def export_atlas(path, out: str, filters: dict, *, fmt: str | None = None) -> dict:
    """``tnrnn atlas export``: write the records (certificate, bounds, marks) to ``out`` atomically."""
    if not isinstance(out, str) or not out:
        raise ArgumentError("out", out, "a file path")
    if fmt is None:
        ext = os.path.splitext(out)[1].lower()
        if ext not in _EXTENSIONS:
            raise ArgumentError("out", out, "a file ending in .csv, .json or .md (or give --format)")
        fmt = _EXTENSIONS[ext]
    fmt = check_choice("format", fmt, EXPORT_FORMATS)
    from tnrnn._io import check_output_file

    target = check_output_file("out", out)
    filters = check_filters(filters)
    atlas = _open_for_cli(path, must_exist=True)
    rows, skipped = _valid_rows(atlas, filters)
    records = export_rows(rows)
    write_atomic(target, format_rows(records, fmt))
    return {
        "path": atlas.path if atlas is not None else default_atlas_path(),
        "out": out,
        "format": fmt,
        "count": len(records),
        "skipped": skipped,
    }


def merge_atlas_files(target, sources: Sequence[str]) -> dict:
    """``tnrnn atlas merge``: merge the source files into ``target`` (see `merge_atlases`).

    The sources are opened read-only (never created, upgraded or changed, not even their journal mode); an empty
    file, another program's database or a newer atlas is refused (`ArgumentError`) before the target is opened.
    """
    if not sources:
        raise ArgumentError("sources", sources, "one or more atlas files")
    paths = [_check_atlas_path(s, must_exist=True, name="sources") for s in sources]
    first: dict = {}
    for s, p in zip(sources, paths, strict=True):  # a file named twice is merged once
        first.setdefault(p, s)
    paths, sources = list(first), list(first.values())
    dest = _check_atlas_path(target) if target is not None else default_atlas_path()
    for s, p in zip(sources, paths, strict=True):
        if p == os.path.abspath(dest):
            raise ArgumentError("sources", s, "atlas files other than the target --atlas")
    opened = []
    for s, p in zip(sources, paths, strict=True):
        try:
            opened.append(Atlas(p, readonly=True))
        except AtlasUnavailable as exc:
            raise ArgumentError("sources", s, f"usable atlas files ({exc})") from None
    atlas = _open_for_cli(target, must_exist=False)
    try:
        res = merge_atlases(atlas, opened)
    except AtlasUnavailable as exc:  # the target locked (or damaged) while merging
        raise ArgumentError("atlas", target or atlas.path, f"an atlas file this process can write ({exc})") from None
    finally:
        for a in opened:
            a.close()
    return {"path": atlas.path, "sources": sources, **res}
