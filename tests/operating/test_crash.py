"""Crashes: a run worker killed with SIGKILL is marked failed, its dbt does not run on as an
orphan, and the run-retry policy launches a new run that completes."""

import os
import signal
import time
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus

from tests.harness.dagster_dev import wait_for
from tests.operating.conftest import dbt_processes

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("ops_stack")

# A few seconds of cross join: long enough to be mid-query when the worker dies.
QUICKER_SLOW = {"ops": {"dbt_models": {"config": {"dbt_vars": {"slow_side": "60000"}}}}}


def test_killed_run_worker_is_failed_and_retried_to_success(ops_stack):
    run_id = ops_stack.server.launch_assets(
        [["base"], ["slow"]], job_name="materialize_all", run_config=QUICKER_SLOW
    )
    runs_dir = Path(ops_stack.sandbox.env["DATA_DIR"]) / "dbt_runs" / run_id

    def slow_started():
        text = "".join(log.read_text(errors="replace") for log in runs_dir.glob("*/dbt.log"))
        return "model main.slow" in text

    wait_for(slow_started, timeout=180, interval=0.2, what="dbt to reach the slow model")
    with ops_stack.sandbox.instance() as instance:
        (start,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
        worker_pid = start.dagster_event.pid
        killed_at = time.monotonic()
        os.kill(worker_pid, signal.SIGKILL)

        failed = ops_stack.wait_finished(run_id, timeout=120)
        marked_failed_after = time.monotonic() - killed_at
        assert failed.status == DagsterRunStatus.FAILURE

        def retry_run():
            run = instance.get_run_by_id(run_id)
            retry_id = run.tags.get("dagster/auto_retry_run_id") if run else None
            return retry_id

        retry_id = wait_for(retry_run, timeout=120, interval=0.5, what="the automatic retry")
    retry = ops_stack.wait_finished(retry_id, timeout=300)
    print(f"killed run worker marked failed after {marked_failed_after:.1f}s")

    assert retry.status == DagsterRunStatus.SUCCESS
    assert "slow" in ops_stack.materialized(retry_id)
    assert not dbt_processes(ops_stack.project), "an orphan dbt outlived its run worker"


def test_a_crashed_scheduled_run_is_retried_to_success(ops_stack):
    """The 06:00 full build case: a run of a schedule (here its tick launched at once, as
    "Test schedule" does, rather than waiting for its cron) carries the run policy from its
    job, so a killed run worker is retried without anyone clicking."""
    run_id = ops_stack.server.launch_schedule_tick(
        "yearly_slow", "yearly_slow_job", run_config=QUICKER_SLOW
    )
    runs_dir = Path(ops_stack.sandbox.env["DATA_DIR"]) / "dbt_runs" / run_id

    def slow_started():
        text = "".join(log.read_text(errors="replace") for log in runs_dir.glob("*/dbt.log"))
        return "model main.slow" in text

    wait_for(slow_started, timeout=180, interval=0.2, what="dbt to reach the slow model")
    with ops_stack.sandbox.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run and run.tags["dagster/retry_strategy"] == "FROM_ASSET_FAILURE"
        assert run.tags["dagster/schedule_name"] == "yearly_slow"
        (start,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
        os.kill(start.dagster_event.pid, signal.SIGKILL)
        assert ops_stack.wait_finished(run_id, timeout=120).status == DagsterRunStatus.FAILURE

        def retry_run():
            run = instance.get_run_by_id(run_id)
            return run.tags.get("dagster/auto_retry_run_id") if run else None

        retry_id = wait_for(retry_run, timeout=120, interval=0.5, what="the automatic retry")
    retry = ops_stack.wait_finished(retry_id, timeout=300)
    assert retry.status == DagsterRunStatus.SUCCESS
    assert retry.tags["dagster/schedule_name"] == "yearly_slow"
    assert "slow" in ops_stack.materialized(retry_id)
