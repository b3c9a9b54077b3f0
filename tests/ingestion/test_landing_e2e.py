"""End to end through a real `make dev` (webserver, daemon, queued runs, pools): a file dropped
into the landing folder reaches the marts, and only what is downstream of it rebuilds.

Nothing is stood in for: the landing sensor and the automation sensor run in the daemon, runs
are launched in their own processes by the code location's interpreter, dbt builds into a
DuckDB file. The test only drops files and reads the instance and the warehouse.
"""

import datetime as dt
import json
import os
import time
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    EventRecordsFilter,
    RunsFilter,
)

from orchestration.ingestion.sensors import LANDING_SENSOR
from tests.harness.dagster_dev import make_dev
from tests.harness.dagster_runs import settled
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, make_sandbox, manifest_of
from tests.harness.waiting import HANG_TIMEOUT, wait_until

# The instance is read with get_event_records, across assets; Dagster nudges towards per-asset
# fetch_materializations, which cannot answer "what materialized since".
pytestmark = pytest.mark.filterwarnings("ignore:Use fetch_:UserWarning")

EVENTS_SOURCE = "source.saas_analytics.saas.events"
MART = AssetKey("fct_product_events")
SENSORS = (LANDING_SENSOR, "automation")


def _downstream_keys(manifest: dict, unique_id: str) -> set[AssetKey]:
    """Every model, seed and snapshot that depends on `unique_id`, straight from the manifest."""
    seen, todo = set(), [unique_id]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return {
        AssetKey(nodes[uid]["name"])
        for uid in seen
        if uid in nodes and nodes[uid]["resource_type"] in ("model", "seed", "snapshot")
    }


def _drop_events(landing: Path, name: str, ids: Iterable[str], user: tuple[str, str]) -> None:
    """A producer's upload: written under an ignored name, then renamed into place."""
    today = dt.datetime.now(dt.UTC).date()
    lines = [
        json.dumps(
            {
                "event_id": event_id,
                "user_id": user[0],
                "account_id": user[1],
                "event_type": "report_created",
                "occurred_at": f"{today} 09:00:00",
                "properties": json.dumps({"platform": "web", "feature": "reports"}),
            }
        )
        for event_id in ids
    ]
    partial = landing / "events" / f".{name}.part"
    partial.write_text("\n".join(lines) + "\n")
    os.replace(partial, landing / "events" / name)


def _materialized_since(instance: DagsterInstance, after: int) -> dict[AssetKey, float]:
    """Asset -> time of its latest materialization stored after the event cursor `after`."""
    records = instance.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION, after_cursor=after)
    )
    return {r.asset_key: r.event_log_entry.timestamp for r in records if r.asset_key is not None}


def _planned_since(instance: DagsterInstance, after: int) -> set[AssetKey]:
    records = instance.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION_PLANNED, after_cursor=after)
    )
    return {r.asset_key for r in records if r.asset_key is not None}


def _latest_storage_id(instance: DagsterInstance) -> int:
    """The newest asset event's id. (Run events live in per-run SQLite shards, whose ids do not
    compare with those of asset events; asset events share one index.)"""
    ids = [
        record.storage_id
        for kind in (
            DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
        )
        for record in instance.get_event_records(EventRecordsFilter(kind), limit=1)
    ]
    return max(ids)


