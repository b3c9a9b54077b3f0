"""A multi-writer warehouse (Postgres): disjoint slices of overlapping runs build side by side,
while one slice, hence one model, is never built by two runs at once (a pool per slice)."""

import pytest
from dagster import DagsterRunStatus

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("pg_stack")


def _window(stack, run_id: str, asset: str) -> tuple[float, float]:
    (window,) = [
        (start, end)
        for start, end, assets in stack.step_windows(run_id).values()
        if asset in assets
    ]
    return window


def test_disjoint_slices_run_side_by_side_and_a_shared_slice_one_run_at_a_time(pg_stack):
    # left_meets_right and right_meets_left each wait inside Postgres until the other is running:
    # both runs succeed quickly only if their slices really run at once.
    first = pg_stack.server.ui.launch_assets([["left_meets_right"], ["shared_slow"]])
    second = pg_stack.server.ui.launch_assets([["right_meets_left"], ["shared_slow"]])
    runs = pg_stack.wait_finished([first, second])

    assert {run.status for run in runs.values()} == {DagsterRunStatus.SUCCESS}
    left_start, left_end = _window(pg_stack, first, "left_meets_right")
    right_start, right_end = _window(pg_stack, second, "right_meets_left")
    assert left_start < right_end and right_start < left_end, "disjoint slices did not overlap"

    shared = sorted(
        [_window(pg_stack, first, "shared_slow"), _window(pg_stack, second, "shared_slow")]
    )
    assert shared[0][1] <= shared[1][0], f"shared_slow was built by both runs at once: {shared}"
    # Each run's build of the shared model reached the warehouse, with its row count recorded.
    rows = pg_stack.warehouse.query(pg_stack.database, "select count(*) from drills.shared_slow")
    assert rows == [(10,)]
    assert pg_stack.row_count(second, "shared_slow") == 10
