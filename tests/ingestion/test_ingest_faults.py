"""Fault injection: every landing format, every way a file breaks, through the real `ingest`.

For each (format, fault) a broken file lands beside good files of the same batch, and `ingest`
runs in-process against a DuckDB file. Every broken file must be quarantined with a message
naming it and the place; the good files of the batch load and are in the ledger; the next pass
finds nothing to do. Nothing is mocked.
"""

import gzip
import json
import logging
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import duckdb_writer
from orchestration.ingestion.ingest import ingest as ingest_with
from orchestration.ingestion.landing import LOADED, QUARANTINE
from tests.ingestion.landing_drops import SUBSCRIPTIONS_HEADER, drop, event_line

log = logging.getLogger(__name__)


def ingest(landing, tables, *, duckdb_path: Path, run_id: str, log):
    with duckdb_writer.connect(duckdb_path) as writer:
        return ingest_with(landing, tables, writer=writer, run_id=run_id, log=log)


COLUMNS: list[str] = list(str(SUBSCRIPTIONS_HEADER).split(","))
GOOD_ROWS = [
    ["sub_1", "acc_1", "team", "2026-01-01 00:00:00", None, 5, "active"],
    ["sub_2", "acc_2", "starter", "2026-01-02 00:00:00", "2026-02-02 00:00:00", 3, "canceled"],
    ["sub_3", "acc_3", "team", "2026-01-03 00:00:00", None, 7, "active"],
]
FORMATS = ("csv", "csv.gz", "jsonl", "jsonl.gz", "parquet")
MAX_LINE_BYTES = 64 * 1024  # LANDING_MAX_LINE_BYTES for these tests: a "huge" line stays small


