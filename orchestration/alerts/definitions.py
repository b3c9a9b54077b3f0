"""The alerts concern: a sensor for failed runs and one for breached SLAs."""

from dagster import Definitions

from orchestration import settings
from orchestration.alerts.notifiers import notifier_from_settings
from orchestration.alerts.sensors import build_breach_sensor, build_run_failure_sensor


def alert_definitions() -> Definitions:
    # Read the alert settings now: a wrong one fails the code location's load, naming it,
    # instead of failing every sensor tick later.
    notifier_from_settings()
    settings.dagster_ui_url()
    return Definitions(sensors=[build_run_failure_sensor(), build_breach_sensor()])
