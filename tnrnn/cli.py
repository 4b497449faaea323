"""The ``tnrnn`` command: a thin layer over the public API (no logic of its own).

Each verb has an ``_add_<verb>(sub)`` function that declares its arguments and sets ``func`` to a runner
``_run_<verb>(args) -> dict``, ``check`` to a validator run before any work (and before JAX is imported) and
``jax`` to whether the verb needs JAX. With ``--json`` the runner's dict is printed as exactly one strict JSON object
(`tnrnn._io.strict_json`: no NaN/Infinity; integers beyond 4000 digits as ``{"log2", "digits", "sign"}``); without
it, a readable rendering.

Errors: a bad argument exits 2 with one line on stderr naming the argument, the value and what is
allowed (`tnrnn.ArgumentError`), before any work and before any file is touched. An ``OSError`` while writing
exits 1 with one line; SIGINT exits 130 and SIGTERM 143 with one line; any other failure exits 1 with a one-line
internal-error message (``--debug`` shows the traceback). Lists of integers take ``2,4,6`` or ranges
``start:stop[:step]`` with an inclusive stop (``2:12:2`` is ``2,4,...,12``); a list of choices is a set (repeats
collapse, first occurrences kept in order: ``4,4,2:4:2`` is ``4,2``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

from tnrnn._types import DOMAINS, ArgumentError, check_choice, check_float, check_positive_int, check_seed

#: the longest list a ``start:stop:step`` range may expand to
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


# --- rank ---------------------------------------------------------------------------------------------------


def _add_rank(sub):
    p = sub.add_parser("rank", help="separation rank of a cell (certified lower bound; proven when it meets a bound)")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="onehot | continuous")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--seed", type=int, default=0, help="first seed of the random weights (an integer >= 0)")
    p.add_argument(
        "--seeds", type=int, default=2, help="how many seeds: seed, seed+1, ... (a count; the maximum rank is reported)"
    )
    p.add_argument("--method", default="modp", help="modp (exact) | svd (float diagnostic)")
    _confidence_flags(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds; stop cleanly with the best certified lower bound (status partial, exit 3)",
    )
    _progress_flag(p, "a progress bar per stage")
    _cell_flag(p)
    p.add_argument(
        "--max-N",
        dest="max_N",
        type=int,
        default=None,
        help="largest continuous sample side (needed for cells without a proven upper bound)",
    )
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_rank, check=_check_rank, jax=False)  # JAX only when the atlas misses


def _check_rank(args):
    _check_sizes_domain(args, partition=True)
    check_seed(args.seed)
    check_positive_int("seeds", args.seeds)
    if args.max_N is not None:
        check_positive_int("max_N", args.max_N)
    if args.timeout is not None:
        check_float("timeout", args.timeout, minimum=0, open_min=True)
    _refuse_rank_sizes(args)


def _refuse_rank_sizes(args):
    """The size model of the request (`tnrnn.sizes`): repetitions, weights, work space and matrix, before any work."""
    from tnrnn._types import parse_partition
    from tnrnn.cells import make_cell  # light: importing the cells loads no numpy
    from tnrnn.sizes import refuse_rank_request

    cell = make_cell(args.cell, args.M, args.R, args.L)
    part = parse_partition(args.partition, args.T)
    refuse_rank_request(cell, part, args.domain, max_N=args.max_N, n_seeds=args.seeds)


def _print_plan(info):
    if info["estimate_seconds"] >= 2 or max(info["shape"]) >= 2048:
        rows, cols = info["shape"]
        print(
            f"tnrnn rank: plan: matrix up to {rows} x {cols}, peak memory ~{info['peak_bytes'] / 2**30:.2f} GiB, "
            f"rough estimate {info['estimate_seconds']:.0f} s per repetition",
            file=sys.stderr,
        )


def _run_rank(args):
    from tnrnn.rank import separation_rank

    _jax_env()  # read by JAX if the result is not in the atlas and the engine runs
    res = _certified_on_interrupt(separation_rank)(
        args.M,
        args.R,
        args.L,
        args.T,
        domain=args.domain,
        partition=args.partition,
        seed=args.seed,
        n_seeds=args.seeds,
        method=args.method,
        confidence=_confidence(args),
        timeout=args.timeout,
        progress=_progress(args),
        on_plan=_print_plan,
        cell=args.cell,
        max_N=args.max_N,
        cache=_cache(args),
    )
    out = res.to_dict()
    if not args.json:
        print(res.summary())
        out["_quiet"] = True
    if res.status == "partial":
        out["_exit"] = 3
    if str(res.extra.get("stopped", "")).startswith("interrupted"):
        print("tnrnn rank: interrupted (SIGINT); the result is what was certified by then", file=sys.stderr)
        out["_exit"] = 130
    return out


def _certified_on_interrupt(rank_fn):
    """``rank_fn`` returning on Ctrl-C the certified partial result (`tnrnn.rank.RankInterrupted`), as on a timeout."""
    from tnrnn.rank import RankInterrupted

    def call(*args, **kwargs):
        try:
            return rank_fn(*args, **kwargs)
        except RankInterrupted as exc:
            return exc.result

    return call


# --- bounds -------------------------------------------------------------------------------------------------


def _add_bounds(sub):
    p = sub.add_parser("bounds", help="closed-form bounds on the separation rank (Start-End or --partition)")
    _sizes(p)
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    _cell_flag(p)
    _cache_flags(p)  # the min-cut bounds are kept in the atlas: a repeated summary imports no numpy
    _json_flag(p)
    p.set_defaults(func=_run_bounds, check=_check_bounds, jax=False)


def _check_bounds(args):
    from tnrnn.bounds import check_closed_form_size

    _check_sizes_domain(args, partition=True)
    check_closed_form_size(args.M, args.R, args.L, args.T, args.partition)


def _run_bounds(args):
    from tnrnn.atlas import cached_bounds_with_min_cuts

    return cached_bounds_with_min_cuts(
        args.M, args.R, args.L, args.T, cell=args.cell, partition=args.partition, cache=_cache(args)
    )


# --- table --------------------------------------------------------------------------------------------------


def _add_table(sub):
    p = sub.add_parser("table", help="exact ranks beside every bound, over lists of sizes and both domains")
    p.add_argument("--L", type=_int_list, default=[1, 2, 3], help="depths, e.g. 1,2,3 or 1:3")
    p.add_argument("--M", type=_int_list, default=[2, 3], help="input dimensions")
    p.add_argument("--R", type=_int_list, default=[2, 3], help="widths")
    p.add_argument("--T", type=_int_list, default=[2, 4, 6], help="even lengths, e.g. 2,4,6 or 2:12:2")
    p.add_argument("--domain", type=_name_list, default=list(DOMAINS), help="comma-separated domains")
    p.add_argument("--domains", type=_name_list, default=None, help="deprecated alias of --domain")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (an integer >= 0)")
    p.add_argument("--format", default="markdown", help="markdown | csv | json")
    p.add_argument("--out", default=None, help="write the table to this file instead of stdout")
    _progress_flag(p)
    _cell_flag(p)
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per cell (partial results are marked)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (needs tnrnn[distributed])")
    p.add_argument("--order", default="cost", help="cost (longest cells first, default) | T (increasing T)")
    p.add_argument(
        "--frontier",
        action="store_true",
        help="skip the larger T of a series once a cell is partial or too big for memory",
    )
    _confidence_flags(p)
    _cache_flags(p)
    _json_flag(p)
    # no JAX up front: a table the atlas holds is printed without importing it (JAX settings go by the environment)
    p.set_defaults(func=_run_table, check=_check_table, jax=False)


def _check_table(args):
    from tnrnn.table import FORMATS, check_table_request

    domains = args.domains if args.domains is not None else args.domain
    _check_cell(args)
    check_table_request(args.L, args.M, args.R, args.T, domains=domains, seed=args.seed)
    check_choice("format", args.format, FORMATS)
    check_positive_int("jobs", args.jobs)
    if args.scheduler is not None:
        from tnrnn.atlas import check_scheduler

        check_scheduler(args.scheduler)
    _refuse_workers(args)
    check_choice("order", args.order, ("cost", "T"))
    if args.timeout is not None:
        check_float("timeout", args.timeout, minimum=0, open_min=True)
    _check_out_file(args)
    if args.domains is not None:
        print("tnrnn table: warning: --domains is deprecated; use --domain", file=sys.stderr)
        args.domain = args.domains


def _refuse_workers(args):
    """``--jobs`` worker processes must fit in memory (`tnrnn.sizes.refuse_workers`)."""
    from tnrnn.sizes import refuse_workers

    refuse_workers("jobs", args.jobs, args.jobs)


def _run_table(args):
    from tnrnn._io import atomic_write
    from tnrnn.table import format_table, rank_table

    _jax_env()
    rows = rank_table(
        args.L,
        args.M,
        args.R,
        args.T,
        domains=args.domain,
        seed=args.seed,
        progress=_progress(args),
        cell=args.cell,
        cache=_cache(args),
        jobs=args.jobs,
        timeout=args.timeout,
        scheduler=args.scheduler,
        order=args.order,
        frontier=args.frontier,
        confidence=_confidence(args),
    )
    text = format_table(rows, args.format)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(text)
    elif not args.json:
        print(text)
    return {"rows": rows, "format": args.format, "out": args.out, "_quiet": True}


# --- network / cut ------------------------------------------------------------------------------------------


def _add_network(sub):
    p = sub.add_parser("network", help="node and edge counts of the compiled RAC tensor network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--out", default=None, help="also write the network's JSON (tnrnn.TNGraph) to this file")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_network, check=_check_network, jax=False)


def _refuse_large_network(args):
    """Refuse, from closed-form node counts, a network too large to build, or a cell that has none (one line)."""
    from tnrnn.build import refuse_large_network

    refuse_large_network(args.M, args.R, args.L, args.T, domain=args.domain, cell=getattr(args, "cell", "rac"))


def _check_network(args):
    _check_sizes_domain(args)
    _refuse_large_network(args)
    _check_out_file(args)


def _run_network(args):
    from tnrnn._io import atomic_write
    from tnrnn.build import build_network

    graph = build_network(args.M, args.R, args.L, args.T, domain=args.domain, cell=args.cell)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(graph.to_json())
    return {
        "M": args.M,
        "R": args.R,
        "L": args.L,
        "T": args.T,
        "domain": args.domain,
        "cell": args.cell,
        **graph.summary(),
    }


def _add_cut(sub):
    p = sub.add_parser("cut", help="certified min-cut upper bound on the separation rank of the RAC network")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--engine", default="auto", help="auto | networkx | scipy | tree")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_cut, check=_check_cut, jax=False)


def _check_cut(args):
    from tnrnn.cuts import ENGINES, MAX_DIM

    _check_sizes_domain(args, partition=True)
    _refuse_large_network(args)
    check_choice("engine", args.engine, ENGINES)
    for name in ("M", "R"):
        if getattr(args, name) > MAX_DIM:
            raise ArgumentError(name, getattr(args, name), "an integer <= 2^62 for a min-cut (int64 bond dimensions)")


def _run_cut(args):
    from tnrnn.cuts import start_end_min_cut

    res = start_end_min_cut(
        args.M,
        args.R,
        args.L,
        args.T,
        domain=args.domain,
        partition=args.partition,
        engine=args.engine,
        cell=args.cell,
    )
    return {
        "M": args.M,
        "R": args.R,
        "L": args.L,
        "T": args.T,
        "domain": args.domain,
        "cell": args.cell,
        **res.to_dict(),
    }


def _add_draw(sub):
    p = sub.add_parser("draw", help="draw a cell's tensor network with its min-cut (SVG, PDF or PNG by extension)")
    _sizes(p)
    p.add_argument("--domain", default="continuous", help="continuous (tree) | onehot (copies joined)")
    p.add_argument("--partition", default="start-end", help="start-end | interleaved | '1,2;3,4'")
    p.add_argument("--no-cut", action="store_true", help="draw no min-cut")
    p.add_argument("--out", required=True, help="output file: .svg (editable text), .pdf or .png")
    p.add_argument("--width", type=float, default=None, help="figure width in inches, 1-100 (default: fit the labels)")
    p.add_argument("--height", type=float, default=None, help="figure height in inches, 1-100 (default: fit)")
    p.add_argument("--font-size", dest="font_size", type=float, default=10.0, help="label size in points, 4-48")
    _cell_flag(p)
    _json_flag(p)
    p.set_defaults(func=_run_draw, check=_check_draw, jax=False)


def _check_draw(args):
    from tnrnn.draw import check_drawing_size

    _check_sizes_domain(args, partition=True)
    check_drawing_size(args.width, args.height, args.font_size)
    _refuse_large_network(args)
    _check_out_file(args)


def _run_draw(args):
    from tnrnn.draw import draw_to_file

    return draw_to_file(
        args.M,
        args.R,
        args.L,
        args.T,
        out=args.out,
        domain=args.domain,
        partition=args.partition,
        cut=not args.no_cut,
        cell=args.cell,
        width=args.width,
        height=args.height,
        font_size=args.font_size,
    )


# --- experiment (tnrnn.tasks) -------------------------------------------------------------------------------

#: the choices of `tnrnn.tasks` (kept here so that a bad value is refused without importing JAX; a test checks
#: that they match `tnrnn.tasks.TASKS`, `CELLS` and `tnrnn.tasks.train.OPTIMIZERS`)
_TASKS, _OPTIMIZERS = ("copy", "ses"), ("adam", "rmsprop")
_CELLS = ("rac", "bilinear", "mi", "quad", "linear", "rnn", "gru", "scornn")
_PRESETS, _SCHEDULES = ("cpu", "paper"), ("patience", "plateau")
# what `_check_experiment` assumes when neither a flag nor a preset sets a value (tnrnn.tasks.experiment.DEFAULTS)
_EXPERIMENT_DEFAULTS = {
    "cell": "rac",
    "depths": [1, 2, 3],
    "seeds": [0, 1, 2],
    "n": 4,
    "m": 3,
    "M_c": 5,
    "params": [3000],
}

#: the training-settings defaults used to size the memory check when an option is not given
_TRAIN_DEFAULTS = {"batch": 128, "n_test": 2000}


def _add_experiment(sub):
    p = sub.add_parser("experiment", help="train RNNs of several depths on Copying Memory or SES")
    p.add_argument("task", help="ses (sweep over --T) | copy (sweep over the delay --B)")
    p.add_argument(
        "--preset",
        default=None,
        help="cpu (about 30 min per task on one core) | paper (the authors' scale; needs a GPU)",
    )
    p.add_argument(
        "--cell",
        default=None,
        help="rac | bilinear | mi | quad | linear (polynomial cells) | rnn | gru | "
        "scornn (default rac; paper preset scornn)",
    )
    p.add_argument("--depths", type=_int_list, default=None, help="depths, e.g. 1,2,3 or 1:3")
    p.add_argument(
        "--T",
        type=_int_list,
        default=None,
        help="SES: even sequence lengths, e.g. 20,40,60 or 20:60:20 (--quick: 8,12)",
    )
    p.add_argument("--B", type=_int_list, default=None, help="copy: delays, e.g. 10,20,40 (--quick: 5,10)")
    p.add_argument(
        "--seeds",
        type=_int_list,
        default=None,
        help="the seed values themselves, e.g. 0,1,2 (one run per seed; integers >= 0)",
    )
    p.add_argument("--n", type=int, default=None, help="number of data symbols (default 4)")
    p.add_argument("--m", type=int, default=None, help="SES word length (default 3)")
    p.add_argument("--M-c", dest="M_c", type=int, default=None, help="copy: symbols to memorise (default 5)")
    p.add_argument(
        "--params",
        type=_int_list,
        default=None,
        help="parameter budget(s) matched across depths, e.g. 2000 or 500,2000,8000 (default 3000)",
    )
    p.add_argument("--width", type=int, default=None, help="one width for every depth (overrides --params)")
    p.add_argument("--steps", type=int, default=None, help="maximum training steps per run")
    p.add_argument(
        "--min-steps",
        dest="min_steps",
        type=int,
        default=None,
        help="no early stop and no lr decay before this many steps",
    )
    p.add_argument(
        "--schedule",
        default=None,
        help="patience (stop at the first stall) | plateau (lr x0.1 at the first stall, stop at the second)",
    )
    p.add_argument("--batch", type=int, default=None, help="training batch size")
    p.add_argument("--lr", type=float, default=None, help="learning rate, 0 < lr <= 1 (without tuning)")
    p.add_argument("--lr-A", dest="lr_A", type=float, default=None, help="scoRNN: learning rate of A")
    p.add_argument("--optimizer", default=None, help="adam | rmsprop")
    p.add_argument("--patience", type=int, default=None, help="validation checks without improvement make a stall")
    p.add_argument(
        "--tune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="tune the lr per depth and budget on validation data (default on with --preset)",
    )
    p.add_argument(
        "--lr-grid",
        dest="lr_grid",
        type=_float_set,
        default=None,
        help="learning rates tried by the tuning, e.g. 1e-3,3e-3,1e-2,3e-2 (implies --tune)",
    )
    p.add_argument("--pilot-steps", dest="pilot_steps", type=int, default=None, help="steps of each tuning run")
    p.add_argument(
        "--pilot-seeds",
        dest="pilot_seeds",
        type=_int_list,
        default=None,
        help="seeds of the tuning runs, disjoint from --seeds (default 1000,1001)",
    )
    p.add_argument(
        "--tune-at",
        dest="tune_at",
        type=int,
        default=None,
        help="the T or B the tuning runs at (default the middle value)",
    )
    p.add_argument("--out", required=True, help="directory for the results file (and the plot)")
    p.add_argument("--name", default=None, help="results file stem, a plain file name (default: the task name)")
    p.add_argument("--plot", action="store_true", help="also write the accuracy plot as PNG")
    p.add_argument("--quick", action="store_true", help="smoke-test settings (a few dozen steps)")
    _progress_flag(p, "progress bars")
    _json_flag(p)
    p.set_defaults(func=_run_experiment, check=_check_experiment, jax=True)


def _check_experiment(args):

    from tnrnn._io import check_file_name, check_output_dir, check_output_file

    check_choice("task", args.task, _TASKS)
    if args.preset is not None:
        check_choice("preset", args.preset, _PRESETS)
    # flags left unset take the preset's values (checked again, resolved, in run_cli_experiment) or the defaults
    defaults = {**_EXPERIMENT_DEFAULTS, "cell": "scornn" if args.preset == "paper" else "rac"}
    args = argparse.Namespace(**{**vars(args), **{k: v for k, v in defaults.items() if getattr(args, k) is None}})
    check_choice("cell", args.cell, _CELLS)
    if args.schedule is not None:
        check_choice("schedule", args.schedule, _SCHEDULES)
    if args.min_steps is not None:
        check_positive_int("min_steps", args.min_steps, minimum=0)
    for name in ("pilot_steps", "tune_at"):
        if getattr(args, name) is not None:
            check_positive_int(name, getattr(args, name), minimum=0 if name == "tune_at" else 1)
    for lr in args.lr_grid or ():
        check_float("lr_grid", lr, minimum=0, maximum=1, open_min=True)
    if args.lr_A is not None:
        check_float("lr_A", args.lr_A, minimum=0, maximum=1, open_min=True)
    for s in args.pilot_seeds or ():
        check_seed(s, "pilot_seeds")
    sweep, other = ("T", "B") if args.task == "ses" else ("B", "T")
    if getattr(args, other) is not None:
        raise ArgumentError(other, getattr(args, other), f"not used by {args.task}; sweep over --{sweep}")
    values = getattr(args, sweep)
    if values is None and not args.quick and args.preset is None:
        what = "even sequence lengths" if args.task == "ses" else "delays"
        raise ArgumentError(sweep, values, f"a list of {what}, required for {args.task} without --quick")
    for v in values or ():
        check_positive_int(sweep, v, minimum=4 if sweep == "T" else 0)
        if sweep == "T" and v % 2:
            raise ArgumentError("T", v, "an even integer (two halves of T/2 steps)")
        if sweep == "T" and v // 2 < args.m:
            raise ArgumentError("m", args.m, f"a word length 2 <= m <= T/2 = {v // 2} (T={v})")
    for d in args.depths:
        check_positive_int("depths", d)
    for s in args.seeds:
        check_seed(s, "seeds")
    check_positive_int("n", args.n, minimum=2)
    check_positive_int("m", args.m, minimum=2)
    check_positive_int("M_c", args.M_c)
    for budget in args.params:
        check_positive_int("params", budget)
    for name in ("width", "steps", "batch", "patience"):
        if getattr(args, name) is not None:
            check_positive_int(name, getattr(args, name))
    if args.lr is not None:
        check_float("lr", args.lr, minimum=0, maximum=1, open_min=True)
    if args.optimizer is not None:
        check_choice("optimizer", args.optimizer, _OPTIMIZERS)
    stem = check_file_name("name", args.name) if args.name is not None else args.task
    check_output_dir("out", args.out)
    for ext in (".json", ".png") if args.plot else (".json",):
        if os.path.exists(args.out):
            check_output_file("name", os.path.join(args.out, stem + ext))
    _refuse_experiment_sizes(args, sweep, values)


def _refuse_experiment_sizes(args, sweep: str, values):
    """The size model of an experiment (`tnrnn.sizes`): loop counts, then the arrays of its largest run.

    Loops: steps per run (``--steps``, ``--min-steps``, ``--pilot-steps``) and the number of runs. Arrays: the
    weights and optimizer state, the one-hot inputs of a batch (or of the test set) and the activations of one batch
    kept for back-propagation, each blamed on the flag that sets its largest size.
    """
    import math

    from tnrnn.sizes import MAX_RUNS, MAX_STEPS, SizeModel, check_loop

    for name in ("steps", "min_steps", "pilot_steps"):
        if getattr(args, name) is not None:
            check_loop(name, getattr(args, name), "training steps per run", getattr(args, name), MAX_STEPS)
    lists = {"depths": args.depths, "seeds": args.seeds, "params": args.params, sweep: values or (0, 0)}
    runs = math.prod(len(v) for v in lists.values())
    longest = max(lists, key=lambda k: len(lists[k]))
    check_loop(longest, lists[longest], "training runs (depths x seeds x budgets x swept values)", runs, MAX_RUNS)
    depth = max(args.depths)
    width = args.width if args.width is not None else max(1, math.isqrt(max(args.params)))
    per_layer = (width, width, width) if args.cell == "bilinear" else (3 * width, width)  # bilinear: R x R x R cores
    tune_at = args.tune_at or 0
    length = max(*(values or (16,)), tune_at) + (2 * args.M_c + 1 if sweep == "B" else 0)
    batch = max(args.batch or _TRAIN_DEFAULTS["batch"], _TRAIN_DEFAULTS["n_test"] // 8)
    symbols = args.n + 3  # data symbols, blank, marker and delimiter: the one-hot width of the inputs
    model = SizeModel("training run")
    model.array("params", max(args.params), "parameters and optimizer state", (max(args.params),), 16)
    by_width = ("width", width) if args.width is not None else ("params", max(args.params))
    size = by_width if width >= depth else ("depths", depth)
    model.array(*size, "weights and optimizer state of one model", (depth, *per_layer), 16)
    model.array(
        "n",
        args.n,
        "input weights and one-hot inputs",
        (width + max(batch, _TRAIN_DEFAULTS["n_test"]) * length, symbols),
        8,
    )
    long = (sweep, max(values or (0,))) if max(values or (0,)) >= tune_at else ("tune_at", tune_at)
    name, value = max(
        (
            ("batch", args.batch or 0, (args.batch or 0) / 128),
            (*long, length / 100),
            (*by_width, width / 100),
            ("depths", depth, depth / 4),
        ),
        key=lambda t: t[2],
    )[:2]
    model.array(name, value, "training activations (batch x length x width x depth)", (batch, length, width, depth), 32)
    model.refuse()


# fmt: off
_EXPERIMENT_OPTIONS = (
    "cell", "depths", "seeds", "n", "m", "M_c", "params", "width", "steps", "min_steps", "schedule", "batch", "lr",
    "lr_A", "optimizer", "patience", "tune", "lr_grid", "pilot_steps", "pilot_seeds", "tune_at",
)
# fmt: on


def _run_experiment(args):
    from tnrnn.tasks.experiment import run_cli_experiment

    options = {k: getattr(args, k) for k in _EXPERIMENT_OPTIONS}
    res = run_cli_experiment(
        args.task,
        T=args.T,
        B=args.B,
        out=args.out,
        name=args.name,
        plot=args.plot,
        quick=args.quick,
        preset=args.preset,
        progress=_progress(args),
        **options,
    )
    if args.plot:
        from tnrnn.plots import save_memory_accuracy

        res["files"].append(save_memory_accuracy(res["path"], os.path.splitext(res["path"])[0] + ".png"))
    if not args.json:
        print(res.pop("table"))
        print(f"wrote {', '.join(res['files'])}")
        res["_quiet"] = True
    else:
        res.pop("table")
    return res


# --- linear (tnrnn.linear: implicit bias of linear RNNs) ---------------------------------------------------

#: `tnrnn.linear.experiments` parts and parameterisations (checked against the module by a test)
_LINEAR_PARTS, _PARAMS = ("ntk", "equivalence", "sweep", "sunspots"), ("ntk", "standard")


def _add_linear(sub):
    p = sub.add_parser("linear", help="implicit bias of linear RNNs: lag weights and experiments")
    lsub = p.add_subparsers(dest="linear_cmd", required=True, parser_class=_Parser)
    q = lsub.add_parser("lag-weights", help="analytic lag weights beta_j^2 and the memory lags they imply")
    q.add_argument(
        "--rho2",
        type=float,
        required=True,
        help="initial transition variance sigma_W^2 = rho^2, finite >= 0 (>= 1: no decay)",
    )
    q.add_argument("--sigma-c2", type=float, default=1.0, help="output-weight variance, finite >= 0")
    q.add_argument("--sigma-f2", type=float, default=1.0, help="input-weight variance, finite >= 0")
    q.add_argument("--J", type=int, default=20, help="largest lag, 0 <= J <= 100000")
    q.add_argument("--param", default="ntk", help="ntk | standard")
    q.add_argument("--lr-scale", type=_float_list, default=[1.0, 1.0, 1.0], help="relative rates W,F,C, each >= 0")
    _json_flag(q)
    q.set_defaults(func=_run_linear_lag_weights, check=_check_lag_weights, jax=True)
    e = lsub.add_parser("experiment", help="run the linear-RNN experiments and write a results JSON")
    e.add_argument("--out", required=True, help="output folder (linear.json or linear_quick.json is written)")
    e.add_argument("--quick", action="store_true", help="smoke-sized settings (seconds)")
    e.add_argument("--parts", type=_name_list, default=list(_LINEAR_PARTS), help="comma-separated subset")
    _json_flag(e)
    e.set_defaults(func=_run_linear_experiment, check=_check_linear_experiment, jax=True)


def _check_lag_weights(args):
    for name in ("rho2", "sigma_c2", "sigma_f2"):
        check_float(name, getattr(args, name), minimum=0)
    check_positive_int("J", args.J, minimum=0)
    if args.J > 100_000:
        raise ArgumentError("J", args.J, "an integer 0 <= J <= 100000 (one lag weight per lag is listed)")
    check_choice("param", args.param, _PARAMS)
    if len(args.lr_scale) != 3:
        raise ArgumentError("lr_scale", args.lr_scale, "three relative learning rates (lr_W, lr_F, lr_C)")
    for v in args.lr_scale:
        check_float("lr_scale", v, minimum=0)


def _run_linear_lag_weights(args):
    from tnrnn.linear import lag_weight_summary

    return lag_weight_summary(
        args.J,
        rho2=args.rho2,
        sigma_c2=args.sigma_c2,
        sigma_f2=args.sigma_f2,
        param=args.param,
        lr_scale=args.lr_scale,
    )


def _check_linear_experiment(args):
    from tnrnn._io import check_output_dir, check_output_file

    for part in args.parts:
        check_choice("parts", part, _LINEAR_PARTS)
    check_output_dir("out", args.out)
    if os.path.exists(args.out):
        check_output_file("out", os.path.join(args.out, "linear_quick.json" if args.quick else "linear.json"))


def _run_linear_experiment(args):
    from tnrnn.linear.experiments import run_linear_experiments, summarise_results

    res = run_linear_experiments(args.out, quick=args.quick, parts=args.parts)
    return {"path": res["path"], "mode": res["mode"], "summary": summarise_results(res)}


# --- figures (tnrnn.figures: every figure of the toolkit) --------------------------------------------------


def _add_figures(sub):
    p = sub.add_parser("figures", help="regenerate every figure (PNG + PDF) into --out")
    p.add_argument("--out", required=True, help="output directory, e.g. figures/ (created if needed)")
    p.add_argument("--quick", action="store_true", help="small sizes (under a minute; used by the tests)")
    p.add_argument("--only", type=_name_list, default=None, help="comma-separated figure names (default: all)")
    p.add_argument("--results", default="results", help="folder of the experiments' results files")
    _progress_flag(p)
    _cache_flags(p)
    _json_flag(p)
    p.set_defaults(func=_run_figures, check=_check_figures, jax=True)


def _check_figures(args):
    from tnrnn._io import check_output_dir
    from tnrnn.figures import figure_names

    for name in args.only or ():
        check_choice("only", name, figure_names())
    check_output_dir("out", args.out)
    if os.path.exists(args.results) and not os.path.isdir(args.results):
        raise ArgumentError("results", args.results, "a folder of results files")


def _run_figures(args):
    from tnrnn.figures import make_figures

    res = make_figures(
        args.out,
        quick=args.quick,
        only=args.only,
        results_dir=args.results,
        progress=_progress(args),
        cache=_cache(args),
        read_atlas_csv=not args.no_cache,
    )
    if not args.json:
        for fig in res["figures"]:
            print(f"{fig['name']}: {', '.join(fig['files'])}  ({fig['seconds']} s)")
        for skip in res["skipped"]:
            print(f"{skip['name']}: left out ({skip['reason']})")
        print(f"{len(res['files'])} files in {res['seconds']} s")
        res["_quiet"] = True
    return res


# --- atlas (tnrnn.atlas: the store of certified ranks) -----------------------------------------------------


def _atlas_filters(p):
    for name in ("M", "R", "L", "T", "seed", "N0"):
        p.add_argument(f"--{name}", type=int, default=None, help=f"only rows with this {name}")
    p.add_argument("--n-seeds", dest="n_seeds", type=int, default=None, help="only rows with this n_seeds")
    p.add_argument("--max-N", dest="max_N", type=int, default=None, help="only rows with this max_N")
    p.add_argument("--engine-version", dest="engine_version", type=int, default=None)
    for name in ("cell", "domain", "partition", "method", "confidence", "status"):
        p.add_argument(f"--{name}", default=None, help=f"only rows with this {name}")


def _add_atlas(sub):
    p = sub.add_parser("atlas", help="the rank atlas: list, query, export and merge stored certified ranks")
    asub = p.add_subparsers(dest="atlas_cmd", required=True, parser_class=_Parser)
    for name, text in (("list", "every stored result"), ("query", "stored results matching filters")):
        q = asub.add_parser(name, help=text)
        q.add_argument("--atlas", default=None, help="atlas file (default $TNRNN_ATLAS or the user cache)")
        q.add_argument("--format", default="markdown", help="markdown | csv | json (without --json)")
        _atlas_filters(q)
        _json_flag(q)
        q.set_defaults(func=_run_atlas_query, check=_check_atlas, jax=False)
    e = asub.add_parser("export", help="write stored results with the certificate columns (atomically)")
    e.add_argument("--atlas", default=None, help="atlas file (default $TNRNN_ATLAS or the user cache)")
    e.add_argument("--out", required=True, help="output file (.csv, .json or .md)")
    e.add_argument("--format", default=None, help="csv | json | markdown (default: from the file extension)")
    _atlas_filters(e)
    _json_flag(e)
    e.set_defaults(func=_run_atlas_export, check=_check_atlas, jax=False)
    m = asub.add_parser("merge", help="merge atlases made elsewhere into --atlas (proven or higher bound wins)")
    m.add_argument("sources", nargs="+", help="atlas files to merge in")
    m.add_argument("--atlas", default=None, help="target atlas file (default $TNRNN_ATLAS or the user cache)")
    _json_flag(m)
    m.set_defaults(func=_run_atlas_merge, check=_check_atlas, jax=False)


def _check_atlas(args):
    """The atlas verbs check their arguments in `tnrnn.atlas` before they open or write anything."""


def _filters(args):
    from tnrnn.atlas import FILTERS

    return {k: getattr(args, k) for k in FILTERS}


def _run_atlas_query(args):
    from tnrnn.atlas import query_atlas

    res = query_atlas(args.atlas, _filters(args), fmt=args.format)
    if not args.json:
        print(res.pop("text"), end="")
        res["_quiet"] = True
    else:
        res.pop("text")
    return res


def _run_atlas_export(args):
    from tnrnn.atlas import export_atlas

    return export_atlas(args.atlas, args.out, _filters(args), fmt=args.format)


def _run_atlas_merge(args):
    from tnrnn.atlas import merge_atlas_files

    res = merge_atlas_files(args.atlas, args.sources)
    for line in res["errors"]:
        print(f"tnrnn atlas merge: error: {line}", file=sys.stderr)
    res["_exit"] = 1 if res["errors"] else 0
    return res


# --- registry -----------------------------------------------------------------------------------------------

_VERBS = [_add_rank, _add_bounds, _add_table]
_VERBS.append(_add_experiment)
_VERBS += [_add_network, _add_cut, _add_draw]

_VERBS.append(_add_linear)
_VERBS.append(_add_figures)
_VERBS.append(_add_atlas)


def _version() -> str:
    """The installed distribution's version (no JAX import), else the package's ``__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tnrnn")
    except PackageNotFoundError:
        from tnrnn import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up (`importlib.metadata`) only when asked for, not on every start."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(
            option_strings, dest=dest, default=default, nargs=0, help=help or "show program's version number and exit"
        )

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"tnrnn {_version()}")
        parser.exit()


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on a parser and on every sub-parser below it (verbs added by any issue get it too)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the Python traceback of an unexpected error",
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _add_debug(child)


