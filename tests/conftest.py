"""Shared fixtures: every test gets its own Dagster instance, data folder and DuckDB file
(tests/harness/sandbox.py); and every test gets a lane (pytest_collection_modifyitems)."""

import secrets
from pathlib import Path

import pytest

from tests.harness.pg_warehouse import Warehouse
from tests.harness.postgres import EmbeddedPostgres
from tests.harness.sandbox import (
    DEMO_PROJECT,
    Sandbox,
    copy_dbt_project,
    make_sandbox,
)
from tests.harness.session_files import made_once

# Lanes, registered in pyproject.toml. `make test-fast` runs the in-process ones (unit,
# integration); `make test` runs all. A test module or test may name its lane with a mark (a test
# that runs the product's own command, such as `make run`'s, in its own processes marks itself
# e2e; one that has dbt build or check freshness, in dbt's own process, marks itself dbt); else
# a test on a `make dev` or daemon fixture is e2e; else the first matching path gives it (folders
# end in "/"); else it is an integration test.
LANES = ("unit", "integration", "dbt", "e2e", "ecs", "browser")
E2E_FIXTURES = {"dev_stack", "ops_stack", "pg_stack", "daemon_stack"}
LANE_BY_PATH = {
    "lib/test_cli_args.py": "unit",
    "lib/test_sla.py": "unit",
    "lib/test_slices.py": "unit",
    "lib/test_source_freshness.py": "unit",
    "lib/test_timeline.py": "unit",
    "lib/test_translator.py": "unit",
    "ingestion/test_sources.py": "unit",
    "alerts/test_run_failures.py": "unit",
    "ecs/test_deploy_files.py": "unit",
    "ecs/test_step_executor_setting.py": "unit",
    "ecs/": "ecs",
    "harness/test_ecs_agent.py": "ecs",
    "harness/test_harness_basics.py": "ecs",
    "browser/": "browser",
    "isolation/": "e2e",
    "operating/": "e2e",
    "alerts/test_alerts_daemon.py": "e2e",
    "ingestion/test_landing_e2e.py": "e2e",
}
TESTS_DIR = Path(__file__).resolve().parent


def lane_of(item: pytest.Item) -> str:
    marked = [lane for lane in LANES if item.get_closest_marker(lane)]
    if marked:
        return marked[0]
    if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
        return "e2e"
    path = item.path.resolve().relative_to(TESTS_DIR).as_posix()
    return next(
        (lane for prefix, lane in LANE_BY_PATH.items() if path.startswith(prefix)),
        "integration",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(lane_of(item))


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

    def parse(root: Path) -> None:
        make_sandbox(root, copy_dbt_project(DEMO_PROJECT, root / "dbt_project")).prepare_manifest()

    # One parse for all of the session's workers: each worker's sandbox reads it.
    parsed = made_once(tmp_path_factory, "parsed_demo", parse)
    return make_sandbox(tmp_path_factory.mktemp("parsed_demo"), parsed / "dbt_project")


@pytest.fixture
def load_definitions(monkeypatch: pytest.MonkeyPatch):
    """Build the code location's Definitions in-process against a sandbox's environment."""
    from orchestration.dbt.assets import project_dbt_assets
    from orchestration.ingestion.assets import landing_assets, project_landing_tables
    from orchestration.project import dbt_project

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


@pytest.fixture(scope="session")
def warehouse():
    """One real PostgreSQL server per test process, started on first use; each test takes a
    database of its own (Warehouse.new_database)."""
    # A password no log line could contain by chance: the failure tests look for it.
    server = EmbeddedPostgres(database="postgres", password=f"pw-{secrets.token_hex(8)}")
    server.start()
    try:
        yield Warehouse(server)
    finally:
        server.stop()
