"""Shared argument handling of the ``tnrnn`` verbs: list parsers, common flags, validators, JAX set-up.

No JAX and no numpy here: ``tnrnn --help`` and argument errors stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys

#: the longest list a ``start:stop:step`` range may expand to
from tnrnn._registry import Registry
from tnrnn._types import ArgumentError, check_float

#: verb name -> the function that declares it on the sub-parsers (``add(sub)``)
VERBS: Registry = Registry("verb")
#: the order of ``tnrnn --help`` (a verb registered later, e.g. by a plug-in, comes after these)
HELP_ORDER = ("rank", "bounds", "table", "experiment", "network", "cut", "draw", "linear", "figures", "atlas")

MAX_RANGE = 10_000


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help texts show a default where there is one (not None, a flag's False or a required argument), once.

    A text that names its default itself gets no second one; a list default reads as the flag takes it, ``2,4,6``.
    """

    def _get_help_string(self, action):
        text = action.help or ""
        if action.required or action.default is None or action.default is False or "default" in text:
            return text
        if isinstance(action.default, (list, tuple)):
            return text + " (default: " + ",".join(map(str, action.default)).replace("%", "%%") + ")"
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exits 2; help texts show the defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # noqa: D401 - argparse API
        print(f"{self.prog}: error: {_one_line(message)}", file=sys.stderr)
        raise SystemExit(2)


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _items(text: str, what: str) -> list[str]:
    items = [v.strip() for v in text.split(",")]
    if not text.strip() or any(not v for v in items):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a non-empty comma-separated list of {what}")
    return items


def _int_list(text: str) -> list[int]:
    """``2,4,6``, a range ``start:stop[:step]`` (inclusive stop) or a mix: ``1,4:8:2`` is ``[1, 4, 6, 8]``."""
    what = "integers or start:stop[:step] ranges with an inclusive stop, e.g. 2,4,6 or 2:12:2"
    out: list[int] = []
    for item in _items(text, what):
        try:
            parts = [int(v) for v in item.split(":")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a comma-separated list of {what}") from None
        if len(parts) == 1:
            out.append(parts[0])
            continue
        if len(parts) > 3 or (len(parts) == 3 and parts[2] < 1) or parts[1] < parts[0]:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not allowed: a range start:stop[:step] with start <= stop and step >= 1"
            )
        start, stop, step = (*parts, 1) if len(parts) == 2 else parts
        if (stop - start) // step + 1 + len(out) > MAX_RANGE:
            raise argparse.ArgumentTypeError(f"{item!r} is not allowed: lists of at most {MAX_RANGE} values")
        out += range(start, stop + 1, step)
    return _distinct(out)


def _distinct(values: list) -> list:
    """``values`` with repeats removed, first occurrences kept in order: a list of choices is a set."""
    return list(dict.fromkeys(values))


