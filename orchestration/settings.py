"""The one place where the environment is read.

Everything that differs between a laptop and production (paths, the dbt target, the
warehouse) is resolved here, by functions called at the moment the value is needed, never by
import-time constants: tests and the CLI can change the environment after import and get the
new value.
"""

import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.dbt.profiles import ProfileError, ProfileTarget, selected_target

# Re-exported: callers and tests name it `orchestration.settings.ConfigError`; it lives in lib/
# so that reusable code raises it without importing the app.
from orchestration.lib.errors import ConfigError as ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _int_setting(name: str, default: int, minimum: int, unit: str = "") -> int:
    """A whole number >= minimum; the one integer parser, so every such setting reads alike."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(
            f"{name}={raw!r} is not a whole number{unit} >= {minimum}. Set e.g. {default}."
        )
    return value


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _bool_setting(name: str, default: bool) -> bool:
    """true/false (also 1/0, yes/no, on/off), any case; the one boolean parser."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise ConfigError(f"{name}={raw!r}: use true or false.")
    return raw in _TRUE


def _path_setting(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    path = Path(raw).expanduser() if raw else default
    return path if path.is_absolute() else (REPO_ROOT / path)


def data_dir() -> Path:
    """Where local state lives: the DuckDB warehouse, landing folder, dbt run artifacts."""
    return _path_setting("DATA_DIR", REPO_ROOT / "data")


def dbt_project_dir() -> Path:
    """The dbt project to orchestrate. Any dbt project works; ours is the default."""
    path = _path_setting("DBT_PROJECT_DIR", REPO_ROOT / "dbt_project")
    if not (path / "dbt_project.yml").is_file():
        raise ConfigError(
            f"DBT_PROJECT_DIR={path} has no dbt_project.yml. "
            "Point DBT_PROJECT_DIR at the folder that holds your dbt_project.yml."
        )
    return path


def dbt_profiles_dir() -> Path:
    """Folder holding profiles.yml; by default the dbt project itself, as dbt does.

    A relative DBT_PROFILES_DIR is read from the dbt project (`profiles` = <project>/profiles),
    where dbt runs, and where a project keeps its profile when it ships one.
    """
    project = dbt_project_dir()
    raw = os.environ.get("DBT_PROFILES_DIR", "").strip()
    path = Path(raw).expanduser() if raw else project
    path = path if path.is_absolute() else project / path
    if raw and not (path / "profiles.yml").is_file():
        raise ConfigError(
            f"DBT_PROFILES_DIR={path} has no profiles.yml. Point DBT_PROFILES_DIR at the folder "
            "that holds your profiles.yml, or unset it to use the dbt project's own."
        )
    return path


def dbt_threads() -> int | None:
    """DBT_THREADS, read by profiles.yml (env_var('DBT_THREADS')); checked here so a wrong
    value fails at load, naming the setting, not inside dbt's thread pool."""
    if not os.environ.get("DBT_THREADS", "").strip():
        return None
    return _int_setting("DBT_THREADS", default=4, minimum=1)


def dbt_executable() -> str:
    """The dbt CLI of this code location's own environment, even when it is not on PATH.

    Run workers are started with the code location's interpreter but not always with its
    bin/ folder on PATH; the dbt next to that interpreter is the one its lock pins.
    """
    configured = os.environ.get("DBT_EXECUTABLE", "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ConfigError(
                f"DBT_EXECUTABLE={configured!r} is not an executable file: set it to the dbt CLI "
                "(e.g. .venv/bin/dbt), or unset it to use the code location's own dbt."
            )
        return found
    sibling = Path(sys.executable).with_name("dbt")
    if sibling.is_file():
        return str(sibling)
    found = shutil.which("dbt")
    if found is None:
        raise ConfigError(
            "No dbt executable: install the code location's environment (`make install`) "
            "or set DBT_EXECUTABLE to the dbt CLI to use."
        )
    return found


def dbt_target() -> str | None:
    """The profiles.yml target; None lets the profile's own default (env_var DBT_TARGET) decide."""
    return os.environ.get("DBT_TARGET") or None


def duckdb_path() -> Path:
    """The embedded warehouse file.

    profiles.yml reads the same variable through env_var('DUCKDB_PATH'); the Makefile and the
    tests export it as an absolute path so dbt, run from any working directory, finds this file.
    """
    return _path_setting("DUCKDB_PATH", data_dir() / "warehouse.duckdb")


def dbt_runs_dir() -> Path:
    """Root of the per-invocation dbt target folders (artifacts and logs), outside the project.

    Keeping them outside the dbt project is what lets the project directory be read-only in a
    production image, and what keeps concurrent runs from writing over each other.
    """
    return _path_setting("DBT_RUNS_DIR", data_dir() / "dbt_runs")


def warehouse_target() -> ProfileTarget:
    """The dbt profile target in use (DBT_PROFILE, DBT_TARGET or the profile's defaults).

    Its fields render on demand with dbt's env_var(), e.g. `warehouse_target().field("host")`.
    """
    try:
        return selected_target(
            dbt_project_dir(),
            dbt_profiles_dir(),
            os.environ,
            target=dbt_target(),
            profile=os.environ.get("DBT_PROFILE") or None,
        )
    except ProfileError as error:
        raise ConfigError(str(error)) from None


# Adapters whose warehouse takes one writer at a time: a second dbt fails on the file lock.
SINGLE_WRITER_ADAPTERS = ("duckdb", "sqlite")


def single_writer_warehouse() -> bool:
    """Whether the warehouse allows one writer at a time, from the selected target's adapter type.

    DuckDB (and SQLite) do; Postgres, Snowflake, Redshift, BigQuery, ... take many writers.
    WAREHOUSE_SINGLE_WRITER=true|false overrides it: true serializes every dbt step on any
    warehouse; false on a single-writer adapter is an error, as concurrent runs would fail on its
    lock.
    """
    raw = os.environ.get("WAREHOUSE_SINGLE_WRITER", "").strip().lower()
    if raw not in ("", "true", "false", "1", "0"):
        raise ConfigError(
            f"WAREHOUSE_SINGLE_WRITER={raw!r}: use true (serialize every dbt step) or false, or "
            "unset it to derive it from the dbt target's adapter type."
        )
    if raw in ("true", "1"):
        return True
    target = warehouse_target()
    single_writer = target.adapter_type in SINGLE_WRITER_ADAPTERS
    if raw in ("false", "0") and single_writer:
        raise ConfigError(
            f"WAREHOUSE_SINGLE_WRITER={raw} but dbt target {target.target!r} of "
            f"{target.profiles_path} is {target.adapter_type}, which allows one writer at a time: "
            "concurrent runs would fail on its lock. Unset WAREHOUSE_SINGLE_WRITER, or select a "
            "multi-writer target with DBT_TARGET."
        )
    return single_writer


@dataclass(frozen=True)
class PostgresWarehouse:
    """How to reach the Postgres warehouse; `password` is never part of the repr."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    sslmode: str
    connect_timeout: int

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def postgres_warehouse() -> PostgresWarehouse:
    """The selected dbt target's Postgres connection, rendered from profiles.yml as dbt does.

    Ingestion and dbt then reach the same database by construction, whatever variables (or
    values) the profile uses; ours reads DBT_POSTGRES_HOST, _PORT, _USER, _PASSWORD and _DB.
    """
    target = warehouse_target()
    if target.adapter_type != "postgres":
        raise ConfigError(
            f"dbt target {target.target!r} of {target.profiles_path} is {target.adapter_type}, "
            "not postgres: select the Postgres target with DBT_TARGET."
        )
    try:
        return PostgresWarehouse(
            host=str(target.field("host")),
            port=int(target.field("port", 5432)),
            user=str(target.field("user")),
            # dbt-postgres accepts either spelling of these two.
            password=str(target.field("pass" if "pass" in target.fields else "password")),
            dbname=str(target.field("database" if "database" in target.fields else "dbname")),
            sslmode=str(target.field("sslmode", "prefer")),
            connect_timeout=int(target.field("connect_timeout", 10)),
        )
    except ProfileError as error:
        raise ConfigError(str(error)) from None


def dbt_artifact_retention_days() -> float:
    """How long per-run dbt artifact folders are kept (DBT_ARTIFACT_RETENTION_DAYS, default 7)."""
    raw = os.environ.get("DBT_ARTIFACT_RETENTION_DAYS", "").strip() or "7"
    try:
        days = float(raw)
    except ValueError:
        days = -1
    if not math.isfinite(days) or days < 0:
        raise ConfigError(
            f"DBT_ARTIFACT_RETENTION_DAYS={raw!r} is not a number of days >= 0. Set e.g. 7."
        )
    return days


def _s3_bucket(raw: str) -> str:
    """The bucket an `s3://bucket/prefix` URL names; empty for any other URL or none."""
    return raw.removeprefix("s3://").split("/", 1)[0] if raw.startswith("s3://") else ""


def dbt_query_views() -> bool:
    """DBT_QUERY_VIEWS, true by default: read one row of each view dbt creates, so a view whose
    SQL fails only when queried is a failed model rather than a built one. Off, views are built as
    dbt builds them; worth it where views are costly to read (one row of an aggregate is the
    whole aggregate)."""
    return _bool_setting("DBT_QUERY_VIEWS", True)


def dbt_artifacts_url() -> str | None:
    """Where each dbt invocation's artifacts are copied once it ends: DBT_ARTIFACTS_URL,
    `s3://bucket/prefix`, unset by default (they stay in DBT_RUNS_DIR only).

    On ECS a task's disk goes with the task: copied, `run_results.json`, `manifest.json` and
    `dbt.log` outlive it, and each materialization links to them instead of naming a path.
    """
    raw = os.environ.get("DBT_ARTIFACTS_URL", "").strip()
    if not raw:
        return None
    if not _s3_bucket(raw):
        raise ConfigError(
            f"DBT_ARTIFACTS_URL={raw!r}: use s3://bucket/prefix, or unset it to keep the "
            "artifacts in DBT_RUNS_DIR only."
        )
    return raw.rstrip("/")


def landing_url() -> str:
    """Where raw files arrive, one folder per dbt source table: LANDING_URL.

    `file:///abs/path` (or a plain path) for a local folder, `s3://bucket/prefix` in
    production; by default the folder `landing` inside DATA_DIR. Returned without a trailing
    slash, so `<landing>/<table>/<file>` is built the same way for both.
    """
    raw = os.environ.get("LANDING_URL", "").strip()
    if not raw:
        return (data_dir() / "landing").as_uri()
    if raw.startswith("s3://"):
        if not _s3_bucket(raw):
            raise ConfigError(f"LANDING_URL={raw!r} names no bucket: use s3://bucket/prefix.")
        return raw.rstrip("/")
    if raw.startswith("file://"):
        path = Path(raw.removeprefix("file://"))
        if not path.is_absolute():
            raise ConfigError(
                f"LANDING_URL={raw!r}: a file:// URL needs an absolute path (file:///data/landing)."
            )
        return path.as_uri()
    if "://" in raw:
        raise ConfigError(
            f"LANDING_URL={raw!r}: only file:// and s3:// landing zones are supported."
        )
    return _path_setting("LANDING_URL", data_dir() / "landing").as_uri()


def schedule_timezone() -> str:
    """The IANA timezone every schedule's cron is read in: SCHEDULE_TIMEZONE, default UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("SCHEDULE_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"SCHEDULE_TIMEZONE={name!r} is not an IANA timezone: use e.g. UTC or Europe/Berlin."
        ) from None
    return name


