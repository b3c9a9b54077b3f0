"""End to end on Postgres through a real `make dev`: landing -> sensor -> ingestion ->
automation -> dbt, with the dbt target `postgres` selected by environment only.

Nothing is stood in for: a real PostgreSQL server (tests/harness/postgres.py) is the warehouse,
the sensors run in the daemon, runs are launched in their own processes, dbt-postgres builds.
The test only drops files and reads the instance, the landing folder and Postgres.
"""

import datetime as dt
import json
import uuid
from contextlib import closing
from pathlib import Path

import psycopg2
import yaml
from dagster import DagsterRunStatus, RunsFilter

from orchestration.ingestion.landing import QUARANTINE
from orchestration.settings import PostgresWarehouse
from tests.harness.dagster_dev import make_dev
from tests.harness.postgres import PostgresInfo
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, make_sandbox
from tests.harness.waiting import wait_until
from tests.ingestion.conftest import pg_rows
from tests.ingestion.test_landing_e2e import SENSOR_TICKS


def _events(ids, user: tuple[str, str]) -> str:
    today = dt.datetime.now(dt.UTC).date()
    return "".join(
        json.dumps(
            {"event_id": event_id, "user_id": user[0], "account_id": user[1],
             "event_type": "report_created", "occurred_at": f"{today} 09:00:00",
             "properties": json.dumps({"platform": "web", "feature": "reports"})}
        ) + "\n"
        for event_id in ids
    )  # fmt: skip


def _land(landing: Path, name: str, content: str) -> Path:
    """A producer's upload: written under an ignored name, then renamed into place."""
    partial = landing / "events" / f".{name}.part"
    partial.write_text(content)
    return partial.rename(landing / "events" / name)


def _mart_ids(target: PostgresWarehouse, ids: set[str]) -> set[str]:
    found = pg_rows(
        target,
        "select table_schema from information_schema.tables "
        "where table_name = 'fct_product_events'",
    )
    if not found:
        return set()
    [(schema,)] = found
    rows = pg_rows(
        target,
        f'select event_id from "{schema}".fct_product_events where event_id = any(%s)',
        [sorted(ids)],
    )
    return {event_id for (event_id,) in rows}


def test_on_postgres_a_dropped_file_reaches_the_mart_and_a_malformed_one_changes_nothing(
    tmp_path, postgres_server: PostgresInfo
):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    config = yaml.safe_load((project / "dbt_project.yml").read_text())
    config["vars"].pop("dagster_schedules")  # no cron tick interleaves with the drops
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    database = "e2e_" + uuid.uuid4().hex[:12]
    with closing(psycopg2.connect(postgres_server.url)) as con:
        con.autocommit = True
        con.cursor().execute(f"create database {database}")
    target = PostgresWarehouse(
        postgres_server.host, postgres_server.port, postgres_server.user,
        postgres_server.password, database, "disable", 10,
    )  # fmt: skip
    sandbox = make_sandbox(tmp_path, project)
    sandbox.env.update(
        DBT_TARGET="postgres",
        DBT_POSTGRES_HOST=target.host,
        DBT_POSTGRES_PORT=str(target.port),
        DBT_POSTGRES_USER=target.user,
        DBT_POSTGRES_PASSWORD=target.password,
        DBT_POSTGRES_DB=database,
        DBT_POSTGRES_SSLMODE="disable",
        LANDING_SENSOR_INTERVAL_SECONDS="5",
        AUTOMATION_INTERVAL_SECONDS="5",
    )
    landing = Path(sandbox.env["DATA_DIR"]) / "landing"

    # Baseline: demo batches landed, then the mart and everything upstream of it (ingestion
    # included) materialized, so automation has every parent it needs (the whole project is
    # `make run`'s business, and tests/dbt's).
    sandbox.load_demo_data("--accounts", "20", "--days", "14")
    sandbox.prepare_manifest()
    baseline = sandbox.python(
        "-m", "dagster", "asset", "materialize", "-m", "orchestration.definitions",
        "--select", "*fct_product_events", check=False, timeout=900,
    )  # fmt: skip
    assert baseline.returncode == 0, baseline.stdout[-3000:] + baseline.stderr[-3000:]
    [user] = pg_rows(target, "select user_id, account_id from raw.users limit 1")
    assert not Path(sandbox.duckdb_path).exists()  # nothing went to DuckDB

    with make_dev(sandbox.env, tmp_path / "make_dev.log") as server, sandbox.instance() as instance:

        def sensors_ticked():
            assert server.process.poll() is None, server.log_tail()
            try:
                results = server.graphql(SENSOR_TICKS)["data"]["sensorsOrError"]["results"]
            except (OSError, KeyError, TypeError):
                return False
            ticked = {s["name"] for s in results if s["sensorState"]["ticks"]}
            return {"landing_sensor", "automation"} <= ticked

        wait_until(sensors_ticked, timeout=300, poll=2, what="both sensors' first tick")

        ids = {f"evt_pg_{n}" for n in range(4)}
        _land(landing, "e2e_1.jsonl", _events(ids, user))
        wait_until(
            lambda: _mart_ids(target, ids) == ids,
            timeout=300, poll=2, what="the dropped events to reach fct_product_events",
        )  # fmt: skip
        raw_before = pg_rows(target, "select * from raw.events order by event_id, _source_file")

        # Valid JSON up to the last line, which is cut off: the whole file is refused.
        bad = _land(landing, "e2e_2.jsonl", _events({"evt_pg_bad_1", "evt_pg_bad_2"}, user)[:-40])
        quarantined = landing / QUARANTINE / "events" / bad.name
        note = quarantined.with_name(bad.name + ".error.txt")
        wait_until(note.exists, timeout=300, poll=1, what="the malformed file's quarantine")
        assert "line 2" in note.read_text() and "malformed JSON" in note.read_text()

        def ingestion_failed():
            runs = instance.get_run_records(RunsFilter(tags={"landing/tables": "events"}))
            return [r for r in runs if r.dagster_run.status == DagsterRunStatus.FAILURE]

        wait_until(ingestion_failed, timeout=120, poll=1, what="its ingestion run to fail")
        assert pg_rows(target, "select * from raw.events order by event_id, _source_file") == (
            raw_before
        )
        assert _mart_ids(target, {"evt_pg_bad_1", "evt_pg_bad_2"}) == set()
