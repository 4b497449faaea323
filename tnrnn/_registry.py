"""One kind of registry for every strategy the toolkit chooses by name.

Cells, eliminations, cut engines, CLI verbs and figures are each a `Registry`: a read-only mapping from a name to
the object that implements it, filled by a decorator where the object is defined, and looked up with one error
message for every kind (in the manner of opt_einsum's ``get_path_fn`` and networkx's ``flow_func``)::

    ELIMINATIONS = Registry("elimination", argument="elimination")

    @ELIMINATIONS.register("flint")
    def _flint(Y, p): ...

    ELIMINATIONS.lookup("flint")   # the function
    ELIMINATIONS.lookup("gauss")   # ArgumentError: elimination='gauss' is not allowed: one of 'flint', ...
    ELIMINATIONS.names()           # ('flint', ...), in registration order

A registry holds names only; choosing among them (an ``"auto"`` rule, a cost model) stays with the caller.
This module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from tnrnn._types import ArgumentError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Mapping, Generic[T]):
    """Named strategies of one kind, in registration order.

    Parameters
    ----------
    kind : str
        What an entry is, in words ("cell", "elimination", "figure"); used in messages.
    argument : str, optional
        The argument name a bad look-up is reported under (default: ``kind``), e.g. ``"--engine"``.
    extra : sequence of str, optional
        Names the caller also accepts beside the registered ones (``"auto"``); listed in the error message
        and in `choices`, never returned by `lookup`.

    Notes
    -----
    A registry is a `collections.abc.Mapping` (``name in reg``, ``reg[name]``, ``reg.items()``), so code that
    used a plain dict keeps working. Registering a name twice is an error unless ``replace=True`` (a user's
    cell may replace one of the same name on purpose; the toolkit's own entries never collide).
    """

    def __init__(self, kind: str, *, argument: str | None = None, extra: tuple[str, ...] = ()):
        self.kind = kind
        self.argument = argument or kind
        self.extra = tuple(extra)
        self._entries: dict[str, T] = {}

    # -- filling ------------------------------------------------------------------------------------------------
    def register(self, name: str | None = None, obj: T | None = None, *, replace: bool = False):
        """Register ``obj`` under ``name``; without ``obj``, a decorator that does so and returns its argument.

        ``name`` defaults to the object's ``name`` attribute (cells) or its ``__name__``.
        """
        if obj is not None:
            return self._add(name, obj, replace)

        def decorator(target: T) -> T:
            self._add(name, target, replace)
            return target

        return decorator

    def _add(self, name: str | None, obj: T, replace: bool) -> T:
        key = name if name is not None else getattr(obj, "name", None) or getattr(obj, "__name__", None)
        if not isinstance(key, str) or not key:
            raise ArgumentError(f"{self.kind} name", key, "a non-empty string")
        if key in self.extra:
            raise ArgumentError(f"{self.kind} name", key, f"a name other than {self._listing(self.extra)}")
        if key in self._entries and not replace and self._entries[key] is not obj:
            raise ArgumentError(f"{self.kind} name", key, "a name not registered yet (pass replace=True to replace)")
        self._entries[key] = obj
        return obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests, and a user's cell replaced for good)."""
        self._entries.pop(name, None)

    def snapshot(self) -> dict[str, T]:
        """A copy of the entries, for `restore` (tests that register entries of their own)."""
        return dict(self._entries)

    def restore(self, snapshot: dict[str, T]) -> None:
        """Make the entries those of ``snapshot``, in its order."""
        self._entries = dict(snapshot)

    # -- looking up ---------------------------------------------------------------------------------------------
    def lookup(self, name) -> T:
        """The entry registered as ``name``; `ArgumentError` naming the allowed names if there is none.

        (``reg.get(name)`` is the mapping's: None for an unknown name.)
        """
        if isinstance(name, str) and name in self._entries:
            return self._entries[name]
        raise self.error(name)

    def error(self, name) -> ArgumentError:
        """The `ArgumentError` for a name that is not allowed (for callers that check before any work)."""
        return ArgumentError(self.argument, name, "one of " + self._listing(self.choices()))

    def check(self, name) -> str:
        """``name`` if it is registered or one of ``extra``; else the `ArgumentError` of `error`."""
        if isinstance(name, str) and (name in self._entries or name in self.extra):
            return name
        raise self.error(name)

    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order."""
        return tuple(self._entries)

    def choices(self) -> tuple[str, ...]:
        """What a caller may pass: ``extra`` then the registered names (for help texts and argparse)."""
        return self.extra + self.names()

    def where(self, predicate: Callable[[T], bool]) -> tuple[str, ...]:
        """Names of the entries for which ``predicate(entry)`` is true, in registration order."""
        return tuple(n for n, e in self._entries.items() if predicate(e))

    @staticmethod
    def _listing(names) -> str:
        return ", ".join(repr(n) for n in names) or "(none registered)"

    # -- Mapping ------------------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
