"""Files a test session makes once and its xdist workers share: a parsed dbt project is parsed by
the first worker that needs it, while the other waits for it instead of parsing its own."""

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """The folder `name`, shared by this session's workers, filled by `make` exactly once.

    Workers of one xdist session have sibling base temp folders under one session folder; a
    session without xdist keeps the folder to itself. `make` gets an empty folder; a folder that
    `make` did not finish (it raised) is made again by the next caller.
    """
    base = tmp_path_factory.getbasetemp()
    session = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = session / name
    with open(session / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = session / f"{name}.done"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder
