"""The code location: gathers each concern's definitions and applies global policies."""

from dagster import Definitions

from orchestration.dbt.definitions import dbt_definitions
from orchestration.executors import default_executor


def build_definitions() -> Definitions:
    return Definitions.merge(dbt_definitions(), Definitions(executor=default_executor()))


defs = build_definitions()
