"""The ingestion concern: landing files -> raw tables, and the sensor that starts it."""

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.ingestion.assets import landing_assets, project_landing_tables
from orchestration.ingestion.sensors import build_landing_sensor

LANDING_JOB = "landing_ingestion_job"


def ingestion_definitions() -> Definitions:
    """Empty for a dbt project whose sources all are loaded by something else."""
    assets = landing_assets()
    if assets is None:
        return Definitions()
    job = define_asset_job(LANDING_JOB, selection=AssetSelection.assets(assets))
    return Definitions(
        assets=[assets],
        jobs=[job],
        sensors=[build_landing_sensor(project_landing_tables(), job)],
    )
