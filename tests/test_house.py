"""The house rules of the package (STYLE.md, issue 18), checked on the source itself.

Every module of ``align`` and ``audio`` stays under 400 lines, imports no other module's
``_private`` names, and the modules' import-time imports form no cycle (imports inside
functions and under ``TYPE_CHECKING`` are how a cycle is broken on purpose, so they are
not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("align", "audio")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _top_level_imports(name: str, path: Path) -> list[ast.ImportFrom | ast.Import]:
    """Import statements run at import time: module level, outside ``TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def _imported_modules(name: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The project modules an import statement loads (a package's ``__init__`` counts)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    base = node.module or ""
    if node.level:
        is_package = MODULES[name].name == "__init__.py"
        anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
        base = ".".join(anchor + ([base] if base else []))
    out = [base] if base in MODULES else []
    out += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return out


def test_no_module_is_over_400_lines() -> None:
    long = {n: c for n, p in MODULES.items() if (c := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_module_imports_another_modules_private_names() -> None:
    private: list[str] = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            targets = _imported_modules(name, node)
            if not targets or targets[0] == name:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    private.append(f"{name}: from {targets[0]} import {alias.name}")
    assert not private, sorted(set(private))


def test_import_time_imports_form_no_cycle() -> None:
    graph = {
        name: {m for node in _top_level_imports(name, path) for m in _imported_modules(name, node)}
        - {name}
        for name, path in MODULES.items()
    }
    # Importing a.b.c first imports its parent packages.
    for name in list(graph):
        for dep in list(graph[name]):
            dparts = dep.split(".")
            graph[name] |= {
                ".".join(dparts[:i])
                for i in range(1, len(dparts))
                if ".".join(dparts[:i]) != name and not name.startswith(".".join(dparts[:i]) + ".")
            }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            assert cycle is None, " -> ".join(cycle)
