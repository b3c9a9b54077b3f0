"""The ingestion asset run by Dagster: materializations, row counts, and a failing bad batch."""

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, RunConfig

from orchestration.ingestion.assets import LANDING_OP, LandingLoadConfig
from orchestration.ingestion.definitions import LANDING_JOB
from tests.ingestion.landing_drops import drop, event_line, subscriptions_csv

EVENTS, SUBSCRIPTIONS = AssetKey(["saas", "events"]), AssetKey(["saas", "subscriptions"])


@pytest.fixture
def run_landing_job(parsed_demo_sandbox, load_definitions, landing, tmp_path, monkeypatch):
    defs = load_definitions(parsed_demo_sandbox)
    monkeypatch.setenv("LANDING_URL", landing.url)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    job = defs.resolve_job_def(LANDING_JOB)
    with DagsterInstance.ephemeral() as instance:

        def run(keys, files=()):
            config = RunConfig(ops={LANDING_OP: LandingLoadConfig(files=list(files))})
            result = job.execute_in_process(
                run_config=config, instance=instance, asset_selection=keys, raise_on_error=False
            )
            return result, instance

        yield run


def test_a_bad_file_fails_the_run_naming_it_while_the_good_table_materializes(
    run_landing_job, landing
):
    good = drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    bad = drop(
        landing,
        "subscriptions/2026-05-01T0300.csv",
        subscriptions_csv("sub_1,acc_1,team,2026-01-01,,five,active"),
    )
    result, instance = run_landing_job([EVENTS, SUBSCRIPTIONS], [good.key, bad.key])

    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert f'{bad.url}: line 2, column "seats"' in message
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {EVENTS}
    event = instance.get_latest_materialization_event(EVENTS)
    assert event and event.asset_materialization
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 1
    assert metadata["files_loaded"].value == [good.name]


def test_without_a_file_list_every_waiting_file_loads_and_empty_tables_still_materialize(
    run_landing_job, landing
):
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    drop(landing, "events/2026-05-02T0300.jsonl", event_line("evt_2") + "\n")
    result, instance = run_landing_job([EVENTS, SUBSCRIPTIONS])

    assert result.success
    versions = {}
    for key, rows in ((EVENTS, 2), (SUBSCRIPTIONS, 0)):
        event = instance.get_latest_materialization_event(key)
        assert event and event.asset_materialization
        assert event.asset_materialization.metadata["dagster/row_count"].value == rows
        versions[key] = event.asset_materialization.tags.get("dagster/data_version")

    # Nothing new: materialized again (a full run's dbt steps need it), same data version.
    result, instance = run_landing_job([EVENTS])
    event = instance.get_latest_materialization_event(EVENTS)
    assert result.success and event and event.asset_materialization
    assert event.asset_materialization.tags.get("dagster/data_version") == versions[EVENTS]


def test_re_running_a_sensor_run_whose_files_are_handled_materializes_nothing(
    run_landing_job, landing
):
    file = drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    first, _ = run_landing_job([EVENTS], [file.key])
    again, _ = run_landing_job([EVENTS], [file.key])  # e.g. re-executed from the UI

    assert first.success and again.success
    assert len(first.get_asset_materialization_events()) == 1
    assert again.get_asset_materialization_events() == []


def test_a_corrupt_gzip_is_quarantined_and_the_tables_loaded_before_it_are_recorded(
    run_landing_job, landing
):
    import gzip

    packed = gzip.compress(subscriptions_csv(*["sub_1,acc_1,team,2026-01-01,,5,active"]).encode())
    corrupt = packed[:12] + bytes(range(200)) + packed[212:]  # gzip magic, then garbage
    good = drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    bad = drop(landing, "subscriptions/2026-05-01T0300.csv.gz", corrupt)
    result, instance = run_landing_job([EVENTS, SUBSCRIPTIONS])

    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert f"{bad.url}: line 1: corrupt gzip data" in message
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {EVENTS}
    event = instance.get_latest_materialization_event(EVENTS)
    assert event and event.asset_materialization
    assert event.asset_materialization.metadata["files_loaded"].value == [good.name]

    again, _ = run_landing_job([EVENTS, SUBSCRIPTIONS])  # the next run is clean
    assert again.success


def _failure_message(result) -> str:
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    return failure.step_failure_data.error.message  # type: ignore[union-attr]


def test_a_mistyped_file_name_fails_the_run_saying_it_does_not_exist(run_landing_job, landing):
    drop(landing, "events/2026-05-01T0300.jsonl", event_line("evt_1") + "\n")
    result, _ = run_landing_job([EVENTS], ["events/2026-05-01T3000.jsonl", "evnts/a.jsonl"])

    assert not result.success
    message = _failure_message(result)
    assert f"{landing.url}/events/2026-05-01T3000.jsonl does not exist" in message
    assert "evnts/a.jsonl: 'evnts' is no landing table's folder" in message
    assert result.get_asset_materialization_events() == []


def test_re_executing_a_load_whose_file_was_quarantined_fails_saying_so(run_landing_job, landing):
    bad = drop(
        landing,
        "subscriptions/2026-05-01T0300.csv",
        subscriptions_csv("sub_1,acc_1,team,2026-01-01,,five,active"),
    )
    first, _ = run_landing_job([SUBSCRIPTIONS], [bad.key])
    again, _ = run_landing_job([SUBSCRIPTIONS], [bad.key])  # "Re-execute" in the UI

    assert not first.success and not again.success
    message = _failure_message(again)
    assert f"{bad.url} was rejected earlier" in message
    assert "_quarantine/" in message