def _seconds_setting(name: str, default: int, minimum: int) -> int:
    return _int_setting(name, default, minimum, unit=" of seconds")


def landing_sensor_interval_seconds() -> int:
    """How often the landing sensor lists the landing zone (LANDING_SENSOR_INTERVAL_SECONDS)."""
    return _seconds_setting("LANDING_SENSOR_INTERVAL_SECONDS", default=30, minimum=1)


def automation_interval_seconds() -> int:
    """How often declarative automation is evaluated (AUTOMATION_INTERVAL_SECONDS)."""
    return _seconds_setting("AUTOMATION_INTERVAL_SECONDS", default=30, minimum=1)


# Dagster's own variable. Launching a run writes one "planned" event per asset and check; set,
# they go to the storage in batches (the local storage writes each batch in one transaction),
# unset, one by one: thousands of separate writes before a large project's run can start.
EVENT_BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
DEFAULT_EVENT_BATCH_SIZE = "1000"


def default_event_batching() -> None:
    """Batch the planned events of runs this process launches, unless the environment says
    otherwise (DAGSTER_EVENT_BATCH_SIZE=0 writes them one by one). Dagster reads the variable
    itself, at each event, so this sets it for the process."""
    os.environ.setdefault(EVENT_BATCH_SIZE_VARIABLE, DEFAULT_EVENT_BATCH_SIZE)


