"""Where validated landing rows are written: the warehouse of the selected dbt target.

Files are always read and checked by DuckDB (loader.py) into the staging table `__incoming` of
the writer's `staging` connection; a writer then moves those rows into the raw table and records
the file in the ledger, in one warehouse transaction. One implementation per adapter type:

- duckdb (duckdb_writer.py): staging is the warehouse file itself, so the write is one
  INSERT ... SELECT inside DuckDB, with nothing copied out;
- postgres (postgres_writer.py): staging is an in-memory DuckDB, and the rows reach Postgres
  through COPY, in a transaction that holds a per-table lock (Postgres has many writers).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import duckdb

from orchestration.ingestion.landing import LandingFile
from orchestration.ingestion.sources import LandingTable

LEDGER_SCHEMA = "_landing"
LEDGER_TABLE = "loaded_files"
STAGING = "__incoming"  # the staging table: declared columns + __row (the file's row number)


@dataclass(frozen=True)
class FileLoad:
    """One validated file, staged in `__incoming`, to be written by a writer."""

    table: LandingTable
    file: LandingFile
    sha256: str
    columns: tuple[str, ...]
    loaded_at: dt.datetime
    run_id: str


class WarehouseWriter(Protocol):
    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection files are read into (`__incoming`) and validated in."""
        ...

    def earlier_load(self, table: LandingTable, sha256: str) -> str | None:
        """The URL of a file with this content already loaded into `table`, if any."""
        ...

    def write(self, load: FileLoad) -> int | str:
        """Replace the file's (and its keys') rows and record it, in one transaction.

        Returns the rows written, or why nothing was (another run loaded the same content
        first). Raises LandingFileError if the warehouse refuses a value; nothing is written then.
        """
        ...

    def ensure_table(self, table: LandingTable) -> None:
        """Create the raw table, or add the columns declared in dbt YAML since it was created."""
        ...

    def state(self, table: LandingTable) -> tuple[int, str]:
        """The table's row count, and a version that changes exactly when a file is loaded."""
        ...


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation(table: LandingTable) -> str:
    return f"{quote(table.schema)}.{quote(table.identifier)}"


LEDGER = f"{quote(LEDGER_SCHEMA)}.{quote(LEDGER_TABLE)}"
