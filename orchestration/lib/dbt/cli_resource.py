"""The dbt CLI resource, minus costs paid by every step before dbt starts, plus row counts.

- dagster-dbt runs `dbt --version` in every process that calls `DbtCliResource.cli()` (paid by
  every step, every ECS task). When the dbt executable is the one installed beside this
  interpreter, the installed dbt-core distribution already says which version it is.
- dbt runs as `row_counting_dbt.py` (dbt's own CLI plus a callback that counts each table as it
  is built): on a single-writer warehouse (DuckDB) dbt holds the lock while it runs, so no one
  else could count, and on any warehouse dbt's output is then read in the step's main thread,
  where a stop reaches it (lib/dbt/events.py). The in-process adapter dagster-dbt would build to
  count rows (it parses every dbt macro) is not built at all.
"""

import importlib.metadata
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import dagster_dbt
from dagster import get_dagster_logger
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.lib.dbt import row_counting_dbt

if TYPE_CHECKING:
    from dbt.adapters.base.impl import BaseAdapter

# `_cli_version` and `_initialize_dbt_core_adapter` are private to dagster-dbt; re-check them on
# every upgrade of the pin below (orchestration/lib/private_api.py). With another version they
# are not overridden at all: dagster-dbt's own behaviour is kept, whatever it became.
CHECKED_DAGSTER_DBT_VERSION = "0.29.27"
ROW_COUNTING_DBT = Path(row_counting_dbt.__file__)


class ProjectDbtCliResource(DbtCliResource):
    @classmethod
    def for_project(
        cls,
        *,
        dbt_executable: str,
        count_rows_in_dbt: bool,
        query_views: bool = False,
        **fields: Any,
    ) -> "ProjectDbtCliResource":
        """The resource; with `count_rows_in_dbt`, dbt runs as this interpreter's
        `row_counting_dbt.py` (dagster-dbt puts `global_config_flags` right after the executable),
        which with `query_views` also fails a view that cannot be read.

        That needs dbt-core importable here, i.e. the dbt beside this interpreter; another
        DBT_EXECUTABLE runs as it is: its tables get no row counts and its views are not read.
        """
        if count_rows_in_dbt and _is_own_dbt(dbt_executable):
            return cls(
                dbt_executable=sys.executable,
                global_config_flags=[
                    str(ROW_COUNTING_DBT),
                    *([row_counting_dbt.QUERY_VIEWS_FLAG] if query_views else []),
                ],
                **fields,
            )
        if count_rows_in_dbt:
            unread = " and a view whose SQL fails when read is reported built"
            unread = unread if query_views else ""
            get_dagster_logger().warning(
                f"DBT_EXECUTABLE={dbt_executable} is not the dbt beside {sys.executable}: its "
                f"tables get no row counts{unread}. Unset DBT_EXECUTABLE to use the code "
                "location's own dbt."
            )
        return cls(dbt_executable=dbt_executable, **fields)

    @property
    def counts_rows_in_dbt(self) -> bool:
        """Whether dbt runs as row_counting_dbt.py, hence reports each table's rows itself."""
        return str(ROW_COUNTING_DBT) in self.global_config_flags

    if dagster_dbt.__version__ == CHECKED_DAGSTER_DBT_VERSION:

        @cached_property
        def _cli_version(self) -> version.Version:
            if _is_own_dbt(self.dbt_executable):
                return version.parse(importlib.metadata.version("dbt-core"))
            return super()._cli_version

        def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> "BaseAdapter":
            if self.counts_rows_in_dbt:
                # dagster-dbt's cli() accepts a missing adapter; dbt counts the rows itself.
                return cast("BaseAdapter", None)
            return super()._initialize_dbt_core_adapter(args)


def _is_own_dbt(dbt_executable: str) -> bool:
    executable = Path(dbt_executable)
    return executable.is_absolute() and executable.parent == Path(sys.executable).parent
