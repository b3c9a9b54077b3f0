"""What a producer drops into the landing zone in the ingestion tests, and what lands in DuckDB."""

from pathlib import Path

import duckdb

from orchestration.ingestion.landing import LandingFile, LandingStore

SUBSCRIPTIONS_HEADER = "subscription_id,account_id,plan_code,started_at,ended_at,seats,status"


def drop(store: LandingStore, key: str, content: str | bytes) -> LandingFile:
    """Put a file into the landing zone as a producer would (whole, under its final name)."""
    store.write_bytes(key, content.encode() if isinstance(content, str) else content)
    file = store.stat(key)
    assert file is not None
    return file


def subscriptions_csv(*rows: str) -> str:
    return "\n".join([SUBSCRIPTIONS_HEADER, *rows]) + "\n"


def event_line(event_id: str, user_id: str = "usr_000001", account_id: str = "acc_00001") -> str:
    return (
        f'{{"event_id": "{event_id}", "user_id": "{user_id}", "account_id": "{account_id}", '
        f'"event_type": "report_created", "occurred_at": "2026-05-01 10:00:00", '
        f'"properties": "{{}}"}}'
    )


def rows(duckdb_path: Path, relation: str, order_by: str) -> list[tuple]:
    if not duckdb_path.exists():
        return []
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema || '.' || table_name = ?",
            [relation],
        ).fetchone()
        if not exists or not exists[0]:
            return []
        return con.execute(f"select * from {relation} order by {order_by}").fetchall()