def _float_list(text: str) -> list[float]:
    what = "finite numbers"
    try:
        values = [float(v) for v in _items(text, what)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a comma-separated list of {what}") from None
    for v in values:
        try:
            check_float("value", v)
        except ArgumentError:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a comma-separated list of {what}") from None
    return values


def _name_list(text: str) -> list[str]:
    return _distinct(_items(text, "names"))


def _float_set(text: str) -> list[float]:
    """`_float_list` with repeats removed (a list of choices, such as learning rates to try)."""
    return _distinct(_float_list(text))


def _sizes(p, *, T_required=True):
    p.add_argument("--M", type=int, required=True, help="input dimension (alphabet size for onehot)")
    p.add_argument("--R", type=int, required=True, help="width: hidden channels per layer")
    p.add_argument("--L", type=int, required=True, help="depth: number of stacked recurrent layers")
    p.add_argument("--T", type=int, required=T_required, help="sequence length")


#: the default ``--cell``; it needs no look-up in the registry, whose import loads numpy
_DEFAULT_CELL = "rac"


def _cell_flag(p):
    p.add_argument(
        "--cell",
        default=_DEFAULT_CELL,
        help="recurrent cell: rac (default) | bilinear | mi | quad | linear | gru | lstm",
    )
    p.add_argument(
        "--act-degree",
        dest="act_degree",
        type=int,
        default=None,
        help="gru, lstm: degree of the Taylor sigmoid and tanh, 1 (default) or 3",
    )


def _check_cell(args):
    """Fold ``--act-degree`` into ``--cell`` (its canonical spec, e.g. ``gru:act_degree=3``), validated.

    The default cell without ``--act-degree`` needs no look-up (the registry's import loads numpy).
    """
    if getattr(args, "cell", None) in (None, _DEFAULT_CELL) and getattr(args, "act_degree", None) is None:
        return
    from tnrnn.cells import cell_spec

    args.cell = cell_spec(args.cell, act_degree=getattr(args, "act_degree", None))


def _confidence_flags(p) -> None:
    """``--fast`` / ``--rigorous``: the confidence of the ranks (default: certified)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--fast",
        action="store_true",
        help="prime-field repetitions only (the mode before certified ranks): faster, but the failure bound of a "
        "deep cell can be vacuous; without it every rank is certified (proven, or failure bound <= 1e-6)",
    )
    g.add_argument(
        "--rigorous",
        action="store_true",
        help="word-size primes (FLINT) until the failure bound is <= 1e-6: the same guarantee, slower",
    )


def _confidence(args) -> str:
    return "rigorous" if args.rigorous else "fast" if args.fast else "certified"


def _json_flag(p):
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")


def _progress_flag(p, what="a progress bar"):
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"{what} on stderr (default: only when stderr is a terminal)",
    )


def _progress(args) -> bool:
    from tnrnn._progress import show_progress

    return show_progress(args.progress)


def _cache_flags(p):
    p.add_argument("--atlas", default=None, help="rank atlas file (default $TNRNN_ATLAS or the user cache)")
    p.add_argument("--no-cache", action="store_true", help="compute everything; neither read nor write the atlas")


def _cache(args):
    from tnrnn.atlas import cache_argument

    return cache_argument(args.atlas, args.no_cache)


def _jax_cache_dir() -> str:
    """``$TNRNN_JAX_CACHE`` (``off``: none), else the user cache's ``tnrnn/jax``."""
    return os.environ.get("TNRNN_JAX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tnrnn", "jax"
    )


def _jax_env():
    """The settings of `_enable_x64` through the environment, for verbs that may need no JAX at all.

    For instance a table that the atlas holds needs none. JAX reads them if and when it is imported, in this process or
    in a worker process.
    """
    if "jax" in sys.modules:  # already imported (the command run from Python): set them there, not in os.environ
        _enable_x64()
        return
    os.environ.setdefault("JAX_ENABLE_X64", "True")
    cache = _jax_cache_dir()
    if cache != "off":
        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", cache)
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")


def _enable_x64():
    import jax

    jax.config.update("jax_enable_x64", True)
    # the CLI (not the library) keeps compiled kernels between runs: a rank kernel then loads instead of compiling
    cache = _jax_cache_dir()
    if cache != "off":
        try:
            jax.config.update("jax_compilation_cache_dir", cache)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
        except (AttributeError, ValueError):  # pragma: no cover - older JAX
            pass


# --- shared validators (no JAX) ---------------------------------------------------------------------------


def _check_sizes_domain(args, *, partition: bool = False):
    from tnrnn._types import check_domain, check_sizes, parse_partition

    check_sizes(args.M, args.R, args.L, args.T)
    if getattr(args, "domain", None) is not None:
        check_domain(args.domain)
    _check_cell(args)
    if partition:
        parse_partition(args.partition, args.T)


def _check_out_file(args, attr: str = "out"):
    from tnrnn._io import check_output_file

    if getattr(args, attr) is not None:
        check_output_file(attr, getattr(args, attr))
