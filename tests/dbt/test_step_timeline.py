"""A dbt step's timeline observation: from a real in-process run of the tiny project, and from a
step whose run_results.json is missing or names a test last (no dbt there: the file is the
input)."""

import json

import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    MarkdownMetadataValue,
    materialize,
    multi_asset,
)
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY

from orchestration.dbt.definitions import MATERIALIZE_ALL_JOB
from orchestration.dbt.step_timeline import step_timeline
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project, make_sandbox, manifest_of


def _markdown(observation: AssetObservation) -> str:
    value = observation.metadata["dbt/timeline"]
    assert isinstance(value, MarkdownMetadataValue)
    return value.md_str or ""


def _observations(result):
    events = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_OBSERVATION]
    return [(e.step_key, e.asset_observation_data.asset_observation) for e in events]


@pytest.mark.dbt  # dbt builds, in its own process
def test_every_dbt_step_observes_a_timeline_naming_each_node_it_ran(tmp_path, load_definitions):
    sandbox = make_sandbox(tmp_path, copy_dbt_project(TINY_PROJECT, tmp_path / "tiny"))
    sandbox.prepare_manifest()
    defs = load_definitions(sandbox)
    with sandbox.instance() as instance:
        result = defs.resolve_job_def(MATERIALIZE_ALL_JOB).execute_in_process(instance=instance)
    assert result.success

    step_assets: dict[str | None, set[AssetKey | None]] = {}
    for e in result.all_events:
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            step_assets.setdefault(e.step_key, set()).add(e.asset_key)
    observed = _observations(result)
    assert sorted(step or "" for step, _ in observed) == sorted(s or "" for s in step_assets)

    manifest = manifest_of(tmp_path / "tiny")
    ran = [n for n in manifest["nodes"].values() if n["package_name"] == "tiny_shop"]
    assert {n["resource_type"] for n in ran} >= {"model", "seed", "test"}
    for step, observation in observed:
        assert observation.description == f"dbt timeline of step {step}"
        assert observation.asset_key in step_assets[step]
        markdown = _markdown(observation)
        node_lines = markdown.split("```text")[2].split("```")[0].splitlines()
        assert sorted(line.split()[-1] for line in node_lines[2:]) == sorted(n["name"] for n in ran)
        assert "### Slowest models" in markdown and "### Critical path" in markdown
        assert 0 < observation.metadata["dbt/threads_busy"].value <= 1
        slowest = observation.metadata["dbt/slowest"].value.records
        assert {r.data["node"] for r in slowest} <= {n["name"] for n in ran}


MODEL_ID, TEST_ID = "model.shop.orders", "test.shop.not_null_orders_id.abc"
MANIFEST = {
    "nodes": {
        MODEL_ID: {"name": "orders", "resource_type": "model", "depends_on": {"nodes": []}},
        TEST_ID: {
            "name": "not_null_orders_id",
            "resource_type": "test",
            "attached_node": MODEL_ID,
            "depends_on": {"nodes": [MODEL_ID]},
        },
    }
}


def _step_reading(target_path):
    @multi_asset(
        specs=[
            AssetSpec("orders", metadata={DAGSTER_DBT_UNIQUE_ID_METADATA_KEY: MODEL_ID}),
            AssetSpec("other", metadata={DAGSTER_DBT_UNIQUE_ID_METADATA_KEY: "model.shop.other"}),
        ],
        name="dbt_all",
    )
    def _step(context: AssetExecutionContext):
        yield from step_timeline(context, target_path, MANIFEST)

    return _step


def _timing(start: str, end: str) -> list[dict[str, str]]:
    return [{"name": "execute", "started_at": start, "completed_at": end}]


def test_the_timeline_goes_on_the_model_of_a_test_that_finished_last(tmp_path):
    results = [
        {"unique_id": MODEL_ID, "status": "success", "thread_id": "Thread-1 (worker)",
         "timing": _timing("2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z")},
        {"unique_id": TEST_ID, "status": "pass", "thread_id": "Thread-1 (worker)",
         "timing": _timing("2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z")},
    ]  # fmt: skip
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    result = materialize([_step_reading(tmp_path)], selection=["orders", "other"])
    [(step, observation)] = _observations(result)
    assert step == "dbt_all" and observation.asset_key == AssetKey("orders")
    assert "not_null_orders_id" in _markdown(observation)


def test_a_missing_or_broken_run_results_warns_and_the_step_still_succeeds(tmp_path):
    """Both cases leave the step's own outputs alone: the timeline only explains the run."""
    for content in (None, "{not json", json.dumps({"results": "all good"})):
        path = tmp_path / "run_results.json"
        if content is not None:
            path.write_text(content)
        with DagsterInstance.ephemeral() as instance:
            result = materialize([_step_reading(tmp_path)], instance=instance)
            assert result.success and _observations(result) == []
            warnings = [
                entry.user_message
                for entry in instance.all_logs(result.run_id)
                if "No dbt timeline for step dbt_all" in entry.user_message
            ]
        assert len(warnings) == 1 and "run_results.json" in warnings[0], content
