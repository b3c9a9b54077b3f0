"""Shared pieces of the ingestion tests: the demo project's landing tables, a landing zone, and
a real PostgreSQL server for the Postgres writer."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from orchestration.ingestion.landing import LocalLandingStore
from orchestration.ingestion.sources import LandingTable, landing_tables
from orchestration.settings import PostgresWarehouse
from tests.harness.postgres import PostgresInfo, embedded_postgres
from tests.harness.sandbox import manifest_of


@pytest.fixture(scope="session")
def demo_tables(parsed_demo_sandbox) -> dict[str, LandingTable]:
    """The demo project's opted-in sources, read from its real manifest, by landing folder."""
    manifest = manifest_of(Path(parsed_demo_sandbox.env["DBT_PROJECT_DIR"]))
    return {table.folder: table for table in landing_tables(manifest)}


@pytest.fixture
def landing(tmp_path: Path) -> LocalLandingStore:
    root = tmp_path / "landing"
    root.mkdir()
    return LocalLandingStore(root)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresInfo]:
    """One real PostgreSQL server for the ingestion tests; each test takes its own database."""
    with embedded_postgres("postgres", password=uuid.uuid4().hex) as info:
        yield info


@pytest.fixture
def pg_warehouse(postgres_server: PostgresInfo, request) -> PostgresWarehouse:
    """A fresh database on the test server, as the dbt `postgres` target would reach it."""
    name = "wh_" + uuid.uuid4().hex[:12]
    with closing(psycopg2.connect(postgres_server.url)) as con:
        con.autocommit = True
        con.cursor().execute(f"create database {name}")
    return PostgresWarehouse(
        host=postgres_server.host,
        port=postgres_server.port,
        user=postgres_server.user,
        password=postgres_server.password,
        dbname=name,
        sslmode="disable",
        connect_timeout=10,
    )


def pg_rows(target: PostgresWarehouse, sql: str, params: Sequence = ()) -> list[tuple]:
    with closing(psycopg2.connect(**pg_connect_kwargs(target))) as con, con.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def pg_connect_kwargs(target: PostgresWarehouse) -> dict:
    return {
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password,
        "dbname": target.dbname,
    }
