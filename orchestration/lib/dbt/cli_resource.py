"""The dbt CLI resource, minus two costs paid by every step before dbt starts.

- dagster-dbt runs `dbt --version` in every process that calls `DbtCliResource.cli()` (about 2 s
  here, paid by every step, every ECS task). When the dbt executable is the one installed beside
  this interpreter, the installed dbt-core distribution already says which version it is.
- dagster-dbt builds a dbt adapter in-process before it starts dbt, for row counts; building it
  parses every dbt macro (1-2 s per step at 600 models). On a single-writer warehouse rows can be
  counted only after dbt exits (lib/dbt/events.py), so the adapter is built while dbt runs.
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

if TYPE_CHECKING:
    from dbt.adapters.base.impl import BaseAdapter

# `_cli_version` and `_initialize_dbt_core_adapter` are private to dagster-dbt; re-check them on
# every upgrade of the pin below. With another version, dagster-dbt's own behaviour is kept.
_CHECKED_DAGSTER_DBT = "0.29.27"


class ProjectDbtCliResource(DbtCliResource):
    # Set for single-writer warehouses: `cli()` then starts dbt without building an adapter, and
    # the caller builds one with `build_adapter()` while dbt runs.
    adapter_after_launch: bool = False

    @cached_property
    def _cli_version(self) -> version.Version:
        executable = Path(self.dbt_executable)
        if (
            _is_checked_version()
            and executable.is_absolute()
            and executable.parent == Path(sys.executable).parent
        ):
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    @property
    def defers_adapter(self) -> bool:
        """Whether `cli()` starts dbt with no adapter, for the caller's `build_adapter()`."""
        return self.adapter_after_launch and _is_checked_version()

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> "BaseAdapter":
        if self.defers_adapter:
            # dagster-dbt's cli() accepts a missing adapter: row counts are then ours to fetch.
            return cast("BaseAdapter", None)
        return super()._initialize_dbt_core_adapter(args)

    def build_adapter(self, args: Sequence[str]) -> Any:
        """The adapter dagster-dbt would have built for `args`, or None if it cannot be built
        (row counts are metadata: a warning, never a failed step)."""
        try:
            return super()._initialize_dbt_core_adapter(args)
        except Exception:
            get_dagster_logger().warning("Could not build the dbt adapter.", exc_info=True)
            return None


def _is_checked_version() -> bool:
    return dagster_dbt.__version__ == _CHECKED_DAGSTER_DBT
