"""The Postgres warehouse writer: files checked in an in-memory DuckDB, their rows COPYed in.

The declared columns are read with DuckDB's readers exactly as on the DuckDB warehouse (same
contract, same messages); the staged rows are written by DuckDB as one CSV file and streamed
with COPY (psycopg2, which dbt-postgres already brings) into the raw table.

Postgres has many writers: two ingestion runs may load into one table at once. Each file's
transaction therefore first takes a transaction-scoped advisory lock on its table and looks at
the ledger again under it, so the same content is never loaded twice; DDL (schema, table, new
columns) is done under one more lock, and only when something is missing.
"""

import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psycopg2
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from orchestration import settings
from orchestration.ingestion.errors import LandingFileError
from orchestration.ingestion.sources import LandingTable
from orchestration.ingestion.writer import (
    LEDGER,
    LEDGER_SCHEMA,
    LEDGER_TABLE,
    STAGING,
    FileLoad,
    quote,
    relation,
)
from orchestration.settings import ConfigError

METADATA_COLUMNS = (("_source_file", "text"), ("_loaded_at", "timestamp"))
DDL_LOCK = "landing:ddl"
# DuckDB's canonical type name (typeof) -> the Postgres type holding the same values.
_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "date", "TIME": "time",
    "TIME WITH TIME ZONE": "timetz", "INTERVAL": "interval", "UUID": "uuid", "JSON": "jsonb",
    "BLOB": "bytea", "TINYINT": "smallint", "UTINYINT": "smallint", "SMALLINT": "smallint",
    "USMALLINT": "integer", "INTEGER": "integer", "UINTEGER": "bigint", "BIGINT": "bigint",
    "UBIGINT": "numeric(20,0)", "HUGEINT": "numeric(39,0)", "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real", "DOUBLE": "double precision",
    "TIMESTAMP": "timestamp", "TIMESTAMP_S": "timestamp", "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz",
}  # fmt: skip
_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column ([^:]+))?")


def postgres_type(staging: duckdb.DuckDBPyConnection, duckdb_type: str) -> str | None:
    """The Postgres column type for a declared (DuckDB) type; None if there is none."""
    (canonical,) = staging.execute(f"select typeof(cast(null as {duckdb_type}))").fetchone()  # type: ignore[misc]
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", canonical)
    return f"numeric({decimal[1]},{decimal[2]})" if decimal else _TYPES.get(canonical)


def check_types(tables: Iterable[LandingTable]) -> None:
    """Raise ConfigError for a declared column type that has no Postgres counterpart."""
    with duckdb.connect() as staging:
        for table in tables:
            for name, data_type in table.columns:
                if postgres_type(staging, data_type) is None:
                    raise ConfigError(
                        f"{table.unique_id} column {name}: data_type {data_type!r} has no "
                        "Postgres column type for landing ingestion; declare it as json or "
                        "varchar and parse it in a dbt model."
                    )


@contextmanager
def connect(target: settings.PostgresWarehouse | None = None) -> Iterator["PostgresWriter"]:
    """The writer on the dbt `postgres` target's database, its ledger created if missing."""
    target = target or settings.postgres_warehouse()
    try:
        pg = psycopg2.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            dbname=target.dbname,
            sslmode=target.sslmode,
            connect_timeout=target.connect_timeout,
            application_name="dagster_landing_ingestion",
        )
    except psycopg2.OperationalError as error:
        raise ConnectionError(
            f"Landing ingestion cannot reach the Postgres warehouse {target.describe()} (dbt "
            "target `postgres`; check DBT_POSTGRES_HOST, DBT_POSTGRES_PORT, DBT_POSTGRES_USER, "
            f"DBT_POSTGRES_PASSWORD, DBT_POSTGRES_DB): {str(error).strip().splitlines()[0]}"
        ) from None
    try:
        with duckdb.connect() as staging, tempfile.TemporaryDirectory() as scratch:
            writer = PostgresWriter(pg, staging, Path(scratch))
            writer.ensure_ledger()
            yield writer
    finally:
        pg.close()


