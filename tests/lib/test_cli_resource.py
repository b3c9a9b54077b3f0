import subprocess
import sys
from pathlib import Path

import dagster_dbt.core.resource

from orchestration.lib.dbt.cli_resource import ProjectDbtCliResource
from tests.conftest import TINY_PROJECT

SIBLING_DBT = str(Path(sys.executable).with_name("dbt"))


def test_version_of_the_sibling_dbt_is_read_without_running_it(monkeypatch):
    """dagster-dbt's `check_output` is replaced by one that fails, to prove no `dbt --version`
    subprocess runs; the version is then compared with what the real `dbt --version` says."""
    reported = subprocess.run([SIBLING_DBT, "--version"], capture_output=True, text=True).stdout

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    resource = ProjectDbtCliResource(project_dir=str(TINY_PROJECT), dbt_executable=SIBLING_DBT)
    assert f"installed: {resource._cli_version}" in reported


def test_adapter_after_launch_starts_dbt_without_one_and_builds_it_on_request():
    """On a single-writer warehouse dbt starts before any adapter is built; the adapter built
    afterwards is dagster-dbt's own (DuckDB, read-only as dagster-dbt sets it)."""
    resource = ProjectDbtCliResource(
        project_dir=str(TINY_PROJECT), dbt_executable=SIBLING_DBT, adapter_after_launch=True
    )
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    adapter = resource.build_adapter(["build"])
    assert adapter is not None and adapter.type() == "duckdb"
    assert adapter.config.credentials.config_options["access_mode"] == "READ_ONLY"
