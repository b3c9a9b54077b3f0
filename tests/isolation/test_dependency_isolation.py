"""Trap 1, dependency hell: the Dagster system environment holds no dbt, yet runs dbt assets."""

import subprocess

import duckdb
import pytest

from tests.harness.sandbox import REPO_ROOT

# All tests on one `make dev` stack run in the same xdist worker, so the stack starts once.
pytestmark = pytest.mark.xdist_group("dev_stack")

SYSTEM_PYTHON = REPO_ROOT / ".venv-system" / "bin" / "python"


def test_system_environment_cannot_import_dbt_but_the_workspace_materializes(dev_stack):
    for module in ("dbt", "dagster_dbt", "dbt.adapters.duckdb"):
        probe = subprocess.run(
            [str(SYSTEM_PYTHON), "-c", f"import {module}"], capture_output=True, text=True
        )
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, module
    webserver = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import dagster, dagster_webserver; print(dagster.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert webserver.stdout.strip() == "1.13.27"

    # The run below was launched through the system env's webserver and executed by the code
    # location's interpreter (workspace.yaml executable_path): the marts hold rows.
    with duckdb.connect(str(dev_stack.sandbox.duckdb_path), read_only=True) as con:
        marts = [
            node["name"]
            for node in dev_stack.manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        ]
        for mart in marts:
            row = con.execute(f"select count(*) from {mart}").fetchone()
            assert row is not None and row[0] > 0, mart
