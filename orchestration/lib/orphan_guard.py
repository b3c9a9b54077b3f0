"""Stop a step whose run worker has died, so its dbt does not run on as an orphan.

Locally, a run's steps are processes started by the run worker (through a forkserver). If the
run worker is killed (SIGKILL, OOM), the code server marks the run failed and the retry policy
may launch a new run at once, but the step process and its dbt would go on, holding the
warehouse's write lock against the retry and writing events into a failed run. On ECS with
a task per step, the run worker is in another task and the guard is not used.
"""

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from dagster import get_dagster_logger


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@contextlib.contextmanager
def interrupt_when_gone(run_worker_pid: int | None, poll_seconds: float = 1.0) -> Iterator[None]:
    """While the block runs, interrupt this process as a run termination would once the run
    worker is gone: Dagster turns SIGINT into a step interrupt, and the dbt stream forwards it
    to dbt, which cancels its open queries and exits."""
    if run_worker_pid is None or run_worker_pid == os.getpid():
        yield  # in-process execution: nothing to outlive
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(poll_seconds):
            if not process_alive(run_worker_pid):
                get_dagster_logger().warning(
                    f"The run worker (pid {run_worker_pid}) is gone: stopping this step and dbt."
                )
                os.kill(os.getpid(), signal.SIGINT)
                return

    watcher = threading.Thread(target=watch, name="orphan-guard", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
