"""A real PostgreSQL server as the dbt warehouse (DBT_TARGET=postgres), a drill project for it,
and one `make dev` on that project, shared by the multi-writer tests of this folder."""

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from dagster import DagsterEventType, DagsterRun

from tests.harness.dagster_dev import DevServer, make_dev
from tests.harness.dagster_runs import step_windows
from tests.harness.postgres import EmbeddedPostgres, PostgresInfo
from tests.harness.sandbox import Sandbox, make_sandbox

# Two models of different slices that each wait, inside Postgres, until the other one is running,
# then hold 2 s more so the other sees them too. A model that never meets the other fails (after
# 10 minutes, a bound on a hang: a loaded machine may start the second run's step minutes later),
# so both runs succeed only if their slices really run side by side.
RENDEZVOUS = """
{% macro rendezvous(me, other) %}
do $$
declare waited int := 0;
begin
  perform set_config('application_name', 'rendezvous_{{ me }}', false);
  while not exists (
    select 1 from pg_stat_activity where application_name = 'rendezvous_{{ other }}'
  ) loop
    if waited >= 6000 then
      raise exception 'rendezvous_{{ me }} never met rendezvous_{{ other }}';
    end if;
    -- pg_stat_activity is read once per transaction unless its snapshot is dropped.
    perform pg_stat_clear_snapshot();
    perform pg_sleep(0.1);
    waited := waited + 1;
  end loop;
  perform pg_sleep(2);
end $$
{% endmacro %}
"""

# folder (= slice) -> model -> SQL
MODELS = {
    "left": {
        "left_meets_right": "{{ config(pre_hook=rendezvous('left', 'right')) }}\nselect 1 as id",
    },
    "right": {
        "right_meets_left": "{{ config(pre_hook=rendezvous('right', 'left')) }}\nselect 1 as id",
    },
    # Long enough that two runs building it at once would overlap.
    "shared": {
        "shared_slow": "select g.id from generate_series(1, 10) as g(id)"
        " cross join (select pg_sleep(3)) as pause",
    },
    "drill": {
        "base": "select g.id from generate_series(1, 10) as g(id)",
        "sibling": "select id * 2 as doubled from {{ ref('base') }}",
        "fragile": "select id from {{ ref('base') }}",
        "after_fragile": "select count(*) as n from {{ ref('fragile') }}",
    },
    # Its version and how long it sleeps come from a table the test writes (drill_control).
    "stoppable": {
        "stoppable": "select c.version, g.id from {{ source('drill', 'drill_control') }} as c"
        " cross join generate_series(1, 5) as g(id)"
        " cross join lateral (select pg_sleep(c.delay_seconds)) as pause",
    },
}

SOURCES = """
sources:
  - name: drill
    schema: public
    tables: [{name: drill_control}]
"""


def write_drill_project(root: Path, slices: tuple[str, ...] = tuple(MODELS)) -> Path:
    """A dbt project on the `postgres` target of its own profiles.yml (the demo's variables)."""
    (root / "macros").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: pg_drills\nversion: '1.0.0'\nprofile: pg_drills\n"
        "models:\n  pg_drills:\n    +materialized: table\n"
        # The drills start every run themselves: the first start must build nothing.
        "    +meta: {dagster: {automation: false}}\n"
    )
    (root / "profiles.yml").write_text(
        "pg_drills:\n  target: local\n  outputs:\n"
        "    local: {type: duckdb, path: \"{{ env_var('DUCKDB_PATH') }}\"}\n"
        "    postgres:\n      type: postgres\n"
        "      host: \"{{ env_var('DBT_POSTGRES_HOST') }}\"\n"
        "      port: \"{{ env_var('DBT_POSTGRES_PORT') | int }}\"\n"
        "      user: \"{{ env_var('DBT_POSTGRES_USER') }}\"\n"
        "      password: \"{{ env_var('DBT_POSTGRES_PASSWORD') }}\"\n"
        "      dbname: \"{{ env_var('DBT_POSTGRES_DB') }}\"\n"
        "      schema: drills\n      threads: 4\n      connect_timeout: 5\n"
    )
    (root / "macros" / "rendezvous.sql").write_text(RENDEZVOUS)
    for folder in slices:
        (root / "models" / folder).mkdir(parents=True)
        for name, sql in MODELS[folder].items():
            (root / "models" / folder / f"{name}.sql").write_text(sql + "\n")
    if "stoppable" in slices:
        (root / "models" / "stoppable" / "_sources.yml").write_text(SOURCES)
    return root


