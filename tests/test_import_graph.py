"""The house rules of orchestration/, read from the source: lib/ never imports the app, the
concerns (dbt, ingestion, alerts) never import each other, and no import goes in a circle."""

import ast
from pathlib import Path

import pytest

from tests.harness.sandbox import REPO_ROOT

pytestmark = pytest.mark.unit  # reads source files only

CONCERNS = ("dbt", "ingestion", "alerts")


def _module_of(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: str = "orchestration") -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports (any `from a import b` naming a module
    counts as importing `a.b`, else `a`)."""
    paths = {_module_of(p): p for p in (REPO_ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {module: set() for module in paths}
    for module, path in paths.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    named = f"{node.module}.{alias.name}"
                    if named in paths or node.module in paths:
                        graph[module].add(named if named in paths else node.module)
            elif isinstance(node, ast.Import):
                graph[module] |= {alias.name for alias in node.names if alias.name in paths}
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""  # orchestration.<room>.<module>; "" at the top


def test_lib_imports_only_lib():
    upward = [
        (module, imported)
        for module, imports in import_graph().items()
        if _room(module) == "lib"
        for imported in imports
        if _room(imported) != "lib" and imported != "orchestration"
    ]
    assert not upward, f"lib/ must not import the app: {upward}"


def test_concerns_do_not_import_each_other():
    sideways = [
        (module, imported)
        for module, imports in import_graph().items()
        for imported in imports
        if _room(module) in CONCERNS
        and _room(imported) in CONCERNS
        and _room(module) != _room(imported)
    ]
    assert not sideways, f"a concern imports another; share through lib/ or the top: {sideways}"


def test_no_import_goes_in_a_circle():
    graph = import_graph()
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for imported in sorted(graph[module] - {module}):
            if state.get(imported) == "open":
                return [*path[path.index(imported) :], imported] if imported in path else path
            if imported not in state and (cycle := visit(imported, [*path, imported])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [module])):
            pytest.fail(f"an import cycle: {' -> '.join(cycle)}")


def test_the_scan_sees_our_modules():
    graph = import_graph()
    assert "orchestration.lib.dbt.slices" in graph
    assert "orchestration.settings" in graph["orchestration.dbt.assets"]
