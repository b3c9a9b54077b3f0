"""Launching Dagster runs from a real workspace, as ``dagster job launch`` does, for harness tests.

Runs must be created from a *remote* job (loaded through a code server) so that the run carries
a job code origin and a container image: that is what ``EcsRunLauncher`` turns into an ECS task.
The instance must be a real ``DAGSTER_HOME`` instance (``DagsterInstance.get()``): an ephemeral
one cannot be shared with the run worker processes. Its ``dagster.yaml`` should name
``DefaultRunCoordinator``, since Dagster 1.13 otherwise queues submitted runs for a daemon.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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


def wait_for_run(
    instance: DagsterInstance, run_id: str, timeout: float = 60.0, poll: float = 0.2
) -> DagsterRun:
    """The run once it is finished (SUCCESS/FAILURE/CANCELED); TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run
        if time.monotonic() >= deadline:
            status = run.status if run is not None else "missing"
            raise TimeoutError(f"run {run_id} not finished after {timeout}s (status: {status})")
        time.sleep(poll)
