"""Retry only what failed: re-execution from asset failure rebuilds the failed model and its
downstream, and not the upstream siblings that had succeeded."""

import pytest
from dagster import DagsterRunStatus

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("ops_stack")

SELECTION = [["base"], ["sibling"], ["fragile"], ["after_fragile"]]


def test_reexecute_from_failure_rebuilds_only_the_failed_model_and_its_downstream(ops_stack):
    fragile = ops_stack.project / "models" / "fragile.sql"
    good_sql = fragile.read_text()
    fragile.write_text("select id from {{ ref('base') }} where no_such_column > 0\n")
    try:
        failed_id = ops_stack.server.ui.launch_assets(SELECTION)
        failed = ops_stack.wait_finished(failed_id)
    finally:
        fragile.write_text(good_sql)  # the analytics engineer's fix

    assert failed.status == DagsterRunStatus.FAILURE
    assert ops_stack.materialized(failed_id) == {"base", "sibling"}

    retry_id = ops_stack.server.ui.reexecute_from_failure(failed_id)
    retry = ops_stack.wait_finished(retry_id)

    assert retry.status == DagsterRunStatus.SUCCESS
    assert ops_stack.materialized(retry_id) == {"fragile", "after_fragile"}
    assert retry.asset_selection is not None
    assert {key.to_user_string() for key in retry.asset_selection} == {"fragile", "after_fragile"}
