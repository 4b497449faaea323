"""What identifies a stored result: the key fields and their defaults, the versions, the cell's identity.

Part of `tnrnn.rank.store` (which re-exports every public name); no numpy and no JAX.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Sequence

from tnrnn._types import ArgumentError, check_choice, check_domain, check_positive_int, check_sizes, parse_partition
from tnrnn.rank.certificate import check_confidence

#: bump whenever a change of the rank engine could change a stored result (rank, status, bound, certificate)
ENGINE_VERSION = 3
#: version of the SQLite layout (``PRAGMA user_version``); a newer file is refused with a warning, an older one is
#: upgraded in place (2: the ``min_cuts`` table)
SCHEMA_VERSION = 2
#: bump whenever a change of the min-cut code (`tnrnn.cuts`) could change a stored min-cut bound
CUT_VERSION = 1
# fmt: off
#: every input that determines a result, in key order (plus ``engine_version``)
KEY_FIELDS = (
    "cell", "M", "R", "L", "T", "domain", "partition", "seed", "n_seeds", "method", "N0", "confidence", "max_N",
    "engine_version",
)
# fmt: on
#: the key inputs that have a default in `tnrnn.rank.separation_rank` (read from its signature: `key_defaults`)
OPTIONAL_KEYS = ("partition", "cell", "seed", "n_seeds", "method", "N0", "confidence", "max_N")
#: the defaults of the key inputs: `tnrnn.rank.separation_rank` takes its defaults from here (one definition, readable
#: without importing the engine's numpy and JAX)
KEY_DEFAULTS = {
    "partition": "start-end",
    "cell": "rac",
    "seed": 0,
    "n_seeds": 2,
    "method": "modp",
    "N0": 64,
    "confidence": "certified",
    "max_N": None,
}
#: the rank methods (`tnrnn.rank.engine.METHODS` is this tuple)
METHODS = ("modp", "svd")
_METHODS = METHODS  # the earlier private name
#: the key of a stored min-cut bound (deterministic in these; ``cut_version`` is `CUT_VERSION`)
MIN_CUT_FIELDS = ("cell", "M", "R", "L", "T", "domain", "partition", "cut_version")


class AtlasWarning(UserWarning):
    """The atlas cannot be used (newer schema, locked, corrupted, unwritable); the call computes without it."""


class AtlasUnavailable(RuntimeError):
    """Raised inside this module when the atlas file cannot be used; callers turn it into one `AtlasWarning`."""


def default_atlas_path() -> str:
    """``$TNRNN_ATLAS``, else ``$XDG_CACHE_HOME/tnrnn/atlas.sqlite``, else ``~/.cache/tnrnn/atlas.sqlite``."""
    env = os.environ.get("TNRNN_ATLAS")
    if env:
        return os.path.expanduser(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tnrnn", "atlas.sqlite")


# --- keys -----------------------------------------------------------------------------------------------------


def make_key(M, R, L, T, *, domain, engine_version=None, **options) -> dict:
    """The validated, canonical key of a `separation_rank` call (a dict over `KEY_FIELDS`).

    ``options`` are the other key inputs (`OPTIONAL_KEYS`); the missing ones take `separation_rank`'s defaults.
    Raises `ArgumentError` for an invalid input and for inputs the atlas does not store (a `Cell` object rather
    than a registered name). Imports neither numpy nor JAX.
    """
    for name in options:
        check_choice("key input", name, OPTIONAL_KEYS)
    o = {**KEY_DEFAULTS, **options}
    return {
        **_cell_fields(o["cell"], M, R, L, T, domain, o["partition"]),
        "seed": check_positive_int("seed", o["seed"], minimum=0),
        "n_seeds": check_positive_int("n_seeds", o["n_seeds"]),
        "method": check_choice("method", o["method"], _METHODS),
        "N0": check_positive_int("N0", o["N0"]),
        "confidence": check_confidence(o["confidence"]),
        "max_N": None if o["max_N"] is None else check_positive_int("max_N", o["max_N"]),
        "engine_version": ENGINE_VERSION if engine_version is None else int(engine_version),
    }


def _key_text(key: dict, fields: Sequence[str] = KEY_FIELDS) -> str:
    return json.dumps([key[k] for k in fields], separators=(",", ":"))


def _cell_fields(cell, M, R, L, T, domain, partition) -> dict:
    """The validated fields shared by both keys: the cell's name, its sizes, the domain, the partition's spec."""
    M, R, L, T = check_sizes(M, R, L, T)
    if not isinstance(cell, str):
        raise ArgumentError("cell", cell, "a registered cell name (the atlas stores results of named cells only)")
    if ":" in cell:  # a cell with options, "gru:act_degree=3": its canonical spec (loads the cells, hence numpy)
        from tnrnn.cells.base import cell_spec

        cell = cell_spec(cell)
    ident = _cell_identity(cell)
    if ident is None:
        raise ArgumentError("cell", cell, "a cell whose definition can be identified (" + _UNIDENTIFIED + ")")
    return {
        "cell": ident,
        "M": M,
        "R": R,
        "L": L,
        "T": T,
        "domain": check_domain(domain),
        "partition": parse_partition(partition, T).spec(),
    }


_UNIDENTIFIED = "give the class a `version`, bumped on every change, or define it in a module of its own"


def _cell_identity(name: str) -> str | None:
    """The key's ``cell`` for a cell name: `tnrnn.cells.cell_identity` of the registered class (None: unidentified).

    The toolkit's own cells keep their name, so their rows stay valid across runs and versions of a user's cell get
    rows of their own (``name@v=...``, ``name@src=...``). No cell module loaded means no cell of a user's registered:
    the name is returned as it is, without importing numpy.
    """
    name, sep, options = name.partition(":")  # a spec, "gru:act_degree=3", keeps its options
    base = sys.modules.get("tnrnn.cells.base")
    cls = None if base is None else base.CELL_REGISTRY.get(name)
    ident = name if cls is None else base.cell_identity(cls)
    return None if ident is None else ident + sep + options


def min_cut_key(M, R, L, T, *, domain, partition="start-end", cell="rac") -> dict:
    """The validated key of a min-cut bound (a dict over `MIN_CUT_FIELDS`; the partition in its ``"A;B"`` form)."""
    return {**_cell_fields(cell, M, R, L, T, domain, partition), "cut_version": CUT_VERSION}


def result_from_dict(d: dict):
    """The `RankResult` of a ``to_dict()`` object (JSON round trip: lists back to tuples, ``shape`` dropped)."""
    from tnrnn.rank.certificate import RankResult

    d = dict(d)
    d.pop("shape", None)
    d["N"] = tuple(d["N"])
    return RankResult(**d)


#: messages already warned (each once a process)
_WARNED: set[str] = set()


def _warn(message: str, suffix: str = "; computing without it") -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(f"tnrnn atlas: {message}{suffix}", AtlasWarning, stacklevel=3)
