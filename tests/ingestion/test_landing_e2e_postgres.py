"""End to end on Postgres through a real `make dev`: landing -> sensor -> ingestion ->
automation -> dbt, with the dbt target `postgres` selected by environment only.

Nothing is stood in for: a real PostgreSQL server (tests/harness/postgres.py) is the warehouse,
the sensors run in the daemon, runs are launched in their own processes, dbt-postgres builds.
The test only drops files and reads the instance, the landing folder and Postgres.
"""

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from dagster import DagsterRunStatus, RunsFilter

from orchestration.ingestion.landing import QUARANTINE
from orchestration.settings import PostgresWarehouse
from tests.harness.dagster_dev import make_dev
from tests.harness.pg_warehouse import Warehouse, pg_rows, postgres_target_env
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, make_sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


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
    tmp_path, warehouse: Warehouse
):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    config = yaml.safe_load((project / "dbt_project.yml").read_text())
    config["vars"].pop("dagster_schedules")  # no cron tick interleaves with the drops
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    database = warehouse.new_database()
    target = warehouse.target(database)
    sandbox = make_sandbox(tmp_path, project)
    sandbox.env.update(
        postgres_target_env(warehouse.info, database),
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
        "--select", "*fct_product_events", check=False,
    )  # fmt: skip
    assert baseline.returncode == 0, baseline.stdout[-3000:] + baseline.stderr[-3000:]
    [user] = pg_rows(target, "select user_id, account_id from raw.users limit 1")
    assert not Path(sandbox.duckdb_path).exists()  # nothing went to DuckDB

    with make_dev(sandbox.env, tmp_path / "make_dev.log") as server, sandbox.instance() as instance:

        def alive_and(condition):
            def check():
                server.assert_alive()
                return condition()

            return check

        # Dropped only once automation has evaluated once: its first tick records the state
        # it starts from and launches nothing.
        ticked = alive_and(lambda: {"landing_sensor", "automation"} <= server.ui.sensors_ticked())
        wait_until(ticked, HANG_TIMEOUT, "both sensors' first tick", poll=1)

        ids = {f"evt_pg_{n}" for n in range(4)}
        _land(landing, "e2e_1.jsonl", _events(ids, user))
        wait_until(
            alive_and(lambda: _mart_ids(target, ids) == ids),
            HANG_TIMEOUT, "the dropped events to reach fct_product_events", poll=2,
        )  # fmt: skip
        raw_before = pg_rows(target, "select * from raw.events order by event_id, _source_file")

        # Valid JSON up to the last line, which is cut off: the whole file is refused.
        bad = _land(landing, "e2e_2.jsonl", _events({"evt_pg_bad_1", "evt_pg_bad_2"}, user)[:-40])
        quarantined = landing / QUARANTINE / "events" / bad.name
        note = quarantined.with_name(bad.name + ".error.txt")
        wait_until(alive_and(note.exists), HANG_TIMEOUT, "the malformed file's quarantine", poll=1)
        assert "line 2" in note.read_text() and "malformed JSON" in note.read_text()

        def ingestion_failed():
            runs = instance.get_run_records(RunsFilter(tags={"landing/tables": "events"}))
            return [r for r in runs if r.dagster_run.status == DagsterRunStatus.FAILURE]

        wait_until(alive_and(ingestion_failed), HANG_TIMEOUT, "its ingestion run to fail", poll=1)
        assert pg_rows(target, "select * from raw.events order by event_id, _source_file") == (
            raw_before
        )
        assert _mart_ids(target, {"evt_pg_bad_1", "evt_pg_bad_2"}) == set()
