"""The alerts concern: a sensor for failed runs and one for breached SLAs."""

from dagster import Definitions

from orchestration.alerts.sensors import build_breach_sensor, build_run_failure_sensor


def alert_definitions() -> Definitions:
    return Definitions(sensors=[build_run_failure_sensor(), build_breach_sensor()])
