"""dbt's connection failures, told as the dbt target and the variables that fix them."""

from pathlib import Path

from orchestration.lib.dbt.connection_errors import unreachable_warehouse_message
from orchestration.lib.dbt.profiles import ProfileTarget

FIELDS = {
    "type": "postgres",
    "host": "{{ env_var('WH_HOST') }}",
    "port": "{{ env_var('WH_PORT', '5432') | int }}",
    "user": "{{ env_var('WH_USER') }}",
    "password": "{{ env_var('WH_PASSWORD') }}",
    "dbname": "analytics",
}


def _target(env: dict[str, str]) -> ProfileTarget:
    return ProfileTarget(Path("/p/profiles.yml"), "shop", "prod", FIELDS, env)


def test_refused_credentials_name_the_password_and_user_variables_and_mask_the_password():
    error = 'FATAL:  password authentication failed for user "dbt" (password s3cr3t-value)'
    message = unreachable_warehouse_message(error, _target({"WH_PASSWORD": "s3cr3t-value"}))

    assert message is not None
    assert "dbt target 'prod'" in message and "profile 'shop'" in message
    assert "WH_PASSWORD (its `password`) and WH_USER (its `user`)" in message
    assert "s3cr3t-value" not in message and "***" in message


def test_an_unreachable_server_names_the_host_and_port_variables():
    error = 'connection to server at "10.0.0.9", port 5432 failed: Connection refused'
    message = unreachable_warehouse_message(error, _target({}))

    assert message is not None
    assert "unreachable" in message and "WH_HOST (its `host`) and WH_PORT (its `port`)" in message


def test_a_literal_field_is_named_with_its_file():
    message = unreachable_warehouse_message('database "analytics" does not exist', _target({}))

    assert message is not None and "`dbname` in /p/profiles.yml" in message


def test_other_dbt_failures_are_left_alone():
    assert unreachable_warehouse_message('column "x" does not exist', _target({})) is None
