"""Stop on Postgres: terminating a run cancels dbt's running query in the warehouse, the run ends
CANCELED, no connection of ours is left, and the table keeps what it held before."""

import time

import pytest
from dagster import DagsterRunStatus

from tests.harness.waiting import HANG_TIMEOUT, wait_until

pytestmark = pytest.mark.xdist_group("pg_stack")


def _our_backends(stack) -> list[tuple]:
    return stack.warehouse.query(
        stack.database,
        "select pid, application_name, state, query from pg_stat_activity"
        " where datname = current_database() and pid <> pg_backend_pid()",
    )


def test_terminate_cancels_the_running_query_and_keeps_the_old_table(pg_stack):
    db = pg_stack.database
    pg_stack.warehouse.query(db, "update public.drill_control set version = 1, delay_seconds = 0")
    built = pg_stack.server.ui.launch_assets([["stoppable"]])
    assert pg_stack.wait_finished([built])[built].status == DagsterRunStatus.SUCCESS

    # The next build would replace version 1 with version 2, but sleeps in Postgres first.
    pg_stack.warehouse.query(db, "update public.drill_control set version = 2, delay_seconds = 600")
    run_id = pg_stack.server.ui.launch_assets([["stoppable"]])

    def sleeping_in_postgres():
        return any(
            "pg_sleep" in (query or "") and state == "active"
            for _, _, state, query in _our_backends(pg_stack)
        )

    wait_until(sleeping_in_postgres, HANG_TIMEOUT, "dbt's query to run", poll=0.5)
    requested = time.monotonic()
    pg_stack.server.ui.terminate(run_id)

    run = pg_stack.wait_finished([run_id])[run_id]
    print(f"stop took {time.monotonic() - requested:.1f}s from request to {run.status.value}")
    assert run.status == DagsterRunStatus.CANCELED
    # The run has ended: its processes are gone, so a backend left now would be an orphan.
    try:
        wait_until(lambda: not _our_backends(pg_stack), 60, "no backend of ours left", poll=0.5)
    except TimeoutError:
        left = _our_backends(pg_stack)
        raise AssertionError(f"backends left after the run ended: {left}") from None
    assert pg_stack.warehouse.query(db, "select distinct version from drills.stoppable") == [(1,)]
    leftovers = pg_stack.warehouse.query(
        db, "select relname from pg_class where relname like 'stoppable\\_\\_dbt%'"
    )
    assert leftovers == []
