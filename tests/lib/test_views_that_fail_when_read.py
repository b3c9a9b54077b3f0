"""A view dbt creates but whose SQL fails when read (DBT_QUERY_VIEWS): a failed model, in dbt's
run results and in Dagster, on DuckDB and on Postgres; with the setting off, dbt's own behaviour.

Real `dbt build`s through the product's dbt resource and event stream; nothing is mocked."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetMaterialization
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration.lib.dbt.cli_resource import ProjectDbtCliResource
from orchestration.lib.dbt.events import stream_dbt_events
from orchestration.lib.dbt.failures import failure_summary
from orchestration.lib.dbt.row_counting_dbt import QUERY_VIEWS_FLAG
from tests.harness.pg_warehouse import Warehouse
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project

SIBLING_DBT = str(Path(sys.executable).with_name("dbt"))
# Created without error on both warehouses; reading it fails on both (a cast DuckDB cannot do, a
# division Postgres refuses). The expression is per warehouse, the model file is not.
BROKEN_VIEW = (
    "{{ config(materialized='view') }}\n"
    "select customer,\n"
    "  {% if target.type == 'postgres' %} 1 / (order_count - order_count)"
    "  {% else %} cast('not a number' as integer) {% endif %} as broken\n"
    "from {{ ref('customer_totals') }}\n"
)

pytestmark = pytest.mark.dbt  # dbt builds, in its own process


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    models = project / "models"
    (models / "broken_view.sql").write_text(BROKEN_VIEW)
    # Downstream of the broken view: dbt must not build it on top of the fault.
    (models / "reads_broken_view.sql").write_text(
        "{{ config(materialized='table') }}\nselect * from {{ ref('broken_view') }}\n"
    )
    (models / "healthy_view.sql").write_text(
        "{{ config(materialized='view') }}\nselect customer from {{ ref('customer_totals') }}\n"
    )
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
    return project


def _build(project: Path, run_dir: Path, *, query_views: bool):
    """The build's materialized models, the error it raised, and dbt's run results."""
    if not (project / "target" / "manifest.json").exists():
        subprocess.run([SIBLING_DBT, "parse"], cwd=project, check=True, capture_output=True)
    resource = ProjectDbtCliResource.for_project(
        project_dir=str(project),
        dbt_executable=SIBLING_DBT,
        count_rows_in_dbt=True,
        query_views=query_views,
    )
    assert (QUERY_VIEWS_FLAG in resource.global_config_flags) is query_views
    invocation = resource.cli(
        ["build"], manifest=project / "target" / "manifest.json", target_path=run_dir
    )
    events, error = [], None
    try:
        events.extend(stream_dbt_events(invocation, rows_counted_by_dbt=True))
    except DagsterDbtCliRuntimeError as raised:
        error = raised
    materialized = {e.asset_key.path[-1] for e in events if isinstance(e, AssetMaterialization)}
    run_results = json.loads((run_dir / "run_results.json").read_text())
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in run_results["results"]}
    return materialized, error, run_results, statuses


def _assert_the_broken_view_failed(project: Path, tmp_path: Path, relation_fragment: str) -> None:
    materialized, error, run_results, statuses = _build(
        project, tmp_path / "checked", query_views=True
    )
    assert error is not None, "the build must fail: one of its views cannot be read"
    assert statuses["broken_view"] == "error"
    assert statuses["reads_broken_view"] == "skipped", "nothing is built on the broken view"
    assert statuses["healthy_view"] == "success" and statuses["customer_totals"] == "success"
    assert "broken_view" not in materialized and "reads_broken_view" not in materialized
    assert {"orders", "customer_totals", "healthy_view"} <= materialized
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    summary = failure_summary(run_results, manifest)
    assert summary is not None
    assert "dbt: 1 node failed." in summary
    assert "model broken_view (models/broken_view.sql)" in summary
    assert "was created, but reading it fails" in summary and relation_fragment in summary


def _assert_dbt_alone_calls_it_built(project: Path, tmp_path: Path) -> None:
    """Without the setting the same view is `success`, as in a bare `dbt build`: the check above
    is what changed the outcome. The table on top of it then fails in dbt itself."""
    materialized, error, _, statuses = _build(project, tmp_path / "unchecked", query_views=False)
    assert statuses["broken_view"] == "success" and "broken_view" in materialized
    assert statuses["reads_broken_view"] == "error" and error is not None


def test_a_view_that_fails_when_read_fails_its_model_on_duckdb(project: Path, tmp_path: Path):
    _assert_the_broken_view_failed(project, tmp_path, "Could not convert string 'not a number'")
    _assert_dbt_alone_calls_it_built(project, tmp_path)


def test_a_view_that_fails_when_read_fails_its_model_on_postgres(
    project: Path, tmp_path: Path, warehouse: Warehouse
):
    info = warehouse.info
    output = {
        "type": "postgres",
        "host": info.host,
        "port": info.port,
        "user": info.user,
        "password": info.password,
        "dbname": warehouse.new_database(),
        "schema": "analytics",
        "threads": 2,
        "sslmode": "disable",
    }
    profile = {"tiny_shop": {"target": "pg", "outputs": {"pg": output}}}
    (project / "profiles.yml").write_text(yaml.safe_dump(profile))
    _assert_the_broken_view_failed(project, tmp_path, "division by zero")
    # The failed read left no transaction open: the run's later nodes and the next run connect
    # and build as usual (the unchecked build below runs on the same database).
    _assert_dbt_alone_calls_it_built(project, tmp_path)
