"""The package's internal import graph, read from the source with `ast` (nothing is imported).

Prints the graph as rooms and arrows: each room is a top-level module or subpackage of `tnrnn` (``cells``,
``rank``, ``plots``, ``network`` ...), with the rooms it imports at module level (``->``) and those it imports
only inside functions (``~>``, deferred, e.g. JAX-free modules reaching a JAX module on demand). Then the
module-level graph, module by module, and the cycles: a cycle among module-level imports is an error (exit
status 1); a cycle closed only by a function-level import is reported but allowed. Imports under
``if TYPE_CHECKING:`` are left out (they never run).

Usage::

    python benchmarks/import_graph.py            # the graph and the cycles
    python benchmarks/import_graph.py --check    # only the cycles; exit 1 when a module-level cycle exists
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

PACKAGE = "tnrnn"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module):
    """Yield ``(node, deferred)`` for every import statement; deferred when inside a function (or class body)."""

    def walk(node, deferred):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    yield from walk_one(sub, deferred)
                continue
            yield from walk_one(child, deferred)

    def walk_one(child, deferred):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, deferred
        else:
            inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from walk(child, inner)

    yield from walk(tree, False)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict) -> list[str]:
    """The package modules one import statement loads (the most specific existing module for each name)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix for alias in node.names]
    out = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.split(".")[0] == PACKAGE and name != module and name not in out:
            out.append(name)
    return out


def import_graph(root: Path = ROOT) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``(module_level, function_level)``: module -> the package modules it imports, sorted."""
    modules = module_files(root)
    eager: dict[str, list[str]] = {}
    deferred: dict[str, list[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        now, later = set(), set()
        for node, inside in _imports(tree):
            (later if inside else now).update(_targets(node, module, is_package, modules))
        eager[module] = sorted(now)
        deferred[module] = sorted(later - now)
    return eager, deferred


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted; sorted by first name."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(1000, 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def room(module: str) -> str:
    """The room of a module: its first component under the package (``tnrnn.rank.engine`` -> ``rank``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rooms(graph: dict[str, list[str]]) -> dict[str, list[str]]:
    """The graph between rooms (imports inside one room dropped)."""
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(room(module), set()).update(room(t) for t in targets if room(t) != room(module))
    return {r: sorted(t) for r, t in sorted(out.items())}


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".") if module != PACKAGE else "__init__"


def _merge(a, b):
    return {k: sorted(set(a.get(k, ())) | set(b.get(k, ()))) for k in sorted(set(a) | set(b))}


def report(root: Path = ROOT, *, check_only: bool = False) -> tuple[str, int]:
    """The printed report and the exit status (1 when module-level imports form a cycle)."""
    eager, deferred = import_graph(root)
    lines = []
    if not check_only:
        r_eager, r_deferred = rooms(eager), rooms(deferred)
        lines.append(f"rooms ({len(r_eager)}) and arrows: -> module level, ~> inside functions only")
        for r in r_eager:
            later = [t for t in r_deferred.get(r, []) if t not in r_eager[r]]
            arrows = "  ".join([*(f"-> {t}" for t in r_eager[r]), *(f"~> {t}" for t in later)])
            lines.append(f"  {r:<12} {arrows}")
        lines.append("")
        lines.append(f"modules ({len(eager)}):")
        for module in eager:
            now = ", ".join(map(_short, eager[module])) or "-"
            later = ", ".join(map(_short, deferred[module]))
            lines.append(f"  {_short(module)}: {now}" + (f"  ~ {later}" if later else ""))
        lines.append("")
    hard = cycles(eager)
    soft = [c for c in cycles(_merge(eager, deferred)) if c not in hard]
    room_cycles = cycles(rooms(eager))
    lines.append(f"module-level cycles: {len(hard)}" + "".join(f"\n  {' <-> '.join(c)}" for c in hard))
    lines.append(
        f"cycles closed only by function-level imports: {len(soft)}" + "".join(f"\n  {' <-> '.join(c)}" for c in soft)
    )
    lines.append(
        f"room-level cycles (module level): {len(room_cycles)}" + "".join(f"\n  {' <-> '.join(c)}" for c in room_cycles)
    )
    return "\n".join(lines), int(bool(hard))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print only the cycles")
    parser.add_argument("--root", type=Path, default=ROOT, help="the package directory (default: this checkout's)")
    args = parser.parse_args(argv)
    text, status = report(args.root, check_only=args.check)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
