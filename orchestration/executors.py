"""How a run's steps are executed: chosen by STEP_EXECUTOR (settings.step_executor())."""

from dagster import ExecutorDefinition, multiprocess_executor

from orchestration import settings


def default_executor() -> ExecutorDefinition:
    """The executor of every job in this code location, as configured by STEP_EXECUTOR."""
    if settings.step_executor() == "ecs":
        return ecs_task_per_step_executor()
    return forkserver_multiprocess_executor()


def forkserver_multiprocess_executor() -> ExecutorDefinition:
    """Each step in its own process, forked from a server that has already loaded this code.

    With the default `spawn`, every step process imports dagster, dagster-dbt and the
    definitions again (2-3 s each); the forkserver pays that once per run.
    """
    return multiprocess_executor.configured(
        {"start_method": {"forkserver": {"preload_modules": ["orchestration.definitions"]}}}
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

    return ecs_executor
