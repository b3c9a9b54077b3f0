"""Turning one dbt invocation into Dagster events, with row counts, columns, compiled SQL and
artifact locations (lib/dbt/node_metadata.py)."""

import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetMaterialization,
    MetadataValue,
    Output,
)
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt.core.dbt_cli_event import DbtCliEventMessage
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.lib.dbt.node_metadata import (
    column_schema,
    compiled_sql,
    dbt_result,
    with_seconds_unit,
)
from orchestration.lib.dbt.output_order import in_lineage_order
from orchestration.lib.dbt.row_counting_dbt import BuiltRelation, built_relation_of, is_noted

ROW_COUNT_KEY = "dagster/row_count"


def stream_dbt_events(
    invocation: DbtCliInvocation,
    *,
    rows_counted_by_dbt: bool,
    artifacts: MetadataValue | None = None,
) -> Iterator[Any]:
    """Yield the invocation's Dagster events as dbt reports them, each table with its row count
    and each relation with its columns.

    dbt counts the rows and reads the columns itself when `rows_counted_by_dbt`
    (row_counting_dbt.py, run by ProjectDbtCliResource), on every warehouse: each relation's
    result waits for that note, which dbt logs right behind it, in the node's own thread, before
    anything downstream of it can start. Every other event is yielded as dbt reports it, so
    Dagster's event writes overlap dbt's work, and outputs keep dbt's order, which is the
    topological order Dagster requires of a step, except where two dbt nodes share an asset key
    (lib/dbt/output_order.py).

    dbt's output is read here, in the step's main thread, never in a worker thread: a stop
    request interrupts the main thread, and only there does dagster-dbt forward it to dbt as
    SIGINT, so that dbt cancels its running queries. (dagster-dbt's `fetch_row_counts` reads
    dbt's output in a thread pool: a stopped run then waited for dbt to finish on its own,
    and its query ran on in the warehouse after the run was marked canceled.)

    `artifacts` says on every materialization where the invocation's artifacts are (a link to
    their copy, or by default the folder dbt wrote them to).
    """
    context = invocation.context
    assets_def = context.assets_def if context is not None and context.has_assets_def else None
    selected = context.selected_asset_keys if assets_def is not None and context else ()
    if artifacts is None:
        artifacts = MetadataValue.path(str(invocation.target_path))
    events = _dbt_events(invocation, rows_counted_by_dbt, artifacts)
    yield from in_lineage_order(events, assets_def, selected)


def _dbt_events(
    invocation: DbtCliInvocation, rows_counted_by_dbt: bool, artifacts: MetadataValue
) -> Iterator[Any]:
    def dagster_events(raw_event: DbtCliEventMessage, built: BuiltRelation | None) -> Iterator[Any]:
        for event in raw_event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if isinstance(event, AssetCheckResult | AssetCheckEvaluation) and not event.passed:
                yield event.with_metadata(
                    {**event.metadata, **_test_message(raw_event, invocation.manifest)}
                )
            elif isinstance(event, Output | AssetMaterialization):
                metadata = _materialization_metadata(
                    invocation, raw_event.raw_event, built, artifacts
                )
                yield event.with_metadata(with_seconds_unit({**event.metadata, **metadata}))
            else:
                yield event

    awaiting_note: dict[str, DbtCliEventMessage] = {}
    failure: BaseException | None = None
    try:
        for raw_event in invocation.stream_raw_events():
            built = built_relation_of(raw_event.raw_event)
            if built is not None:
                if built.unique_id in awaiting_note:
                    yield from dagster_events(awaiting_note.pop(built.unique_id), built)
            elif rows_counted_by_dbt and _note_follows(raw_event.raw_event):
                awaiting_note[raw_event.raw_event["data"]["node_info"]["unique_id"]] = raw_event
            else:
                yield from dagster_events(raw_event, None)
    except (Exception, DagsterExecutionInterruptedError, KeyboardInterrupt) as error:
        # A stopped run (dagster-dbt has sent dbt SIGINT, and dbt cancels its open queries), a
        # failed dbt, or a dbt that ignored the stop past dagster-dbt's wait: leave no orphan dbt
        # behind, and so no lock on a warehouse file and no query of ours running on.
        _stop_dbt(invocation)
        failure = error
    # Relations whose note never came (dbt was stopped in between) are still reported, without.
    for raw_event in awaiting_note.values():
        yield from dagster_events(raw_event, None)
    if failure is not None:
        raise failure


def _materialization_metadata(
    invocation: DbtCliInvocation,
    raw_event: dict[str, Any],
    built: BuiltRelation | None,
    artifacts: MetadataValue,
) -> dict[str, Any]:
    """What a model's materialization carries besides dagster-dbt's own metadata."""
    metadata: dict[str, Any] = {"dbt/artifacts": artifacts}
    if built is not None and built.rows is not None:
        metadata[ROW_COUNT_KEY] = MetadataValue.int(built.rows)
    unique_id = raw_event.get("data", {}).get("node_info", {}).get("unique_id", "")
    if built is not None and built.columns:
        metadata.update(column_schema(built.columns, invocation.manifest, unique_id))
    metadata.update(compiled_sql(invocation.target_path, invocation.manifest, unique_id))
    metadata.update(dbt_result(raw_event))
    return metadata


def _note_follows(raw_event: dict[str, Any]) -> bool:
    node = raw_event.get("data", {}).get("node_info", {})
    return is_noted(
        raw_event["info"]["name"],
        node.get("node_status", ""),
        node.get("materialized", ""),
        node.get("node_relation", {}).get("relation_name", ""),
    )


def _stop_dbt(invocation: DbtCliInvocation, grace_seconds: float = 10) -> None:
    process = invocation.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _test_message(raw_event: DbtCliEventMessage, manifest: Mapping[str, Any]) -> dict[str, str]:
    """What dbt says of a test that failed or warned ("Got 3 results, configured to fail if != 0"),
    for the check's page, where dagster-dbt records only a status. dbt logs that sentence only
    in its end-of-run summary, after the check's result: it is said again here from the result's
    failure count and the test's `error_if` / `warn_if`. A test whose query errored is said
    with dbt's error in the step's failure (lib/dbt/failures.py)."""
    data = raw_event.raw_event.get("data", {})
    status = str(data.get("status", "")).lower()
    failures = data.get("num_failures")
    if status == "error":
        return {"dbt/message": "The test's query failed: the step's failure has dbt's error."}
    if status not in ("fail", "warn") or failures is None:
        return {}
    unique_id = data.get("node_info", {}).get("unique_id", "")
    config = manifest.get("nodes", {}).get(unique_id, {}).get("config", {})
    condition = config.get("error_if" if status == "fail" else "warn_if") or "!= 0"
    results = "result" if failures == 1 else "results"
    return {"dbt/message": f"Got {failures} {results}, configured to {status} if {condition}"}
