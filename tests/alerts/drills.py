"""The SLA and alert drills' dbt project (tests/fixtures/freshness_dbt_project) and its data.

Its sources' freshness is whatever `_loaded_at` the test writes into the sandbox's own DuckDB
file, so a source is stale or fresh by construction, days away from its 24 h / 48 h windows.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.harness.sandbox import REPO_ROOT, Sandbox, copy_dbt_project, make_sandbox
from tests.harness.session_files import made_once

FRESHNESS_PROJECT = REPO_ROOT / "tests" / "fixtures" / "freshness_dbt_project"
RAW_TABLES = ("orders", "customers", "refunds")


def utc_now() -> datetime:
    """Naive UTC, as dbt reads a `timestamp` column without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def write_raw(duckdb_path: Path, table: str, loaded_at: datetime) -> None:
    """(Re)create raw.<table> with one row loaded at `loaded_at`."""
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("create schema if not exists raw")
        con.execute(
            f"create or replace table raw.{table} as select 1 as id, ?::timestamp as _loaded_at",
            [loaded_at],
        )


def write_all_raw(duckdb_path: Path, *, stale: set[str]) -> None:
    """The raw tables: those in `stale` loaded 30 days ago, the others 5 minutes ago.

    raw.payments is never written: its source's freshness query fails.
    """
    now = utc_now()
    for table in RAW_TABLES:
        age = timedelta(days=30) if table in stale else timedelta(minutes=5)
        write_raw(duckdb_path, table, now - age)


def alerts_dir(sandbox: Sandbox) -> Path:
    return Path(sandbox.env["DATA_DIR"]) / "alerts"


def alerts(sandbox: Sandbox, kind: str | None = None) -> list[dict]:
    """The alert files the default notifier wrote, oldest first."""
    folder = alerts_dir(sandbox)
    if not folder.is_dir():
        return []
    found = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return [alert for alert in found if kind is None or alert["kind"] == kind]


@pytest.fixture(scope="session")
def parsed_freshness_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the drills project with its manifest parsed, once for the session's workers
    (tests/alerts and tests/dbt share it); sandboxes only read it."""

    def parse(root: Path) -> None:
        project = copy_dbt_project(FRESHNESS_PROJECT, root / "freshness_dbt_project")
        make_sandbox(root / "parse", project).prepare_manifest()

    return made_once(tmp_path_factory, "freshness_project", parse) / "freshness_dbt_project"


@pytest.fixture
def freshness_sandbox(tmp_path: Path, parsed_freshness_project: Path) -> Sandbox:
    """Its own instance, data folder and DuckDB file over the parsed drills project."""
    return make_sandbox(tmp_path, parsed_freshness_project)
