"""Module-level ``__getattr__`` / ``__dir__`` for packages whose public names load on first use (PEP 562)."""

from __future__ import annotations

import importlib


def lazy_names(package: str, table: dict[str, str], namespace: dict):
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps each lazy name to the module that defines it.

    A name is imported from its module on first access and cached in ``namespace`` (the package's ``globals()``),
    so later look-ups skip ``__getattr__``.
    """

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
