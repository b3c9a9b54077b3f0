"""The breach sensor over stale dbt sources: one alert per stale spell, not one per tick.

Real parts: `dbt source freshness` on the sandbox's DuckDB file (whose `_loaded_at` the test
writes), check evaluations in a real SQLite instance, the sensor's own code evaluated tick by
tick with `build_sensor_context`, carrying its cursor as the daemon would (the daemon itself
runs in test_alerts_daemon.py), and the default notifier writing real files.
"""

from pathlib import Path

import pytest
from dagster import build_sensor_context

from orchestration.alerts.sensors import BREACH_SENSOR
from orchestration.dbt.source_freshness import SOURCE_FRESHNESS_JOB
from tests.alerts.drills import FRESHNESS_PROJECT, alerts, write_all_raw
from tests.harness.sandbox import Sandbox, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.dbt  # dbt builds, in its own process


class Ticks:
    """The breach sensor, evaluated tick after tick with the cursor of the previous tick."""

    def __init__(self, defs, instance) -> None:
        self.sensor = defs.resolve_sensor_def(BREACH_SENSOR)
        self.repository = defs.get_repository_def()
        self.instance = instance
        self.cursor: str | None = None

    def tick(self) -> str:
        context = build_sensor_context(
            instance=self.instance, cursor=self.cursor, repository_def=self.repository
        )
        data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor
        return data.skip_message or ""


@pytest.fixture
def freshness_sandbox(tmp_path: Path) -> Sandbox:
    """The drills project parsed in this test's own environment. dbt hashes the rendered profile
    (here: this test's DuckDB file) into its partial parse: parsed elsewhere, each of the four
    `dbt source freshness` runs below would parse the project from scratch."""
    sandbox = make_sandbox(tmp_path, copy_dbt_project(FRESHNESS_PROJECT, tmp_path / "project"))
    sandbox.prepare_manifest()
    return sandbox


def test_stale_source_alerts_once_and_again_only_after_it_recovered(
    freshness_sandbox, load_definitions
):
    defs = load_definitions(freshness_sandbox)
    check_sources = defs.resolve_job_def(SOURCE_FRESHNESS_JOB)
    duckdb_path = freshness_sandbox.duckdb_path
    with freshness_sandbox.instance() as instance:
        ticks = Ticks(defs, instance)

        write_all_raw(duckdb_path, stale={"customers"})
        assert check_sources.execute_in_process(instance=instance).success
        first = ticks.tick()
        ticks.tick()
        assert [a["subject"] for a in alerts(freshness_sandbox)] == [
            "shop/customers",
            "shop/payments",
        ]
        alert, failed_query = alerts(freshness_sandbox)
        assert "source:shop/customers" in first
        assert alert["kind"] == failed_query["kind"] == "source_freshness"
        assert alert["subject"] == "shop/customers"
        assert alert["details"]["error_after"] == "48 hours"
        assert alert["title"].startswith("dbt source shop/customers is stale: last loaded ")
        assert failed_query["title"].startswith("dbt source freshness of shop/payments failed: ")
        assert "payments does not exist" in failed_query["details"]["error"]

        # Checked again, still stale: the same spell, no new alert.
        assert check_sources.execute_in_process(instance=instance).success
        ticks.tick()
        assert len(alerts(freshness_sandbox)) == 2

        # Fresh data arrives: the spell ends, nothing is sent.
        write_all_raw(duckdb_path, stale=set())
        assert check_sources.execute_in_process(instance=instance).success
        ticks.tick()
        assert len(alerts(freshness_sandbox)) == 2

        # Stale again: a new spell, a new alert.
        write_all_raw(duckdb_path, stale={"customers"})
        assert check_sources.execute_in_process(instance=instance).success
        ticks.tick()
        ticks.tick()
    found = [a for a in alerts(freshness_sandbox) if a["subject"] == "shop/customers"]
    assert len(found) == 2
    assert found[0]["since"] < found[1]["since"]
    # shop/payments never had a table: one spell, one alert, however many checks and ticks.
    assert len([a for a in alerts(freshness_sandbox) if a["subject"] == "shop/payments"]) == 1
    assert not alerts(freshness_sandbox, kind="sla_breach")  # no asset was ever materialized
