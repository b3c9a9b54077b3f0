"""Which dbt sources are landing tables: opt-in from dbt YAML, checked at load time."""

import pytest
from dagster import AssetKey

from orchestration.ingestion.sources import landing_tables
from orchestration.settings import ConfigError
from tests.harness.manifests import dbt_manifest, dbt_node


def _source(name: str, landing=None, columns=None, source_name: str = "crm") -> dict:
    meta = {"dagster": {"landing": landing}} if landing is not None else {}
    return dbt_node(f"source.pkg.{source_name}.{name}", columns=columns, meta=meta)


def test_only_opted_in_sources_are_landing_tables_keyed_like_dbt_sources():
    manifest = dbt_manifest(
        _source("accounts", {"primary_key": "id"}, {"id": "varchar", "n": None}),
        _source("loaded_by_fivetran", None, {"id": "varchar"}),
    )
    [table] = landing_tables(manifest)
    assert table.asset_key == AssetKey(["crm", "accounts"])
    assert table.columns == (("id", "varchar"), ("n", "varchar"))  # no data_type: varchar
    assert table.primary_key == ("id",)


def test_a_project_without_opt_in_has_no_landing_tables_whatever_its_adapter():
    assert landing_tables(dbt_manifest(_source("orders"), adapter="postgres")) == []


@pytest.mark.parametrize(
    ("sources", "adapter", "message"),
    [
        ([_source("a", True, {})], "duckdb", "declares no columns"),
        ([_source("a", True, {"n": "integr"})], "duckdb", "'integr' is not a DuckDB type"),
        ([_source("a", {"primary_key": "x"}, {"n": "int"})], "duckdb", "primary_key column(s) x"),
        ([_source("a", True, {"n": "int"})], "postgres", "loads into DuckDB only"),
        (
            [_source("a", True, {"n": "int"}), _source("a", True, {"n": "int"}, "erp")],
            "duckdb",
            "would feed crm.a and erp.a",
        ),
    ],
)
def test_a_wrong_opt_in_names_the_source_and_the_fix(sources, adapter, message):
    with pytest.raises(ConfigError) as raised:
        landing_tables(dbt_manifest(*sources, adapter=adapter))
    assert message in str(raised.value)
