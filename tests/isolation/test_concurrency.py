"""Trap 4, race conditions: overlapping runs never build one model at once, DuckDB never locks."""

import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus

from orchestration.lib.dbt.slices import slice_manifest

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("dev_stack")

STEP_END = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


def _slice_keys(manifest: dict) -> dict[str, list[list[str]]]:
    nodes = manifest["nodes"]
    return {
        s.name: [[nodes[uid]["name"]] for uid in sorted(s.unique_ids)]
        for s in slice_manifest(manifest)
    }


def _step_windows(instance, run_id: str) -> dict[str, tuple[float, float, set[str]]]:
    """step key -> (start, end, assets it materialized), from the run's event log."""
    starts, ends, assets = {}, {}, defaultdict(set)
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in STEP_END:
            ends[event.step_key] = entry.timestamp
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            assets[event.step_key].add(event.asset_key.to_user_string())
    return {step: (starts[step], ends[step], assets[step]) for step in starts}


def test_four_overlapping_runs_all_succeed_without_overlap_or_lock_errors(dev_stack):
    slices = _slice_keys(dev_stack.manifest)
    selections = [
        slices["finance"],
        slices["finance"] + slices["customer"],
        slices["customer"] + slices["product"],
        slices["product"] + slices["finance"],
    ]
    started = time.monotonic()
    run_ids = [dev_stack.server.ui.launch_assets(keys) for keys in selections]
    runs = dev_stack.wait_for_runs(run_ids)
    wall_seconds = time.monotonic() - started
    print(f"four overlapping runs took {wall_seconds:.1f}s wall")

    assert {run.status for run in runs.values()} == {DagsterRunStatus.SUCCESS}
    with dev_stack.sandbox.instance() as instance:
        windows: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        artifact_dirs: dict[str, set[str]] = defaultdict(set)
        for run_id in run_ids:
            for entry in instance.all_logs(run_id):
                text = entry.user_message + str(
                    entry.dagster_event.event_specific_data if entry.dagster_event else ""
                )
                assert "Could not set lock" not in text, f"DuckDB lock error in run {run_id}"
                event = entry.dagster_event
                if event and event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                    metadata = event.step_materialization_data.materialization.metadata
                    artifact_dirs[run_id].add(str(metadata["dbt/artifacts"].value))
            for start, end, assets in _step_windows(instance, run_id).values():
                for asset in assets:
                    windows[asset].append((start, end, run_id))

    # Every model built by two runs was built one run after the other, never at once.
    for asset, spans in windows.items():
        spans.sort()
        for (_, first_end, first_run), (second_start, _, second_run) in pairwise(spans):
            assert first_end <= second_start, f"{asset}: built by {first_run} and {second_run}"
    assert any(len(spans) > 1 for spans in windows.values()), "the selections did overlap"

    # Each run wrote its dbt artifacts to folders of its own, which still hold run_results.json.
    all_dirs = [d for dirs in artifact_dirs.values() for d in dirs]
    assert len(all_dirs) == len(set(all_dirs))
    for run_id, dirs in artifact_dirs.items():
        for directory in dirs:
            assert run_id in directory
            assert (Path(directory) / "run_results.json").is_file()
