"""A `make run` killed with SIGKILL while dbt runs: the next `make run` notices and proceeds.

Real processes against a real instance: the first `python -m orchestration.cli.run` (what
`make run` runs) is SIGKILLed once its dbt step has started; the second must fail the dead
run, free its pool slot, say so in one line, and finish.
"""

import os
import signal
import subprocess
import time

import pytest
from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project, make_sandbox

SLOW = "select count(*) as n from range(200000000000) as t(i)\n"  # minutes of work: killed first


def _dbt_step_started(sandbox) -> str | None:
    with sandbox.instance() as instance:
        for record in instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED])):
            run_id = record.dagster_run.run_id
            starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
            if starts:  # the tiny project's steps are all dbt steps
                return run_id
    return None


@pytest.mark.e2e  # `make run`'s command, killed and run again
def test_a_killed_make_run_is_failed_and_its_pool_slot_freed_by_the_next(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    (project / "models" / "slow.sql").write_text(SLOW)
    sandbox = make_sandbox(tmp_path, project)
    sandbox.prepare_manifest()
    first_output = tmp_path / "first_run.log"
    with first_output.open("wb") as log:
        first = sandbox.popen("-m", "orchestration.cli.run", stdout=log, stderr=subprocess.STDOUT)
    try:
        dead_run = None
        while dead_run is None and first.poll() is None:
            time.sleep(0.5)
            dead_run = _dbt_step_started(sandbox)
        assert dead_run, (
            "the first run ended before its dbt step started:\n"
            + (first_output.read_text()[-5000:])
        )
        os.kill(first.pid, signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.wait()
    with sandbox.instance() as instance:
        run = instance.get_run_by_id(dead_run)
        assert run is not None and run.status == DagsterRunStatus.STARTED  # the fault is real

    (project / "models" / "slow.sql").write_text("select 1 as n\n")
    sandbox.prepare_manifest()
    second = sandbox.python("-m", "orchestration.cli.run", check=False, timeout=600)

    notices = [line for line in second.stdout.splitlines() if dead_run in line]
    assert len(notices) == 1 and "no longer exists" in notices[0], second.stdout[-3000:]
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    with sandbox.instance() as instance:
        run = instance.get_run_by_id(dead_run)
        assert run is not None and run.status == DagsterRunStatus.FAILURE


def test_a_slot_held_by_a_run_that_ended_is_freed(tmp_path):
    from dagster import DagsterInstance, job, op

    from orchestration.lib.dead_runs import fail_dead_runs

    @op
    def noop() -> None:
        pass

    @job
    def ended() -> None:
        noop()

    sandbox = make_sandbox(tmp_path, TINY_PROJECT)
    with sandbox.instance() as instance:
        assert isinstance(instance, DagsterInstance)
        run_id = ended.execute_in_process(instance=instance).run_id
        storage = instance.event_log_storage
        storage.set_concurrency_slots("dbt_warehouse_writer", 1)
        assert storage.claim_concurrency_slot("dbt_warehouse_writer", run_id, "noop").is_claimed
        said: list[str] = []
        fail_dead_runs(instance, said.append)
        assert said == [
            f"Pool dbt_warehouse_writer: freed the slot run {run_id} held after it ended."
        ]
        assert not storage.get_concurrency_info("dbt_warehouse_writer").claimed_slots
