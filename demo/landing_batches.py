"""The demo generator's rows as the files a real extract would land, for `make land`.

Small entity tables (accounts, users, subscriptions) are re-extracted in full every night: one
snapshot file each, merged by primary key. The others are extracted incrementally, each row in
the nightly batch that followed its last change: the history up to a few nights ago lands as
one file per table, then one file per night. Names sort in load order
(`<table>/<YYYY-MM-DD>T<HHMM>.<ext>`), and the formats are mixed on purpose: events as JSON
lines, support tickets as Parquet, the rest as CSV.
"""

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from demo.catalogue import TABLE_COLUMNS
from orchestration.ingestion.landing import LandingStore

SNAPSHOT_TABLES = ("accounts", "users", "subscriptions")
FORMAT_OF = {"events": "jsonl", "support_tickets": "parquet"}
Row = Mapping[str, object]


def landing_batches(
    tables: Mapping[str, Sequence[Row]], nightly_files: int = 3
) -> dict[str, list[Row]]:
    """Rows per landing file `<table>/<batch time>`, without load metadata (the loader adds it)."""
    batches: dict[str, list[Row]] = {}
    for table, rows in tables.items():
        loads = sorted({_loaded_at(row) for row in rows})
        if table in SNAPSHOT_TABLES or len(loads) <= nightly_files:
            cut = loads[-1] if loads else None
        else:
            cut = loads[-nightly_files - 1]
        for row in rows:
            at = _loaded_at(row)
            at = cut if cut and at <= cut else at
            batches.setdefault(f"{table}/{at:%Y-%m-%dT%H%M}", []).append(row)
    return batches


def write_landing_batches(store: LandingStore, tables: Mapping[str, Sequence[Row]]) -> list[str]:
    """Put every demo batch into the landing zone; returns the URLs written, in name order."""
    written = []
    for name, rows in sorted(landing_batches(tables).items()):
        table = name.split("/", 1)[0]
        fmt = FORMAT_OF.get(table, "csv")
        columns = [column for column, _ in TABLE_COLUMNS[table]]
        written.append(store.write_bytes(f"{name}.{fmt}", _encode(fmt, table, columns, rows)))
    return written


def _loaded_at(row: Row) -> dt.datetime:
    value = row.get("_loaded_at")
    if not isinstance(value, dt.datetime):
        raise TypeError(f"demo row without _loaded_at: {row}")
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _encode(fmt: str, table: str, columns: list[str], rows: Sequence[Row]) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_text(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue().encode()
    if fmt == "jsonl":
        lines = (
            json.dumps({c: _json(row.get(c)) for c in columns if row.get(c) is not None})
            for row in rows
        )
        return ("\n".join(lines) + "\n").encode()
    return _parquet(table, rows)


def _json(value: object) -> object:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def _parquet(table: str, rows: Sequence[Row]) -> bytes:
    columns = TABLE_COLUMNS[table]
    with tempfile.TemporaryDirectory(prefix="demo-parquet-") as tmp, duckdb.connect() as con:
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns)
        con.execute(f"create table batch ({ddl})")
        con.executemany(
            f"insert into batch values ({', '.join('?' for _ in columns)})",
            [[row.get(name) for name, _ in columns] for row in rows],
        )
        path = Path(tmp) / "batch.parquet"
        con.execute(f"copy batch to '{path}' (format parquet)")
        return path.read_bytes()
