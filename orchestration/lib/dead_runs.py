"""Fail the runs of this machine whose run worker process is gone, and free their pool slots.

A run worker killed outright (SIGKILL, OOM, a closed laptop lid that never wakes the process)
writes no end event: its run stays STARTED and keeps the pool slots its steps claimed, so the
next run's dbt steps wait for the dead one forever. Dagster's run monitoring catches this only
for run launchers that can check a worker's health (ECS can; the local default launcher and
`execute_job` cannot). Here, a run's worker is its RUN_START event's process; if that process
no longer exists on this machine, the run is failed and its slots are freed.

Only runs known to have run on this machine are judged: those `make run` tagged with this
host's name, and every run of an instance whose launcher starts local processes.
"""

import socket
from collections.abc import Callable

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultRunLauncher,
    RunsFilter,
)

from orchestration.lib.orphan_guard import process_alive

HOST_TAG = "orchestration/run_worker_host"
_LIVE = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def host_tags() -> dict[str, str]:
    """Tags for a run whose worker is this process, so a later check may judge it."""
    return {HOST_TAG: socket.gethostname()}


def _worker_pid(instance: DagsterInstance, run_id: str) -> int | None:
    starts = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
    event = starts[0].dagster_event if starts else None
    return event.pid if event else None


def fail_dead_runs(instance: DagsterInstance, say: Callable[[str], None] = print) -> list[str]:
    """Fail every live-looking run of this machine whose worker is gone; one line each."""
    local_launcher = isinstance(instance.run_launcher, DefaultRunLauncher)
    host = socket.gethostname()
    failed = []
    for record in instance.get_run_records(RunsFilter(statuses=_LIVE)):
        run = record.dagster_run
        tagged_host = run.tags.get(HOST_TAG)
        if tagged_host != host and not (tagged_host is None and local_launcher):
            continue
        pid = _worker_pid(instance, run.run_id)
        if pid is None or process_alive(pid):
            continue  # not started yet (the queue's business), or still running
        message = (
            f"Run {run.run_id} ({run.job_name}) was left {run.status.value} by a run worker "
            f"that no longer exists (pid {pid}): marked failed, its pool slots freed."
        )
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        say(message)
        failed.append(run.run_id)
    _free_slots_of_ended_runs(instance, say)
    return failed


def _free_slots_of_ended_runs(instance: DagsterInstance, say: Callable[[str], None]) -> None:
    """Slots still held by runs that have ended: the daemon frees them after
    `free_slots_after_run_end_seconds`, but `make run` has no daemon, and a run whose executor
    failed outside its steps (a dead forkserver) ends without releasing them."""
    storage = instance.event_log_storage
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        holders = info.active_run_ids | {
            step.run_id for step in info.pending_steps if step.assigned_timestamp is not None
        }
        for run_id in sorted(holders):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                say(f"Pool {pool}: freed the slot run {run_id} held after it ended.")
