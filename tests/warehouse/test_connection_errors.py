"""A warehouse that cannot be reached fails the run with a message that names the dbt target
and the variable to fix, and never shows the password."""

from pathlib import Path

import pytest

from tests.harness.pg_warehouse import postgres_sandbox
from tests.harness.ports import free_port
from tests.warehouse.drill_project import write_drill_project

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


def _run_with(tmp_path: Path, warehouse, **overrides: str):
    project = write_drill_project(tmp_path / "pg_drills", slices=("drill",))
    sandbox, _ = postgres_sandbox(tmp_path, warehouse, project)
    sandbox.env.update(overrides)
    sandbox.prepare_manifest()
    result = sandbox.python("-m", "orchestration.cli.run", check=False)
    return result.returncode, result.stdout + result.stderr


def test_a_wrong_password_names_the_target_and_the_password_variable(tmp_path, warehouse):
    wrong = "wrong-" + warehouse.info.password[::-1]
    returncode, output = _run_with(tmp_path, warehouse, DBT_POSTGRES_PASSWORD=wrong)

    assert returncode != 0
    assert "dbt target 'postgres'" in output
    assert "DBT_POSTGRES_PASSWORD" in output
    assert warehouse.info.password not in output and wrong not in output


def test_an_unreachable_host_names_the_target_and_the_host_variables(tmp_path, warehouse):
    returncode, output = _run_with(tmp_path, warehouse, DBT_POSTGRES_PORT=str(free_port()))

    assert returncode != 0
    assert "dbt target 'postgres'" in output
    assert "DBT_POSTGRES_HOST" in output and "DBT_POSTGRES_PORT" in output
    assert warehouse.info.password not in output
