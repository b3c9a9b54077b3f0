"""Layer 3: landing files into a real DuckDB file, through the same `ingest` the asset runs.

Nothing is mocked: real files in a real landing folder, DuckDB's own readers, a DuckDB file.
"""

import logging
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import duckdb_writer
from orchestration.ingestion.ingest import ingest
from orchestration.ingestion.landing import LOADED, QUARANTINE
from tests.harness.landing_resends import resend
from tests.ingestion.landing_drops import drop, event_line, rows, subscriptions_csv

log = logging.getLogger(__name__)
GOOD_SUBSCRIPTIONS = subscriptions_csv(
    "sub_1,acc_1,team,2026-01-01 00:00:00,,5,active",
    "sub_2,acc_2,starter,2026-01-02 00:00:00,2026-02-02 00:00:00,3,canceled",
)


def _ingest(landing, tables, warehouse: Path, run_id: str = "run-1"):
    with duckdb_writer.connect(warehouse) as writer:
        return ingest(landing, tables, writer=writer, run_id=run_id, log=log)


# (landing key, content, expected line, expected column, words of the reason)
BAD_FILES = {
    "bad_header": (
        "subscriptions/2026-05-02T0300.csv",
        subscriptions_csv("sub_3,acc_3,team,2026-01-01,,5,active").replace(
            "account_id,", "account,"
        ),
        1,
        "account",
        "unexpected column(s) account",
    ),
    "wrong_types": (
        "subscriptions/2026-05-02T0300.csv",
        subscriptions_csv(
            "sub_3,acc_3,team,2026-01-01 00:00:00,,5,active",
            "sub_4,acc_4,team,2026-01-01 00:00:00,,seven,active",
        ),
        3,
        "seats",
        'Could not convert string "seven"',
    ),
    "truncated_json": (
        "events/2026-05-02T0300.jsonl",
        event_line("evt_9") + "\n" + event_line("evt_10")[:60],
        2,
        None,
        "malformed JSON",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_quarantined_with_file_line_and_column_while_good_files_load(
    case, demo_tables, landing, tmp_path
):
    key, content, line, column, reason = BAD_FILES[case]
    warehouse = tmp_path / "warehouse.duckdb"
    tables = [demo_tables["subscriptions"], demo_tables["events"]]
    drop(landing, "subscriptions/2026-05-01T0300.csv", GOOD_SUBSCRIPTIONS)
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    _ingest(landing, tables, warehouse)
    before = {
        t: rows(warehouse, f"raw.{t}", "_source_file, 1") for t in ("subscriptions", "events")
    }

    bad = drop(landing, key, content)
    good = drop(landing, "events/2026-05-03T0300.jsonl", event_line("evt_2") + "\n")
    reports = _ingest(landing, tables, warehouse, run_id="run-2")

    [error] = [error for report in reports for error in report.rejected]
    assert error.url == bad.url and error.line == line and error.column == column
    assert bad.url in str(error) and f"line {line}" in str(error) and reason in str(error)
    if column:
        assert f'column "{column}"' in str(error)
    # Quarantined with a note naming the problem, and no longer waiting: never retried.
    quarantined = landing.root / QUARANTINE / key
    assert quarantined.read_text() == content
    note = quarantined.with_name(quarantined.name + ".error.txt").read_text()
    assert str(error) in note and "run-2" in note
    assert landing.list_files(key.split("/")[0]) == []
    # Nothing of the bad file reached the warehouse; the good file of the same batch loaded.
    after = {t: rows(warehouse, f"raw.{t}", "_source_file, 1") for t in before}
    assert all(bad.url not in row for table in after.values() for row in table)
    assert after["subscriptions"] == before["subscriptions"]
    assert [r[0] for r in after["events"]] == ["evt_1", "evt_2"]
    assert (landing.root / LOADED / good.key).exists()


def test_parquet_with_a_value_of_the_wrong_type_names_row_and_column(
    demo_tables, landing, tmp_path
):
    source = tmp_path / "tickets.parquet"
    with duckdb.connect() as con:
        con.execute(
            "copy (select * from (values "
            "('tkt_1', 'acc_1', 'usr_1', '2026-01-01 10:00:00', null, null, 'low', 'bug'), "
            "('tkt_2', 'acc_1', 'usr_1', 'yesterday', null, null, 'low', 'bug')) "
            "as t(ticket_id, account_id, user_id, opened_at, first_response_at, closed_at, "
            f"priority, category)) to '{source}' (format parquet)"
        )
    bad = drop(landing, "support_tickets/2026-05-01T0300.parquet", source.read_bytes())
    [report] = _ingest(landing, [demo_tables["support_tickets"]], tmp_path / "w.duckdb")

    [error] = report.rejected
    assert (error.url, error.row, error.column) == (bad.url, 2, "opened_at")
    assert report.row_count == 0 and not report.loaded


def test_loading_the_same_file_twice_never_duplicates_rows(demo_tables, landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    tables = [demo_tables["events"]]
    content = "\n".join(event_line(f"evt_{n}") for n in range(3)) + "\n"
    first = drop(landing, "events/2026-05-01T0300.jsonl", content)
    _ingest(landing, tables, warehouse)

    # Dropped again: same name and bytes (a producer re-sending), then as a copy under another
    # name, then the same name with corrected content.
    skips = resend(landing, first, content)
    [report] = _ingest(landing, tables, warehouse, run_id="run-2")
    assert [o.skipped for o in report.skipped] == skips
    assert report.loaded == [] and report.row_count == 3

    drop(landing, first.key, "\n".join(event_line(f"evt_{n}") for n in (0, 1, 7)) + "\n")
    [report] = _ingest(landing, tables, warehouse, run_id="run-3")
    loaded = rows(warehouse, "raw.events", "event_id")
    assert [r[0] for r in loaded] == ["evt_0", "evt_1", "evt_7"]
    # Every row says which file it came from and when it was loaded.
    assert {r[6] for r in loaded} == {first.url} and all(r[7] is not None for r in loaded)


def test_a_primary_key_table_keeps_the_latest_row_per_key(demo_tables, landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    tables = [demo_tables["subscriptions"]]
    drop(landing, "subscriptions/2026-05-01T0300.csv", GOOD_SUBSCRIPTIONS)
    drop(
        landing,
        "subscriptions/2026-05-02T0300.csv",
        subscriptions_csv("sub_2,acc_2,starter,2026-01-02 00:00:00,,4,active"),
    )
    [report] = _ingest(landing, tables, warehouse)

    assert [o.file.name for o in report.loaded] == ["2026-05-01T0300.csv", "2026-05-02T0300.csv"]
    table = rows(warehouse, "raw.subscriptions", "subscription_id")
    assert [(r[0], r[5], r[6]) for r in table] == [("sub_1", 5, "active"), ("sub_2", 4, "active")]


def test_a_file_repeating_a_primary_key_is_rejected(demo_tables, landing, tmp_path):
    bad = drop(
        landing,
        "subscriptions/2026-05-01T0300.csv",
        subscriptions_csv(
            "sub_1,acc_1,team,2026-01-01,,5,active", "sub_1,acc_1,team,2026-01-02,,6,active"
        ),
    )
    [report] = _ingest(landing, [demo_tables["subscriptions"]], tmp_path / "w.duckdb")
    [error] = report.rejected
    assert (error.url, error.row, error.column) == (bad.url, 2, "subscription_id")
    assert report.row_count == 0


def test_a_re_dropped_file_keeps_every_archived_version(demo_tables, landing, tmp_path):
    warehouse, tables = tmp_path / "warehouse.duckdb", [demo_tables["subscriptions"]]
    name = "subscriptions/2026-05-01T0300.csv"
    versions = [GOOD_SUBSCRIPTIONS, subscriptions_csv("sub_9,acc_9,team,2026-03-01,,1,active")]
    for run, content in enumerate(versions):
        drop(landing, name, content)
        _ingest(landing, tables, warehouse, run_id=f"run-{run}")
    broken = ["not,the,header\n", "still,not,it\n"]
    for run, content in enumerate(broken):
        drop(landing, name, content)
        _ingest(landing, tables, warehouse, run_id=f"bad-{run}")

    archived = landing.root / LOADED / "subscriptions"
    assert (archived / "2026-05-01T0300.csv").read_text() == versions[0]
    assert (archived / "2026-05-01T0300~v2.csv").read_text() == versions[1]
    quarantined = landing.root / QUARANTINE / "subscriptions"
    assert (quarantined / "2026-05-01T0300.csv").read_text() == broken[0]
    assert (quarantined / "2026-05-01T0300~v2.csv").read_text() == broken[1]
    assert "not,the,header" not in (quarantined / "2026-05-01T0300~v2.csv.error.txt").read_text()
    assert "unexpected column" in (quarantined / "2026-05-01T0300~v2.csv.error.txt").read_text()


def test_a_symlinked_file_archives_its_data_not_the_link(demo_tables, landing, tmp_path):
    outside = tmp_path / "export.csv"
    outside.write_text(GOOD_SUBSCRIPTIONS)
    (landing.root / "subscriptions").mkdir()
    (landing.root / "subscriptions" / "2026-05-01T0300.csv").symlink_to(outside)
    [report] = _ingest(landing, [demo_tables["subscriptions"]], tmp_path / "w.duckdb")

    assert [o.rows for o in report.loaded] == [2]
    archived = landing.root / LOADED / "subscriptions" / "2026-05-01T0300.csv"
    assert not archived.is_symlink() and archived.read_text() == GOOD_SUBSCRIPTIONS
    outside.write_text("changed later by the producer\n")
    assert archived.read_text() == GOOD_SUBSCRIPTIONS
    assert not (landing.root / "subscriptions" / "2026-05-01T0300.csv").exists()


def test_a_non_utf8_byte_on_line_3_is_reported_at_line_3(demo_tables, landing, tmp_path):
    content = GOOD_SUBSCRIPTIONS.encode().replace(b"starter", b"st\xe4rter")
    bad = drop(landing, "subscriptions/2026-05-01T0300.csv", content)
    [report] = _ingest(landing, [demo_tables["subscriptions"]], tmp_path / "w.duckdb")
    [error] = report.rejected
    assert (error.url, error.line) == (bad.url, 3) and "not valid UTF-8" in str(error)


def test_a_3mb_csv_field_keeps_duckdbs_reason_and_the_limit_is_a_setting(
    demo_tables, landing, tmp_path, monkeypatch
):
    big = "x" * 3_000_000
    content = subscriptions_csv(f"sub_1,acc_1,team,2026-01-01 00:00:00,,5,{big}")
    monkeypatch.setenv("LANDING_MAX_LINE_BYTES", str(2_000_000))
    bad = drop(landing, "subscriptions/2026-05-01T0300.csv", content)
    [report] = _ingest(landing, [demo_tables["subscriptions"]], tmp_path / "w.duckdb")
    [error] = report.rejected
    assert (error.url, error.line) == (bad.url, 2)
    assert "longer than the maximum line size of 2000000 bytes" in str(error)
    assert "LANDING_MAX_LINE_BYTES" in str(error)

    monkeypatch.delenv("LANDING_MAX_LINE_BYTES")  # default: 16 MiB, as for a JSON object
    drop(landing, "subscriptions/2026-05-02T0300.csv", content)
    [report] = _ingest(landing, [demo_tables["subscriptions"]], tmp_path / "w.duckdb", "r2")
    assert [o.rows for o in report.loaded] == [1]
