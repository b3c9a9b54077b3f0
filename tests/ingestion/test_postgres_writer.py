"""The Postgres warehouse writer against a real PostgreSQL server (tests/harness/postgres.py).

Real files in a real landing folder, read and checked by DuckDB, written to Postgres by COPY;
each test has a database of its own on one server.
"""

import datetime as dt
import logging
import threading
import time
from contextlib import closing

import duckdb
import psycopg2
import pytest

from orchestration.ingestion import postgres_writer
from orchestration.ingestion.ingest import ingest
from orchestration.ingestion.landing import LOADED, QUARANTINE
from tests.harness.landing_resends import resend
from tests.harness.pg_warehouse import pg_connect_kwargs, pg_rows
from tests.harness.sandbox import DEMO_PROJECT
from tests.ingestion.landing_drops import drop, event_line, subscriptions_csv

log = logging.getLogger(__name__)
GOOD_SUBSCRIPTIONS = subscriptions_csv(
    "sub_1,acc_1,team,2026-01-01 00:00:00,,5,active",
    "sub_2,acc_2,starter,2026-01-02 00:00:00,2026-02-02 00:00:00,3,canceled",
)


def _ingest(landing, tables, target, run_id: str = "run-1"):
    with postgres_writer.connect(target) as writer:
        return ingest(landing, tables, writer=writer, run_id=run_id, log=log)


def _table(target, relation: str, order_by: str) -> list[tuple]:
    return pg_rows(target, f"select * from {relation} order by {order_by}")


def test_files_of_every_format_load_as_typed_columns_stamped_with_file_and_time(
    demo_tables, landing, pg_warehouse, tmp_path
):
    parquet = tmp_path / "tickets.parquet"
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'tkt_1' as ticket_id, 'acc_1' as account_id, 'usr_1' as user_id, "
            "timestamp '2026-01-01 10:00:00' as opened_at, null as first_response_at, "
            "null as closed_at, 'low' as priority, 'bug' as category) "
            f"to '{parquet}' (format parquet)"
        )
    csv = drop(landing, "subscriptions/2026-05-01T0300.csv", GOOD_SUBSCRIPTIONS)
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    drop(landing, "support_tickets/2026-05-01T0300.parquet", parquet.read_bytes())
    tables = [demo_tables[t] for t in ("subscriptions", "events", "support_tickets")]

    reports = _ingest(landing, tables, pg_warehouse)

    assert [(r.row_count, r.rows_loaded, r.rejected) for r in reports] == [
        (2, 2, []),
        (1, 1, []),
        (1, 1, []),
    ]
    subscriptions = _table(pg_warehouse, "raw.subscriptions", "subscription_id")
    assert [row[:7] for row in subscriptions] == [
        ("sub_1", "acc_1", "team", dt.datetime(2026, 1, 1), None, 5, "active"),
        ("sub_2", "acc_2", "starter", dt.datetime(2026, 1, 2), dt.datetime(2026, 2, 2), 3,
         "canceled"),
    ]  # fmt: skip
    assert {row[7] for row in subscriptions} == {csv.url}
    assert all(isinstance(row[8], dt.datetime) for row in subscriptions)
    # The declared DuckDB types became their Postgres counterparts.
    types = dict(
        pg_rows(
            pg_warehouse,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'subscriptions'",
        )
    )
    assert types["started_at"] == "timestamp without time zone"
    assert types["seats"] == "integer" and types["_source_file"] == "text"
    assert [r[0] for r in _table(pg_warehouse, "raw.support_tickets", "1")] == ["tkt_1"]
    ledger = pg_rows(pg_warehouse, "select table_name, file_url, row_count, run_id from "
                     "_landing.loaded_files order by table_name")  # fmt: skip
    assert [(r[1], r[2], r[3]) for r in ledger if r[1] == csv.url] == [(csv.url, 2, "run-1")]
    assert len(ledger) == 3


