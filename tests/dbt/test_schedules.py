"""Schedules declared in dbt YAML: each one, evaluated, launches exactly its dbt selection."""

import datetime as dt
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterRunStatus, build_schedule_context, instance_for_test
from dagster._core.test_utils import create_run_for_test

from orchestration.dbt.assets import project_dbt_assets
from orchestration.dbt.schedules import (
    SELECTION_TAG,
    build_dbt_schedule,
    declared_schedules,
)
from orchestration.settings import ConfigError
from tests.harness.sandbox import manifest_of

BUILT = ("model", "seed", "snapshot")


@pytest.fixture
def demo(parsed_demo_sandbox, load_definitions):
    defs = load_definitions(parsed_demo_sandbox)
    project_dir = Path(parsed_demo_sandbox.env["DBT_PROJECT_DIR"])
    return defs, project_dir, manifest_of(project_dir)


def _expected(manifest: dict, tag: str | None) -> set[AssetKey]:
    """Straight from the manifest, independently of the selection engine under test."""
    return {
        AssetKey(node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in BUILT and (tag is None or tag in node["tags"])
    }


def test_each_schedule_launches_its_dbt_selection(demo):
    defs, _, manifest = demo
    graph = defs.resolve_asset_graph()
    expected = {
        "hourly": ("0 * * * *", "--selector hourly", _expected(manifest, "hourly")),
        "daily_full_build": ("0 6 * * *", "--selector daily_full_build", _expected(manifest, None)),
    }
    # Every schedule declared in dbt YAML exists; `source_freshness` is the code location's own.
    declared = {s.name for s in defs.schedules or []} - {"source_freshness"}  # type: ignore[union-attr]
    assert declared == set(expected)
    hourly = expected["hourly"][2]
    assert AssetKey("fct_product_events") in hourly and AssetKey("fct_invoices") not in hourly

    with instance_for_test() as instance:
        for name, (cron, selection, keys) in expected.items():
            schedule = defs.resolve_schedule_def(name)
            assert (schedule.cron_schedule, schedule.execution_timezone) == (cron, "UTC")
            assert selection in (schedule.description or "")
            tick = schedule.evaluate_tick(
                build_schedule_context(instance, scheduled_execution_time=dt.datetime(2026, 5, 1))
            )
            [request] = tick.run_requests or []
            assert request.tags[SELECTION_TAG] == selection
            # Named on the run, so the automation sensor knows the run built these together.
            assert set(request.asset_selection or []) == keys
            job = defs.resolve_job_def(schedule.job_name)
            assert job.asset_layer.selected_asset_keys == keys
            assert graph.get_all_asset_keys() >= keys


def test_a_schedule_skips_while_its_previous_run_is_in_progress(demo):
    defs, _, _ = demo
    schedule = defs.resolve_schedule_def("hourly")
    with instance_for_test() as instance:
        run = create_run_for_test(
            instance, job_name=schedule.job_name, status=DagsterRunStatus.STARTED,
            tags={"dagster/schedule_name": "hourly"},
        )  # fmt: skip
        tick = schedule.evaluate_tick(build_schedule_context(instance))
        assert not tick.run_requests and run.run_id in (tick.skip_message or "")


def test_the_timezone_is_a_setting(demo, monkeypatch):
    _, project_dir, manifest = demo
    [spec, *_] = declared_schedules(project_dir, manifest)
    monkeypatch.setenv("SCHEDULE_TIMEZONE", "Europe/Berlin")
    schedule = build_dbt_schedule(spec, project_dbt_assets(), manifest)
    assert schedule.execution_timezone == "Europe/Berlin"
    assert "(Europe/Berlin)" in (schedule.description or "")
    monkeypatch.setenv("SCHEDULE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="SCHEDULE_TIMEZONE"):
        build_dbt_schedule(spec, project_dbt_assets(), manifest)


def _with_schedules(project_dir: Path, tmp_path: Path, schedules: dict) -> Path:
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    config["vars"]["dagster_schedules"] = schedules
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_an_analytics_engineer_adds_a_schedule_in_yaml_only(demo, tmp_path):
    _, project_dir, manifest = demo
    entry = {"cron": "30 7 * * 1-5", "select": "tag:finance", "exclude": "fct_payments"}
    edited = _with_schedules(project_dir, tmp_path, {"finance_morning": entry})
    [spec] = declared_schedules(edited, manifest)
    schedule = build_dbt_schedule(spec, project_dbt_assets(), manifest)
    keys = schedule.job.selection.resolve(_graph(demo))  # type: ignore[union-attr]
    assert keys == _expected(manifest, "finance") - {AssetKey("fct_payments")}
    assert "--select tag:finance --exclude fct_payments" in (schedule.description or "")


def _graph(demo):
    defs, _, _ = demo
    return defs.resolve_asset_graph()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"cron": "every hour", "selector": "hourly"}, "is not a cron expression"),
        ({"cron": "0 * * * *", "selector": "nightly"}, "'nightly' is not in selectors.yml"),
        ({"cron": "0 * * * *", "selector": "hourly", "select": "tag:x"}, "exactly one of"),
        ({"cron": "0 * * * *", "select": "tag:no_such_tag"}, "selects no dbt model"),
        ({"cron": "0 * * * *", "select": "*", "when": "always"}, "unknown key(s) when"),
    ],
)
def test_a_wrong_schedule_entry_names_the_schedule_and_the_fix(demo, tmp_path, entry, message):
    _, project_dir, manifest = demo
    edited = _with_schedules(project_dir, tmp_path, {"broken": entry})
    with pytest.raises(ConfigError, match=r"vars\.dagster_schedules\.broken") as raised:
        declared_schedules(edited, manifest)
    assert message in str(raised.value)
