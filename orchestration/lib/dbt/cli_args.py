"""Pure builders for dbt command lines, kept apart so they can be tested without dbt."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def dbt_build_args(
    *, full_refresh: bool = False, dbt_vars: Mapping[str, Any] | None = None
) -> list[str]:
    """Arguments for `dbt build`; selection is added by dagster-dbt from the asset subset."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if dbt_vars:
        # Sorted JSON keeps the command line stable, which makes runs comparable in logs.
        args += ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    return args


def invocation_target_path(runs_dir: Path, run_id: str, step_key: str, invocation_id: str) -> Path:
    """Where one dbt invocation writes target/ and logs: one folder per run, one per step.

    Grouping by run id lets a user find every artifact of a run from its id alone, and lets the
    retention sweep delete whole runs at once.
    """
    safe_step = "".join(c if c.isalnum() or c in "-_." else "_" for c in step_key)
    return runs_dir / run_id / f"{safe_step}-{invocation_id}"