STEP_EXECUTORS = ("multiprocess", "ecs")


def step_executor() -> str:
    """Where a run's steps (the dbt slices) execute: STEP_EXECUTOR, default `multiprocess`.

    `multiprocess`: each step in a process of its own beside the run worker (on a laptop, or
    inside the run's one ECS task). `ecs`: each step in an ECS task of its own, sized by the
    slice's `ecs/cpu`/`ecs/memory` op tags (dagster-aws `ecs_executor`); it needs the instance's
    run launcher to be the EcsRunLauncher (deploy/dagster.yaml).
    """
    return _choice_setting(
        "STEP_EXECUTOR",
        STEP_EXECUTORS,
        "use multiprocess (steps as processes of the run) or ecs (each step in its own ECS "
        "task; needs the EcsRunLauncher of deploy/dagster.yaml).",
    )


def _choice_setting(name: str, choices: tuple[str, ...], fix: str) -> str:
    """One of `choices` (the first is the default), case-insensitive; else a ConfigError."""
    raw = os.environ.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r}: {fix}")
    return raw


DBT_STEP_LAYOUTS = ("slices", "one")


def dbt_steps() -> str:
    """How a run's dbt work is divided into steps: DBT_STEPS, by default from the step executor.

    `one`: the whole selection in one step, one dbt invocation, whose threads build side by side
    what the warehouse lets them. `slices`: one step per slice of the graph (folder or
    meta.dagster.slice), each its own process and dbt invocation, retried on its own; each pays
    Dagster's step start and dbt's start-up again, and on a single-writer warehouse the slices
    only queue for the writer. The default is `one`, except with STEP_EXECUTOR=ecs, where each
    step is an ECS task sized by its slice: there the slices are the point. `slices` also lets
    runs on disjoint slices of a multi-writer warehouse proceed side by side (a pool per slice);
    with `one`, dbt runs take turns.
    """
    if not os.environ.get("DBT_STEPS", "").strip():
        return "slices" if step_executor() == "ecs" else "one"
    return _choice_setting(
        "DBT_STEPS",
        DBT_STEP_LAYOUTS,
        "use slices (a step per slice of the dbt graph) or one (the whole selection in one "
        "step and one dbt invocation), or unset it to choose by the warehouse.",
    )


