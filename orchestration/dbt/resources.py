"""The dbt CLI resource, pointed at the same project the assets were built from."""

from orchestration import settings
from orchestration.dbt.project import dbt_project
from orchestration.lib.dbt.cli_resource import ProjectDbtCliResource


def dbt_resource() -> ProjectDbtCliResource:
    project = dbt_project()
    return ProjectDbtCliResource.for_project(
        project_dir=str(project.project_dir),
        profiles_dir=str(settings.dbt_profiles_dir()),
        target=settings.dbt_target(),
        dbt_executable=settings.dbt_executable(),
        # dbt counts each table's rows itself, on every warehouse (lib/dbt/events.py says why).
        count_rows_in_dbt=True,
    )
