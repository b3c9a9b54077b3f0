"""Dagster runs for tests: submitted from a real workspace (as ``dagster job launch``), awaited.

Runs must be created from a *remote* job (loaded through a code server) so that the run carries
a job code origin and a container image: that is what ``EcsRunLauncher`` turns into an ECS task.
The instance must be a real ``DAGSTER_HOME`` instance (``DagsterInstance.get()``): an ephemeral
one cannot be shared with the run worker processes. Its ``dagster.yaml`` should name
``DefaultRunCoordinator``, since Dagster 1.13 otherwise queues submitted runs for a daemon.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.harness.waiting import HANG_TIMEOUT, wait_until

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRun
    from dagster._core.workspace.context import WorkspaceProcessContext


def submit_job_run(
    instance: DagsterInstance,
    workspace: WorkspaceProcessContext,
    *,
    location_name: str,
    job_name: str,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Create a run of ``job_name`` and hand it to the instance's run coordinator; return its id.

    Mirrors ``dagster job launch`` (``dagster._cli.job``): remote job -> execution plan snapshot
    -> ``instance.create_run`` -> ``instance.submit_run``.
    """
    request_context = workspace.create_request_context()
    location = request_context.get_code_location(location_name)
    repos = list(location.get_repositories().values())
    repo = next(r for r in repos if r.has_job(job_name))
    remote_job = repo.get_full_job(job_name)
    run_config = dict(run_config or {})
    plan = location.get_execution_plan(
        remote_job, run_config, step_keys_to_execute=None, known_state=None, instance=instance
    ).execution_plan_snapshot
    run = instance.create_run(
        job_name=job_name,
        run_id=None,
        run_config=run_config,
        status=None,
        tags={**remote_job.tags, **(tags or {})},
        root_run_id=None,
        parent_run_id=None,
        step_keys_to_execute=plan.step_keys_to_execute,
        execution_plan_snapshot=plan,
        job_snapshot=remote_job.job_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        asset_selection=None,
        asset_check_selection=None,
        resolved_op_selection=remote_job.resolved_op_selection,
        op_selection=None,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_graph=repo.asset_graph,
    )
    instance.submit_run(run.run_id, request_context)
    return run.run_id


def wait_for_runs(
    instance: DagsterInstance,
    run_ids: Sequence[str],
    timeout: float = HANG_TIMEOUT,
    *,
    alive: Callable[[], None] | None = None,
    poll: float = 0.25,
) -> dict[str, DagsterRun]:
    """The runs once all are finished (SUCCESS/FAILURE/CANCELED), by id.

    `alive` is called at every poll: it raises when what runs the runs is gone (a dead webserver
    or daemon), so a broken stack fails the test at once instead of at the timeout.
    """

    def all_finished() -> dict[str, DagsterRun] | None:
        runs = {run_id: instance.get_run_by_id(run_id) for run_id in run_ids}
        if all(run is not None and run.is_finished for run in runs.values()):
            return {run_id: run for run_id, run in runs.items() if run is not None}
        if alive is not None:
            alive()
        return None

    try:
        return wait_until(all_finished, timeout, f"runs {', '.join(run_ids)} to finish", poll=poll)
    except TimeoutError as timed_out:
        statuses = {
            run_id: run.status.value if run else "missing"
            for run_id, run in ((i, instance.get_run_by_id(i)) for i in run_ids)
        }
        raise TimeoutError(f"{timed_out} (statuses: {statuses})") from None


def wait_for_run(
    instance: DagsterInstance,
    run_id: str,
    timeout: float = HANG_TIMEOUT,
    *,
    alive: Callable[[], None] | None = None,
    poll: float = 0.25,
) -> DagsterRun:
    """The run once it is finished; see wait_for_runs."""
    return wait_for_runs(instance, [run_id], timeout, alive=alive, poll=poll)[run_id]


def sensor_ticks(instance: DagsterInstance, sensor_name: str, limit: int = 50) -> list:
    """The sensor's latest ticks, newest first (none before the daemon evaluated it)."""
    for state in instance.all_instigator_state():
        if state.instigator_name == sensor_name:
            return list(
                instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=limit)
            )
    return []


def settled(instance: DagsterInstance, sensor_names: Sequence[str]) -> bool:
    """No run is queued or running, and each sensor has evaluated since the last run ended and
    requested nothing: the state a daemon-driven flow rests in, with nothing more to come.

    This is the exact state, not a guess from a quiet period: a sensor that still had work would
    have requested a run (a SUCCESS tick) instead of skipping.
    """
    from dagster._core.scheduler.instigation import TickStatus

    records = instance.get_run_records()
    if any(not record.dagster_run.is_finished for record in records):
        return False
    last_end = max((record.end_time or 0.0 for record in records), default=0.0)
    return all(
        any(
            tick.status == TickStatus.SKIPPED and tick.timestamp > last_end
            for tick in sensor_ticks(instance, name)
        )
        for name in sensor_names
    )
