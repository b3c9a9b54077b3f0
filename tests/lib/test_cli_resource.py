import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dagster_dbt.core.resource
import duckdb
import pytest
import yaml
from dagster import AssetMaterialization
from dbt_common.events.event_manager_client import get_event_manager

from orchestration.lib.dbt import row_counting_dbt
from orchestration.lib.dbt.cli_resource import ROW_COUNTING_DBT, ProjectDbtCliResource
from orchestration.lib.dbt.events import ROW_COUNT_KEY, stream_dbt_events
from orchestration.lib.dbt.node_metadata import (
    COLUMN_SCHEMA_KEY,
    COMPILED_SQL_KEY,
    EXECUTION_SECONDS_KEY,
    RESULT_KEY,
)
from tests.harness.pg_warehouse import Warehouse
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project

pytestmark = pytest.mark.dbt  # dbt builds, in its own process

SIBLING_DBT = str(Path(sys.executable).with_name("dbt"))


def test_version_of_the_sibling_dbt_is_read_without_running_it(monkeypatch):
    """dagster-dbt's `check_output` is replaced by one that fails, to prove no `dbt --version`
    subprocess runs; the version is then compared with what the real `dbt --version` says."""
    reported = subprocess.run([SIBLING_DBT, "--version"], capture_output=True, text=True).stdout

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    for resource in (
        ProjectDbtCliResource(project_dir=str(TINY_PROJECT), dbt_executable=SIBLING_DBT),
        ProjectDbtCliResource.for_project(
            project_dir=str(TINY_PROJECT), dbt_executable=SIBLING_DBT, count_rows_in_dbt=True
        ),
    ):
        assert f"installed: {resource._cli_version}" in reported


@pytest.mark.unit
def test_another_dbt_executable_is_run_as_it_is_and_the_warning_says_what_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    other_dbt = tmp_path / "dbt"
    other_dbt.write_text("#!/bin/sh\n")
    other_dbt.chmod(0o755)
    resource = ProjectDbtCliResource.for_project(
        project_dir=str(TINY_PROJECT),
        dbt_executable=str(other_dbt),
        count_rows_in_dbt=True,
        query_views=True,
    )
    assert resource.dbt_executable == str(other_dbt) and not resource.counts_rows_in_dbt
    assert f"DBT_EXECUTABLE={other_dbt} is not the dbt beside" in caplog.text
    assert "no row counts and a view whose SQL fails when read is reported built" in caplog.text


@pytest.fixture
def tiny_project_with_a_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    (project / "models" / "customer_names.sql").write_text(
        "{{ config(materialized='view') }}\nselect customer from {{ ref('customer_totals') }}\n"
    )
    (project / "models" / "customer_totals.yml").write_text(
        "models:\n  - name: customer_totals\n    columns:\n      - name: customer\n"
        "        description: Who ordered.\n        data_tests: [unique, not_null]\n"
    )
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
    subprocess.run([SIBLING_DBT, "parse"], cwd=project, check=True, capture_output=True)
    return project


def _build(resource: ProjectDbtCliResource, run_dir: Path) -> dict[str, Mapping[str, Any]]:
    """A real `dbt build`: each materialized asset's metadata."""
    manifest = Path(resource.project_dir) / "target" / "manifest.json"
    invocation = resource.cli(["build"], manifest=manifest, target_path=run_dir)
    assert invocation.dbt_command.startswith(f"{sys.executable} {ROW_COUNTING_DBT} build")
    events = list(stream_dbt_events(invocation, rows_counted_by_dbt=True))
    assert invocation.process.returncode == 0
    return {
        event.asset_key.path[-1]: event.metadata
        for event in events
        if isinstance(event, AssetMaterialization)
    }


