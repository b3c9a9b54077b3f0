"""The dbt CLI resource, pointed at the same project the assets were built from."""

from dagster import ResourceDefinition

from orchestration import settings
from orchestration.lib.dbt.cli_resource import ProjectDbtCliResource
from orchestration.project import dbt_project


def dbt_resource() -> ProjectDbtCliResource:
    project = dbt_project()
    return ProjectDbtCliResource.for_project(
        project_dir=str(project.project_dir),
        profiles_dir=str(settings.dbt_profiles_dir()),
        target=settings.dbt_target(),
        dbt_executable=settings.dbt_executable(),
        # dbt counts each table's rows itself, on every warehouse (lib/dbt/events.py says why).
        count_rows_in_dbt=True,
        query_views=settings.dbt_query_views(),
    )


def dbt_resource_definition() -> ResourceDefinition:
    """The resource as the code location provides it: already built, with no run config.

    Given as a ConfigurableResource, Dagster makes every field of it (dbt_executable,
    global_config_flags, project_dir, ...) run config, and the launchpad shows them to whoever
    starts a run, though they are the deployment's settings (orchestration/settings.py) and the
    row counting depends on them. As a hard-coded value, the launchpad shows only
    DbtBuildConfig. The asset functions still get this very object as their `dbt` parameter:
    Dagster passes a resource's value, whatever kind of definition made it. What it then skips,
    DbtCliResource.setup_for_execution, only warns of a deprecated dbt package.
    """
    resource = dbt_resource()
    return ResourceDefinition.hardcoded_resource(
        resource,
        description=f"dbt CLI for {resource.project_dir}, target {resource.target or 'default'}",
    )
