"""Run policies: the one place that puts run-level tags on everything that launches runs.

Every definition of the code location passes through `with_run_policies` (definitions.py), so
a job, schedule or sensor added by any concern gets the policies without knowing about them:
jobs carry the tags (Dagster puts a job's tags on every run of it, including the runs its
schedules and sensors request), and the automation sensor, which launches runs of assets
rather than of a job, carries them as its run tags.

Today the policy is the run-retry tags (`orchestration/retries.py`); add any other run-level
tag to `run_policy_tags`.
"""

import warnings
from collections.abc import Mapping
from typing import Any

from dagster import (
    AutomationConditionSensorDefinition,
    BetaWarning,
    Definitions,
    ScheduleDefinition,
    SensorDefinition,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns; dagster exports no name
)

# Jobs and Definitions are dagster records, immutable and without a public setter; `copy`
# rebuilds one through its constructor with some fields replaced. Private: the tests in
# tests/test_run_policies.py trip if it stops keeping the other fields.
from dagster_shared.record import copy

from orchestration.retries import run_retry_tags


def run_policy_tags() -> dict[str, str]:
    return run_retry_tags()


def with_run_policies(defs: Definitions) -> Definitions:
    """`defs` with every job, schedule and run-launching sensor carrying the policy tags."""
    tags = run_policy_tags()
    jobs = {job.name: _tagged_job(job, tags) for job in defs.jobs or []}

    def job_named(job) -> UnresolvedAssetJobDefinition:
        # The same object as in `jobs`: Dagster refuses two different jobs of one name.
        return jobs.setdefault(job.name, _tagged_job(job, tags))

    schedules = [
        schedule.with_updated_job(job_named(schedule.job))
        if isinstance(schedule, ScheduleDefinition) and schedule.has_job
        else schedule
        for schedule in defs.schedules or []
    ]
    sensors = [_tagged_sensor(sensor, tags, job_named) for sensor in defs.sensors or []]
    return copy(defs, jobs=list(jobs.values()), schedules=schedules, sensors=sensors)


def _tagged_job(job, tags: Mapping[str, str]) -> UnresolvedAssetJobDefinition:
    if not isinstance(job, UnresolvedAssetJobDefinition):
        # Only asset jobs exist here; an op job would need its own branch, not silence.
        raise TypeError(f"Job {job.name!r}: run policies support asset jobs (define_asset_job).")
    # Both: the daemon puts a job's run tags on the runs it launches (schedules, sensors), the
    # UI's launch (GraphQL launchRun) puts the job's tags.
    run_tags = None if job.run_tags is None else {**job.run_tags, **tags}
    return copy(job, tags={**(job.tags or {}), **tags}, run_tags=run_tags)


def _tagged_sensor(sensor, tags: Mapping[str, str], job_named):
    if isinstance(sensor, AutomationConditionSensorDefinition):
        # Beta parameters are passed only when set, so that an unset one warns of nothing.
        beta: dict[str, Any] = (
            {"use_user_code_server": True} if sensor.sensor_type.value == "AUTOMATION" else {}
        )
        if sensor.default_condition is not None:
            beta["default_condition"] = sensor.default_condition
        return AutomationConditionSensorDefinition(
            sensor.name,
            target=sensor.asset_selection,
            tags=sensor.tags,
            run_tags={**sensor.run_tags, **tags},
            default_status=sensor.default_status,
            minimum_interval_seconds=sensor.minimum_interval_seconds,
            description=sensor.description,
            metadata=sensor.metadata,
            emit_backfills=sensor.emit_backfills,
            **beta,
        )
    if isinstance(sensor, SensorDefinition) and sensor.has_jobs:
        with warnings.catch_warnings():
            # dagster rebuilds the sensor passing its (unset) beta `owners`: not our setting.
            warnings.simplefilter("ignore", BetaWarning)
            return sensor.with_updated_jobs([job_named(job) for job in sensor.jobs])
    if sensor.asset_selection is not None:
        raise TypeError(f"Sensor {sensor.name!r}: run policies cannot tag its runs; give it a job.")
    return sensor  # launches no run (e.g. the alert sensors)
