"""Shared pieces of the ingestion tests: the demo project's landing tables, a landing zone, and
a database of the test PostgreSQL server for the Postgres writer."""

from pathlib import Path

import pytest

from orchestration.ingestion.landing import LocalLandingStore
from orchestration.ingestion.sources import LandingTable, landing_tables
from orchestration.settings import PostgresWarehouse
from tests.harness.pg_warehouse import Warehouse
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


@pytest.fixture
def pg_warehouse(warehouse: Warehouse) -> PostgresWarehouse:
    """A fresh database on the test server, as the dbt `postgres` target would reach it."""
    return warehouse.target(warehouse.new_database())
