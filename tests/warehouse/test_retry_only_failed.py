"""Retry only what failed, on Postgres: re-execution from asset failure rebuilds the failed model
and its downstream, not the upstream siblings that had succeeded."""

import pytest
from dagster import DagsterRunStatus

from tests.operating.test_retry_only_failed import SELECTION

pytestmark = pytest.mark.xdist_group("pg_stack")


def test_reexecute_from_failure_rebuilds_only_the_failed_model_and_its_downstream(pg_stack):
    fragile = pg_stack.project / "models" / "drill" / "fragile.sql"
    good_sql = fragile.read_text()
    fragile.write_text("select id from {{ ref('base') }} where no_such_column > 0\n")
    try:
        failed_id = pg_stack.server.ui.launch_assets(SELECTION)
        failed = pg_stack.wait_finished([failed_id])[failed_id]
    finally:
        fragile.write_text(good_sql)  # the analytics engineer's fix

    assert failed.status == DagsterRunStatus.FAILURE
    assert pg_stack.materialized(failed_id) == {"base", "sibling"}

    retry_id = pg_stack.server.ui.reexecute_from_failure(failed_id)
    retry = pg_stack.wait_finished([retry_id])[retry_id]

    assert retry.status == DagsterRunStatus.SUCCESS
    assert pg_stack.materialized(retry_id) == {"fragile", "after_fragile"}
    rows = pg_stack.warehouse.query(pg_stack.database, "select n from drills.after_fragile")
    assert rows == [(10,)]
