"""The dbt concern: its assets, checks, resource, jobs and schedules."""

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.dbt.assets import project_dbt_assets
from orchestration.dbt.resources import dbt_resource_definition
from orchestration.dbt.schedules import dbt_schedules

MATERIALIZE_ALL_JOB = "materialize_all"


def dbt_definitions() -> Definitions:
    return Definitions(
        assets=project_dbt_assets(),
        jobs=[define_asset_job(MATERIALIZE_ALL_JOB, selection=AssetSelection.all())],
        resources={"dbt": dbt_resource_definition()},
        schedules=dbt_schedules(),
    )
