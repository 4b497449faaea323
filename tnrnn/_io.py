"""Safe file output: atomic writes and up-front checks of output paths (no JAX, no matplotlib at import).

Every file the toolkit writes goes through `atomic_write` (or `atomic_savefig` for matplotlib figures, `write_text`
for a string): the data goes to a temporary file in the destination's directory, is flushed to disk and then renamed
over the destination (`os.replace`, atomic on POSIX). An interrupt, a full disk or a file-size limit therefore leaves
either the old file or the new one, never a truncated one, and the temporary file is removed. Nothing that is not
ours is replaced: a symbolic link is kept (its target is replaced), and a destination that is not a regular file
(``/dev/null``, ``/dev/stdout``, a FIFO, a terminal) is written straight through, never renamed over
(`write_target`).

`strict_json` writes the ``--json`` objects of the CLI: never NaN or Infinity, and integers beyond
`JSON_EXACT_DIGITS` digits as their ``log2`` and digit count.

Output paths are checked before any work starts (`check_output_file`, `check_output_dir`, `check_file_name`): a
missing parent directory, an unwritable directory, a path that is (or ends like) a directory, a name too long for the
file system or a path in ``/proc`` or ``/sys`` raises `ArgumentError` at once rather than after a long computation.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

from tnrnn._types import ArgumentError

__all__ = [
    "load_json_results",
    "atomic_write",
    "atomic_savefig",
    "write_text",
    "write_target",
    "check_output_file",
    "check_output_dir",
    "check_file_name",
    "TMP_SUFFIX",
    "JSON_EXACT_DIGITS",
    "decimal_digits",
    "big_int",
    "jsonable",
    "strict_json",
]

#: suffix of the temporary files (``.<name>.<random>.tmp`` beside the destination)
TMP_SUFFIX = ".tmp"


def _default_mode(path: str) -> int:
    """Permission bits for a new file: those of the file it replaces, else ``0o666`` less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


#: special file systems: nothing is created or renamed there (a path through ``/proc/<pid>/fd/`` is an open file)
_SPECIAL_ROOTS = ("/proc/", "/sys/")
#: how many symbolic links a path may pass through (Linux's own limit)
_MAX_LINKS = 40


def _is_fd_link(path: str) -> bool:
    """True for ``/proc/<pid>/fd/<n>`` (what ``/dev/stdout`` and ``/dev/fd/<n>`` lead to): an open file."""
    parts = path.split("/")
    return len(parts) == 5 and parts[1] == "proc" and parts[3] == "fd"


def write_target(path) -> tuple[str, bool]:
    """The file a write to ``path`` lands in, and whether it is written in place rather than renamed over.

    Symbolic links are followed (the link is kept; its target is the file replaced, in its own directory).
    In place: anything that exists and is not a regular file (a device such as ``/dev/null``, a FIFO, a socket, a
    terminal) and a path whose links pass through ``/proc/<pid>/fd/`` (``/dev/stdout``, ``/dev/fd/3``: the file
    the shell opened, whatever it is). Everything else is replaced atomically. Raises ``OSError`` (``ELOOP``) for
    a loop of links.
    """
    import errno
    import stat

    p = os.path.abspath(os.fspath(path))
    for _ in range(_MAX_LINKS):
        p = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
        if _is_fd_link(p):
            return p, True
        if not os.path.islink(p):
            break
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    else:
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fspath(path))
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return p, False
    return p, not stat.S_ISREG(st.st_mode)


def _temporary_name(target: str) -> tuple[int, str]:
    """A new temporary file beside ``target`` (a short prefix of its name, so that a long name still fits)."""
    return tempfile.mkstemp(
        prefix="." + os.path.basename(target)[:64] + ".", suffix=TMP_SUFFIX, dir=os.path.dirname(target)
    )