def postgres_target_env(info: PostgresInfo, database: str) -> dict[str, str]:
    """The environment that selects the postgres target: DBT_TARGET plus its variables."""
    return {
        "DBT_TARGET": "postgres",
        "DBT_POSTGRES_HOST": info.host,
        "DBT_POSTGRES_PORT": str(info.port),
        "DBT_POSTGRES_USER": info.user,
        "DBT_POSTGRES_PASSWORD": info.password,
        "DBT_POSTGRES_DB": database,
    }


@dataclass
class Warehouse:
    """The test Postgres server; each test takes a database of its own."""

    server: EmbeddedPostgres

    @property
    def info(self) -> PostgresInfo:
        return self.server.info

    def new_database(self) -> str:
        name = f"warehouse_{uuid.uuid4().hex[:8]}"
        self.server.create_database(name)
        return name

    def connect(self, database: str):
        info = self.info
        connection = psycopg2.connect(
            host=info.host, port=info.port, user=info.user, password=info.password, dbname=database
        )
        connection.autocommit = True
        return connection

    def query(self, database: str, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connect(database) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params or None)  # no params: a "%" in the SQL is just a "%"
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="package")
def warehouse():
    # A password no log line could contain by chance: the failure tests look for it.
    server = EmbeddedPostgres(database="postgres", password=f"pw-{secrets.token_hex(8)}")
    server.start()
    try:
        yield Warehouse(server)
    finally:
        server.stop()


def postgres_sandbox(root: Path, warehouse: Warehouse, project: Path) -> tuple[Sandbox, str]:
    database = warehouse.new_database()
    sandbox = make_sandbox(root, project)
    sandbox.env.update(postgres_target_env(warehouse.info, database))
    return sandbox, database


@dataclass
class PgStack:
    server: DevServer
    sandbox: Sandbox
    project: Path
    warehouse: Warehouse
    database: str

    def wait_finished(self, run_ids: list[str]) -> dict[str, DagsterRun]:
        with self.sandbox.instance() as instance:
            return self.server.wait_for_runs(instance, run_ids)

    def materialized(self, run_id: str) -> set[str]:
        with self.sandbox.instance() as instance:
            keys = instance.get_asset_keys_for_run(
                run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
            )
            return {key.to_user_string() for key in keys}

    def row_count(self, run_id: str, asset: str) -> int | None:
        """dagster/row_count of the asset's materialization in this run."""
        with self.sandbox.instance() as instance:
            for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
                event = entry.dagster_event
                assert event is not None
                materialization = event.step_materialization_data.materialization
                if materialization.asset_key.to_user_string() == asset:
                    value = materialization.metadata.get("dagster/row_count")
                    return None if value is None else int(value.value)  # type: ignore[arg-type]
        return None

    def step_windows(self, run_id: str) -> dict[str, tuple[float, float, set[str]]]:
        with self.sandbox.instance() as instance:
            return step_windows(instance, run_id)


@pytest.fixture(scope="package")
def pg_stack(tmp_path_factory: pytest.TempPathFactory, warehouse: Warehouse):
    root = tmp_path_factory.mktemp("pg_stack")
    project = write_drill_project(root / "pg_drills")
    sandbox, database = postgres_sandbox(root, warehouse, project)
    warehouse.query(
        database,
        "create table public.drill_control (version int, delay_seconds float);"
        "insert into public.drill_control values (1, 0)",
    )
    with make_dev(sandbox.env, root / "make_dev.log") as server:
        assert len(server.wait_for_assets()) >= sum(map(len, MODELS.values()))
        yield PgStack(server, sandbox, project, warehouse, database)
