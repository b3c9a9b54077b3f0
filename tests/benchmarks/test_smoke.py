"""The benchmark's own code path works: a generated 50-model project materializes through the
product with every model and check reported, both as slices and as one step (DBT_STEPS).
Correctness only; timings are never asserted."""

import pytest

from benchmarks.run import run_smoke


@pytest.mark.parametrize("dbt_steps", ["slices", "one"])
def test_generated_project_materializes_every_model_and_check(tmp_path, monkeypatch, dbt_steps):
    monkeypatch.setenv("DBT_STEPS", dbt_steps)  # the benchmark passes it to the product
    result = run_smoke(models=50, workdir=tmp_path)
    run = result["run"]
    assert run["problems"] == []
    assert result["project"]["models"] == 50
    steps = [step["step_key"] for step in run["run"]["steps"]]
    assert steps == ["dbt_all"] if dbt_steps == "one" else len(steps) > 1, steps
