"""The dbt CLI resource, minus one subprocess per step.

dagster-dbt runs `dbt --version` in every process that calls `DbtCliResource.cli()` (about 2 s
here, paid by every step, every ECS task). When the dbt executable is the one installed beside
this interpreter, the installed dbt-core distribution already says which version it is.
"""

import importlib.metadata
import sys
from functools import cached_property
from pathlib import Path

import dagster_dbt
from dagster_dbt import DbtCliResource
from packaging import version

# `_cli_version` is private to dagster-dbt; re-check it on every upgrade of the pin below.
_CHECKED_DAGSTER_DBT = "0.29.27"


class ProjectDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        executable = Path(self.dbt_executable)
        if (
            dagster_dbt.__version__ == _CHECKED_DAGSTER_DBT
            and executable.is_absolute()
            and executable.parent == Path(sys.executable).parent
        ):
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version