class _OtherVerb(Exception):
    """Raised by `_OneVerb` to skip the declaration of a verb that the command line does not name."""


class _OneVerb:
    """The sub-parsers action seen by the ``_add_<verb>`` functions when only ``verb`` is wanted.

    Any other verb is skipped at its ``add_parser`` call, before its arguments are declared.
    """

    def __init__(self, sub, verb):
        self.sub, self.verb, self.found = sub, verb, False

    def add_parser(self, name, **kwargs):
        if name != self.verb:
            raise _OtherVerb
        self.found = True
        return self.sub.add_parser(name, **kwargs)

    def __getattr__(self, name):
        return getattr(self.sub, name)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The ``tnrnn`` parser.

    With ``verb``, one that declares only that verb (a quicker start-up: `main` uses it when the first argument names a
    verb), else, or when no verb has that name, the whole parser.
    """
    parser = _Parser(prog="tnrnn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    one = _OneVerb(sub, verb) if verb is not None else None
    for add in _VERBS:
        if one is None:
            add(sub)
            continue
        try:
            add(one)
        except _OtherVerb:
            pass
    if one is not None and not one.found:
        return build_parser()
    _add_debug(parser)
    return parser


def _render_value(v) -> str:
    from tnrnn._io import JSON_EXACT_DIGITS, decimal_digits

    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 13000:
        digits = decimal_digits(v)
        if digits > JSON_EXACT_DIGITS:
            import math

            return f"about 2^{math.log2(abs(v)):.6g} ({digits} digits)"
    return str(v)


def _render(result: dict) -> str:
    return "\n".join(f"{k}: {_render_value(v)}" for k, v in result.items() if not k.startswith("_"))


class _Terminated(BaseException):
    """Raised by the SIGTERM handler of `main`, so that writers clean up as for an interrupt."""


def _on_sigterm(signum, frame):
    raise _Terminated


def _redeliver_signals(previous_hook):
    """A `sys.unraisablehook` that delivers again a signal whose exception Python had to discard.

    The exception of a signal handler is raised in whatever Python code runs when the signal arrives; inside a
    finaliser or a garbage-collection callback (JAX registers one) it cannot propagate, and Python prints it as
    "Exception ignored" and carries on, so the interrupt would be lost. This hook sends the signal again instead,
    from another thread a few milliseconds later, so that its handler runs in the code that follows. Other
    unraisable exceptions go to ``previous_hook``.
    """

    def hook(unraisable):
        exc = unraisable.exc_value
        if isinstance(exc, _Terminated):
            _signal_later(signal.SIGTERM)
        elif isinstance(exc, KeyboardInterrupt) and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            _signal_later(signal.SIGINT)
        else:
            previous_hook(unraisable)

    return hook


def _signal_later(signum) -> None:
    """Send ``signum`` to this process from another thread, shortly: not while the hook that calls it runs.

    The thread waits until this function has started it and returns: on a busy machine the main thread may get the
    CPU back more than a few milliseconds after the thread starts, and a signal arriving in ``Thread.start`` would
    raise inside the hook, where Python discards it again (the interrupt was lost so).
    """
    import threading

    started = threading.Event()

    def send():
        import time

        started.wait()
        time.sleep(0.005)
        os.kill(os.getpid(), signum)

    threading.Thread(target=send, name="tnrnn-signal", daemon=True).start()
    started.set()


def _output_argument(args, filename) -> tuple[str, str] | None:
    """The output argument (name, value) that an ``OSError`` on ``filename`` belongs to, if any."""
    if not filename:
        return None
    target = os.path.abspath(os.fsdecode(filename))
    for name in ("out",):
        value = getattr(args, name, None)
        if value:
            path = os.path.abspath(value)
            if (
                target == path
                or target.startswith(path.rstrip(os.sep) + os.sep)
                or (os.path.dirname(target) == os.path.dirname(path))
            ):
                return name, value
    return None


def _verb(args) -> str:
    return " ".join(v for v in (getattr(args, "verb", None), getattr(args, "linear_cmd", None)) if v)


def main(argv=None) -> int:
    """Run the ``tnrnn`` command line; returns the exit status (see the module notes for the error rules)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    installed, previous, unraisable = False, None, sys.unraisablehook
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        installed = True
    except (ValueError, OSError):  # not the main thread: leave signals alone
        pass
    if installed:
        sys.unraisablehook = _redeliver_signals(unraisable)
    show_warning = warnings.showwarning  # `_main` prints warnings in one line; put Python's printer back after
    try:
        return _main(argv, debug)
    except KeyboardInterrupt as exc:
        detail = str(exc)  # a sweep says how many cells it kept in the atlas (`tnrnn.atlas.SweepInterrupted`)
        print(f"tnrnn: interrupted (SIGINT); {detail or 'files being written were left as they were'}", file=sys.stderr)
        return 130
    except _Terminated:
        print("tnrnn: terminated (SIGTERM); files being written were left as they were", file=sys.stderr)
        return 143
    finally:
        warnings.showwarning = show_warning
        if installed:
            sys.unraisablehook = unraisable
            signal.signal(signal.SIGTERM, previous)


