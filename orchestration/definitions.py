"""The code location: gathers each concern's definitions and applies global policies."""

from orchestration.lib.forkserver import in_code_server_run_worker
from orchestration.step_server import start_local_step_forkserver

if in_code_server_run_worker():
    # This run's steps will fork from a server that imports Dagster and these definitions: it
    # starts now, on another core, while this process builds the definitions and starts the run.
    start_local_step_forkserver()

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
)

from orchestration import settings
from orchestration.alerts.definitions import alert_definitions
from orchestration.dbt.definitions import dbt_definitions
from orchestration.dbt.source_freshness import source_freshness_definitions
from orchestration.executors import default_executor
from orchestration.ingestion.definitions import ingestion_definitions
from orchestration.run_policies import with_run_policies


def automation_sensor() -> AutomationConditionSensorDefinition:
    """Evaluates every asset's automation condition (the dbt models' `eager`): running by
    default, so models downstream of newly loaded data rebuild without anyone starting it."""
    return AutomationConditionSensorDefinition(
        "automation",
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=settings.automation_interval_seconds(),
    )


def build_definitions() -> Definitions:
    """Every concern's definitions; every job, schedule and sensor then gets the run policies
    (retries) in this one place, run_policies.py."""
    settings.validate()  # every setting, once, before anything reads one: errors name them all
    merged = Definitions.merge(
        dbt_definitions(),
        ingestion_definitions(),
        source_freshness_definitions(),
        alert_definitions(),
        Definitions(executor=default_executor(), sensors=[automation_sensor()]),
    )
    return with_run_policies(merged)


defs = build_definitions()
