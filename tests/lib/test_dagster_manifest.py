from orchestration.lib.dbt.dagster_manifest import dagster_manifest
from orchestration.lib.dbt.translator import ProjectTranslator


def _manifest() -> dict:
    def node(uid, name, rtype, parents=(), schema=None, **extra):
        return {
            "unique_id": uid,
            "name": name,
            "resource_type": rtype,
            "fqn": ["p", name],
            "depends_on": {"nodes": list(parents)},
            "config": {"materialized": "table", "schema": schema},
            **extra,
        }

    nodes = {
        "seed.p.raw_orders": node("seed.p.raw_orders", "raw_orders", "seed", schema="raw"),
        "model.p.stg": node("model.p.stg", "stg", "model", ["source.p.raw.raw_orders"]),
        "test.p.av.1": node("test.p.av.1", "accepted_values_stg_status", "test", ["model.p.stg"]),
        "test.p.av.2": node("test.p.av.2", "accepted_values_stg_status", "test", ["model.p.stg"]),
        "test.p.ok": node("test.p.ok", "not_null_stg_id", "test", ["model.p.stg"]),
        "test.p.src": node("test.p.src", "assert-raw", "test", ["source.p.raw.raw_orders"]),
    }
    sources = {
        "source.p.raw.raw_orders": {
            "unique_id": "source.p.raw.raw_orders",
            "resource_type": "source",
            "source_name": "raw",
            "name": "raw_orders",
            "config": {},
        }
    }
    parent_map = {uid: n["depends_on"]["nodes"] for uid, n in nodes.items()}
    parent_map["source.p.raw.raw_orders"] = []
    return {"nodes": nodes, "sources": sources, "parent_map": parent_map, "child_map": {}}


def test_test_names_become_unique_valid_check_names_and_the_rest_is_kept():
    original = _manifest()
    seen = dagster_manifest(original, ProjectTranslator().get_asset_key)
    names = {uid: seen["nodes"][uid]["name"] for uid in ("test.p.av.1", "test.p.av.2")}
    assert len(set(names.values())) == 2
    assert seen["nodes"]["test.p.ok"]["name"] == "not_null_stg_id"
    assert seen["nodes"]["test.p.src"]["name"] == "assert_raw"
    assert seen["nodes"]["test.p.av.1"]["fqn"] == original["nodes"]["test.p.av.1"]["fqn"]
    assert original["nodes"]["test.p.av.1"]["name"] == "accepted_values_stg_status", "a copy"


def test_a_source_that_is_a_seed_of_the_project_is_read_as_that_seed():
    seen = dagster_manifest(_manifest(), ProjectTranslator().get_asset_key)
    assert seen["nodes"]["model.p.stg"]["depends_on"]["nodes"] == ["seed.p.raw_orders"]
    assert seen["parent_map"]["model.p.stg"] == ["seed.p.raw_orders"]
    assert "model.p.stg" in seen["child_map"]["seed.p.raw_orders"]
    # A test of the source stays a test of the source.
    assert seen["nodes"]["test.p.src"]["depends_on"]["nodes"] == ["source.p.raw.raw_orders"]


def test_a_manifest_dagster_takes_as_it_is_is_not_copied():
    manifest = _manifest()
    del manifest["nodes"]["test.p.av.2"], manifest["nodes"]["test.p.src"]
    manifest["nodes"]["seed.p.raw_orders"]["config"]["schema"] = None
    assert dagster_manifest(manifest, ProjectTranslator().get_asset_key) is manifest