class PostgresWriter:
    def __init__(self, pg: PgConnection, staging: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        self._pg, self._staging, self._scratch = pg, staging, scratch

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._staging

    def ensure_ledger(self) -> None:
        with self._pg, self._pg.cursor() as cur:
            if self._missing_columns(cur, LEDGER_SCHEMA, LEDGER_TABLE, ["table_name"]):
                self._lock(cur, DDL_LOCK)
                cur.execute(f"create schema if not exists {quote(LEDGER_SCHEMA)}")
                cur.execute(
                    f"create table if not exists {LEDGER} (table_name text, file_url text, "
                    "version text, sha256 text, size_bytes bigint, row_count bigint, "
                    "loaded_at timestamp, run_id text)"
                )

    def earlier_load(self, table: LandingTable, sha256: str) -> str | None:
        with self._pg, self._pg.cursor() as cur:
            return self._earlier(cur, table, sha256)

    def write(self, load: FileLoad) -> int | str:
        table, file = load.table, load.file
        target = relation(table)
        try:
            with self._pg, self._pg.cursor() as cur:
                self._lock(cur, f"landing:{table.unique_id}")
                earlier = self._earlier(cur, table, load.sha256)
                if earlier:  # another run loaded the same content while this one read it
                    return earlier
                self._ensure_table(cur, table)
                cur.execute(f"delete from {target} where _source_file = %s", [file.url])
                rows = self._copy(cur, load)
                if table.primary_key:
                    same_key = " and ".join(
                        f"n.{quote(k)} = t.{quote(k)}" for k in table.primary_key
                    )
                    cur.execute(
                        f"delete from {target} as t using {target} as n "
                        "where n._source_file = %s and t._source_file is distinct from %s "
                        f"and {same_key}",
                        [file.url, file.url],
                    )
                cur.execute(
                    f"insert into {LEDGER} values (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [table.unique_id, file.url, file.version, load.sha256, file.size, rows,
                     load.loaded_at, load.run_id],
                )  # fmt: skip
                return rows
        except psycopg2.DataError as error:  # a value Postgres refuses: the file's fault
            raise self._file_error(load, error) from None

    def ensure_table(self, table: LandingTable) -> None:
        with self._pg, self._pg.cursor() as cur:
            self._ensure_table(cur, table)

    def state(self, table: LandingTable) -> tuple[int, str]:
        with self._pg, self._pg.cursor() as cur:
            cur.execute(f"select count(*) from {relation(table)}")
            (rows,) = cur.fetchone()  # type: ignore[misc]
            cur.execute(
                f"select coalesce(md5(string_agg(sha256, ',' order by loaded_at, file_url)), "
                f"'empty') from {LEDGER} where table_name = %s",
                [table.unique_id],
            )
            (version,) = cur.fetchone()  # type: ignore[misc]
        return int(rows), str(version)

    def _copy(self, cur: PgCursor, load: FileLoad) -> int:
        """Stream the staged rows, in file order, into the raw table with COPY."""
        types = dict(load.table.columns)
        values = [
            f"'\\x' || hex({quote(n)})"
            if postgres_type(self._staging, types[n]) == "bytea"
            else quote(n)
            for n in load.columns
        ]
        stamp = load.loaded_at.isoformat(sep=" ")
        csv_path = self._scratch / "rows.csv"
        self._staging.execute(
            f"copy (select {', '.join(values)}, '{_sql_string(load.file.url)}', "
            f"timestamp '{stamp}' from {STAGING} order by __row) "
            f"to '{_sql_string(str(csv_path))}' (format csv, header false)"
        )
        names = ", ".join(map(quote, (*load.columns, "_source_file", "_loaded_at")))
        with csv_path.open("rb") as rows:
            cur.copy_expert(
                f"copy {relation(load.table)} ({names}) from stdin with (format csv)", rows
            )
        return cur.rowcount

    def _ensure_table(self, cur: PgCursor, table: LandingTable) -> None:
        wanted = [
            *((name, postgres_type(self._staging, t) or "text") for name, t in table.columns),
            *METADATA_COLUMNS,
        ]
        names = [name for name, _ in wanted]
        if not self._missing_columns(cur, table.schema, table.identifier, names):
            return
        self._lock(cur, DDL_LOCK)
        cur.execute(f"create schema if not exists {quote(table.schema)}")
        ddl = ", ".join(f"{quote(name)} {data_type}" for name, data_type in wanted)
        cur.execute(f"create table if not exists {relation(table)} ({ddl})")
        missing = self._missing_columns(cur, table.schema, table.identifier, names)
        for name, data_type in wanted:
            if name in missing:
                cur.execute(f"alter table {relation(table)} add column {quote(name)} {data_type}")

    def _file_error(self, load: FileLoad, error: psycopg2.Error) -> LandingFileError:
        """Postgres's refusal of a value, located: COPY's context names the row (the staged
        rows were sent in file order), and the column unless the whole line was refused (a NUL
        character: Postgres text cannot hold one), which is then looked up in the staged row."""
        context = _COPY_CONTEXT.search(getattr(error.diag, "context", None) or "")
        row = int(context[1]) if context else None
        column = context[2].strip() if context and context[2] else None
        if row and not column:
            names = ", ".join(map(quote, load.columns))
            values = (
                self._staging.execute(
                    f"select {names} from {STAGING} where __row = ?", [row]
                ).fetchone()
                or ()
            )
            column = next(
                (n for n, v in zip(load.columns, values, strict=False) if "\x00" in str(v)), None
            )
        reason = (error.diag.message_primary or str(error)).strip()
        return LandingFileError(
            load.file.url, f"the warehouse refuses a value: {reason}", row=row, column=column
        )

    @staticmethod
    def _missing_columns(cur: PgCursor, schema: str, table: str, names: list[str]) -> set[str]:
        cur.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            [schema, table],
        )
        return set(names) - {name for (name,) in cur.fetchall()}

    @staticmethod
    def _lock(cur: PgCursor, key: str) -> None:
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [key])

    @staticmethod
    def _earlier(cur: PgCursor, table: LandingTable, sha256: str) -> str | None:
        cur.execute(
            f"select file_url from {LEDGER} where table_name = %s and sha256 = %s limit 1",
            [table.unique_id, sha256],
        )
        found = cur.fetchone()
        return found[0] if found else None


def _sql_string(text: str) -> str:
    return text.replace("'", "''")
