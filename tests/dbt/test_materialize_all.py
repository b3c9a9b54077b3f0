"""Layer 3: `make run`'s job materializes everything on a fresh DuckDB file: the marts fill, and
each mart's materialization shows what the UI's asset page needs."""

import re
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType

from orchestration.lib.dbt.node_metadata import (
    COLUMN_SCHEMA_KEY,
    COMPILED_SQL_KEY,
    EXECUTION_SECONDS_KEY,
    RESULT_KEY,
)
from orchestration.lib.run_summary import summarize_run
from tests.harness.sandbox import manifest_of

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes

RUN_ID = re.compile(r"run (\S+) succeeded")


def test_materialize_all_on_a_fresh_warehouse_fills_every_mart(demo_sandbox):
    result = demo_sandbox.python("-m", "orchestration.cli.run", check=False)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = manifest_of(Path(demo_sandbox.env["DBT_PROJECT_DIR"]))
    marts = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert marts
    described = {}
    with duckdb.connect(str(demo_sandbox.duckdb_path), read_only=True) as con:
        for mart in marts:
            row = con.execute(f"select count(*) from {mart}").fetchone()
            assert row is not None and row[0] > 0, mart
            described[mart] = [(c[0], c[1]) for c in con.execute(f"describe {mart}").fetchall()]
    assert "0 failed checks" in result.stdout

    # Through the code location's own resource and job: each mart shows its columns with the
    # warehouse's types, the SQL dbt ran, dbt's result, and its seconds, which the summary reads.
    run_id = RUN_ID.search(result.stdout)
    assert run_id, result.stdout[-3000:]
    with demo_sandbox.instance() as instance:
        entries = instance.all_logs(run_id[1], of_type=DagsterEventType.ASSET_MATERIALIZATION)
        outcomes = {o.asset: o for o in summarize_run(instance, run_id[1])}
    shown = {}
    for entry in entries:
        assert entry.dagster_event is not None
        materialization = entry.dagster_event.step_materialization_data.materialization
        shown[materialization.asset_key.path[-1]] = materialization.metadata
    for mart in marts:
        metadata = shown[mart]
        columns = metadata[COLUMN_SCHEMA_KEY].value.columns  # type: ignore[union-attr]
        assert [(c.name, c.type) for c in columns] == described[mart], mart
        assert "select" in str(metadata[COMPILED_SQL_KEY].value).lower(), mart
        assert metadata[RESULT_KEY].value["status"] == "OK", mart  # type: ignore[index]
        assert metadata[EXECUTION_SECONDS_KEY].value == outcomes[mart].seconds, mart
