"""The two alert sensors: failed runs, and breached SLAs (asset freshness, stale dbt sources).

Deduplication. A failed run alerts once: Dagster's run-failure sensor keeps a cursor over run
failure events. A breach alerts once: the breach sensor's cursor holds, for every breach it has
alerted and that is still breached, when that breach began (`{"freshness:fct_x": 1767225600.0}`).
A tick alerts only breaches whose start is not in the cursor, then keeps only the breaches still
open, so an asset that recovers and breaches again has a new start and alerts again. The cursor
is saved with the tick, and an alert file's name derives from the breach, so a tick that fails
midway and is re-run writes no second file.
"""

import json
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)
from dagster._core.storage.tags import WILL_RETRY_TAG  # set on a failed run the daemon retries

from orchestration import settings
from orchestration.alerts.breaches import (
    Breach,
    freshness_breaches,
    source_freshness_breaches,
)
from orchestration.alerts.notifiers import AlertDeliveryError, Notifier, notifier_from_settings
from orchestration.alerts.run_failures import run_failure_alert
from orchestration.lib.dbt.source_freshness import CHECK_NAME

RUN_FAILURE_SENSOR = "alert_on_run_failure"
BREACH_SENSOR = "alert_on_sla_breach"
# On a failed run, once its alert went out: the notifiers it was sent to.
ALERT_SENT_TAG = "alert/sent"


def _alert_sensor_schedule() -> dict[str, Any]:
    """What the two alert sensors share: on from the start, ticking every
    ALERT_SENSOR_INTERVAL_SECONDS."""
    return {
        "default_status": DefaultSensorStatus.RUNNING,
        "minimum_interval_seconds": settings.alert_sensor_interval_seconds(),
    }


def build_run_failure_sensor() -> SensorDefinition:
    @run_failure_sensor(
        name=RUN_FAILURE_SENSOR,
        # Every run of this instance, including `make run` and re-executions, which have no
        # code-location origin and would otherwise be skipped.
        monitor_all_code_locations=True,
        **_alert_sensor_schedule(),
        description="Alerts once per failed run (ALERT_WEBHOOK_URL, ALERTS_DIR). A run that "
        "the run-retry daemon will retry alerts only if its last retry fails too.",
    )
    def _alert_on_run_failure(context: RunFailureSensorContext):
        run = context.instance.get_run_by_id(context.dagster_run.run_id) or context.dagster_run
        if run.tags.get(WILL_RETRY_TAG) == "true":
            context.log.info(f"Run {run.run_id} failed and will be retried: no alert yet.")
            return
        alert = run_failure_alert(
            context.instance,
            run,
            context.get_step_failure_events(),
            context.failure_event.message,
            settings.dagster_ui_url(),
        )
        notifier = notifier_from_settings()
        notifier.send(alert)
        # Where a user looks: the sensor's tick log, and the failed run's own tags.
        destinations = ", ".join(destination.name for destination in notifier.notifiers)
        context.log.info(f"Alert sent ({destinations}): {alert.title}")
        context.instance.add_run_tags(run.run_id, {ALERT_SENT_TAG: destinations})

    return _alert_on_run_failure


def current_breaches(context: SensorEvaluationContext, alerted: dict[str, float]) -> list[Breach]:
    """Every breach open now, over the assets and checks of this code location."""
    graph = context.repository_def.asset_graph if context.repository_def else None
    if graph is None:
        return []
    policies = {
        node.key: node.freshness_policy
        for node in graph.asset_nodes
        if node.freshness_policy is not None
    }
    checked_sources = [key.asset_key for key in graph.asset_check_keys if key.name == CHECK_NAME]
    if policies and not context.instance.freshness_enabled:
        context.log.warning(
            "Assets declare freshness SLAs but the instance's freshness daemon is off "
            "(dagster.yaml freshness.enabled: false): their breaches cannot be seen."
        )
    ui_url = settings.dagster_ui_url()
    return freshness_breaches(context.instance, policies, ui_url) + source_freshness_breaches(
        context.instance, checked_sources, alerted, ui_url
    )


def alert_new_breaches(
    breaches: list[Breach],
    alerted: dict[str, float],
    notifier: Notifier,
) -> tuple[dict[str, float], list[str], list[str]]:
    """Send the breaches not alerted yet; return the next cursor, what was sent, what failed.

    An alert that reached no notifier stays out of the cursor, so the next tick tries it again.
    """
    still_open: dict[str, float] = {}
    sent, failed = [], []
    for breach in breaches:
        if alerted.get(breach.key) == breach.since:
            still_open[breach.key] = breach.since
            continue
        try:
            notifier.send(breach.alert)
        except AlertDeliveryError as error:
            failed.append(f"{breach.key}: {error}")
            continue
        still_open[breach.key] = breach.since
        sent.append(breach.key)
    return still_open, sent, failed


def _parse_cursor(raw: str | None) -> dict[str, float]:
    if not raw:
        return {}
    try:
        loaded = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return {str(k): float(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def build_breach_sensor() -> SensorDefinition:
    @sensor(
        name=BREACH_SENSOR,
        **_alert_sensor_schedule(),
        description="Alerts once per breach: an asset whose freshness SLA (dbt "
        "meta.freshness_sla) is FAIL, or a dbt source whose freshness check says stale.",
    )
    def _alert_on_sla_breach(context: SensorEvaluationContext):
        alerted = _parse_cursor(context.cursor)
        breaches = current_breaches(context, alerted)
        cursor, sent, failed = alert_new_breaches(breaches, alerted, notifier_from_settings())
        for problem in failed:
            context.log.error(f"Alert not delivered, retried next tick: {problem}")
        summary = f"{len(breaches)} open breach(es); alerted now: {', '.join(sent) or 'none'}" + (
            f"; NOT delivered: {', '.join(failed)}" if failed else ""
        )
        return SensorResult(
            cursor=json.dumps(cursor, sort_keys=True), skip_reason=SkipReason(summary)
        )

    return _alert_on_sla_breach
