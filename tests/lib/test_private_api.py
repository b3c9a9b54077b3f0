"""The tripwire on private APIs (orchestration/lib/private_api.py): a lock that pins another
version of a library we reach into fails here with the checklist; and on an unchecked version
each hook falls back to the library's stock behaviour instead of failing to load."""

import ast
import importlib
import subprocess
import sys
import tomllib

import pytest

from orchestration.lib.private_api import PRIVATE_HOOKS, checklist
from tests.harness.sandbox import REPO_ROOT

# The code location's lock and the Dagster system's (webserver, daemon load the local storage).
LOCKS = [REPO_ROOT / "uv.lock", REPO_ROOT / "deploy" / "system" / "uv.lock"]


def _locked_versions(lock) -> dict[str, str]:
    packages = tomllib.loads(lock.read_text())["package"]
    return {p["name"]: p["version"] for p in packages if "version" in p}


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: str(lock.relative_to(REPO_ROOT)))
def test_the_lock_pins_the_versions_every_private_hook_was_checked_against(lock):
    locked = _locked_versions(lock)
    assert {hook.package for hook in PRIVATE_HOOKS} & set(locked)
    unchecked = checklist(locked)
    assert not unchecked, f"{lock} moved a library we reach into:\n" + "\n".join(unchecked)


def test_a_lock_with_another_version_gets_a_checklist_naming_the_file_and_the_names():
    (line,) = checklist({"dagster-dbt": "0.99.0"})
    assert "dagster-dbt 0.99.0" in line and "orchestration/lib/dbt/cli_resource.py" in line
    assert "DbtCliResource._cli_version" in line


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(dotted)


def test_every_listed_private_import_exists_in_the_installed_version():
    names = [
        n for hook in PRIVATE_HOOKS for n in hook.private_names if n.startswith(("dagster", "dbt."))
    ]
    for name in names:
        assert _resolve(name) is not None, name


def _python(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_another_dagster_dbt_version_keeps_dagster_dbts_own_cli_resource_methods():
    _python(
        "import dagster_dbt; dagster_dbt.__version__ = '9.9.9'\n"
        "from orchestration.lib.dbt.cli_resource import ProjectDbtCliResource as R\n"
        "assert '_cli_version' not in vars(R) and '_initialize_dbt_core_adapter' not in vars(R)\n"
    )


def test_another_dagster_version_loads_the_stock_storage_without_touching_internals():
    _python(
        "import sys, dagster; dagster.__version__ = '9.9.9'\n"
        "from dagster_local_storage.sqlite import LocalSqliteStorage\n"
        "assert LocalSqliteStorage.__module__ == 'dagster_local_storage.stock'\n"
        "assert 'dagster_local_storage.kept_connection' not in sys.modules\n"
        "from orchestration.lib.dagster_patches import cache_step_output_asset_keys\n"
        "assert not cache_step_output_asset_keys()\n"
    )


def _private_imports(root) -> set[str]:
    """`module.name` of every import from a private Dagster module in our own code."""
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_every_private_dagster_import_of_ours_is_listed():
    listed = {name for hook in PRIVATE_HOOKS for name in hook.private_names}
    ours = _private_imports(REPO_ROOT / "orchestration") | _private_imports(
        REPO_ROOT / "packages" / "dagster-local-storage" / "src"
    )
    assert ours, "the scan found nothing: it no longer reads our code"
    unlisted = {name for name in ours if not any(name in entry for entry in listed)}
    assert not unlisted, f"list these in orchestration/lib/private_api.py: {sorted(unlisted)}"


def test_another_dbt_core_version_builds_views_as_dbt_does():
    _python(
        "import dbt.__version__ as v; v.version = '9.9.9'\n"
        "from orchestration.lib.dbt import row_counting_dbt\n"
        "assert not row_counting_dbt.fail_views_that_cannot_be_queried()\n"
        "from dbt.task.run import ModelRunner\n"
        "assert ModelRunner.execute.__qualname__ == 'ModelRunner.execute'\n"
    )
