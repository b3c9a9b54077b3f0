from orchestration.lib.dbt.dagster_manifest import dagster_manifest
from orchestration.lib.dbt.translator import ProjectTranslator
from tests.harness.manifests import dbt_manifest, dbt_node


def _manifest() -> dict:
    return dbt_manifest(
        dbt_node("seed.p.raw_orders", schema="raw"),
        dbt_node("source.p.raw.raw_orders"),
        dbt_node("model.p.stg", parents=["source.p.raw.raw_orders"]),
        _test("test.p.av.1", "accepted_values_stg_status", "model.p.stg"),
        _test("test.p.av.2", "accepted_values_stg_status", "model.p.stg"),
        _test("test.p.ok", "not_null_stg_id", "model.p.stg"),
        _test("test.p.src", "assert-raw", "source.p.raw.raw_orders"),
    )


def _test(unique_id: str, name: str, parent: str) -> dict:
    node = dbt_node(unique_id, parents=[parent])
    node["name"] = name
    return node


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
    manifest = dbt_manifest(
        dbt_node("seed.p.raw_orders"),
        dbt_node("source.p.raw.raw_orders"),
        dbt_node("model.p.stg", parents=["source.p.raw.raw_orders"]),
        _test("test.p.ok", "not_null_stg_id", "model.p.stg"),
    )
    assert dagster_manifest(manifest, ProjectTranslator().get_asset_key) is manifest
