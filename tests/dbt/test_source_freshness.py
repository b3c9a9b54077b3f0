"""dbt source freshness as asset checks: a real `dbt source freshness` over a real DuckDB file
whose `_loaded_at` values the test writes (stale: 30 days old, fresh: 5 minutes old, against
dbt windows of 24 h / 48 h; no table at all for shop.payments)."""

import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterEventType, DagsterInstance

from orchestration.dbt.source_freshness import SOURCE_FRESHNESS_JOB
from orchestration.ingestion.definitions import LANDING_JOB
from orchestration.lib.dbt.source_freshness import CHECK_NAME
from tests.alerts.drills import freshness_sandbox, parsed_freshness_project, write_all_raw

__all__ = ["freshness_sandbox", "parsed_freshness_project"]  # fixtures shared with tests/alerts

ORDERS, CUSTOMERS, PAYMENTS = (
    AssetKey(["shop", name]) for name in ("orders", "customers", "payments")
)


def test_sources_with_a_dbt_freshness_get_a_check_and_others_do_not(
    freshness_sandbox, load_definitions
):
    defs = load_definitions(freshness_sandbox)
    defs.get_repository_def().load_all_definitions()  # what a code server does: names clash here
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key for key in graph.asset_check_keys if key.name == CHECK_NAME}
    assert checked == {ORDERS, CUSTOMERS, PAYMENTS}  # not refunds: it sets `freshness: null`
    description = graph.get_check_spec(AssetCheckKey(ORDERS, CHECK_NAME)).description or ""
    assert "`_loaded_at`: warn after 24 hours, stale (error) after 48 hours" in description


@pytest.mark.dbt  # dbt builds, in its own process
def test_stale_source_fails_with_error_severity_fresh_passes_and_a_missing_table_errors(
    freshness_sandbox, load_definitions
):
    write_all_raw(freshness_sandbox.duckdb_path, stale={"customers"})
    defs = load_definitions(freshness_sandbox)
    with freshness_sandbox.instance() as instance:
        result = defs.resolve_job_def(SOURCE_FRESHNESS_JOB).execute_in_process(instance=instance)
    assert result.success  # stale sources are failed checks, not a failed run
    evaluations = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {ORDERS, CUSTOMERS, PAYMENTS}

    fresh, stale, broken = evaluations[ORDERS], evaluations[CUSTOMERS], evaluations[PAYMENTS]
    assert fresh.passed
    assert fresh.metadata["status"].value == "pass"

    assert not stale.passed
    assert stale.severity == AssetCheckSeverity.ERROR
    assert stale.metadata["status"].value == "error"
    assert stale.metadata["error_after"].value == "48 hours"
    age_hours = stale.metadata["age_hours"].value
    assert isinstance(age_hours, float) and 29 * 24 < age_hours < 31 * 24

    assert not broken.passed
    assert broken.severity == AssetCheckSeverity.ERROR
    assert broken.metadata["status"].value == "runtime error"
    assert "payments does not exist" in str(broken.metadata["error"].value)


def test_a_run_that_loads_a_source_skips_its_freshness_check_without_running_dbt(
    parsed_demo_sandbox, load_definitions, tmp_path, monkeypatch
):
    """Dagster plans the check into the landing run; it must not cost a dbt invocation there."""
    defs = load_definitions(parsed_demo_sandbox)
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("LANDING_URL", (tmp_path / "landing").as_uri())
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_RUNS_DIR", str(tmp_path / "dbt_runs"))
    events = AssetKey(["saas", "events"])
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(LANDING_JOB).execute_in_process(
            instance=instance, asset_selection=[events]
        )
    assert result.success
    steps = {e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_SUCCESS}
    assert "dbt_source_freshness" in steps  # planned by Dagster with the asset it checks
    assert result.get_asset_check_evaluations() == []
    assert not list((tmp_path / "dbt_runs").glob("*/dbt_source_freshness-*"))
