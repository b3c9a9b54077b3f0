"""The benchmark's own code path works: a generated 50-model project materializes through the
product with every model and check reported. Correctness only; timings are never asserted."""

from benchmarks.run import run_smoke


def test_generated_project_materializes_every_model_and_check(tmp_path):
    result = run_smoke(models=50, workdir=tmp_path)
    run = result["run"]
    assert run["problems"] == []
    assert result["project"]["models"] == 50
