"""How a run's steps are executed."""

from dagster import ExecutorDefinition, multiprocess_executor


def default_executor() -> ExecutorDefinition:
    """Each step in its own process, forked from a server that has already loaded this code.

    With the default `spawn`, every step process imports dagster, dagster-dbt and the
    definitions again (2-3 s each); the forkserver pays that once per run.
    """
    return multiprocess_executor.configured(
        {"start_method": {"forkserver": {"preload_modules": ["orchestration.definitions"]}}}
    )
