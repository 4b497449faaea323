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

from tnrnn._types import ArgumentError

#: the longest list a ``start:stop:step`` range may expand to
from tnrnn.cli._args import HELP_ORDER, VERBS, _enable_x64, _one_line, _Parser


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
    names = [n for n in HELP_ORDER if n in VERBS] + [n for n in VERBS if n not in HELP_ORDER]
    for add in (VERBS[n] for n in names):
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
