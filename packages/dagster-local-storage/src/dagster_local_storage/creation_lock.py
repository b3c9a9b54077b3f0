"""One process at a time opens the instance's storage, so that one creates its SQLite files.

Dagster's SQLite storages create their tables and stamp their schema version the first time a
process opens an empty DAGSTER_HOME, and nothing stops two processes from doing so at once:
processes opening a new instance at the same moment fail ("table already exists", "UNIQUE
constraint failed: alembic_version"), and some leave two schema versions stamped, which breaks
the instance for every later process (tests/lib/test_local_storage.py). That happens whenever
two processes meet a fresh DAGSTER_HOME together: `make run` beside a starting UI, a monitor
beside the run it watches. Opening an existing instance only reads, so holding the lock costs
milliseconds.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

LOCK_FILE = ".dagster_local_storage.lock"


@contextmanager
def storage_opened_alone(base_dir: str) -> Iterator[None]:
    """Hold an exclusive lock on `base_dir`'s lock file while the block opens the storage."""
    os.makedirs(base_dir, exist_ok=True)
    with open(os.path.join(base_dir, LOCK_FILE), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield
