"""Stop cleanly: terminating a run interrupts dbt's running query, ends the run CANCELED, and
leaves no dbt process and no lock on the DuckDB file."""

import time

import duckdb
import pytest
from dagster import DagsterRunStatus

from tests.harness.waiting import HANG_TIMEOUT, wait_until
from tests.operating.drills import dbt_log, dbt_processes

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("ops_stack")


def test_terminate_stops_dbt_mid_query_and_run_ends_canceled(ops_stack):
    # base finishes in a moment while slow keeps DuckDB busy: a stop mid-build.
    run_id = ops_stack.server.ui.launch_assets([["base"], ["slow"]])

    def dbt_sent_the_slow_query():
        # dbt's own log of this invocation: base done, slow's cross join sent to DuckDB.
        ops_stack.server.assert_alive()
        text = dbt_log(ops_stack.runs_dir(run_id))
        return "created sql table model main.base" in text and "cross join range(" in text

    wait_until(dbt_sent_the_slow_query, HANG_TIMEOUT, "dbt to send slow's query", poll=0.2)
    assert dbt_processes(ops_stack.project)
    requested = time.monotonic()
    ops_stack.server.ui.terminate(run_id)

    run = ops_stack.wait_finished(run_id)
    stop_seconds = time.monotonic() - requested
    print(f"stop took {stop_seconds:.1f}s from request to {run.status.value}")

    assert run.status == DagsterRunStatus.CANCELED
    # What dbt finished before the stop is recorded; what it did not finish is not.
    assert ops_stack.materialized(run_id) == {"base"}
    wait_until(lambda: not dbt_processes(ops_stack.project), HANG_TIMEOUT, "dbt to exit")
    with duckdb.connect(str(ops_stack.sandbox.duckdb_path)) as con:  # read-write: no lock left
        con.execute("create or replace table lock_probe as select 1 as ok")
        assert con.execute("select ok from lock_probe").fetchone() == (1,)
