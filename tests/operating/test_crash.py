"""Crashes: a run worker killed with SIGKILL is marked failed, its dbt does not run on as an
orphan, and the run-retry policy launches a new run that completes."""

import os
import signal
import time

import pytest
from dagster import DagsterEventType, DagsterRunStatus

from orchestration.lib.dbt.slices import ONE_STEP_SLICE
from tests.harness.waiting import HANG_TIMEOUT, wait_until
from tests.operating.drills import dbt_log, dbt_processes

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("ops_stack")

# A few seconds of cross join: long enough to be mid-query when the worker dies. DuckDB is a
# single writer, so the default layout is one dbt step (DBT_STEPS=one), whatever the folders.
QUICKER_SLOW = {"ops": {f"dbt_{ONE_STEP_SLICE}": {"config": {"dbt_vars": {"slow_side": "60000"}}}}}


def test_killed_run_worker_is_failed_and_retried_to_success(ops_stack):
    run_id = ops_stack.server.ui.launch_assets(
        [["base"], ["slow"]], job_name="materialize_all", run_config=QUICKER_SLOW
    )

    def slow_started():
        ops_stack.server.assert_alive()
        return "model main.slow" in dbt_log(ops_stack.runs_dir(run_id))

    wait_until(slow_started, HANG_TIMEOUT, "dbt to reach the slow model", poll=0.2)
    with ops_stack.sandbox.instance() as instance:
        (start,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
        worker_pid = start.dagster_event.pid
        killed_at = time.monotonic()
        os.kill(worker_pid, signal.SIGKILL)

        failed = ops_stack.wait_finished(run_id)
        marked_failed_after = time.monotonic() - killed_at
        assert failed.status == DagsterRunStatus.FAILURE
    retry = ops_stack.wait_finished(ops_stack.automatic_retry(run_id))
    print(f"killed run worker marked failed after {marked_failed_after:.1f}s")

    assert retry.status == DagsterRunStatus.SUCCESS
    assert "slow" in ops_stack.materialized(retry.run_id)
    assert not dbt_processes(ops_stack.project), "an orphan dbt outlived its run worker"


def test_a_crashed_scheduled_run_is_retried_to_success(ops_stack):
    """The 06:00 full build case: a run of a schedule (here its tick launched at once, as
    "Test schedule" does, rather than waiting for its cron) carries the run policy from its
    job, so a killed run worker is retried without anyone clicking."""
    run_id = ops_stack.server.ui.launch_schedule_tick(
        "yearly_slow", "yearly_slow_job", run_config=QUICKER_SLOW
    )

    def slow_started():
        ops_stack.server.assert_alive()
        return "model main.slow" in dbt_log(ops_stack.runs_dir(run_id))

    wait_until(slow_started, HANG_TIMEOUT, "dbt to reach the slow model", poll=0.2)
    with ops_stack.sandbox.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run and run.tags["dagster/retry_strategy"] == "FROM_ASSET_FAILURE"
        assert run.tags["dagster/schedule_name"] == "yearly_slow"
        (start,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
        os.kill(start.dagster_event.pid, signal.SIGKILL)
        assert ops_stack.wait_finished(run_id).status == DagsterRunStatus.FAILURE
    retry = ops_stack.wait_finished(ops_stack.automatic_retry(run_id))
    assert retry.status == DagsterRunStatus.SUCCESS
    assert retry.tags["dagster/schedule_name"] == "yearly_slow"
    assert "slow" in ops_stack.materialized(retry.run_id)
