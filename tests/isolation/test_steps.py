"""Run and step isolation: a full run is several steps, each in its own process."""

import pytest
from dagster import DagsterEventType

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("dev_stack")


def test_full_run_is_several_steps_each_in_its_own_process(dev_stack):
    with dev_stack.sandbox.instance() as instance:
        starts = [
            entry
            for entry in instance.all_logs(dev_stack.full_run_id)
            if entry.dagster_event and entry.dagster_event.event_type == DagsterEventType.STEP_START
        ]
        step_pids = {entry.step_key: entry.dagster_event.pid for entry in starts}
        run_worker_pids = {
            entry.dagster_event.pid
            for entry in instance.all_logs(dev_stack.full_run_id)
            if entry.dagster_event and entry.dagster_event.event_type == DagsterEventType.RUN_START
        }
    print(f"full run: {len(step_pids)} steps, {dev_stack.full_run_seconds:.1f}s")
    assert len(step_pids) > 1
    assert len(set(step_pids.values())) == len(step_pids), step_pids
    assert not set(step_pids.values()) & run_worker_pids, "steps run outside the run worker"