def run_max_retries() -> int:
    """How many times a failed run is retried automatically (RUN_MAX_RETRIES, default 1)."""
    return _int_setting("RUN_MAX_RETRIES", default=1, minimum=0)


def run_retry_on_model_failure() -> bool:
    """Whether SQL/model failures are retried too, or only infrastructure failures (crashes).

    RUN_RETRY_ON_MODEL_FAILURE=false (default): a model that failed on its SQL will fail again
    until someone fixes it, so only crashed or lost run workers are retried automatically.
    """
    return _bool_setting("RUN_RETRY_ON_MODEL_FAILURE", default=False)


def alerts_dir() -> Path:
    """Where the default notifier writes one JSON file per alert: ALERTS_DIR, $DATA_DIR/alerts."""
    return _path_setting("ALERTS_DIR", data_dir() / "alerts")


def alert_webhook_url() -> str | None:
    """ALERT_WEBHOOK_URL: alerts are also POSTed there as JSON (a Slack incoming webhook works).

    Unset: alerts go to the log and to ALERTS_DIR only. A secret in production (the URL is the
    credential of a Slack webhook): inject it from the secret store, never commit it. A
    `user:password@` in it is sent as a Basic Authorization header, never as part of the URL.
    """
    from urllib.parse import urlsplit

    raw = os.environ.get("ALERT_WEBHOOK_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "ALERT_WEBHOOK_URL is not an http(s) URL with a host: set it to the webhook's full "
            "URL, e.g. https://hooks.slack.com/services/..., or unset it to alert to files only."
        )
    return raw