def _warning_printer(verb: str):
    """A `warnings.showwarning` that prints ``tnrnn VERB: warning: MESSAGE`` in one line on stderr, each text once.

    Python's own format takes two lines (a file path and a source line) that mean nothing to a user of the command.
    """
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = _one_line(message)
        text = text[len("tnrnn ") :] if text.startswith("tnrnn ") else text  # "tnrnn atlas: ..." -> "atlas: ..."
        if text not in shown:
            shown.add(text)
            print(f"tnrnn {verb}: warning: {text}", file=sys.stderr if file is None else file)

    return show


def _flush_atlases() -> None:
    """Write the results queued while an atlas was locked (or warn, in the verb's one-line format)."""
    store = sys.modules.get("tnrnn.rank.store")  # not imported: no atlas was used
    if store is not None:
        store._flush_open()


def _main(argv: list[str], debug: bool) -> int:
    args = build_parser(argv[0] if argv and not argv[0].startswith("-") else None).parse_args(argv)
    verb = _verb(args)
    warnings.showwarning = _warning_printer(verb)
    try:
        args.check(args)
        if args.jax:
            _enable_x64()
        result = args.func(args)
        _flush_atlases()
        quiet = result.pop("_quiet", False)
        code = result.pop("_exit", 0)
        if getattr(args, "json", False):
            from tnrnn._io import strict_json

            print(strict_json(result))
        elif not quiet:
            print(_render(result))
        sys.stdout.flush()
    except ArgumentError as exc:
        print(f"tnrnn {verb}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed early (| head): nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush at exit
        return 1
    except OSError as exc:
        if debug:
            raise
        where = _output_argument(args, exc.filename)
        what = f"{where[0]}={where[1]!r} could not be written" if where else "input/output failed"
        print(f"tnrnn {verb}: error: {what}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        if debug:
            raise
        print(
            f"tnrnn {verb}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
