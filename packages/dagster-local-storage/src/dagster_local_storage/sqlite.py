"""The storage that dagster_home/dagster.yaml names (`dagster_local_storage.sqlite`).

On the dagster version it was checked against, Dagster's SQLite storage with kept connections
and batched event writes (kept_connection.py, built on Dagster internals). On any other version
those internals are not even imported: the stock storage is used, and the cost is only speed.
"""

import dagster

from dagster_local_storage.checked import CHECKED_DAGSTER_VERSION

if dagster.__version__ == CHECKED_DAGSTER_VERSION:
    from dagster_local_storage.kept_connection import LocalSqliteStorage
else:
    from dagster_local_storage.stock import LocalSqliteStorage

__all__ = ["CHECKED_DAGSTER_VERSION", "LocalSqliteStorage"]
