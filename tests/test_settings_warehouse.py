"""Warehouse traits come from the selected dbt target's adapter type, not from a setting."""

from pathlib import Path

import pytest

from orchestration import settings
from orchestration.settings import ConfigError
from tests.harness.sandbox import DEMO_PROJECT


@pytest.fixture(autouse=True)
def demo_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_PROJECT_DIR", str(DEMO_PROJECT))
    for name in ("DBT_PROFILES_DIR", "DBT_PROFILE", "DBT_TARGET", "WAREHOUSE_SINGLE_WRITER"):
        monkeypatch.delenv(name, raising=False)


def test_duckdb_target_is_single_writer(monkeypatch):
    assert settings.warehouse_target().adapter_type == "duckdb"
    assert settings.single_writer_warehouse() is True


def test_postgres_target_is_multi_writer_without_its_connection_variables(monkeypatch):
    monkeypatch.setenv("DBT_TARGET", "postgres")
    for name in ("DBT_POSTGRES_HOST", "DBT_POSTGRES_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert settings.single_writer_warehouse() is False


def test_any_other_adapter_is_multi_writer(monkeypatch, tmp_path: Path):
    (tmp_path / "profiles.yml").write_text(
        "saas_analytics:\n  target: snow\n  outputs:\n    snow: {type: snowflake}\n"
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))
    assert settings.single_writer_warehouse() is False


# true serializes a multi-writer warehouse; false, its own trait, is accepted.
@pytest.mark.parametrize(("override", "single_writer"), [("true", True), ("false", False)])
def test_an_override_on_postgres_is_obeyed(monkeypatch, override: str, single_writer: bool):
    monkeypatch.setenv("DBT_TARGET", "postgres")
    monkeypatch.setenv("WAREHOUSE_SINGLE_WRITER", override)
    assert settings.single_writer_warehouse() is single_writer


def test_forced_multi_writer_on_duckdb_is_an_error_naming_the_setting(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_SINGLE_WRITER", "false")
    with pytest.raises(ConfigError, match=r"WAREHOUSE_SINGLE_WRITER=false.*'local'.*duckdb"):
        settings.single_writer_warehouse()


def test_an_unreadable_override_names_the_setting(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_SINGLE_WRITER", "maybe")
    with pytest.raises(ConfigError, match="WAREHOUSE_SINGLE_WRITER='maybe'"):
        settings.single_writer_warehouse()


def test_an_unknown_dbt_target_is_a_config_error(monkeypatch):
    monkeypatch.setenv("DBT_TARGET", "staging")
    with pytest.raises(ConfigError, match=r"no target 'staging'.*DBT_TARGET"):
        settings.single_writer_warehouse()
