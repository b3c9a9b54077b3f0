"""Dagster's default SQLite storage, minus a new database engine for every event it writes.

Stock `SqliteEventLogStorage` (dagster 1.13.27) creates an engine, opens a connection and
commits for every event, then closes the connection, which checkpoints SQLite's write-ahead log,
for every event. A run over a large dbt project writes a "planned" event per asset and check
before its first step starts and as many again while dbt runs, on the same cores as dbt
(measured: benchmarks/README.md). Here each database file keeps one engine with one open
connection, and `store_event_batch` (which Dagster calls for the planned events when
DAGSTER_EVENT_BATCH_SIZE is set) writes a whole batch in one transaction per file.

Same files, same schema, same layout under DAGSTER_HOME as the stock storage: an instance can
switch between the two at any time. Every event still goes through the stock `store_event`;
only the connections it is given change.

Built on Dagster internals (checked.py lists them): sqlite.py imports this module only on the
checked dagster version, and the storage still keeps the stock event log if it meets another.
"""

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import dagster
import sqlalchemy as db
import sqlalchemy.event
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory

from dagster_local_storage.checked import CHECKED_DAGSTER_VERSION
from dagster_local_storage.creation_lock import storage_opened_alone

# The index file plus the runs being written or read; an evicted file's engine is disposed, so
# a webserver browsing many runs holds at most this many files open.
MAX_OPEN_FILES = 8

logger = logging.getLogger(__name__)


def _commit_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    # The files are in WAL mode (Dagster sets it when it creates them). With synchronous=NORMAL a
    # commit survives any process crash, and the database is never corrupted; only an OS crash
    # or power loss can drop the last commits. That is the right trade for a laptop's instance,
    # and it saves an fsync per event.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """Run-sharded SQLite event log: one kept engine (and connection) per database file."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        # Set before the parent's __init__, which already connects (index creation, reindex).
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._batch = threading.local()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "SqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.Engine:
        """The kept engine of one database file. Called with `_db_lock` held."""
        if self._engines_pid != os.getpid():
            # A forked child must not use its parent's open connections; leave them to it.
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                # Every use holds `_db_lock`, so one connection per file is enough.
                pool_size=1,
                max_overflow=2,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            sqlalchemy.event.listen(engine, "connect", _commit_without_fsync)
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_FILES:
            _, least_recent = self._engines.popitem(last=False)
            least_recent.dispose()
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        open_in_batch: Callable[[str], db.Connection] | None = getattr(
            self._batch, "connection_for", None
        )
        if open_in_batch is not None:
            # This thread is inside store_event_batch and already holds the lock.
            yield open_in_batch(shard)
            return
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """All events of a batch in one transaction per database file (run and index)."""
        with self._db_lock, ExitStack() as transactions:
            connections: dict[str, db.Connection] = {}

            def connection_for(shard: str) -> db.Connection:
                if shard not in connections:
                    conn = transactions.enter_context(self._engine(shard).connect())
                    transactions.enter_context(conn.begin())
                    connections[shard] = conn
                return connections[shard]

            self._batch.connection_for = connection_for
            try:
                for event in events:
                    self.store_event(event)
            finally:
                self._batch.connection_for = None

    def has_table(self, table_name: str) -> bool:
        # Stock Dagster asks this for every materialization that carries indexed tags, through
        # a new engine each time. A table, once there, stays: only its absence is asked again.
        # (The stock check takes no lock; it is called while the index connection is held.)
        if table_name not in self._tables_present and super().has_table(table_name):
            self._tables_present.add(table_name)
        return table_name in self._tables_present

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        # The run files are deleted: their open connections must not outlive them.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


class LocalSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage under `base_dir`, with the kept-connection event log.

    dagster.yaml:

        storage:
          custom:
            module: dagster_local_storage.sqlite
            class: LocalSqliteStorage
            config:
              base_dir: {env: DAGSTER_HOME}
    """

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        if dagster.__version__ == CHECKED_DAGSTER_VERSION:
            self._event_log_storage = KeptConnectionSqliteEventLogStorage(
                _event_logs_directory(base_dir)
            )
        else:
            logger.warning(
                "dagster %s is not the %s that dagster_local_storage was checked against: "
                "using Dagster's stock SQLite event log (slower event writes, same data).",
                dagster.__version__,
                CHECKED_DAGSTER_VERSION,
            )

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "DagsterSqliteStorage":
        with storage_opened_alone(config_value["base_dir"]):
            return cls.from_local(inst_data=inst_data, **config_value)
