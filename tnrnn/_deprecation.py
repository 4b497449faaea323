"""One way to retire a public name: it keeps working for one release and says what replaces it."""

from __future__ import annotations

import warnings

__all__ = ["warn_deprecated"]


def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Emit the `DeprecationWarning` of a retired name ``old``, pointing at ``new`` (the caller's caller is blamed)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}", DeprecationWarning, stacklevel
    )
