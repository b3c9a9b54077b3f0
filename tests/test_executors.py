"""The single-writer guard does not depend on our dagster.yaml: with a user's bare DAGSTER_HOME
(no dagster.yaml: Dagster's defaults, no pool limits), a run of several dbt steps that could run
side by side never has two processes on the DuckDB file at once, and the run leaves the writer
pool limited to one slot on that instance, so that two runs do not either (Dagster's pools,
proven across runs by tests/isolation/test_concurrency.py)."""

import os
from itertools import pairwise
from pathlib import Path
from unittest import mock

import pytest
from dagster import DagsterEventType, DagsterInstance

from benchmarks.generate_project import generate
from orchestration.pools import WAREHOUSE_WRITER_POOL
from tests.harness.sandbox import make_sandbox

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


def test_a_run_on_a_bare_instance_never_overlaps_dbt_steps_and_limits_the_writer_pool(tmp_path):
    project = tmp_path / "project"
    meta = generate(12, project, folders=3)
    sandbox = make_sandbox(tmp_path, project)
    (sandbox.dagster_home / "dagster.yaml").unlink()  # the user's own, empty instance
    sandbox.env["DBT_STEPS"] = "slices"  # several dbt steps per run
    sandbox.env["DBT_PROFILES_DIR"] = str(project)
    sandbox.prepare_manifest()

    run = sandbox.python(
        "-m", "orchestration.cli.run", check=False, timeout=1800, merge_output=True
    )
    output = run.stdout
    assert run.returncode == 0, output[-4000:]
    assert "Could not set lock" not in output
    assert f"{meta.assets}/{meta.assets} assets materialized" in output
    assert f"Concurrency pool {WAREHOUSE_WRITER_POOL} had no limit" in output

    with _instance(sandbox.dagster_home) as instance:
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL)
        assert info.slot_count == 1
        spans = []
        for record in instance.get_run_records():
            starts, ends = {}, {}
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                if event is None or not (event.step_key or "").startswith("dbt_"):
                    continue
                if event.event_type == DagsterEventType.STEP_START:
                    starts[event.step_key] = entry.timestamp
                elif event.event_type in (
                    DagsterEventType.STEP_SUCCESS,
                    DagsterEventType.STEP_FAILURE,
                ):
                    ends[event.step_key] = entry.timestamp
            spans += [(starts[key], ends[key]) for key in starts]
    assert len(spans) > 2, spans
    spans.sort()
    for (_, first_end), (second_start, _) in pairwise(spans):
        assert first_end <= second_start, "two dbt steps held the warehouse at once"


def _instance(dagster_home: Path) -> DagsterInstance:
    """The bare instance, as Dagster builds it from DAGSTER_HOME alone."""
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(dagster_home)}):
        return DagsterInstance.get()
