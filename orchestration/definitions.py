"""The code location: gathers each concern's definitions, and nothing else."""

from dagster import Definitions

from orchestration.dbt.definitions import dbt_definitions


def build_definitions() -> Definitions:
    return Definitions.merge(dbt_definitions())


defs = build_definitions()
