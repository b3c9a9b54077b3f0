"""A dbt project for the multi-writer drills, on the `postgres` target of its own profiles.yml:
slices that must meet inside Postgres, a slow shared model, a fragile chain, a stoppable model."""

from pathlib import Path

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
