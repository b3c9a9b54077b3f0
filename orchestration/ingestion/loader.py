"""Loading one landing file into its raw table with DuckDB's own readers, in one transaction.

Per file: read it strictly against the columns declared in dbt YAML into a temporary table (any
problem raises LandingFileError, and nothing has been written), then in the same transaction
delete the rows an earlier load of this same file left (so a reload never duplicates), delete
the rows whose primary key it carries (merge tables only), insert its rows stamped with
`_source_file` and `_loaded_at`, and record it in the ledger `_landing.loaded_files`.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.ingestion.errors import (
    LandingFileError,
    check_line_lengths,
    check_names,
    csv_error,
    csv_header,
    first_line_with_key,
    json_error,
)
from orchestration.ingestion.landing import LandingFile
from orchestration.ingestion.sources import LandingTable

LEDGER = '"_landing"."loaded_files"'
FORMATS = {
    ".csv": "csv", ".csv.gz": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl",
    ".parquet": "parquet",
}  # fmt: skip
METADATA_COLUMNS = (("_source_file", "varchar"), ("_loaded_at", "timestamp"))


@dataclass(frozen=True)
class LoadOutcome:
    file: LandingFile
    rows: int
    skipped: str | None = None  # why nothing was written, e.g. the same content was loaded before


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation(table: LandingTable) -> str:
    return f"{quote(table.schema)}.{quote(table.identifier)}"


def file_format(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if lower.endswith(suffix)), None)


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute('create schema if not exists "_landing"')
    con.execute(
        f"create table if not exists {LEDGER} (table_name varchar, file_url varchar, "
        "version varchar, sha256 varchar, size_bytes bigint, row_count bigint, "
        "loaded_at timestamp, run_id varchar)"
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    file: LandingFile,
    path: Path,
    *,
    run_id: str,
    loaded_at: dt.datetime,
) -> LoadOutcome:
    """Load one file (already local at `path`) into its raw table; see the module docstring."""
    digest = _sha256(path)
    earlier = con.execute(
        f"select file_url from {LEDGER} where table_name = ? and sha256 = ? limit 1",
        [table.unique_id, digest],
    ).fetchone()
    if earlier:
        same = earlier[0] == file.url
        return LoadOutcome(file, 0, "already loaded" if same else f"same content as {earlier[0]}")
    fmt = file_format(file.name)
    if fmt is None:
        raise LandingFileError(
            file.url, f"unsupported file type: name it {', '.join(FORMATS)} by its format"
        )
    select, columns = _reader(con, fmt, table, file, path)
    con.execute("begin transaction")
    reading = True
    try:
        con.execute(f"create temp table __incoming as {select}", [str(path)])
        reading = False
        rows = _write(con, table, file, columns, loaded_at)
        con.execute(
            f"insert into {LEDGER} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [table.unique_id, file.url, file.version, digest, file.size, rows, loaded_at, run_id],
        )
        con.execute("drop table __incoming")
    except BaseException as error:
        con.execute("rollback")
        if reading and isinstance(error, duckdb.Error):
            raise _read_error(con, fmt, table, file, path, error) from None
        raise
    con.execute("commit")
    return LoadOutcome(file, rows)


def _reader(
    con: duckdb.DuckDBPyConnection, fmt: str, table: LandingTable, file: LandingFile, path: Path
) -> tuple[str, list[str]]:
    """The SELECT (one `?`: the local path) reading the file as the declared, typed columns."""
    declared = [name for name, _ in table.columns]
    types = dict(table.columns)
    row = "row_number() over () as __row"
    # One limit for a CSV line and a JSON object, so a long value fails alike in both formats.
    max_bytes = settings.landing_max_line_bytes()
    if fmt == "csv":
        header = csv_header(file.url, path)
        check_names(
            file.url, header, declared, source_name=table.source_name, line=1, require_all=True
        )
        struct = ", ".join(f"'{_sql_string(name)}': '{types[name]}'" for name in header)
        return (
            f"select {', '.join(map(quote, declared))}, {row} from read_csv(?, header = true, "
            "auto_detect = false, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"max_line_size = {max_bytes}, columns = {{{struct}}})",
            declared,
        )
    if fmt == "jsonl":
        check_line_lengths(file.url, path, max_bytes)
        try:
            keys = [k for (k,) in con.execute(
                "select distinct unnest(json_keys(json)) from "
                "read_json_objects(?, format = 'newline_delimited', "
                f"maximum_object_size = {max_bytes})", [str(path)],
            ).fetchall()]  # fmt: skip
        except duckdb.Error:
            keys = []  # malformed JSON: the read itself fails next, and says where
        unexpected = next((k for k in keys if k not in declared), None)
        # Keys may be left out (JSON producers drop nulls); unknown keys may not.
        check_names(
            file.url,
            keys,
            declared,
            source_name=table.source_name,
            line=first_line_with_key(path, unexpected) if unexpected else None,
            require_all=False,
        )
        struct = ", ".join(f"'{_sql_string(name)}': '{types[name]}'" for name in declared)
        return (
            f"select {', '.join(map(quote, declared))}, {row} from read_json(?, "
            f"format = 'newline_delimited', records = true, maximum_object_size = {max_bytes}, "
            f"columns = {{{struct}}})",
            declared,
        )
    try:
        schema = [name for (name, *_) in con.execute(
            "describe select * from read_parquet(?)", [str(path)]
        ).fetchall()]  # fmt: skip
    except duckdb.Error as error:
        raise LandingFileError(file.url, f"not a readable Parquet file: {error}") from None
    check_names(
        file.url, schema, declared, source_name=table.source_name, line=None, require_all=True
    )
    casts = ", ".join(f"cast({quote(name)} as {types[name]}) as {quote(name)}" for name in declared)
    return f"select {casts}, {row} from read_parquet(?)", declared


def _read_error(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    table: LandingTable,
    file: LandingFile,
    path: Path,
    error: duckdb.Error,
) -> LandingFileError:
    if fmt == "csv":
        return csv_error(file.url, error)
    if fmt == "jsonl":
        return json_error(file.url, path, error, con, table.columns)
    for name, data_type in table.columns:  # Parquet: find the first value that does not cast.
        found = con.execute(
            f"select r from (select row_number() over () as r, {quote(name)} as v "
            f"from read_parquet(?)) where v is not null and try_cast(v as {data_type}) is null "
            "order by r limit 1",
            [str(path)],
        ).fetchone()
        if found:
            return LandingFileError(
                file.url, f"value does not convert to {data_type}", row=found[0], column=name
            )
    return LandingFileError(file.url, str(error).strip().splitlines()[0])


def _write(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    file: LandingFile,
    columns: list[str],
    loaded_at: dt.datetime,
) -> int:
    """Inside the open transaction: check keys, then replace this file's (and its keys') rows."""
    if table.primary_key:
        _check_primary_key(con, table, file)
    ensure_table(con, table)
    target = relation(table)
    con.execute(f"delete from {target} where _source_file = ?", [file.url])
    if table.primary_key:
        same_key = " and ".join(f"i.{quote(n)} = t.{quote(n)}" for n in table.primary_key)
        con.execute(
            f"delete from {target} as t "
            f"where exists (select 1 from __incoming as i where {same_key})"
        )
    names = ", ".join(map(quote, columns))
    (rows,) = con.execute(
        f"insert into {target} ({names}, _source_file, _loaded_at) "
        f"select {names}, ?, ? from __incoming order by __row",
        [file.url, loaded_at],
    ).fetchone()  # type: ignore[misc]
    return int(rows)


def _check_primary_key(
    con: duckdb.DuckDBPyConnection, table: LandingTable, file: LandingFile
) -> None:
    for name in table.primary_key:
        found = con.execute(
            f"select min(__row) from __incoming where {quote(name)} is null"
        ).fetchone()
        if found and found[0] is not None:
            raise LandingFileError(file.url, "empty primary key", row=found[0], column=name)
    key = ", ".join(map(quote, table.primary_key))
    duplicate = con.execute(
        f"select list(__row order by __row) from __incoming group by {key} "
        "having count(*) > 1 order by min(__row) limit 1"
    ).fetchone()
    if duplicate:
        rows = duplicate[0]
        raise LandingFileError(
            file.url,
            f"rows {', '.join(map(str, rows))} share one primary key; "
            "a file may carry each key once",
            row=rows[1],
            column=table.primary_key[0],
        )


def ensure_table(con: duckdb.DuckDBPyConnection, table: LandingTable) -> None:
    """Create the raw table, or add the columns declared in dbt YAML since it was created."""
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_string(text: str) -> str:
    return text.replace("'", "''")
