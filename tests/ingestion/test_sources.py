"""Which dbt sources are landing tables: opt-in from dbt YAML, checked at load time."""

import pytest
from dagster import AssetKey

from orchestration.ingestion.sources import landing_tables
from orchestration.settings import ConfigError


def _source(name: str, landing=None, columns=None, source_name: str = "crm") -> dict:
    meta = {"dagster": {"landing": landing}} if landing is not None else {}
    return {
        "unique_id": f"source.pkg.{source_name}.{name}",
        "name": name,
        "source_name": source_name,
        "schema": "raw",
        "identifier": name,
        "resource_type": "source",
        "fqn": ["pkg", source_name, name],
        "config": {"meta": meta},
        "meta": meta,
        "description": "",
        "source_description": "",
        "tags": [],
        "columns": {c: {"name": c, "data_type": t} for c, t in (columns or {}).items()},
    }


def _manifest(*sources: dict, adapter: str = "duckdb") -> dict:
    return {
        "nodes": {},
        "sources": {s["unique_id"]: s for s in sources},
        "metadata": {"adapter_type": adapter},
        "parent_map": {},
        "child_map": {},
        "groups": {},
    }


def test_only_opted_in_sources_are_landing_tables_keyed_like_dbt_sources():
    manifest = _manifest(
        _source("accounts", {"primary_key": "id"}, {"id": "varchar", "n": None}),
        _source("loaded_by_fivetran", None, {"id": "varchar"}),
    )
    [table] = landing_tables(manifest)
    assert table.asset_key == AssetKey(["crm", "accounts"])
    assert table.columns == (("id", "varchar"), ("n", "varchar"))  # no data_type: varchar
    assert table.primary_key == ("id",)


def test_a_project_without_opt_in_has_no_landing_tables_whatever_its_adapter():
    assert landing_tables(_manifest(_source("orders"), adapter="postgres")) == []


@pytest.mark.parametrize(
    ("sources", "adapter", "message"),
    [
        ([_source("a", True, {})], "duckdb", "declares no columns"),
        ([_source("a", True, {"n": "integr"})], "duckdb", "'integr' is not a DuckDB type"),
        ([_source("a", {"primary_key": "x"}, {"n": "int"})], "duckdb", "primary_key column(s) x"),
        (
            [_source("a", True, {"n": "int"}), _source("a", True, {"n": "int"}, "erp")],
            "duckdb",
            "would feed crm.a and erp.a",
        ),
    ],
)
def test_a_wrong_opt_in_names_the_source_and_the_fix(sources, adapter, message):
    with pytest.raises(ConfigError) as raised:
        landing_tables(_manifest(*sources, adapter=adapter))
    assert message in str(raised.value)
