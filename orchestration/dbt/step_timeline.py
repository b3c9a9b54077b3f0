"""A dbt step's timeline (lib/dbt/timeline.py) as an asset observation in the run's events."""

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
)
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY

from orchestration.lib.dbt.slice_graph import attached_node
from orchestration.lib.dbt.timeline import Timeline, build_timeline, lane_name
from orchestration.lib.dbt.timeline_markdown import timeline_markdown

SLOWEST_SCHEMA = TableSchema(
    columns=[
        TableColumn("node", "string"),
        TableColumn("type", "string"),
        TableColumn("seconds", "float"),
        TableColumn("thread", "string"),
        TableColumn("status", "string"),
    ]
)


def step_timeline(
    context: AssetExecutionContext, target_path: Path, manifest: Mapping[str, Any]
) -> Iterator[AssetObservation]:
    """One observation, on the asset of the step's node that finished last, holding the
    timeline of the step's dbt invocation, whose artifacts are in `target_path`.

    An observation rather than output metadata: a step yields one output per asset, so the
    timeline of the whole step belongs to none of them, and the UI lists observations with the
    run's events and the asset's.
    """
    op_name = context.op_execution_context.op.name
    try:
        run_results = json.loads((target_path / "run_results.json").read_text())
        timeline = build_timeline(run_results, manifest)
        markdown = timeline_markdown(timeline)
    except Exception as error:
        # The timeline explains a run; it is not part of it. A dbt stopped before it wrote
        # run_results.json, or a dbt whose artifact format moved on, must not fail a step whose
        # models were built, nor hide the error that stopped dbt.
        context.log.warning(
            f"No dbt timeline for step {op_name}: {type(error).__name__}: {error} "
            f"(reading {target_path / 'run_results.json'})."
        )
        return
    key = _asset_of_last_node(timeline, manifest, _step_asset_keys(context))
    if key is None:
        return
    yield AssetObservation(
        asset_key=key,
        description=f"dbt timeline of step {op_name}",
        metadata={
            "dbt/timeline": MetadataValue.md(markdown),
            "dbt/slowest": MetadataValue.table(
                records=[
                    TableRecord(
                        {
                            "node": n.name,
                            "type": n.resource_type,
                            "seconds": round(n.duration, 3),
                            "thread": lane_name(n.thread_id),
                            "status": n.status,
                        }
                    )
                    for n in timeline.slowest()
                ],
                schema=SLOWEST_SCHEMA,
            ),
            "dbt/threads_busy": MetadataValue.float(round(timeline.utilisation, 4)),
        },
    )


def _step_asset_keys(context: AssetExecutionContext) -> dict[str, AssetKey]:
    """unique_id -> asset key of every asset this step was asked to build."""
    selected = context.selected_asset_keys
    return {
        spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY]: spec.key
        for spec in context.assets_def.specs
        if spec.key in selected and DAGSTER_DBT_UNIQUE_ID_METADATA_KEY in spec.metadata
    }


def _asset_of_last_node(
    timeline: Timeline, manifest: Mapping[str, Any], keys: Mapping[str, AssetKey]
) -> AssetKey | None:
    """The asset of the latest-ending node that has one here; a test counts for the node it
    checks, as dagster-dbt attaches it (a singular test to its only parent)."""
    nodes = manifest.get("nodes", {})
    for node in sorted(timeline.nodes, key=lambda n: n.end, reverse=True):
        unique_id = node.unique_id
        if unique_id not in keys and unique_id in nodes:
            unique_id = attached_node(nodes[unique_id]) or ""
        if unique_id in keys:
            return keys[unique_id]
    return None
