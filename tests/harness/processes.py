"""Long-running commands as test fixtures: each in its own session, stopped as a whole tree."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def stop_process_group(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM to the process's whole group, SIGKILL to it if still there after `grace` seconds.

    The process must lead its own session (start_new_session=True): `make dev`, the daemon and
    their code servers then stop together and no child outlives the test.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def process_group(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path
) -> Iterator[subprocess.Popen]:
    """Run `argv` in its own session, output to `log_path`, until the block ends."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process_group(process)