def test_a_bad_file_is_quarantined_the_raw_table_unchanged_and_the_rest_of_the_batch_loads(
    demo_tables, landing, pg_warehouse
):
    tables = [demo_tables["subscriptions"], demo_tables["events"]]
    drop(landing, "subscriptions/2026-05-01T0300.csv", GOOD_SUBSCRIPTIONS)
    _ingest(landing, tables, pg_warehouse)
    before = _table(pg_warehouse, "raw.subscriptions", "subscription_id")

    bad = drop(
        landing,
        "subscriptions/2026-05-02T0300.csv",
        subscriptions_csv(
            "sub_3,acc_3,team,2026-01-01 00:00:00,,5,active",
            "sub_1,acc_1,team,2026-01-01 00:00:00,,seven,active",
        ),
    )
    good = drop(landing, "events/2026-05-02T0300.jsonl", event_line("evt_2") + "\n")
    reports = _ingest(landing, tables, pg_warehouse, run_id="run-2")

    [error] = [error for report in reports for error in report.rejected]
    assert (error.url, error.line, error.column) == (bad.url, 3, "seats")
    assert (landing.root / QUARANTINE / bad.key).exists()
    assert (landing.root / LOADED / good.key).exists()
    assert _table(pg_warehouse, "raw.subscriptions", "subscription_id") == before
    assert [r[0] for r in _table(pg_warehouse, "raw.events", "event_id")] == ["evt_2"]
    assert pg_rows(
        pg_warehouse, "select count(*) from _landing.loaded_files where file_url = %s", [bad.url]
    ) == [(0,)]


def test_a_value_postgres_refuses_rolls_back_the_whole_file_and_names_row_and_column(
    demo_tables, landing, pg_warehouse
):
    """DuckDB reads a NUL character Postgres text cannot hold: the COPY fails at row 3, after
    the file's old rows were deleted and rows 1-2 copied. All of it is undone: one transaction
    per file."""
    table = demo_tables["events"]
    first = drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    _ingest(landing, [table], pg_warehouse)
    before = _table(pg_warehouse, "raw.events", "event_id")

    nul = event_line("evt_4").replace('"usr_000001"', '"usr\\u0000"')
    again = drop(  # the same file, re-sent with new content: it would replace its own rows
        landing, first.key, "\n".join([event_line("evt_2"), event_line("evt_3"), nul]) + "\n"
    )
    [report] = _ingest(landing, [table], pg_warehouse, run_id="run-2")

    [error] = report.rejected
    assert (error.url, error.row, error.column) == (again.url, 3, "user_id")
    assert "the warehouse refuses a value" in str(error) and "0x00" in str(error)
    assert _table(pg_warehouse, "raw.events", "event_id") == before
    assert report.row_count == 1 and (landing.root / QUARANTINE / again.key).exists()


def test_the_ledger_makes_reloads_idempotent(demo_tables, landing, pg_warehouse):
    tables = [demo_tables["events"]]
    content = "\n".join(event_line(f"evt_{n}") for n in range(3)) + "\n"
    first = drop(landing, "events/2026-05-01T0300.jsonl", content)
    [report] = _ingest(landing, tables, pg_warehouse)
    version = report.data_version

    skips = resend(landing, first, content)
    [report] = _ingest(landing, tables, pg_warehouse, run_id="run-2")
    assert [o.skipped for o in report.skipped] == skips
    assert report.row_count == 3 and report.data_version == version

    drop(landing, first.key, "\n".join(event_line(f"evt_{n}") for n in (0, 1, 7)) + "\n")
    [report] = _ingest(landing, tables, pg_warehouse, run_id="run-3")
    assert [r[0] for r in _table(pg_warehouse, "raw.events", "event_id")] == [
        "evt_0",
        "evt_1",
        "evt_7",
    ]
    assert report.data_version != version


