"""The dagster version this package's use of Dagster internals was checked against, and those
internals: what to re-check before moving the pin (listed for all private hooks in
orchestration/lib/private_api.py)."""

CHECKED_DAGSTER_VERSION = "1.13.27"

PRIVATE_IMPORTS = (
    "dagster._core.events.log.EventLogEntry",
    "dagster._core.storage.event_log.sqlite.sqlite_event_log.SqliteEventLogStorage",
    "dagster._core.storage.sqlite.SQLITE_BUSY_TIMEOUT_SECONDS",
    "dagster._core.storage.sqlite_storage.DagsterSqliteStorage",
    "dagster._core.storage.sqlite_storage._event_logs_directory",
)
# Private members of those classes that kept_connection.py overrides or calls.
PRIVATE_MEMBERS = (
    "SqliteEventLogStorage._connect",
    "SqliteEventLogStorage._db_lock",
    "SqliteEventLogStorage._initdb",
    "SqliteEventLogStorage._initialized_dbs",
    "DagsterSqliteStorage._event_log_storage",
)
