"""The server each step process is forked from (multiprocess executor, `forkserver` start method),
started ahead of time.

Dagster starts it when a run's first step launches: the run then waits while a fresh interpreter
imports Dagster, dagster-dbt and the definitions, after the run's own process did the same. Started
first thing instead, the server imports them on another core while the run's process does; the
executor later finds it running (multiprocessing keeps one forkserver per process) and forks steps
from it. This module imports no Dagster, so that it can run before Dagster is imported.
"""

import multiprocessing
import multiprocessing.forkserver
from collections.abc import Sequence

# Dagster always has the server import its executor module first (user code may patch what it
# needs); the server started here does the same.
_DAGSTER_FIRST = "dagster._core.executor.multiprocess"


def start_step_forkserver(preload_modules: Sequence[str]) -> None:
    """Start this process's forkserver now, importing `preload_modules` after Dagster's executor.

    A preloaded module that raises anything but ImportError ends the server with a traceback: pass
    modules that cannot fail that way.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_DAGSTER_FIRST, *preload_modules])
    multiprocessing.forkserver.ensure_running()


def in_code_server_run_worker() -> bool:
    """Whether this process is a run worker that a Dagster code server started: the gRPC server
    runs each run in a `spawn` child of its own, which then loads the definitions. (A run task on
    ECS, `dagster api execute_run`, is a process of its own and is not recognised here.)"""
    return multiprocessing.parent_process() is not None and (
        multiprocessing.current_process().name.startswith("SpawnProcess")
    )
