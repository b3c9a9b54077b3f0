"""The alert for a failed run: which run, which steps failed and why, what was not built."""

import re
from collections.abc import Sequence

from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRun

from orchestration.alerts.notifiers import Alert
from orchestration.lib.dbt.failures import NODE_HEADING, SUMMARY_TITLE

# Long lists are cut: an alert says where to look, the run's page has the rest.
_MAX_LISTED = 20


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# dagster-dbt's own error for a failed dbt (a step that raised it as it came).
_DBT_ERRORS = "Errors parsed from dbt logs:"


def _first_line(text: str | None, limit: int = 300) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line[:limit]


def error_summary(message: str | None, limit: int = 500) -> str:
    """What went wrong, in one line: dbt's own error for each failed node, else the first line.

    A failed dbt step says each failed node as dbt's heading and message (lib/dbt/failures.py;
    dagster-dbt's own error lists them after "Errors parsed from dbt logs:"): here each
    becomes "heading: first line".
    """
    text = _ANSI.sub("", message or "")
    title = SUMMARY_TITLE.search(text)
    if title is not None:
        body = text[title.end() :]
    elif _DBT_ERRORS in text:
        body = text.split(_DBT_ERRORS, 1)[1]
    else:
        return _first_line(text, limit)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    errors = [
        f"{line}: {lines[i + 1]}" if i + 1 < len(lines) else line
        for i, line in enumerate(lines)
        if NODE_HEADING.match(line)
    ]
    return "; ".join(errors)[:limit] or _first_line(text, limit)


def _keys_of(instance: DagsterInstance, run_id: str, event_type: DagsterEventType) -> set[str]:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    keys = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        key = event.asset_key if event else None
        if key is not None:
            keys.add(key.to_user_string())
    return keys


def _failed_checks(instance: DagsterInstance, run_id: str) -> list[str]:
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event else None
        if evaluation is not None and not evaluation.passed:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(failed)


def _listed(items: Sequence[str]) -> list[str]:
    items = list(items)
    more = len(items) - _MAX_LISTED
    return items[:_MAX_LISTED] + ([f"... and {more} more"] if more > 0 else [])


def run_failure_alert(
    instance: DagsterInstance,
    run: DagsterRun,
    step_failures: Sequence[DagsterEvent],
    run_failure_message: str | None,
    ui_url: str | None,
) -> Alert:
    """One alert per failed run, naming its failed steps (with dbt's error) and unbuilt assets.

    Assets "not materialized" are those the run planned and did not materialize: the failed
    models and everything downstream of them that was skipped.
    """
    record = instance.get_run_record_by_id(run.run_id)
    failed_at = 0.0
    if record is not None:
        failed_at = record.end_time or record.update_timestamp.timestamp()
    planned = _keys_of(instance, run.run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    built = _keys_of(instance, run.run_id, DagsterEventType.ASSET_MATERIALIZATION)
    steps = []
    for event in step_failures:
        data = event.step_failure_data
        error = data.error.message if data and data.error else event.message
        steps.append(f"{event.step_key}: {error_summary(error)}")
    details: dict[str, object] = {
        "run_id": run.run_id,
        "job": run.job_name,
        "failed_steps": _listed(steps) or [_first_line(run_failure_message) or "-"],
        "not_materialized": _listed(sorted(planned - built)),
        "failed_checks": _listed(_failed_checks(instance, run.run_id)),
    }
    for tag, label in (
        ("dagster/schedule_name", "schedule"),
        ("dagster/sensor_name", "sensor"),
        ("dagster/parent_run_id", "retry_of"),
        ("dagster/retry_number", "retry_number"),
    ):
        if run.tags.get(tag):
            details[label] = run.tags[tag]
    first_step = run.job_name if not steps else steps[0].split(":", 1)[0]
    return Alert(
        kind="run_failure",
        subject=run.run_id,
        since=failed_at,
        title=f"Run {run.run_id[:8]} of {run.job_name} failed at {first_step}",
        details=details,
        link=f"{ui_url}/runs/{run.run_id}" if ui_url else None,
    )
