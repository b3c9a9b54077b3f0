"""Reading the selected dbt target the way dbt does, rendering only the fields asked for."""

from pathlib import Path

import pytest

from orchestration.lib.dbt.profiles import ProfileError, selected_target
from tests.conftest import DEMO_PROJECT

PROFILES = """
shop:
  target: "{{ env_var('DBT_TARGET', 'dev') }}"
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DUCKDB_PATH') }}"
    warehouse:
      type: "{{ env_var('WAREHOUSE_ADAPTER', 'postgres') }}"
      host: "{{ env_var('PG_HOST') }}"
      port: "{{ env_var('PG_PORT', '5432') | as_number }}"
      threads: "{{ env_var('THREADS', '4') | int }}"
other:
  outputs:
    default: {type: snowflake}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(PROFILES)
    return tmp_path


def test_the_profiles_own_target_is_used_when_none_is_given(project):
    target = selected_target(project, project, {})
    assert (target.profile, target.target, target.adapter_type) == ("shop", "dev", "duckdb")


def test_the_target_default_renders_env_var_from_the_given_environment(project):
    target = selected_target(project, project, {"DBT_TARGET": "warehouse"})
    assert (target.target, target.adapter_type) == ("warehouse", "postgres")


def test_an_explicit_target_and_profile_win_over_the_defaults(project):
    assert selected_target(project, project, {}, target="warehouse").target == "warehouse"
    other = selected_target(project, project, {}, profile="other")
    assert (other.target, other.adapter_type) == ("default", "snowflake")


def test_the_type_is_read_without_the_variables_other_fields_need(project):
    # PG_HOST is unset: only asking for host fails, and it names the variable and the field.
    target = selected_target(project, project, {}, target="warehouse")
    assert target.adapter_type == "postgres"
    with pytest.raises(ProfileError, match=r"`host` of target 'warehouse'.*PG_HOST"):
        target.field("host")


def test_fields_render_to_native_numbers(project):
    target = selected_target(project, project, {"PG_PORT": "6543"}, target="warehouse")
    assert target.field("port") == 6543
    assert target.field("threads") == 4
    assert target.field("missing", default="x") == "x"


def test_an_unknown_target_names_the_targets_there_are(project):
    expected = r"no target 'prod' \(it has dev, warehouse\).*DBT_TARGET"
    with pytest.raises(ProfileError, match=expected):
        selected_target(project, project, {}, target="prod")


def test_a_missing_profiles_file_names_the_folder_and_the_setting(project, tmp_path):
    elsewhere = tmp_path / "nowhere"
    with pytest.raises(ProfileError, match=r"No profiles.yml in .*nowhere.*DBT_PROFILES_DIR"):
        selected_target(project, elsewhere, {})


def test_a_profile_the_project_names_but_the_file_lacks_is_reported(project):
    (project / "dbt_project.yml").write_text("name: shop\nprofile: shop_v2\n")
    with pytest.raises(ProfileError, match=r"has no profile 'shop_v2'"):
        selected_target(project, project, {})


def test_the_demo_project_selects_duckdb_by_default_and_postgres_by_dbt_target():
    assert selected_target(DEMO_PROJECT, DEMO_PROJECT, {}).adapter_type == "duckdb"
    postgres = selected_target(DEMO_PROJECT, DEMO_PROJECT, {"DBT_TARGET": "postgres"})
    assert postgres.adapter_type == "postgres"
    # Every connection setting of the postgres target comes from the environment.
    env = {
        "DBT_POSTGRES_HOST": "db.internal",
        "DBT_POSTGRES_PORT": "6432",
        "DBT_POSTGRES_USER": "dbt",
        "DBT_POSTGRES_PASSWORD": "s3cret",
        "DBT_POSTGRES_DB": "analytics",
        "DBT_SCHEMA": "marts",
        "DBT_THREADS": "8",
    }
    target = selected_target(DEMO_PROJECT, DEMO_PROJECT, env, target="postgres")
    fields = ("host", "port", "user", "password", "dbname", "schema", "threads")
    assert [target.field(name) for name in fields] == [
        "db.internal",
        6432,
        "dbt",
        "s3cret",
        "analytics",
        "marts",
        8,
    ]
