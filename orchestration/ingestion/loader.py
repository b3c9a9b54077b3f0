"""Loading one landing file into its raw table: read and checked by DuckDB, then written.

Per file: read it strictly against the columns declared in dbt YAML into the staging table
`__incoming` of the writer's DuckDB connection (any problem raises LandingFileError, and nothing
has been written), check its primary key, then hand it to the warehouse writer (writer.py),
which in one transaction deletes the rows an earlier load of this same file left (so a reload
never duplicates), deletes the rows whose primary key it carries (merge tables only), inserts
its rows stamped with `_source_file` and `_loaded_at`, and records it in the ledger
`_landing.loaded_files`.
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
from orchestration.ingestion.writer import STAGING, FileLoad, WarehouseWriter, quote

FORMATS = {
    ".csv": "csv", ".csv.gz": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl",
    ".parquet": "parquet",
}  # fmt: skip


@dataclass(frozen=True)
class LoadOutcome:
    file: LandingFile
    rows: int
    skipped: str | None = None  # why nothing was written, e.g. the same content was loaded before


def file_format(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if lower.endswith(suffix)), None)


def load_file(
    writer: WarehouseWriter,
    table: LandingTable,
    file: LandingFile,
    path: Path,
    *,
    run_id: str,
    loaded_at: dt.datetime,
) -> LoadOutcome:
    """Load one file (already local at `path`) into its raw table; see the module docstring."""
    digest = _sha256(path)
    earlier = writer.earlier_load(table, digest)
    if earlier:
        return LoadOutcome(file, 0, _skip_reason(file, earlier))
    fmt = file_format(file.name)
    if fmt is None:
        raise LandingFileError(
            file.url, f"unsupported file type: name it {', '.join(FORMATS)} by its format"
        )
    con = writer.staging
    select, columns = _reader(con, fmt, table, file, path)
    try:
        try:
            con.execute(f"create temp table {STAGING} as {select}", [str(path)])
        except duckdb.Error as error:
            raise _read_error(con, fmt, table, file, path, error) from None
        if table.primary_key:
            _check_primary_key(con, table, file)
        load = FileLoad(table, file, digest, tuple(columns), loaded_at, run_id)
        written = writer.write(load)
    finally:
        con.execute(f"drop table if exists {STAGING}")
    if isinstance(written, str):
        return LoadOutcome(file, 0, _skip_reason(file, written))
    return LoadOutcome(file, written)


def _skip_reason(file: LandingFile, earlier_url: str) -> str:
    return "already loaded" if earlier_url == file.url else f"same content as {earlier_url}"


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


def _check_primary_key(
    con: duckdb.DuckDBPyConnection, table: LandingTable, file: LandingFile
) -> None:
    for name in table.primary_key:
        found = con.execute(
            f"select min(__row) from {STAGING} where {quote(name)} is null"
        ).fetchone()
        if found and found[0] is not None:
            raise LandingFileError(file.url, "empty primary key", row=found[0], column=name)
    key = ", ".join(map(quote, table.primary_key))
    duplicate = con.execute(
        f"select list(__row order by __row) from {STAGING} group by {key} "
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_string(text: str) -> str:
    return text.replace("'", "''")
