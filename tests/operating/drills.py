"""The operating drills' dbt project: a model the tests break and fix, its upstream sibling, and
a model slow enough to be stopped mid-query; and the dbt processes working on it."""

from pathlib import Path

import psutil

MODELS = {
    "base": "select range as id from range(10)",
    "sibling": "select id * 2 as doubled from {{ ref('base') }}",
    "fragile": "select id from {{ ref('base') }}",
    "after_fragile": "select count(*) as n from {{ ref('fragile') }}",
    # Billions of multiply-adds: long enough to be stopped mid-query, interruptible by DuckDB.
    "slow": (
        "select sum(a.range * b.range) as s from range({{ var('slow_side', 400000) }}) a"
        " cross join range({{ var('slow_side', 400000) }}) b"
    ),
}


def write_ops_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: ops_drills\nversion: '1.0.0'\nprofile: ops_drills\n"
        "models:\n  ops_drills:\n    +materialized: table\n"
        # The drills start every run themselves: the first start must not build `slow`.
        "    +meta: {dagster: {automation: false}}\n"
        # A schedule whose cron never comes during a test: the crash drill launches its tick.
        "vars:\n  dagster_schedules:\n"
        "    yearly_slow: {cron: '0 3 1 1 *', select: 'base slow'}\n"
    )
    (root / "profiles.yml").write_text(
        "ops_drills:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        "      path: \"{{ env_var('DUCKDB_PATH') }}\"\n      threads: 2\n"
    )
    for name, sql in MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
    return root


def dbt_processes(project: Path) -> list[psutil.Process]:
    """Live `dbt build` processes working on this dbt project."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            env = process.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "dbt" in cmdline and " build" in cmdline and env.get("DBT_PROJECT_DIR") == str(project):
            found.append(process)
    return found


def dbt_log(runs_dir: Path) -> str:
    """Everything dbt logged for one run (each invocation writes its own dbt.log)."""
    return "".join(log.read_text(errors="replace") for log in runs_dir.glob("*/dbt.log"))
