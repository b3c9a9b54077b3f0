"""Shared pieces of the ingestion tests: the demo project's landing tables and a landing zone."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import duckdb
import psycopg2
import pytest

from orchestration.ingestion.landing import LandingFile, LandingStore, LocalLandingStore
from orchestration.ingestion.sources import LandingTable, landing_tables
from orchestration.settings import PostgresWarehouse
from tests.conftest import manifest_of
from tests.harness.postgres import PostgresInfo, embedded_postgres

SUBSCRIPTIONS_HEADER = "subscription_id,account_id,plan_code,started_at,ended_at,seats,status"


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


def drop(store: LandingStore, key: str, content: str | bytes) -> LandingFile:
    """Put a file into the landing zone as a producer would (whole, under its final name)."""
    store.write_bytes(key, content.encode() if isinstance(content, str) else content)
    file = store.stat(key)
    assert file is not None
    return file


def subscriptions_csv(*rows: str) -> str:
    return "\n".join([SUBSCRIPTIONS_HEADER, *rows]) + "\n"


def event_line(event_id: str, user_id: str = "usr_000001", account_id: str = "acc_00001") -> str:
    return (
        f'{{"event_id": "{event_id}", "user_id": "{user_id}", "account_id": "{account_id}", '
        f'"event_type": "report_created", "occurred_at": "2026-05-01 10:00:00", '
        f'"properties": "{{}}"}}'
    )


def rows(duckdb_path: Path, relation: str, order_by: str) -> list[tuple]:
    if not duckdb_path.exists():
        return []
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema || '.' || table_name = ?",
            [relation],
        ).fetchone()
        if not exists or not exists[0]:
            return []
        return con.execute(f"select * from {relation} order by {order_by}").fetchall()


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