def alert_webhook_timeout_seconds() -> int:
    """How long one webhook POST may take (ALERT_WEBHOOK_TIMEOUT_SECONDS, default 10)."""
    return _seconds_setting("ALERT_WEBHOOK_TIMEOUT_SECONDS", default=10, minimum=1)


def alert_sensor_interval_seconds() -> int:
    """How often the alert sensors look for failed runs and breached SLAs (default 60 s)."""
    return _seconds_setting("ALERT_SENSOR_INTERVAL_SECONDS", default=60, minimum=1)


def source_freshness_cron() -> str | None:
    """When `dbt source freshness` is checked: SOURCE_FRESHNESS_CRON, default every hour at :30.

    Read in SCHEDULE_TIMEZONE. `off` leaves the check to be run by hand from the UI.
    """
    from dagster._utils.schedules import is_valid_cron_string  # what ScheduleDefinition runs

    raw = os.environ.get("SOURCE_FRESHNESS_CRON", "").strip() or "30 * * * *"
    if raw.lower() == "off":
        return None
    if not is_valid_cron_string(raw):
        raise ConfigError(
            f"SOURCE_FRESHNESS_CRON={raw!r} is not a cron expression: use e.g. '30 * * * *' "
            "(hourly at :30) or off."
        )
    return raw


def dagster_ui_url() -> str | None:
    """DAGSTER_UI_URL: where people open the Dagster UI; alerts then link to the run or asset."""
    raw = os.environ.get("DAGSTER_UI_URL", "").strip().rstrip("/")
    if raw and not raw.startswith(("http://", "https://")):
        raise ConfigError(
            f"DAGSTER_UI_URL={raw!r} is not an http(s) URL: set it to the UI's address, "
            "e.g. https://dagster.example.com, or unset it."
        )
    return raw or None


def landing_max_line_bytes() -> int:
    """The longest CSV line or JSON object a landing file may hold: LANDING_MAX_LINE_BYTES.

    Default 16 MiB, DuckDB's own limit for one JSON object; CSV lines get the same, so a long
    value fails alike in both formats, with the reader's reason.
    """
    return _int_setting("LANDING_MAX_LINE_BYTES", default=16 * 1024 * 1024, minimum=1024)


def _writable_folder(name: str, path: Path) -> None:
    """Raise unless `path`'s folder exists (or can be made) and takes a new file."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ConfigError(
            f"{name}={path}: its folder cannot be written ({error.strerror or error}). Point "
            f"{name} at a file in a folder this process may write, or unset it."
        ) from None


def validate() -> None:
    """Read every setting once, so a wrong one fails when the code location loads, each error
    naming its setting and the fix, instead of later inside a run. Raises one ConfigError
    listing all of them."""
    checks: list[Callable[[], object]] = [
        data_dir, dbt_project_dir, dbt_profiles_dir, dbt_threads, dbt_executable, dbt_target,
        dbt_runs_dir, dbt_artifact_retention_days, dbt_artifacts_url, landing_url,
        schedule_timezone, landing_sensor_interval_seconds, automation_interval_seconds,
        step_executor, dbt_steps, run_max_retries, run_retry_on_model_failure, alerts_dir,
        alert_webhook_url, alert_webhook_timeout_seconds, alert_sensor_interval_seconds,
        source_freshness_cron, dagster_ui_url, landing_max_line_bytes,
    ]  # fmt: skip
    problems = []
    for check in checks:
        try:
            check()
        except ConfigError as error:
            # Some settings derive from others (DBT_STEPS from STEP_EXECUTOR): say each once.
            if str(error) not in problems:
                problems.append(str(error))
    if not problems:  # these read profiles.yml, through the settings checked above
        try:
            # The DuckDB file is written only where the warehouse is DuckDB-like.
            if single_writer_warehouse():
                _writable_folder("DUCKDB_PATH", duckdb_path())
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError("\n".join(problems))
