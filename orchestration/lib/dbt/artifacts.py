"""Retention of per-run dbt artifact folders (run_results.json, manifest.json, logs)."""

import shutil
import time
from pathlib import Path

from dagster import get_dagster_logger


def sweep_old_runs(runs_dir: Path, *, keep_days: float, now: float | None = None) -> list[Path]:
    """Delete run folders untouched for longer than `keep_days`; return what was deleted.

    Runs are swept by folder age, not by run status, so a long run is never cut from under
    itself: its folder's mtime moves with every new invocation inside it.
    """
    if not runs_dir.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    removed = []
    for run_dir in runs_dir.iterdir():
        if run_dir.is_dir() and run_dir.stat().st_mtime < cutoff:
            shutil.rmtree(run_dir, ignore_errors=True)
            removed.append(run_dir)
    if removed:
        get_dagster_logger().info(
            f"Removed {len(removed)} dbt run folders older than {keep_days} days."
        )
    return removed
