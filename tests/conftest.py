"""Shared fixtures: every test gets its own Dagster instance, data folder and DuckDB file
(tests/harness/sandbox.py), and a lane (see pytest_collection_modifyitems)."""

from pathlib import Path

import pytest

from tests.harness.sandbox import (
    DEMO_PROJECT,
    Sandbox,
    copy_dbt_project,
    make_sandbox,
)


@pytest.fixture
def demo_sandbox(tmp_path: Path) -> Sandbox:
    """Our demo dbt project (a private copy), with its raw data loaded and manifest parsed."""
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    sandbox = make_sandbox(tmp_path, project)
    sandbox.load_demo_data()
    sandbox.prepare_manifest()
    return sandbox


@pytest.fixture(scope="session")
def parsed_demo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """A demo project copy with its manifest parsed, shared by tests that only read it."""
    root = tmp_path_factory.mktemp("parsed_demo")
    sandbox = make_sandbox(root, copy_dbt_project(DEMO_PROJECT, root / "dbt_project"))
    sandbox.prepare_manifest()
    return sandbox


@pytest.fixture
def load_definitions(monkeypatch: pytest.MonkeyPatch):
    """Build the code location's Definitions in-process against a sandbox's environment."""
    from orchestration.dbt.assets import project_dbt_assets
    from orchestration.dbt.project import dbt_project
    from orchestration.ingestion.assets import landing_assets, project_landing_tables

    caches = (dbt_project, project_dbt_assets, project_landing_tables, landing_assets)

    def _load(sandbox: Sandbox):
        for name in ("DAGSTER_HOME", "DATA_DIR", "DUCKDB_PATH", "DBT_PROJECT_DIR", "PATH"):
            monkeypatch.setenv(name, sandbox.env[name])
        for cache in caches:
            cache.cache_clear()
        from orchestration.definitions import build_definitions

        return build_definitions()

    yield _load
    for cache in caches:
        cache.cache_clear()
