"""Helpers run in fresh subprocesses by benchmarks.run (never imported by the timed code).

    python -m benchmarks._probe import-floor        # time `import dagster, dagster_dbt`
    python -m benchmarks._probe load-definitions    # time loading orchestration.definitions
    python -m benchmarks._probe run-info RUN_ID     # read a finished run back from DAGSTER_HOME

Each prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any

_STEP_MARKS = {
    "STEP_WORKER_STARTING": "worker_starting",
    "STEP_WORKER_STARTED": "worker_started",
    "STEP_START": "step_start",
    "STEP_SUCCESS": "step_end",
    "STEP_FAILURE": "step_end",
}


def import_floor() -> dict[str, Any]:
    t0 = time.perf_counter()
    import dagster  # noqa: F401
    import dagster_dbt  # noqa: F401

    return {"import_s": time.perf_counter() - t0}


def load_definitions() -> dict[str, Any]:
    """Import the code location and build what a run (and the code server) builds from it."""
    t0 = time.perf_counter()
    import dagster  # noqa: F401
    import dagster_dbt  # noqa: F401

    t1 = time.perf_counter()
    from orchestration.definitions import defs

    t2 = time.perf_counter()
    # The asset graph and every job: what resolving the run's job needs, whatever its name.
    graph = defs.resolve_asset_graph()
    jobs = defs.resolve_all_job_defs()
    t3 = time.perf_counter()
    return {
        "import_dagster_s": t1 - t0,
        "import_definitions_s": t2 - t1,
        "resolve_graph_and_jobs_s": t3 - t2,
        "load_s": t3 - t0,
        "assets": len(list(graph.get_all_asset_keys())),
        "asset_checks": len(list(graph.asset_check_keys)),
        "jobs": [job.name for job in jobs],
    }


def run_info(run_id: str) -> dict[str, Any]:
    """Outcome, timings and event counts of one run, from the instance at DAGSTER_HOME."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_id)
        stats = instance.get_run_stats(run_id)
        steps = instance.get_run_step_stats(run_id)
        records = instance.get_records_for_run(run_id, limit=None).records
        types: Counter[str] = Counter()
        materialized: set[str] = set()
        with_rows: set[str] = set()
        checks_passed = checks_failed = 0
        # Per step: when its worker was asked for, came up, started the step, launched dbt.
        marks: dict[str, dict[str, float]] = {}
        for record in records:
            entry = record.event_log_entry
            event = entry.dagster_event
            step_marks = marks.setdefault(entry.step_key, {}) if entry.step_key else {}
            if event is None:
                types["<log>"] += 1
                if entry.user_message.startswith("Running dbt command"):
                    step_marks.setdefault("dbt_launched", entry.timestamp)
                continue
            types[event.event_type_value] += 1
            if event.event_type_value in _STEP_MARKS:
                step_marks.setdefault(_STEP_MARKS[event.event_type_value], entry.timestamp)
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.step_materialization_data.materialization
                key = mat.asset_key.to_user_string()
                materialized.add(key)
                if "dagster/row_count" in mat.metadata:
                    with_rows.add(key)
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                if event.asset_check_evaluation_data.passed:
                    checks_passed += 1
                else:
                    checks_failed += 1
        return {
            "status": run.status.value if run else None,
            "launch_time": stats.launch_time,
            "start_time": stats.start_time,
            "end_time": stats.end_time,
            "steps": [
                {
                    "step_key": s.step_key,
                    "status": s.status.value if s.status else None,
                    "start_time": s.start_time,
                    "end_time": s.end_time,
                    **marks.get(s.step_key, {}),
                }
                for s in steps
            ],
            "events": len(records),
            "event_types": dict(types.most_common()),
            "materialized": len(materialized),
            "materialized_with_row_count": len(with_rows),
            "checks_passed": checks_passed,
            "checks_failed": checks_failed,
        }


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "import-floor":
        result = import_floor()
    elif command == "load-definitions":
        result = load_definitions()
    elif command == "run-info":
        result = run_info(rest[0])
    else:
        raise SystemExit(f"unknown probe {command!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
