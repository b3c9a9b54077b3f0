"""The landing sensor, evaluated as the daemon would (build_sensor_context), on a real folder.

The sensor is taken from the code location's own Definitions (demo project), so its job, asset
selection and run config are the ones the daemon would launch.
"""

import logging

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from orchestration.ingestion import duckdb_writer
from orchestration.ingestion.assets import LANDING_OP
from orchestration.ingestion.ingest import ingest
from orchestration.ingestion.sensors import LANDING_SENSOR
from tests.ingestion.landing_drops import drop, event_line

log = logging.getLogger(__name__)


@pytest.fixture
def landing_sensor(parsed_demo_sandbox, load_definitions, landing, tmp_path, monkeypatch):
    defs = load_definitions(parsed_demo_sandbox)
    monkeypatch.setenv("LANDING_URL", landing.url)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    with DagsterInstance.ephemeral() as instance:

        def evaluate(cursor: str | None):
            context = build_sensor_context(cursor=cursor, instance=instance)
            return defs.resolve_sensor_def(LANDING_SENSOR).evaluate_tick(context)

        yield evaluate


def test_a_new_file_gives_one_run_request_with_a_stable_run_key(landing_sensor, landing):
    file = drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")

    first = landing_sensor(None)
    [request] = first.run_requests
    assert request.asset_selection == [AssetKey(["saas", "events"])]
    assert request.asset_check_keys == []  # no "Skipped" source-freshness result per load
    assert request.run_config["ops"][LANDING_OP]["config"]["files"] == [file.key]
    # Evaluated again from the same cursor (a tick that is retried): the same run key.
    [again] = landing_sensor(None).run_requests
    assert again.run_key == request.run_key

    # The next tick, with the cursor the first one stored: nothing new.
    second = landing_sensor(first.cursor)
    assert second.run_requests == [] and second.skip_message

    # A file rewritten in place is a new version: requested again, under a new key.
    drop(landing, file.key, event_line("evt_1") + "\n" + event_line("evt_2") + "\n")
    [changed] = landing_sensor(second.cursor).run_requests
    assert changed.run_key != request.run_key


def test_files_of_several_tables_go_into_one_run(landing_sensor, landing):
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    drop(landing, "accounts/2026-05-01T0300.csv", "account_id\nacc_1\n")
    drop(landing, "unknown_table/2026-05-01T0300.csv", "x\n1\n")  # not a landing table

    [request] = landing_sensor(None).run_requests
    assert sorted(request.asset_selection) == [
        AssetKey(["saas", "accounts"]),
        AssetKey(["saas", "events"]),
    ]
    assert request.tags["landing/file_count"] == "2"


def test_a_quarantined_file_gives_no_run_request_and_the_sensor_keeps_working(
    landing_sensor, landing, demo_tables, tmp_path
):
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1")[:40])  # truncated JSON
    first = landing_sensor(None)
    assert len(first.run_requests) == 1
    with duckdb_writer.connect(tmp_path / "w.duckdb") as writer:
        [report] = ingest(landing, [demo_tables["events"]], writer=writer, run_id="r", log=log)
    assert report.rejected  # quarantined

    # Neither the next tick nor a sensor starting from scratch relaunches the quarantined file.
    second = landing_sensor(first.cursor)
    assert second.run_requests == [] and second.cursor == "{}"
    assert landing_sensor(None).run_requests == []

    # The next good file is picked up as usual.
    good = drop(landing, "events/2026-05-02T0300.jsonl", event_line("evt_2") + "\n")
    [request] = landing_sensor(second.cursor).run_requests
    assert request.run_config["ops"][LANDING_OP]["config"]["files"] == [good.key]


def test_a_stray_folder_and_a_dangling_symlink_are_warned_about_once(
    landing_sensor, landing, capfd
):
    """The tick's log is read where Dagster's sensor logger writes it besides the tick's
    captured log: the process's stderr."""

    def warnings_of(cursor):
        capfd.readouterr()
        result = landing_sensor(cursor)
        err = capfd.readouterr().err
        return result, [line for line in err.splitlines() if "Ignoring" in line]

    drop(landing, "evnets/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")  # a typo
    (landing.root / "events").mkdir()
    (landing.root / "events" / "2026-05-02T0300.jsonl").symlink_to(landing.root / "gone.jsonl")
    first, warnings = warnings_of(None)
    assert len(warnings) == 2
    assert any(f"{landing.url}/evnets/: no table loads it" in line for line in warnings)
    assert any(f"{landing.url}/events/2026-05-02T0300.jsonl: no table" in w for w in warnings)
    second, warnings = warnings_of(first.cursor)
    assert warnings == []
    assert first.run_requests == second.run_requests == []

    # Once the producer fixes it, the stray leaves the cursor; a new one is warned about again.
    (landing.root / "events" / "2026-05-02T0300.jsonl").unlink()
    (landing.root / "events" / "2026-05-03T0300.jsonl").symlink_to(landing.root / "gone.jsonl")
    third, warnings = warnings_of(second.cursor)
    assert len(warnings) == 1 and "2026-05-03T0300.jsonl" in warnings[0]
    assert "2026-05-02" not in (third.cursor or "")
