"""A real PostgreSQL server as the dbt warehouse: one per test process (tests/conftest.py starts
it on first use), a fresh database per test, and the environment that selects the `postgres`
target of a profile (DBT_TARGET plus the DBT_POSTGRES_* variables)."""

import uuid
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from orchestration.settings import PostgresWarehouse
from tests.harness.postgres import EmbeddedPostgres, PostgresInfo
from tests.harness.sandbox import Sandbox, make_sandbox


def postgres_target_env(info: PostgresInfo, database: str) -> dict[str, str]:
    """The environment that selects the postgres target: DBT_TARGET plus its variables."""
    return {
        "DBT_TARGET": "postgres",
        "DBT_POSTGRES_HOST": info.host,
        "DBT_POSTGRES_PORT": str(info.port),
        "DBT_POSTGRES_USER": info.user,
        "DBT_POSTGRES_PASSWORD": info.password,
        "DBT_POSTGRES_DB": database,
        "DBT_POSTGRES_SSLMODE": "disable",
    }


@dataclass
class Warehouse:
    """The test Postgres server; each test takes a database of its own."""

    server: EmbeddedPostgres

    @property
    def info(self) -> PostgresInfo:
        return self.server.info

    def new_database(self) -> str:
        name = f"warehouse_{uuid.uuid4().hex[:8]}"
        self.server.create_database(name)
        return name

    def target(self, database: str) -> PostgresWarehouse:
        """The database as the product's settings describe the dbt `postgres` target."""
        info = self.info
        return PostgresWarehouse(
            host=info.host,
            port=info.port,
            user=info.user,
            password=info.password,
            dbname=database,
            sslmode="disable",
            connect_timeout=10,
        )

    def connect(self, database: str):
        info = self.info
        connection = psycopg2.connect(
            host=info.host, port=info.port, user=info.user, password=info.password, dbname=database
        )
        connection.autocommit = True
        return connection

    def query(self, database: str, sql: str, params: tuple = ()) -> list[tuple]:
        with closing(self.connect(database)) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params or None)  # no params: a "%" in the SQL is just a "%"
            return cursor.fetchall() if cursor.description else []


def postgres_sandbox(root: Path, warehouse: Warehouse, project: Path) -> tuple[Sandbox, str]:
    """A sandbox whose dbt target is a fresh database of the test server."""
    database = warehouse.new_database()
    sandbox = make_sandbox(root, project)
    sandbox.env.update(postgres_target_env(warehouse.info, database))
    return sandbox, database


def pg_connect_kwargs(target: PostgresWarehouse) -> dict:
    return {
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password,
        "dbname": target.dbname,
    }


def pg_rows(target: PostgresWarehouse, sql: str, params: Sequence = ()) -> list[tuple]:
    with closing(psycopg2.connect(**pg_connect_kwargs(target))) as con, con.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()
