"""Two dbt processes creating the same schema at once on Postgres (parallel slices of a fresh
warehouse): the one that loses the race still builds (row_counting_dbt.py tolerates it).

The race is made deterministic, not waited for: another session creates the schema and keeps
its transaction open, so dbt's `create schema if not exists` waits on it; that session then
commits, exactly as a parallel dbt would, and dbt's statement meets the schema it lost to."""

import os
import subprocess
import sys
import time

import pytest

from orchestration.lib.dbt import row_counting_dbt
from tests.harness.pg_warehouse import Warehouse, postgres_target_env
from tests.harness.waiting import HANG_TIMEOUT, wait_until
from tests.warehouse.drill_project import write_drill_project

pytestmark = pytest.mark.dbt  # dbt builds, in its own process


def test_a_schema_created_by_a_parallel_dbt_at_the_same_moment_is_not_an_error(
    tmp_path, warehouse: Warehouse
):

    database = warehouse.new_database()
    project = write_drill_project(tmp_path / "pg_drills", slices=("drill",))
    env = {
        **os.environ,
        **postgres_target_env(warehouse.info, database),
        "DUCKDB_PATH": str(tmp_path / "unused.duckdb"),
        "DBT_PROFILES_DIR": str(project),
    }
    rival = warehouse.connect(database)
    rival.autocommit = False
    with rival.cursor() as cursor:
        cursor.execute("create schema drills")  # not committed yet: dbt will wait on it
    argv = [sys.executable, row_counting_dbt.__file__, "build", "--target", "postgres"]
    dbt = subprocess.Popen(
        argv, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def dbt_waits_on_the_rival():
        assert dbt.poll() is None, dbt.communicate()[0][-3000:]
        waiting = warehouse.query(
            database,
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
            " and query ilike '%create schema%drills%'",
        )
        return waiting == [(1,)]

    wait_until(dbt_waits_on_the_rival, HANG_TIMEOUT, "dbt to wait for the rival's schema")
    rival.commit()
    rival.close()
    started = time.monotonic()
    output, _ = dbt.communicate(timeout=HANG_TIMEOUT)
    print(f"dbt finished {time.monotonic() - started:.1f}s after the rival committed")

    assert dbt.returncode == 0, output[-3000:]
    assert warehouse.query(database, "select count(*) from drills.after_fragile") == [(1,)]
