"""The progress bars' one set-up: tqdm on stderr, shown on a terminal (or in a notebook) unless asked otherwise.

A bar redraws itself with carriage returns, which turn a redirected stderr (a log file, a pipe, CI output) into
noise; so ``progress=None`` shows a bar only where someone watches it. ``progress=True`` asks for one anyway and
``progress=False`` hides it. A hidden bar is a stand-in with the same methods that imports nothing.
"""

from __future__ import annotations

import sys

__all__ = ["show_progress", "progress_bar"]


def _interactive() -> bool:
    """Whether stderr is a terminal, or this an IPython kernel (where tqdm draws a widget, not carriage returns)."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def show_progress(progress: bool | None = None) -> bool:
    """Whether to draw progress bars: ``True``/``False`` as given; ``None`` when stderr is a terminal or a notebook."""
    return _interactive() if progress is None else bool(progress)


class _NoBar:
    """A hidden bar: tqdm's methods that the toolkit calls, doing nothing (iterating passes the items through)."""

    def __init__(self, iterable=None, total=None):
        self.iterable, self.total, self.n = iterable, total, 0

    def __iter__(self):
        return iter(self.iterable if self.iterable is not None else ())

    def update(self, n=1):
        self.n += n

    def refresh(self):
        pass

    def set_description_str(self, *args, **kwargs):
        pass

    def set_postfix_str(self, *args, **kwargs):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def progress_bar(iterable=None, *, total=None, desc=None, unit="it", leave=False, progress=None, **kwargs):
    """A tqdm bar on stderr (``tqdm.auto``: a widget in a notebook), or a hidden stand-in.

    Parameters
    ----------
    iterable, total, desc, unit, leave, **kwargs
        As for ``tqdm`` (``bar_format`` and the like pass through).
    progress : bool or None
        `show_progress`: ``None`` shows the bar only when stderr is a terminal or a notebook.
    """
    if not show_progress(progress):
        return _NoBar(iterable, total)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave, file=sys.stderr, **kwargs)
