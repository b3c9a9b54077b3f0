import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster_dbt.core.resource
import pytest
from dagster import AssetMaterialization
from dbt_common.events.event_manager_client import get_event_manager

from orchestration.lib.dbt import row_counting_dbt
from orchestration.lib.dbt.cli_resource import ROW_COUNTING_DBT, ProjectDbtCliResource
from orchestration.lib.dbt.events import ROW_COUNT_KEY, stream_dbt_events
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project

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


@pytest.fixture
def tiny_project_with_a_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    (project / "models" / "customer_names.sql").write_text(
        "{{ config(materialized='view') }}\nselect customer from {{ ref('customer_totals') }}\n"
    )
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
    subprocess.run([SIBLING_DBT, "parse"], cwd=project, check=True, capture_output=True)
    return project


def test_dbt_counts_the_rows_of_each_table_it_builds_while_it_holds_the_lock(
    tiny_project_with_a_view: Path, tmp_path: Path
):
    """A real `dbt build` on DuckDB, run as row_counting_dbt.py: every table and seed reaches
    Dagster with its row count from dbt itself, views without one, and dagster-dbt builds no
    adapter of its own."""
    project = tiny_project_with_a_view
    resource = ProjectDbtCliResource.for_project(
        project_dir=str(project), dbt_executable=SIBLING_DBT, count_rows_in_dbt=True
    )
    assert resource.dbt_executable == sys.executable
    assert resource.global_config_flags == [str(ROW_COUNTING_DBT)]
    assert resource._initialize_dbt_core_adapter(["build"]) is None

    invocation = resource.cli(
        ["build"], manifest=project / "target" / "manifest.json", target_path=tmp_path / "run"
    )
    assert invocation.dbt_command.startswith(f"{sys.executable} {ROW_COUNTING_DBT} build")
    events = list(stream_dbt_events(invocation, rows_counted_by_dbt=True))

    materialized = {
        event.asset_key.path[-1]: event.metadata
        for event in events
        if isinstance(event, AssetMaterialization)
    }
    assert set(materialized) == {"orders", "customer_totals", "customer_names"}
    assert materialized["orders"][ROW_COUNT_KEY].value == 3
    assert materialized["customer_totals"][ROW_COUNT_KEY].value == 2
    assert ROW_COUNT_KEY not in materialized["customer_names"], "views are not counted"
    assert invocation.process.returncode == 0


def test_a_count_that_fails_is_logged_and_never_fails_the_node(monkeypatch: pytest.MonkeyPatch):
    """The message stands in for dbt's event object (a SimpleNamespace with the fields dbt's
    LogModelResult carries), because a count that fails inside a real dbt run cannot be
    provoked without breaking the model too. No adapter is registered in this process, so the
    count itself really fails."""
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
    row_counting_dbt.count_rows_of_built_tables(message)  # must not raise
    (note,) = logged
    assert note.info.name == "Note" and note.info.level == "info"
    assert 'could not count rows of \\"w\\".\\"main\\".\\"m\\"' in note.info.msg
    # The note still releases the table's result, uncounted.
    assert row_counting_dbt.row_count_of({"info": {"name": "Note", "msg": note.info.msg}}) == (
        "model.p.m",
        None,
    )
