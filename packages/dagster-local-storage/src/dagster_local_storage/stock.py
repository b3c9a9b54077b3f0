"""Dagster's stock SQLite storage under the name dagster.yaml gives, for other dagster versions."""

import logging
from typing import Any

import dagster

from dagster_local_storage.checked import CHECKED_DAGSTER_VERSION
from dagster_local_storage.creation_lock import storage_opened_alone

try:
    # The stock class itself, which `storage: sqlite:` in dagster.yaml loads.
    from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
except ImportError as moved:  # pragma: no cover - only on a dagster that moved it
    raise ImportError(
        f"dagster {dagster.__version__} moved its SQLite storage. In dagster_home/dagster.yaml "
        "replace the `storage: custom:` block by `storage: sqlite: base_dir: {env: DAGSTER_HOME}`."
    ) from moved

logger = logging.getLogger(__name__)


class LocalSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage under `base_dir`, unchanged but for the lock that makes
    one process at a time create its files (creation_lock.py)."""

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "DagsterSqliteStorage":
        logger.warning(
            "dagster %s is not the %s that dagster_local_storage was checked against: "
            "using Dagster's stock SQLite storage (slower event writes, same data).",
            dagster.__version__,
            CHECKED_DAGSTER_VERSION,
        )
        with storage_opened_alone(config_value["base_dir"]):
            return cls.from_local(inst_data=inst_data, **config_value)