def test_a_primary_key_table_keeps_the_latest_row_per_key(demo_tables, landing, pg_warehouse):
    drop(landing, "subscriptions/2026-05-01T0300.csv", GOOD_SUBSCRIPTIONS)
    drop(
        landing,
        "subscriptions/2026-05-02T0300.csv",
        subscriptions_csv("sub_2,acc_2,starter,2026-01-02 00:00:00,,4,active"),
    )
    [report] = _ingest(landing, [demo_tables["subscriptions"]], pg_warehouse)
    assert len(report.loaded) == 2
    table = _table(pg_warehouse, "raw.subscriptions", "subscription_id")
    assert [(r[0], r[5], r[6]) for r in table] == [("sub_1", 5, "active"), ("sub_2", 4, "active")]


def test_two_runs_loading_the_same_content_at_once_load_it_once(
    demo_tables, landing, tmp_path, pg_warehouse
):
    """Both runs pass the ledger check before either writes, then queue on the table's lock
    (held here until both wait): the second sees the first's ledger row and skips."""
    from orchestration.ingestion.landing import LocalLandingStore

    table = demo_tables["events"]
    content = "\n".join(event_line(f"evt_{n}") for n in range(3)) + "\n"
    other = LocalLandingStore(tmp_path / "other_landing")
    drop(landing, "events/a.jsonl", content)
    drop(other, "events/b.jsonl", content)
    _ingest(landing, [demo_tables["subscriptions"]], pg_warehouse)  # ledger and schema exist

    reports = {}
    with closing(psycopg2.connect(**pg_connect_kwargs(pg_warehouse))) as holder:
        holder.autocommit = True
        holder.cursor().execute(
            "select pg_advisory_lock(hashtext(%s))", [f"landing:{table.unique_id}"]
        )
        runs = [
            threading.Thread(
                target=lambda name, store: reports.update(
                    {name: _ingest(store, [table], pg_warehouse, name)}
                ),
                args=(name, store),
            )
            for name, store in (("run-a", landing), ("run-b", other))
        ]
        for run in runs:
            run.start()
        deadline = time.monotonic() + 60
        while pg_rows(pg_warehouse, "select count(*) from pg_locks "
                      "where locktype = 'advisory' and not granted") != [(2,)]:  # fmt: skip
            assert time.monotonic() < deadline, "both runs should wait on the table's lock"
            time.sleep(0.05)
        holder.cursor().execute("select pg_advisory_unlock_all()")
        for run in runs:
            run.join(timeout=60)

    outcomes = sorted((len(r[0].loaded), len(r[0].skipped)) for r in reports.values())
    assert outcomes == [(0, 1), (1, 0)]
    assert pg_rows(pg_warehouse, "select count(*) from raw.events") == [(3,)]
    assert pg_rows(pg_warehouse, "select count(*) from _landing.loaded_files "
                   "where table_name = %s", [table.unique_id]) == [(1,)]  # fmt: skip


@pytest.mark.parametrize("missing", ["DBT_POSTGRES_HOST", "DBT_POSTGRES_PASSWORD"])
def test_a_missing_connection_setting_is_named(missing, monkeypatch):
    from orchestration.settings import ConfigError

    """The connection is the dbt `postgres` target's, rendered from profiles.yml."""
    monkeypatch.setenv("DBT_PROJECT_DIR", str(DEMO_PROJECT))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("DBT_TARGET", "postgres")
    for name in ("HOST", "USER", "PASSWORD", "DB"):
        monkeypatch.setenv(f"DBT_POSTGRES_{name}", "x")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing), postgres_writer.connect():
        pass


def test_a_wrong_password_names_the_target_and_variables_but_not_the_password(pg_warehouse):
    from dataclasses import replace

    wrong = replace(pg_warehouse, password="not-the-password-42")
    with pytest.raises(ConnectionError) as raised, postgres_writer.connect(wrong):
        pass
    message = str(raised.value)
    assert pg_warehouse.describe() in message and "DBT_POSTGRES_PASSWORD" in message
    assert "password authentication failed" in message and "not-the-password-42" not in message
