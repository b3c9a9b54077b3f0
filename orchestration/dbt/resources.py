"""The dbt CLI resource, pointed at the same project the assets were built from."""

from dagster_dbt import DbtCliResource

from orchestration import settings
from orchestration.dbt.project import dbt_project


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    return DbtCliResource(
        project_dir=project,
        profiles_dir=str(settings.dbt_profiles_dir()),
        target=settings.dbt_target(),
        dbt_executable=settings.dbt_executable(),
    )
