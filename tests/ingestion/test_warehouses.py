"""The landing writer follows the dbt target's adapter; one without a writer fails at load time."""

import pytest

from orchestration.ingestion import duckdb_writer, postgres_writer
from orchestration.ingestion.sources import landing_tables
from orchestration.ingestion.warehouses import writer_for
from orchestration.settings import ConfigError
from tests.ingestion.test_sources import _manifest, _source


def _tables(**columns: str):
    return landing_tables(_manifest(_source("a", True, columns)))


def test_the_writer_is_the_one_of_the_targets_adapter():
    tables = _tables(n="integer", at="timestamp", amount="decimal(12,2)")
    assert writer_for("duckdb", tables) is duckdb_writer.connect
    assert writer_for("postgres", tables) is postgres_writer.connect


def test_an_adapter_without_a_writer_names_the_source_and_the_fix():
    with pytest.raises(ConfigError, match=r"crm\.a opts into landing .* 'snowflake'.*Remove"):
        writer_for("snowflake", _tables(n="integer"))


def test_a_duckdb_type_without_a_postgres_column_type_is_refused_on_postgres_only():
    tables = _tables(tags="varchar[]")
    assert writer_for("duckdb", tables) is duckdb_writer.connect
    with pytest.raises(ConfigError, match=r"source\.pkg\.crm\.a column tags: .*'varchar\[\]'"):
        writer_for("postgres", tables)
