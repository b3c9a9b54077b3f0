"""The DuckDB warehouse writer: files are staged in the warehouse file's own connection.

Staging and raw table share one DuckDB connection, so a file's rows move with one INSERT ...
SELECT and never leave DuckDB. DuckDB has one writer at a time; the ingestion step holds the
warehouse writer pool slot (assets.py), so no other process writes while this one does.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.ingestion.sources import LandingTable
from orchestration.ingestion.writer import (
    LEDGER,
    LEDGER_SCHEMA,
    STAGING,
    FileLoad,
    quote,
    relation,
)

METADATA_COLUMNS = (("_source_file", "varchar"), ("_loaded_at", "timestamp"))


@contextmanager
def connect(path: Path | None = None) -> Iterator["DuckDBWriter"]:
    """The writer on the DuckDB file (DUCKDB_PATH by default), its ledger created if missing."""
    path = path or settings.duckdb_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        writer = DuckDBWriter(con)
        writer.ensure_ledger()
        yield writer


class DuckDBWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def ensure_ledger(self) -> None:
        self._con.execute(f"create schema if not exists {quote(LEDGER_SCHEMA)}")
        self._con.execute(
            f"create table if not exists {LEDGER} (table_name varchar, file_url varchar, "
            "version varchar, sha256 varchar, size_bytes bigint, row_count bigint, "
            "loaded_at timestamp, run_id varchar)"
        )

    def earlier_load(self, table: LandingTable, sha256: str) -> str | None:
        earlier = self._con.execute(
            f"select file_url from {LEDGER} where table_name = ? and sha256 = ? limit 1",
            [table.unique_id, sha256],
        ).fetchone()
        return earlier[0] if earlier else None

    def write(self, load: FileLoad) -> int:
        con, table, file = self._con, load.table, load.file
        con.execute("begin transaction")
        try:
            self.ensure_table(table)
            target = relation(table)
            con.execute(f"delete from {target} where _source_file = ?", [file.url])
            if table.primary_key:
                same_key = " and ".join(f"i.{quote(n)} = t.{quote(n)}" for n in table.primary_key)
                con.execute(
                    f"delete from {target} as t "
                    f"where exists (select 1 from {STAGING} as i where {same_key})"
                )
            names = ", ".join(map(quote, load.columns))
            (rows,) = con.execute(
                f"insert into {target} ({names}, _source_file, _loaded_at) "
                f"select {names}, ?, ? from {STAGING} order by __row",
                [file.url, load.loaded_at],
            ).fetchone()  # type: ignore[misc]
            con.execute(
                f"insert into {LEDGER} values (?, ?, ?, ?, ?, ?, ?, ?)",
                [table.unique_id, file.url, file.version, load.sha256, file.size, rows,
                 load.loaded_at, load.run_id],
            )  # fmt: skip
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
        return int(rows)

    def ensure_table(self, table: LandingTable) -> None:
        con = self._con
        con.execute(f"create schema if not exists {quote(table.schema)}")
        wanted = (*table.columns, *METADATA_COLUMNS)
        ddl = ", ".join(f"{quote(name)} {data_type}" for name, data_type in wanted)
        con.execute(f"create table if not exists {relation(table)} ({ddl})")
        present = {name for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?", [table.schema, table.identifier],
        ).fetchall()}  # fmt: skip
        for name, data_type in wanted:
            if name not in present:
                con.execute(f"alter table {relation(table)} add column {quote(name)} {data_type}")

    def state(self, table: LandingTable) -> tuple[int, str]:
        (rows,) = self._con.execute(f"select count(*) from {relation(table)}").fetchone()  # type: ignore[misc]
        (version,) = self._con.execute(
            f"select coalesce(md5(string_agg(sha256, ',' order by loaded_at, file_url)), "
            f"'empty') from {LEDGER} where table_name = ?",
            [table.unique_id],
        ).fetchone()  # type: ignore[misc]
        return int(rows), str(version)
