"""Every job, schedule and sensor of the code location carries the run policy (retry tags)."""

import dagster as dg
import pytest
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from orchestration.run_policies import run_policy_tags, with_run_policies

# The runs the daemon launches from a schedule or sensor carry the job's run tags, then the
# RunRequest's (dagster/_scheduler/scheduler.py, dagster/_daemon/sensor.py): that is the merge
# checked here. The retry itself is exercised by tests/operating/test_crash.py.


def _assert_policy(tags, what: str) -> None:
    policy = run_policy_tags()
    carried = {key: tags.get(key) for key in policy}
    assert carried == policy, f"{what} lacks the run policy: {carried}"


def test_every_job_schedule_and_sensor_carries_the_run_policy(
    load_definitions, parsed_demo_sandbox
):
    defs = load_definitions(parsed_demo_sandbox)
    jobs = [job for job in defs.resolve_all_job_defs() if job.name != "__ASSET_JOB"]
    assert {job.name for job in jobs} >= {
        "materialize_all",
        "landing_ingestion_job",
        "source_freshness_job",
        "hourly_job",
        "daily_full_build_job",
    }
    for job in jobs:
        # run tags: what the daemon puts on a schedule's or sensor's runs; tags: what the UI's
        # launch (GraphQL launchRun) puts on a run of the job.
        _assert_policy(job.run_tags, f"job {job.name}'s run tags")
        _assert_policy(job.tags, f"job {job.name}'s tags")

    schedules = list(defs.schedules or [])
    assert {s.name for s in schedules} >= {"hourly", "daily_full_build", "source_freshness"}
    with dg.instance_for_test() as instance:
        for schedule in schedules:
            resolved = defs.resolve_schedule_def(schedule.name)
            result = resolved.evaluate_tick(dg.build_schedule_context(instance=instance))
            assert result.run_requests, f"schedule {schedule.name} requested no run"
            for request in result.run_requests:
                _assert_policy(
                    {**resolved.job.run_tags, **request.tags}, f"a run of schedule {schedule.name}"
                )

    launching = 0
    for sensor in defs.sensors or []:
        resolved = defs.resolve_sensor_def(sensor.name)
        if isinstance(resolved, dg.AutomationConditionSensorDefinition):
            _assert_policy(resolved.run_tags, f"sensor {sensor.name}'s runs")
            launching += 1
        elif resolved.has_jobs:
            for job in resolved.jobs:
                _assert_policy(job.run_tags, f"sensor {sensor.name}'s job {job.name}")
            launching += 1
        else:  # the alert sensors: they notify, and launch nothing
            assert resolved.asset_selection is None, sensor.name
    assert launching >= 2  # the landing sensor and automation


def test_the_automation_sensor_keeps_its_settings_through_the_policy():
    """It is rebuilt to add run tags (dagster has no setter): nothing else may change."""
    sensor = dg.AutomationConditionSensorDefinition(
        "automation",
        target=dg.AssetSelection.groups("marts"),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=17,
        description="why",
        run_tags={"team": "data"},
    )
    (tagged,) = with_run_policies(dg.Definitions(sensors=[sensor])).sensors or []
    assert isinstance(tagged, dg.AutomationConditionSensorDefinition)
    assert tagged.run_tags == {"team": "data", **run_policy_tags()}
    for attribute in ("name", "asset_selection", "default_status", "minimum_interval_seconds"):
        assert getattr(tagged, attribute) == getattr(sensor, attribute), attribute
    assert (tagged.description, tagged.sensor_type) == (sensor.description, sensor.sensor_type)


def test_a_job_outside_the_policy_fails_the_load_naming_it():
    @dg.op
    def noop() -> None: ...

    @dg.job(name="op_job")
    def op_job():
        noop()

    with pytest.raises(TypeError, match="op_job"):
        with_run_policies(dg.Definitions(jobs=[op_job]))


def test_a_job_given_separate_run_tags_keeps_them():
    job = dg.define_asset_job("j", tags={"shown": "yes"}, run_tags={"team": "data"})
    (tagged,) = with_run_policies(dg.Definitions(jobs=[job])).jobs or []
    assert isinstance(tagged, UnresolvedAssetJobDefinition)
    assert tagged.run_tags == {"team": "data", **run_policy_tags()}


def test_a_job_keeps_everything_but_its_tags_through_the_policy():
    job = dg.define_asset_job(
        "j", selection=dg.AssetSelection.groups("marts"), description="d", tags={"a": "b"}
    )
    (tagged,) = with_run_policies(dg.Definitions(jobs=[job])).jobs or []
    assert isinstance(tagged, UnresolvedAssetJobDefinition)
    assert tagged.run_tags == {"a": "b", **run_policy_tags()}
    assert (tagged.name, tagged.selection, tagged.description) == ("j", job.selection, "d")