def _mart_ids(duckdb_path: Path, ids: set[str]) -> set[str]:
    """The ids found in the mart."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        found = con.execute(
            "select event_id from fct_product_events where event_id in "
            f"({', '.join('?' for _ in ids)})",
            sorted(ids),
        ).fetchall()
    return {event_id for (event_id,) in found}


def _automation_runs(instance: DagsterInstance, since: float):
    records = instance.get_run_records(RunsFilter(tags={"dagster/sensor_name": "automation"}))
    return sorted(
        (r for r in records if r.create_timestamp.timestamp() >= since),
        key=lambda r: r.create_timestamp,
    )


def test_a_dropped_file_updates_the_marts_downstream_of_it_and_nothing_else(
    tmp_path, record_property
):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    # No cron tick may interleave with what is measured: this copy declares no schedule.
    config = yaml.safe_load((project / "dbt_project.yml").read_text())
    config["vars"].pop("dagster_schedules")
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    sandbox = make_sandbox(tmp_path, project)
    sandbox.env.update(
        LANDING_SENSOR_INTERVAL_SECONDS="5",
        AUTOMATION_INTERVAL_SECONDS="5",
    )
    landing = Path(sandbox.env["DATA_DIR"]) / "landing"

    # Baseline, as `make land && make run` do: demo batches landed, ingested and built.
    sandbox.load_demo_data("--accounts", "40", "--days", "30")
    sandbox.prepare_manifest()
    baseline = sandbox.python("-m", "orchestration.cli.run", check=False)
    assert baseline.returncode == 0, baseline.stdout[-3000:] + baseline.stderr[-3000:]
    with duckdb.connect(str(sandbox.duckdb_path), read_only=True) as con:
        user = con.execute("select user_id, account_id from raw.users limit 1").fetchone()
    assert user

    manifest = manifest_of(project)
    downstream = _downstream_keys(manifest, EVENTS_SOURCE) | {AssetKey(["saas", "events"])}
    assert MART in downstream and AssetKey("fct_invoices") not in downstream

    with make_dev(sandbox.env, tmp_path / "make_dev.log") as server, sandbox.instance() as instance:

        def sensors_ticked():
            server.assert_alive()
            return set(SENSORS) <= server.ui.sensors_ticked()

        # Dropped only once automation has evaluated once: its first tick records the state
        # it starts from and launches nothing.
        wait_until(sensors_ticked, HANG_TIMEOUT, "both sensors' first tick", poll=1)
        mark = _latest_storage_id(instance)

        def alive_and(condition):
            def check():
                server.assert_alive()
                failed = [
                    r.dagster_run
                    for r in instance.get_run_records(RunsFilter(created_after=dropped))
                    if r.dagster_run.status == DagsterRunStatus.FAILURE
                    and r.dagster_run.tags.get("dagster/sensor_name") in SENSORS
                ]
                # Fail at once, not at the hang bound: a failed run never reaches the mart.
                assert not failed, f"runs failed: {failed}\n{server.log_tail()}"
                return condition()

            return check

        # A file lands; once the dbt run it set off has started, a second one lands. The mart
        # updates within a sensor interval plus the runs; no second dbt run overlaps the first:
        # the late file is folded into the next one.
        first, second = {f"evt_e2e_{n}" for n in range(5)}, {"evt_e2e_late"}
        dropped_at = time.time()
        dropped = dt.datetime.fromtimestamp(dropped_at, dt.UTC)
        _drop_events(landing, "e2e_1.jsonl", first, user)
        # Started (or already over: on a fast machine the whole run fits between two polls).
        wait_until(
            alive_and(lambda: any(r.start_time for r in _automation_runs(instance, dropped_at))),
            HANG_TIMEOUT, "the automation run for the first file to start", poll=0.2,
        )  # fmt: skip
        _drop_events(landing, "e2e_2.jsonl", second, user)
        wait_until(
            alive_and(lambda: MART in _materialized_since(instance, mark)),
            HANG_TIMEOUT, "fct_product_events to be rebuilt",
        )  # fmt: skip
        latency = _materialized_since(instance, mark)[MART] - dropped_at
        record_property("drop_to_mart_seconds", round(latency, 1))
        print(f"\nlanding drop -> {MART.to_user_string()} materialized: {latency:.1f}s")
        # Every run over, and both sensors have looked again since and found nothing to do.
        wait_until(
            alive_and(lambda: settled(instance, SENSORS)),
            HANG_TIMEOUT, "the runs set off by the drops to finish and the sensors to rest",
            poll=1,
        )  # fmt: skip
        # Read only now: DuckDB lets no writer in while anyone, even a read-only reader, has
        # the file open, so reading during the runs would fail their dbt.
        assert _mart_ids(sandbox.duckdb_path, first | second) == first | second

        runs = _automation_runs(instance, dropped_at)
        assert runs and all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in runs)
        for earlier, later in pairwise(runs):
            assert earlier.end_time and later.start_time and later.start_time >= earlier.end_time
        record_property("automation_runs", len(runs))
        print(f"two files, the second during the first's dbt run -> {len(runs)} sequential runs")
        rebuilt = set(_materialized_since(instance, mark))
        assert MART in rebuilt and AssetKey(["saas", "events"]) in rebuilt
        # Only the subgraph downstream of the refreshed source ran; nothing else was planned.
        extra = _planned_since(instance, mark) - downstream
        assert not extra, f"planned but not downstream of saas/events: {extra}"
