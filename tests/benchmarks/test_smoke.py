"""The benchmark's own code path works: a generated 50-model project materializes through the
product with every model and check reported, both as slices and as one step (DBT_STEPS), and on
Postgres as on DuckDB. Correctness only; timings are never asserted."""

from pathlib import Path

import pytest

from benchmarks.run import run_smoke
from benchmarks.warehouses import PostgresWarehouse

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


@pytest.mark.parametrize("dbt_steps", ["slices", "one"])
def test_generated_project_materializes_every_model_and_check(tmp_path, monkeypatch, dbt_steps):
    monkeypatch.setenv("DBT_STEPS", dbt_steps)  # the benchmark passes it to the product
    result = run_smoke(models=50, workdir=tmp_path)
    run = result["run"]
    assert run["problems"] == []
    assert result["project"]["models"] == 50
    steps = [step["step_key"] for step in run["run"]["steps"]]
    assert steps == ["dbt_all"] if dbt_steps == "one" else len(steps) > 1, steps


def test_generated_project_materializes_on_postgres(tmp_path, monkeypatch, warehouse):
    """The Postgres row's path: the generated SQL builds there, and the product, in its default
    layout (one dbt step), verifies every model, check and row count."""
    monkeypatch.delenv("DBT_STEPS", raising=False)
    result = run_smoke(models=50, workdir=tmp_path, warehouse="postgres", server=warehouse.info)
    run = result["run"]
    assert run["problems"] == []
    assert [step["step_key"] for step in run["run"]["steps"]] == ["dbt_all"], run["run"]["steps"]
    # The models are in the Postgres database, not in a DuckDB file somewhere.
    database = PostgresWarehouse.database(Path(result["work"]))
    relations = warehouse.query(
        database, "select count(*) from information_schema.tables where table_schema = 'bench'"
    )
    assert relations == [(result["project"]["models"] + result["project"]["seeds"],)]
    assert not list(tmp_path.rglob("*.duckdb"))
