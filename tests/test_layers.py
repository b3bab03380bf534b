"""The import graph, read with ``ast`` from the source (function-local imports included).

Layers, bottom to top: ``analysis`` (pure) → ``app`` (Dash) → ``cli`` (the only place that imports both).
Inside ``app``, ``app.exporting`` (file formats) sits below the components that build exports (the export tables,
the presenter), the pages and the layout, and uses only leaf helpers (palette, text measures); and no two project
modules import each other, directly or through others.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "app", "cli")
# What the pure analysis layer must never import: the web app, the CLI and any web/export framework.
NOT_IN_ANALYSIS = (
    "app",
    "cli",
    "bench",
    "tests",
    "dash",
    "dash_bootstrap_components",
    "flask",
    "flask_caching",
    "flask_compress",
    "werkzeug",
    "plotly",
    "kaleido",
    "pptx",
    "celery",
    "redis",
    "diskcache",
    "gunicorn",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported name, line) for every import in the file; ``from a import b`` yields ``a.b`` when that is a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                yield (child if child in MODULES else base), node.lineno


def _violations(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module, path in MODULES.items():
        if module.split(".")[0] not in packages:
            continue
        for name, line in _imports(module, path):
            if name.split(".")[0] in forbidden or any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return found


def test_the_graph_sees_the_project() -> None:
    assert {"analysis.cohort", "app.exporting", "app.components.presenter", "cli.export"} <= set(MODULES)
    names = {name for name, _ in _imports("cli.export", MODULES["cli.export"])}
    assert any(n.startswith("analysis") for n in names) and any(n.startswith("app") for n in names)


def test_analysis_imports_neither_the_app_nor_any_web_framework() -> None:
    assert _violations(("analysis",), NOT_IN_ANALYSIS) == []


def test_the_app_imports_nothing_from_the_cli() -> None:
    assert _violations(("app",), ("cli", "bench", "tests")) == []


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_exporting_sits_below_the_components_that_build_exports() -> None:
    """The file-format layer uses only leaf helpers (palette, text measures, plain text), never a component, page
    or layout that builds on it: the export tables and the presenter import ``app.exporting``, not the reverse."""
    edges = _project_edges()
    builds_on_exporting = {m for m, targets in edges.items() if "app.exporting" in targets}
    below = _reach("app.exporting", edges)
    assert {"app.components.export_tables", "app.components.presenter"} <= builds_on_exporting
    above = builds_on_exporting | {"app.layout"} | {m for m in MODULES if m.startswith("app.pages")}
    assert sorted(below & above) == []


def _project_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for name, _ in _imports(module, path):
            # a package's own submodules are not a dependency back on the package
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + ".") and not name.startswith(module + "."):
                targets.add(name)
        edges[module] = targets
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_two_project_modules_import_each_other() -> None:
    assert _cycles(_project_edges()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_check_finds_cycles(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert _cycles(edges) == expected