def _columns(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    schema = metadata[COLUMN_SCHEMA_KEY].value
    return [(column.name, column.type) for column in schema.columns]


def _assert_what_a_model_page_shows(
    materialized: dict[str, Mapping[str, Any]], run_dir: Path
) -> None:
    """Beyond rows and columns, which each warehouse's test compares with its catalog."""
    totals, seed = materialized["customer_totals"], materialized["orders"]
    for metadata in materialized.values():
        assert metadata["dbt/artifacts"].value == str(run_dir)
        assert "Execution Duration" not in metadata, "dagster-dbt's key, without its unit"
        assert isinstance(metadata[EXECUTION_SECONDS_KEY].value, float)
    # The warehouse's types come with the YAML's descriptions, as the definition has them.
    described = {c.name: c.description for c in totals[COLUMN_SCHEMA_KEY].value.columns}
    assert described == {"customer": "Who ordered.", "order_count": None, "total_amount": None}
    sql = totals[COMPILED_SQL_KEY].value
    assert sql.startswith("```sql\n") and sql.endswith("\n```")
    assert "group by customer" in sql and '"orders"' in sql, "the SQL dbt ran, refs resolved"
    assert COMPILED_SQL_KEY not in seed, "a seed compiles no SQL"
    result = totals[RESULT_KEY].value
    assert result["materialized"] == "table" and result["relation"].endswith('"customer_totals"')
    assert result["started_at"] <= result["finished_at"]
    assert result["execution_seconds"] > 0 and result["thread"]
    assert seed[RESULT_KEY].value["message"] == "INSERT 3"


def test_dbt_counts_the_rows_of_each_table_it_builds_while_it_holds_the_lock(
    tiny_project_with_a_view: Path, tmp_path: Path
):
    """A real `dbt build` on DuckDB, run as row_counting_dbt.py: every table and seed reaches
    Dagster with its row count and every relation with its columns, from dbt itself, views
    without a count, and dagster-dbt builds no adapter of its own."""
    project = tiny_project_with_a_view
    resource = ProjectDbtCliResource.for_project(
        project_dir=str(project), dbt_executable=SIBLING_DBT, count_rows_in_dbt=True
    )
    assert resource.dbt_executable == sys.executable
    assert resource.global_config_flags == [str(ROW_COUNTING_DBT)]
    assert resource._initialize_dbt_core_adapter(["build"]) is None

    materialized = _build(resource, tmp_path / "run")
    assert set(materialized) == {"orders", "customer_totals", "customer_names"}
    assert materialized["orders"][ROW_COUNT_KEY].value == 3
    assert materialized["customer_totals"][ROW_COUNT_KEY].value == 2
    assert ROW_COUNT_KEY not in materialized["customer_names"], "views are not counted"
    # Each relation's columns, in order, with the types DuckDB itself reports for it.
    with duckdb.connect(str(tmp_path / "tiny.duckdb"), read_only=True) as con:
        for name, metadata in materialized.items():
            described = con.execute(f"describe main.{name}").fetchall()
            assert _columns(metadata) == [(row[0], row[1]) for row in described], name
    assert _columns(materialized["customer_names"]) == [("customer", "VARCHAR")]
    _assert_what_a_model_page_shows(materialized, tmp_path / "run")


def test_columns_and_row_counts_on_postgres(
    tiny_project_with_a_view: Path, tmp_path: Path, warehouse: Warehouse
):
    """The same build with Postgres as the warehouse: its catalog's types, not DuckDB's."""
    project = tiny_project_with_a_view
    database = warehouse.new_database()
    info = warehouse.info
    (project / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "tiny_shop": {
                    "target": "pg",
                    "outputs": {
                        "pg": {
                            "type": "postgres",
                            "host": info.host,
                            "port": info.port,
                            "user": info.user,
                            "password": info.password,
                            "dbname": database,
                            "schema": "analytics",
                            "threads": 2,
                            "sslmode": "disable",
                        }
                    },
                }
            }
        )
    )
    resource = ProjectDbtCliResource.for_project(
        project_dir=str(project), dbt_executable=SIBLING_DBT, count_rows_in_dbt=True
    )
    materialized = _build(resource, tmp_path / "run")

    assert materialized["orders"][ROW_COUNT_KEY].value == 3
    assert materialized["customer_totals"][ROW_COUNT_KEY].value == 2
    assert ROW_COUNT_KEY not in materialized["customer_names"]
    for name, metadata in materialized.items():
        catalog = warehouse.query(
            database,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'analytics' and table_name = %s order by ordinal_position",
            (name,),
        )
        assert catalog and _columns(metadata) == catalog, name
    assert _columns(materialized["customer_totals"]) == [
        ("customer", "text"),
        ("order_count", "bigint"),
        ("total_amount", "bigint"),
    ]
    _assert_what_a_model_page_shows(materialized, tmp_path / "run")
    # Postgres says what the statement did: dbt's status is the database's own message.
    assert materialized["customer_totals"][RESULT_KEY].value["status"] == "SELECT 2"


def test_a_note_that_fails_is_logged_and_never_fails_the_node(monkeypatch: pytest.MonkeyPatch):
    """The message stands in for dbt's event object (a SimpleNamespace with the fields dbt's
    LogModelResult carries), because a count that fails inside a real dbt run cannot be
    provoked without breaking the model too. No adapter is registered in this process, so
    counting and reading columns really fail."""
    node = SimpleNamespace(
        unique_id="model.p.m",
        node_status="success",
        materialized="table",
        node_relation=SimpleNamespace(relation_name='"w"."main"."m"'),
    )
    message = SimpleNamespace(
        info=SimpleNamespace(name="LogModelResult"), data=SimpleNamespace(node_info=node)
    )
    logged: list = []
    monkeypatch.setattr(get_event_manager(), "callbacks", [logged.append])
    row_counting_dbt.describe_built_relations(message)  # must not raise
    (note,) = logged
    assert note.info.name == "Note" and note.info.level == "info"
    assert 'could not describe \\"w\\".\\"main\\".\\"m\\"' in note.info.msg
    # The note still releases the table's result, without rows or columns.
    assert row_counting_dbt.built_relation_of({"info": {"name": "Note", "msg": note.info.msg}}) == (
        "model.p.m",
        None,
        None,
    )


def test_an_adapter_without_a_known_catalog_query_gets_the_same_notes_through_dbt(
    tiny_project_with_a_view: Path, tmp_path: Path
):
    """Rows and columns come from the connections row_counting_dbt keeps per thread on DuckDB
    and Postgres; any other adapter goes through dbt's own connections and its column macro.
    DuckDB plays "any other adapter" here (its catalog query removed in a wrapper script),
    because no third warehouse runs on this machine: both paths must write the same notes."""
    through_dbt = tmp_path / "through_dbt.py"
    through_dbt.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parents[2])!r})\n"
        "from orchestration.lib.dbt import row_counting_dbt\n"
        "row_counting_dbt._CATALOG_QUERIES.clear()\n"
        "row_counting_dbt.main()\n"
    )
    notes = {}
    for script in (ROW_COUNTING_DBT, through_dbt):
        output = subprocess.run(
            [sys.executable, str(script), "--log-format", "json", "build"],
            cwd=tiny_project_with_a_view,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        built = (
            row_counting_dbt.built_relation_of(json.loads(line)) for line in output.splitlines()
        )
        notes[script] = {note.unique_id.split(".")[-1]: note for note in built if note}
    assert notes[ROW_COUNTING_DBT] == notes[through_dbt]
    assert (
        notes[through_dbt]["orders"].rows == 3 and notes[through_dbt]["customer_totals"].rows == 2
    )
    assert notes[through_dbt]["customer_names"] == (
        "model.tiny_shop.customer_names",
        None,
        [("customer", "VARCHAR")],
    )
