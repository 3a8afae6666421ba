"""No import circle between the modules of lienthong's libraries and services.

The graph is read from source (ast), imports inside functions included: a circle hidden behind a lazy
import is still a circle in the design. Generated protobuf modules are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).parent.parent


def modules(roots: Iterable[Path]) -> dict[str, Path]:
    """Dotted module name → file, for every module under the given `src` folders."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            if "_pb2" in path.name:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """Which of the known modules each module imports (`from a import b` counts `a.b` when it is a module)."""
    graph: dict[str, set[str]] = {}
    for name, source in sources.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = {other for other in imported if other in sources and other != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules that import each other (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    known = modules([*REPO.glob("libs/*/src"), *REPO.glob("services/*/src")])
    assert len(known) > 100
    graph = import_graph({name: path.read_text(encoding="utf-8") for name, path in known.items()})
    assert circles(graph) == []


def test_a_circle_is_found_also_behind_a_lazy_import() -> None:
    graph = import_graph(
        {
            "pkg.a": "from pkg.b import thing",
            "pkg.b": "def later():\n    from pkg import c\n",
            "pkg.c": "import pkg.a",
            "pkg.d": "import pkg.a",
        }
    )
    assert circles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
