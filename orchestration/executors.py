"""How a run's steps are executed: chosen by STEP_EXECUTOR (settings.step_executor())."""

from typing import Any

from dagster import (
    DagsterInstance,
    ExecutorDefinition,
    InitExecutorContext,
    get_dagster_logger,
    multiprocess_executor,
)

from orchestration import settings
from orchestration.lib.dagster_patches import (
    steps_can_start_on_their_inputs,
    wait_only_for_checks_that_can_come,
)
from orchestration.pools import WAREHOUSE_WRITER_POOL
from orchestration.step_server import STEP_PRELOAD


def steps_start_on_their_inputs() -> dict[str, Any]:
    """Executor config: a step starts once the assets it reads exist, not once every step upstream
    of it succeeded.

    A model that fails then stops only the steps that read it or its descendants: a broken model
    that nothing refs no longer skips every slice below its own, as in a bare `dbt build`. A dbt
    slice yields each model as dbt finishes it, so its downstream slices can also start while it
    still runs (on a multi-writer warehouse). Only where the patch that keeps a step from waiting
    on a check dbt never ran is in place (lib/dagster_patches.py); else Dagster's default.
    """
    if not steps_can_start_on_their_inputs():
        return {}
    return {"step_dependency_config": {"require_upstream_step_success": False}}


def default_executor() -> ExecutorDefinition:
    """The executor of every job in this code location, as configured by STEP_EXECUTOR."""
    if settings.step_executor() == "ecs":
        return ecs_task_per_step_executor()
    return forkserver_multiprocess_executor()


def forkserver_multiprocess_executor() -> ExecutorDefinition:
    """Each step in its own process, forked from a server that has already loaded this code.

    With the default `spawn`, every step process imports dagster, dagster-dbt and the
    definitions again (2-3 s each); the forkserver pays that once per run. Usually the server is
    already running when the executor starts (step_server.py); where it is not (a run task on ECS
    with local steps, `execute_job` in tests), Dagster starts it with the same preload, which
    leaves a failure to load the definitions to the run's own process.

    On a single-writer warehouse every step of this code location opens the warehouse (dbt,
    ingestion, source freshness; DuckDB's lock keeps even readers out), so a run executes one
    step at a time whatever the instance says, and each run makes sure the instance's writer
    pool has one slot, so that two runs do not either (`_guard_single_writer`).
    """
    config: dict[str, Any] = {
        "start_method": {"forkserver": {"preload_modules": [STEP_PRELOAD]}},
        **steps_start_on_their_inputs(),
    }
    if settings.single_writer_warehouse():
        config["max_concurrent"] = 1
    return _prepared_in_the_run_worker(multiprocess_executor).configured(config)


def _prepared_in_the_run_worker(base: ExecutorDefinition) -> ExecutorDefinition:
    """`base`, created in the run worker after two preparations: the patch that the executor
    option of `steps_start_on_their_inputs` needs, and the writer pool's limit checked on the
    run's instance before any step."""
    create = base.executor_creation_fn
    assert create is not None, f"executor {base.name} has no creation function"

    def create_guarded(init_context: InitExecutorContext):
        wait_only_for_checks_that_can_come()
        if settings.single_writer_warehouse():
            _guard_single_writer(init_context.instance)
        return create(init_context)

    return ExecutorDefinition(
        name=base.name,
        config_schema=base.config_schema.as_field(),
        requirements=base.get_requirements,
        executor_creation_fn=create_guarded,
        description=base.description,
    )


def _guard_single_writer(instance: DagsterInstance) -> None:
    """Give the writer pool one slot on this instance if nothing limits it to one already.

    Our dagster_home/dagster.yaml limits every pool to one slot; a user's own DAGSTER_HOME may
    not, and then two runs would open DuckDB at once and one would fail on its lock. The limit
    is set in the instance's storage, as `dagster instance concurrency set` would, and said.
    """
    pool = WAREHOUSE_WRITER_POOL
    storage = instance.event_log_storage
    logger = get_dagster_logger()
    if not storage.supports_global_concurrency_limits:
        logger.warning(
            f"The Dagster instance's storage has no concurrency pools: nothing stops two runs "
            f"from opening the single-writer warehouse at once (one would fail on its lock). "
            f"Run one run at a time (run queue max_concurrent_runs: 1), or migrate the "
            f"instance (`dagster instance migrate`) and limit pool {pool} to 1."
        )
        return
    if pool in storage.get_concurrency_keys():
        limit = storage.get_concurrency_info(pool).slot_count
    else:
        limit = instance.get_concurrency_config().pool_config.default_pool_limit
    if limit == 1:
        return
    storage.set_concurrency_slots(pool, 1)
    logger.warning(
        f"Concurrency pool {pool} had {'no' if limit is None else limit} limit on this Dagster "
        f"instance; set to 1 slot so that only one run at a time writes to the single-writer "
        f"warehouse. Set it in your instance to silence this: concurrency.pools.default_limit: "
        f"1 in dagster.yaml, or `dagster instance concurrency set {pool} 1`."
    )


def ecs_task_per_step_executor() -> ExecutorDefinition:
    """Each step (dbt slice) in its own ECS task, launched by the run's own ECS task.

    dagster-aws's `ecs_executor` reuses the run task's task definition and network settings and
    reads each step's `ecs/cpu` / `ecs/memory` tags as task-level overrides: the slices carry
    those tags from `meta.dagster.ecs_cpu` / `ecs_memory` in dbt YAML (lib/dbt/slices.py), so
    each slice gets the size declared next to its models. Imported here, not at module level:
    local runs never need boto3.
    """
    from dagster_aws.ecs import ecs_executor

    return _prepared_in_the_run_worker(ecs_executor).configured(steps_start_on_their_inputs())
