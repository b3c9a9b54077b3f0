"""Any dbt project works: nothing in orchestration/ knows our model names."""

import re

import duckdb
import pytest

from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


def test_make_run_materializes_a_different_dbt_project(tmp_path):
    sandbox = make_sandbox(tmp_path, copy_dbt_project(TINY_PROJECT, tmp_path / "tiny"))
    sandbox.prepare_manifest()
    result = sandbox.python("-m", "orchestration.cli.run")

    # The summary a user reads names the model and its outcome (however wide the columns).
    assert re.search(r"^customer_totals\s+materialized\s", result.stdout, re.MULTILINE)
    assert "2/2 assets materialized" in result.stdout
    with duckdb.connect(str(sandbox.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select customer, order_count, total_amount from customer_totals order by customer"
        ).fetchall()
    assert rows == [("ada", 2, 25), ("grace", 1, 7)]