@contextmanager
def atomic_write(path, mode: str = "w", *, encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path`` for writing; on success rename it to ``path``.

    The one writer of every file the toolkit makes (tables, networks, figures, drawings, atlas exports, results).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. A symbolic link is kept and its target replaced (atomically, in the target's directory).
        A destination that is not a regular file (``/dev/null``, a FIFO, ``/dev/stdout``: see `write_target`) is
        never renamed over: the data is collected and written straight through to it when the block ends.
    mode : {"w", "wb"}
        Text or binary.
    encoding : str, optional
        Text encoding (ignored in binary mode).

    Yields
    ------
    file object
        Write to it; when the ``with`` block ends normally the data is flushed, synced and renamed into place.
        On any exception (``KeyboardInterrupt`` included) the temporary file is removed, ``path`` is left as it
        was, and the exception propagates (an ``OSError`` without a file name, or naming the temporary file, gets
        ``path`` as its ``filename``).
    """
    if mode not in ("w", "wb"):
        raise ArgumentError("mode", mode, "'w' or 'wb'")
    path = os.fspath(path)
    enc = None if "b" in mode else encoding
    try:
        target, in_place = write_target(path)
        if in_place:
            import io

            buffer = io.BytesIO() if "b" in mode else io.StringIO()
            yield buffer
            _write_in_place(target, mode, enc, buffer.getvalue())
            return
        fd, tmp = _temporary_name(target)
    except OSError as exc:
        if exc.filename is None:
            exc.filename = path
        raise
    try:
        with os.fdopen(fd, mode, encoding=enc) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            exc.filename = path  # a failed write names the file it was for, not the temporary one
        raise


def _own_descriptor(target: str) -> int | None:
    """The descriptor ``N`` when ``target`` is ``/proc/<this process>/fd/N``, else None."""
    parts = target.split("/")
    if _is_fd_link(target) and parts[2] in (str(os.getpid()), "self", "thread-self") and parts[4].isdigit():
        return int(parts[4])
    return None


def _write_in_place(target: str, mode: str, encoding, data) -> None:
    """Write ``data`` straight through to ``target`` (see `write_target`).

    One of this process's own descriptors (``/dev/stdout`` is ``/proc/<pid>/fd/1``) is written through a duplicate
    of it, after the interpreter's own buffers, so that it shares their file offset: reopening it would start at
    offset 0 and, for ``> file``, overwrite what the process printed there.
    """
    own = _own_descriptor(target)
    if own is None:
        with open(target, mode, encoding=encoding) as fh:
            fh.write(data)
        return
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and stream.fileno() == own:
                stream.flush()
        except (AttributeError, OSError, ValueError):  # a replaced stream without a descriptor
            pass
    with os.fdopen(os.dup(own), mode, encoding=encoding) as fh:
        fh.write(data)


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` through `atomic_write`."""
    with atomic_write(path) as fh:
        fh.write(text)


def atomic_savefig(fig, path, **kwargs) -> str:
    """``fig.savefig(path, **kwargs)`` through `atomic_write`; the format is the extension unless given."""
    path = os.fspath(path)
    fmt = kwargs.pop("format", None) or os.path.splitext(path)[1].lstrip(".").lower() or None
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, **kwargs)
    return path


def _nearest_existing(folder: str) -> str:
    """``folder`` or its nearest ancestor that exists."""
    while folder and not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _writable_dir(folder: str) -> bool:
    """True when a file can be created in ``folder``.

    Probed by creating and removing a temporary file, since ``os.access`` answers yes to root even where writing fails
    (``/proc``, read-only mounts).
    """
    try:
        fd, probe = tempfile.mkstemp(prefix=".tnrnn-probe-", suffix=TMP_SUFFIX, dir=folder)
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:  # pragma: no cover
        pass
    return True


def _name_max(folder: str) -> int:
    """The longest file name (bytes) the file system of ``folder`` takes (255 if it does not say)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        return 255


def _check_path_text(name: str, path, what: str) -> str:
    """The common checks of an output path: a non-empty string without NUL, no component over the name limit."""
    if path is None or not isinstance(path, (str, os.PathLike)) or os.fspath(path) == "":
        raise ArgumentError(name, path, what)
    path = os.fspath(path)
    if isinstance(path, bytes) or "\0" in path:
        raise ArgumentError(name, path, what + " (text without NUL)")
    full = os.path.abspath(path)
    if len(os.fsencode(full)) >= _PATH_MAX:
        raise ArgumentError(name, path, f"{what} of at most {_PATH_MAX - 1} bytes")
    limit = _name_max(_nearest_existing(os.path.dirname(full)) or "/")
    if any(len(os.fsencode(part)) > limit for part in full.split(os.sep)):
        raise ArgumentError(name, path, f"{what} whose names have at most {limit} bytes each")
    return path


#: the longest path the kernel takes (Linux's PATH_MAX, terminating NUL included)
_PATH_MAX = 4096


def _special(path: str) -> bool:
    return path.startswith(_SPECIAL_ROOTS) or path in ("/proc", "/sys")


def check_output_file(name: str, path) -> str:
    """Check before any work that ``path`` can be written as a file; return it.

    Raises `ArgumentError` (naming the argument ``name``) when the path is empty, names a directory (or ends in
    ``/``), has a name longer than the file system takes, lies in a directory that does not exist or is not writable,
    lies in ``/proc`` or ``/sys``, or is an existing file that is not writable. A device, FIFO or ``/dev/stdout``
    (written in place, see `write_target`) only has to be writable; a symbolic link is checked at its target.
    """
    what = "a file path"
    path = _check_path_text(name, path, what)
    if path.endswith(("/", os.sep)) or os.path.basename(path) in (".", "..") or os.path.isdir(path):
        raise ArgumentError(name, path, "a file path, not a directory")
    try:
        target, in_place = write_target(path)
    except OSError as exc:
        raise ArgumentError(name, path, f"{what} that can be resolved ({exc.strerror})") from None
    if in_place:
        if _special(target) and not _is_fd_link(target):
            raise ArgumentError(name, path, "a file outside /proc and /sys")
        if not os.path.exists(target) or not os.access(target, os.W_OK):
            raise ArgumentError(name, path, "a writable file (this special file cannot be written)")
        return path
    if _special(target):
        raise ArgumentError(name, path, "a file outside /proc and /sys")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ArgumentError(name, path, f"a path in an existing directory ({folder} does not exist)")
    if not _writable_dir(folder):
        raise ArgumentError(name, path, f"a path in a writable directory ({folder} is not writable)")
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise ArgumentError(name, path, "a writable file (the existing file is read-only)")
    return path


def check_output_dir(name: str, path) -> str:
    """Check before any work that ``path`` is, or can be created as, a writable directory; return it.

    Nothing is created here: writers create the directory (``os.makedirs``) when they write their first file.
    """
    path = _check_path_text(name, path, "a directory path")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ArgumentError(name, path, "a directory (the path is an existing file)")
    base = _nearest_existing(os.path.abspath(path))
    if _special(os.path.realpath(base) + "/"):
        raise ArgumentError(name, path, "a directory outside /proc and /sys")
    if not os.path.isdir(base):
        raise ArgumentError(name, path, f"a directory path ({base} is a file)")
    if not _writable_dir(base):
        raise ArgumentError(name, path, f"a writable directory ({base} is not writable)")
    return path


def check_file_name(name: str, value) -> str:
    """A plain file name, e.g. a results-file stem: printable, not blank, no directory part, not ``.`` or ``..``."""
    allowed = "a plain printable file name (not blank, no '/', not '.' or '..', at most 200 characters)"
    if not isinstance(value, str) or value.strip() in ("", ".", "..") or not value.isprintable() or len(value) > 200:
        raise ArgumentError(name, value, allowed)
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    if any(s in value for s in seps):
        raise ArgumentError(name, value, allowed)
    return value


#: integers with more decimal digits than this are written to JSON as ``{"log2": ..., "digits": ...}`` (Python's
#: own int-to-text limit is 4300 digits)
JSON_EXACT_DIGITS = 4000


def decimal_digits(n: int) -> int:
    """The number of decimal digits of ``|n|`` (exact, without converting ``n`` to text)."""
    n = abs(int(n))
    if n < 10:
        return 1
    d = int(n.bit_length() * 0.30102999566398120) + 1  # log10(2): within one of the truth
    while 10 ** (d - 1) > n:
        d -= 1
    while 10**d <= n:
        d += 1
    return d


def big_int(n: int) -> dict:
    """The JSON form of an integer beyond `JSON_EXACT_DIGITS`: its base-2 logarithm and its digit count."""
    import math

    return {"log2": math.log2(abs(n)) if n else 0.0, "digits": decimal_digits(n), "sign": -1 if n < 0 else 1}


def jsonable(obj):
    """A copy of ``obj`` that `json.dumps` writes as strict JSON with ``allow_nan=False``.

    Rules: integers up to `JSON_EXACT_DIGITS` digits stay exact, larger ones become `big_int` objects; a
    non-finite float becomes ``null``; numpy scalars and arrays become Python numbers and lists; tuples become
    lists; dict keys become strings.
    """
    import math

    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj if obj.bit_length() <= 13000 or decimal_digits(obj) <= JSON_EXACT_DIGITS else big_int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return jsonable(obj.tolist())
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def strict_json(obj, **kwargs) -> str:
    """``json.dumps(jsonable(obj), allow_nan=False)``: never NaN, Infinity or an int Python cannot print."""
    import json

    return json.dumps(jsonable(obj), allow_nan=False, **kwargs)


def load_json_results(source, *, name: str = "results", formats=None, keys=(), what: str = "a results file") -> dict:
    """A results dict from a JSON file (path) or the dict itself (returned unchanged, not checked).

    The one reader behind `tnrnn.tasks.load_results` and `tnrnn.linear.load_results`: a file is refused with a
    one-line `ArgumentError` naming ``name`` when it is not a JSON object, when its ``"format"`` is not one of
    ``formats`` (when given) or when one of ``keys`` is missing; ``what`` describes the file expected.
    """
    import json

    if isinstance(source, dict):
        return source
    with open(source, encoding="utf-8") as fh:
        try:
            results = json.load(fh)
        except json.JSONDecodeError:
            results = None
    if not isinstance(results, dict):
        raise ArgumentError(name, str(source), f"{what} (a JSON object)")
    if formats is not None and results.get("format") not in formats:
        raise ArgumentError(name, str(source), f"{what} of format {formats[-1]!r}")
    missing = [k for k in keys if k not in results]
    if missing:
        raise ArgumentError(name, str(source), f"{what} (with {', '.join(map(repr, missing))})")
    return results
