"""What a finished run did to each asset, read back from the instance's event log."""

from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance

from orchestration.lib.dbt.node_metadata import DAGSTER_DBT_SECONDS_KEY, EXECUTION_SECONDS_KEY

_SUMMARY_EVENTS = {
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION,
    # dagster-dbt reports a dbt test that is no asset check (a singular test on several
    # models) as an observation of each model it reads; it still ran, and may have failed.
    DagsterEventType.ASSET_OBSERVATION,
}


@dataclass
class AssetOutcome:
    asset: str
    status: str  # "materialized" or "not materialized"
    rows: int | None = None
    seconds: float | None = None
    checks_passed: int = 0
    checks_failed: int = 0


def summarize_run(instance: DagsterInstance, run_id: str) -> list[AssetOutcome]:
    """One row per asset the run planned, with rows, dbt's own seconds and check results."""
    outcomes: dict[str, AssetOutcome] = {}
    tests_seen: set[str] = set()
    records = instance.get_records_for_run(run_id, of_type=_SUMMARY_EVENTS, limit=None).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            key = event.asset_key.to_user_string() if event.asset_key else "?"
            outcomes.setdefault(key, AssetOutcome(key, "not materialized"))
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            key = materialization.asset_key.to_user_string()
            metadata = materialization.metadata
            outcome = outcomes.setdefault(key, AssetOutcome(key, "materialized"))
            outcome.status = "materialized"
            rows = metadata.get("dagster/row_count")
            # Runs recorded before the key named its unit carry dagster-dbt's own key.
            seconds = metadata.get(EXECUTION_SECONDS_KEY, metadata.get(DAGSTER_DBT_SECONDS_KEY))
            outcome.rows = int(rows.value) if rows is not None else None  # type: ignore[arg-type]
            outcome.seconds = float(seconds.value) if seconds is not None else None  # type: ignore[arg-type]
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            key = evaluation.asset_key.to_user_string()
            outcome = outcomes.setdefault(key, AssetOutcome(key, "not materialized"))
            if evaluation.passed:
                outcome.checks_passed += 1
            else:
                outcome.checks_failed += 1
        elif event.event_type == DagsterEventType.ASSET_OBSERVATION:
            metadata = event.asset_observation_data.asset_observation.metadata
            unique_id = metadata.get("unique_id")
            status = metadata.get("status")
            if unique_id is None or status is None or not str(unique_id.value).startswith("test."):
                continue
            if unique_id.value in tests_seen:  # one observation per model the test reads
                continue
            tests_seen.add(str(unique_id.value))
            name = "dbt test " + str(unique_id.value).split(".", 2)[-1]
            outcome = outcomes.setdefault(name, AssetOutcome(name, "check"))
            if status.value == "pass":
                outcome.checks_passed += 1
            else:
                outcome.checks_failed += 1
    return sorted(outcomes.values(), key=lambda o: o.asset)


def format_summary(outcomes: list[AssetOutcome]) -> str:
    width = max([len(o.asset) for o in outcomes] + [5])
    lines = [f"{'asset':<{width}}  {'status':<16}  {'rows':>9}  {'seconds':>8}  checks"]
    for o in outcomes:
        rows = "" if o.rows is None else str(o.rows)
        seconds = "" if o.seconds is None else f"{o.seconds:.2f}"
        checks = f"{o.checks_passed} passed" + (
            f", {o.checks_failed} FAILED" if o.checks_failed else ""
        )
        lines.append(f"{o.asset:<{width}}  {o.status:<16}  {rows:>9}  {seconds:>8}  {checks}")
    return "\n".join(lines)
