"""`make run` on Postgres: DBT_TARGET=postgres and its variables, no code edit, and the demo
project (landing ingestion included) materializes every asset into the Postgres warehouse."""

import re
import time
from pathlib import Path

import pytest
from dagster import DagsterEventType

from tests.harness.pg_warehouse import postgres_sandbox
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, manifest_of

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes

SUMMARY = re.compile(r"run (\S+) succeeded: (\d+)/(\d+) assets materialized, (\d+) failed checks")


def test_demo_project_materializes_every_asset_on_postgres(tmp_path: Path, warehouse):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    sandbox, database = postgres_sandbox(tmp_path, warehouse, project)
    sandbox.load_demo_data()
    sandbox.prepare_manifest()

    started = time.monotonic()
    result = sandbox.python("-m", "orchestration.cli.run", check=False)
    print(f"make run on Postgres took {time.monotonic() - started:.1f}s")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = SUMMARY.search(result.stdout)
    assert summary, result.stdout[-3000:]
    run_id, built, total, failed_checks = summary.groups()
    assert built == total and failed_checks == "0"

    manifest = manifest_of(project)
    tables = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["config"]["materialized"] not in ("view", "ephemeral")
    }
    marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    counts = {}
    for table in sorted(tables):
        rows = warehouse.query(database, f"select count(*) from analytics.{table}")
        counts[table] = rows[0][0]
    assert all(counts[mart] > 0 for mart in marts), counts

    with sandbox.instance() as instance:
        row_counts = {}
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            assert entry.dagster_event is not None
            materialization = entry.dagster_event.step_materialization_data.materialization
            value = materialization.metadata.get("dagster/row_count")
            if value is not None:
                row_counts[materialization.asset_key.path[-1]] = value.value
        checks = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    # Every table dbt built carries the row count it has in the warehouse.
    assert {name: row_counts.get(name) for name in tables} == counts
    assert checks and all(
        entry.dagster_event is not None and entry.dagster_event.event_specific_data.passed  # type: ignore[union-attr]
        for entry in checks
    )