def _text(fmt: str, columns: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    if fmt.startswith("csv"):
        cells = [",".join("" if v is None else str(v) for v in row) for row in rows]
        text = "\n".join([",".join(columns), *cells]) + "\n"
    else:
        text = "".join(
            json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )
    return text.encode(encoding, errors="strict")


def _parquet(columns: list[str], rows: list[list], tmp_path: Path) -> bytes:
    out = tmp_path / "made.parquet"
    limit = "" if rows else " limit 0"
    rows = rows or GOOD_ROWS[:1]
    with duckdb.connect() as con:
        names = ", ".join(f'"{c}"' for c in columns)
        values = ", ".join(
            "(" + ", ".join("null" if v is None else repr(v) for v in row) + ")" for row in rows
        )
        query = f"select * from (values {values}) as t({names}){limit}"
        con.execute(f"copy ({query}) to '{out}'")
    return out.read_bytes()


def _encode(fmt: str, columns: list[str], rows: list[list], tmp_path: Path) -> bytes:
    if fmt == "parquet":
        return _parquet(columns, rows, tmp_path)
    data = _text(fmt, columns, rows)
    return gzip.compress(data) if fmt.endswith(".gz") else data


def _rows_with(column: str, value) -> list[list]:
    at = COLUMNS.index(column)
    return [
        [*row[:at], value, *row[at + 1 :]] if i == 1 else row for i, row in enumerate(GOOD_ROWS)
    ]


def _without(column: str) -> tuple[list[str], list[list]]:
    at = COLUMNS.index(column)
    return COLUMNS[:at] + COLUMNS[at + 1 :], [row[:at] + row[at + 1 :] for row in GOOD_ROWS]


def broken(fmt: str, fault: str, tmp_path: Path) -> bytes | None:
    """The broken file's bytes, or None where the fault does not apply to the format."""
    good = _encode(fmt, COLUMNS, GOOD_ROWS, tmp_path)
    gz = fmt.endswith(".gz")
    if fault == "empty":
        return b""
    if fault == "truncated":
        return good[: len(good) * 2 // 3]
    if fault == "corrupt_compression":
        if not gz:
            return None
        big = _text(fmt, COLUMNS, GOOD_ROWS * 300)
        packed = gzip.compress(big)
        middle = len(packed) // 2  # gzip magic and header intact, then garbage
        return packed[:middle] + bytes(range(256)) * 4 + packed[middle + 1024 :]
    if fault == "wrong_encoding":
        if fmt == "parquet":
            return None
        latin1 = _text(fmt, COLUMNS, _rows_with("plan_code", "équipe"), encoding="latin-1")
        return gzip.compress(latin1) if gz else latin1
    if fault == "huge_line":
        if fmt == "parquet":
            return None
        return _encode(fmt, COLUMNS, _rows_with("status", "x" * MAX_LINE_BYTES * 2), tmp_path)
    if fault == "extra_column":
        return _encode(fmt, [*COLUMNS, "note"], [[*r, "hi"] for r in GOOD_ROWS], tmp_path)
    if fault == "missing_column":
        # JSON producers may leave keys out (nulls); the primary key may not be left out.
        columns, rows = _without("subscription_id" if "json" in fmt else "seats")
        return _encode(fmt, columns, rows, tmp_path)
    if fault == "wrong_type":
        rows = [[*row[:5], str(row[5]), row[6]] for row in _rows_with("seats", "seven")]
        return _encode(fmt, COLUMNS, rows, tmp_path)
    raise ValueError(fault)


FAULTS = (
    "empty",
    "truncated",
    "corrupt_compression",
    "wrong_encoding",
    "huge_line",
    "extra_column",
    "missing_column",
    "wrong_type",
)
# Faults a format cannot have: no compression to corrupt, no text encoding or lines in Parquet.
NOT_APPLICABLE = {
    ("csv", "corrupt_compression"),
    ("jsonl", "corrupt_compression"),
    ("parquet", "corrupt_compression"),
    ("parquet", "wrong_encoding"),
    ("parquet", "huge_line"),
}
CASES = [(fmt, fault) for fmt in FORMATS for fault in FAULTS if (fmt, fault) not in NOT_APPLICABLE]


def _ledger(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = con.execute('select file_url from "_landing"."loaded_files"').fetchall()
    return [url for (url,) in ledger]


@pytest.mark.parametrize(("fmt", "fault"), CASES, ids=[f"{f}-{x}" for f, x in CASES])
def test_a_broken_file_is_quarantined_naming_it_and_the_place_and_the_batch_still_loads(
    fmt, fault, demo_tables, landing, tmp_path, monkeypatch
):
    content = broken(fmt, fault, tmp_path)
    assert content is not None, f"{fault} has no {fmt} form: list it in NOT_APPLICABLE"
    monkeypatch.setenv("LANDING_MAX_LINE_BYTES", str(MAX_LINE_BYTES))
    warehouse = tmp_path / "warehouse.duckdb"
    tables = [demo_tables["events"], demo_tables["subscriptions"]]
    # The batch: good files of both tables, one loaded before the broken file, one after.
    before = drop(
        landing,
        f"subscriptions/2026-05-01.{fmt}",
        _encode(fmt, COLUMNS, GOOD_ROWS[:1], tmp_path),
    )
    bad = drop(landing, f"subscriptions/2026-05-02.{fmt}", content)
    after = drop(landing, "subscriptions/2026-05-03.csv", _text("csv", COLUMNS, GOOD_ROWS[2:]))
    events = drop(landing, "events/2026-05-01.jsonl", event_line("evt_1") + "\n")

    reports = ingest(landing, tables, duckdb_path=warehouse, run_id="run-1", log=log)

    [error] = [error for report in reports for error in report.rejected]
    assert error.url == bad.url
    message = str(error)
    assert message.startswith(f"{bad.url}: ")
    if fault != "truncated" or fmt != "parquet":  # a cut Parquet file has no rows to point at
        assert error.line or error.row or error.column, message
    note = landing.root / QUARANTINE / "subscriptions" / f"2026-05-02.{fmt}.error.txt"
    assert (landing.root / QUARANTINE / bad.key).read_bytes() == content
    assert message in note.read_text()
    assert not [line for report in reports for line in report.failed]
    loaded = {o.file.url for report in reports for o in report.loaded}
    assert loaded == {before.url, after.url, events.url}
    assert sorted(_ledger(warehouse)) == sorted(loaded)
    assert all((landing.root / LOADED / f.key).is_file() for f in (before, after, events))

    again = ingest(landing, tables, duckdb_path=warehouse, run_id="run-2", log=log)
    assert not [r for report in again for r in (*report.rejected, *report.loaded, *report.failed)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_with_a_header_and_no_rows_loads_as_zero_rows(fmt, demo_tables, landing, tmp_path):
    """A producer with nothing new may send the columns alone; that is not an error."""
    warehouse = tmp_path / "warehouse.duckdb"
    content = _encode(fmt, COLUMNS, [], tmp_path) if fmt == "parquet" else b""
    if fmt.startswith("csv"):
        header = (SUBSCRIPTIONS_HEADER + "\n").encode()
        content = gzip.compress(header) if fmt.endswith(".gz") else header
    elif fmt.startswith("jsonl"):
        content = gzip.compress(b"\n") if fmt.endswith(".gz") else b"\n"
    file = drop(landing, f"subscriptions/2026-05-01.{fmt}", content)
    [report] = ingest(
        landing, [demo_tables["subscriptions"]], duckdb_path=warehouse, run_id="r", log=log
    )
    assert [(o.file.url, o.rows) for o in report.loaded] == [(file.url, 0)]
    assert not report.rejected
