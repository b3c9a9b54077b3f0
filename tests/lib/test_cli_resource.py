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
