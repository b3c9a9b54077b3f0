"""What is breached right now, read from the instance: each breach with when it began.

Two kinds, both evaluated by Dagster itself, not here:
- a freshness SLA (dbt `meta.freshness_sla`): Dagster's freshness daemon records a state
  change whenever an asset's freshness state changes; FAIL is a breach, and the moment of that
  state change is when it began;
- a stale dbt source: the `dbt_source_freshness` check's latest evaluation failed with ERROR
  severity (older than `error_after`); the breach began at the first failing evaluation after
  the last one that was not stale.

`since` is what makes a breach distinct: the same breach seen on two ticks has the same
`since`, a source or asset that recovered and went stale again has a new one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    FreshnessPolicy,
    MetadataValue,
    TimestampMetadataValue,
)
from dagster._core.definitions.freshness import FreshnessState  # not exported by dagster

from orchestration.alerts.notifiers import Alert
from orchestration.lib.dbt.source_freshness import CHECK_NAME

# Source freshness runs hourly by default: 200 evaluations look back over a week for the start
# of a stale spell; a longer spell keeps the start already alerted.
_HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Breach:
    key: str  # what breached, stable across ticks: "freshness:<asset>" or "source:<asset>"
    since: float
    alert: Alert


def _iso(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _asset_link(ui_url: str | None, key: AssetKey, view: str = "") -> str | None:
    if not ui_url:
        return None
    return f"{ui_url}/assets/{'/'.join(key.path)}" + (f"?view={view}" if view else "")


def _window_text(policy: FreshnessPolicy, name: str) -> str:
    """A time-window policy's window as `2:00:00` (`1 day, 2:00:00`); `-` if it has none."""
    window = getattr(policy, name, None)
    return str(window.to_timedelta()) if window is not None else "-"


def freshness_breaches(
    instance: DagsterInstance, policies: Mapping[AssetKey, FreshnessPolicy], ui_url: str | None
) -> list[Breach]:
    """Assets whose freshness policy Dagster currently evaluates as FAIL."""
    if not policies:
        return []
    records = instance.get_freshness_state_records(list(policies))
    breaches = []
    for key, record in sorted(records.items(), key=lambda item: item[0].to_user_string()):
        if record.freshness_state != FreshnessState.FAIL:
            continue
        policy = policies[key]
        since = record.updated_at.timestamp()
        event = instance.get_latest_materialization_event(key)
        last = event.timestamp if event else None
        fail_after = _window_text(policy, "fail_window")
        name = key.to_user_string()
        breaches.append(
            Breach(
                key=f"freshness:{name}",
                since=since,
                alert=Alert(
                    kind="sla_breach",
                    subject=name,
                    since=since,
                    title=f"{name} breached its freshness SLA: not updated for over {fail_after}",
                    details={
                        "asset": name,
                        "last_materialized": _iso(last),
                        "fail_after": fail_after,
                        "warn_after": _window_text(policy, "warn_window"),
                        "breached_at": _iso(since),
                    },
                    link=_asset_link(ui_url, key),
                ),
            )
        )
    return breaches


def _is_stale(severity: AssetCheckSeverity | None, passed: bool) -> bool:
    return not passed and severity == AssetCheckSeverity.ERROR


def source_freshness_breaches(
    instance: DagsterInstance,
    asset_keys: Iterable[AssetKey],
    alerted: Mapping[str, float],
    ui_url: str | None,
) -> list[Breach]:
    """Sources whose latest `dbt_source_freshness` evaluation says stale (ERROR severity)."""
    breaches = []
    for asset_key in sorted(asset_keys, key=lambda k: k.to_user_string()):
        check_key = AssetCheckKey(asset_key, CHECK_NAME)
        history = instance.event_log_storage.get_asset_check_execution_history(
            check_key, limit=_HISTORY_LIMIT
        )
        streak = []  # newest first: the stale evaluations since the last one that was not
        complete = len(history) < _HISTORY_LIMIT
        for record in history:
            entry = record.event
            if entry is None or entry.dagster_event is None:
                continue
            if entry.dagster_event.event_type != DagsterEventType.ASSET_CHECK_EVALUATION:
                continue  # planned, not evaluated yet
            evaluation = entry.dagster_event.asset_check_evaluation_data
            if not _is_stale(evaluation.severity, evaluation.passed):
                complete = True
                break
            streak.append((entry.timestamp, evaluation))
        if not streak:
            continue
        name = asset_key.to_user_string()
        key = f"source:{name}"
        # A spell longer than the history looked at keeps the start it was alerted with.
        since = streak[-1][0] if complete else alerted.get(key, streak[-1][0])
        latest = streak[0][1]
        details = {"source": name, "stale_since": _iso(since)}
        for field in ("max_loaded_at", "age_hours", "warn_after", "error_after", "error"):
            value = latest.metadata.get(field)
            if value is not None:
                details[field] = _metadata_text(value)
        breaches.append(
            Breach(
                key=key,
                since=since,
                alert=Alert(
                    kind="source_freshness",
                    subject=name,
                    since=since,
                    title=_source_title(name, details),
                    details=details,
                    link=_asset_link(ui_url, asset_key, view="checks"),
                ),
            )
        )
    return breaches


def _metadata_text(value: MetadataValue) -> str:
    if isinstance(value, TimestampMetadataValue):
        return _iso(value.value)
    return str(value.value)


def _source_title(name: str, details: Mapping[str, str]) -> str:
    if "error" in details:  # dbt could not measure it (e.g. the table is missing)
        return f"dbt source freshness of {name} failed: {details['error']}"
    return (
        f"dbt source {name} is stale: last loaded {details.get('max_loaded_at', '?')} "
        f"({details.get('age_hours', '?')} h ago), stale after {details.get('error_after', '?')}"
    )
