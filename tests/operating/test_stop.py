"""Stop cleanly: terminating a run interrupts dbt's running query, ends the run CANCELED, and
leaves no dbt process and no lock on the DuckDB file."""

import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterRunStatus

from tests.harness.dagster_dev import wait_for
from tests.operating.conftest import dbt_processes

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("ops_stack")

TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) { __typename ... on PythonError { message } }
}
"""


def test_terminate_stops_dbt_mid_query_and_run_ends_canceled(ops_stack):
    # base finishes in a moment while slow keeps DuckDB busy: a stop mid-build.
    run_id = ops_stack.server.launch_assets([["base"], ["slow"]])

    runs_dir = Path(ops_stack.sandbox.env["DATA_DIR"]) / "dbt_runs" / run_id

    def dbt_is_in_the_slow_query():
        # dbt's own log of this invocation: base done, slow started and not finished.
        text = "".join(log.read_text(errors="replace") for log in runs_dir.glob("*/dbt.log"))
        return "created sql table model main.base" in text and "model main.slow" in text

    wait_for(dbt_is_in_the_slow_query, timeout=180, interval=0.2, what="dbt to reach slow")
    assert dbt_processes(ops_stack.project)
    time.sleep(1)  # DuckDB is now well into the cross join: the stop interrupts real work
    requested = time.monotonic()
    result = ops_stack.server.graphql(TERMINATE, {"runId": run_id})
    assert result["data"]["terminateRun"]["__typename"] == "TerminateRunSuccess", result

    run = ops_stack.wait_finished(run_id, timeout=120)
    stop_seconds = time.monotonic() - requested
    print(f"stop took {stop_seconds:.1f}s from request to {run.status.value}")

    assert run.status == DagsterRunStatus.CANCELED
    # What dbt finished before the stop is recorded; what it did not finish is not.
    assert ops_stack.materialized(run_id) == {"base"}
    wait_for(
        lambda: not dbt_processes(ops_stack.project), timeout=30, interval=0.5, what="dbt to exit"
    )
    with duckdb.connect(str(ops_stack.sandbox.duckdb_path)) as con:  # read-write: no lock left
        con.execute("create or replace table lock_probe as select 1 as ok")
        assert con.execute("select ok from lock_probe").fetchone() == (1,)
