from dagster import AssetKey

from orchestration.lib.dbt.translator import ProjectTranslator
from tests.harness.manifests import dbt_manifest, dbt_node


def _model(name: str, fqn: list[str], **config) -> dict:
    return dbt_node(f"model.pkg.{name}", fqn, description=f"One row per {name}.", **config)


def test_group_is_the_innermost_folder_and_owner_comes_from_meta():
    node = _model("fct_x", ["pkg", "marts", "finance", "fct_x"], meta={"owner": "fin@example.com"})
    spec = ProjectTranslator().get_asset_spec(dbt_manifest(node), node["unique_id"], None)
    assert spec.key == AssetKey(["fct_x"])
    assert spec.group_name == "finance"
    assert spec.owners == ["fin@example.com"]
    assert (spec.description or "").startswith("One row per fct_x.")


def test_bare_owner_name_becomes_a_team_and_explicit_group_wins():
    node = _model(
        "stg_y",
        ["pkg", "staging", "stg_y"],
        meta={"owner": "analytics", "dagster": {"group": "core"}},
    )
    spec = ProjectTranslator().get_asset_spec(dbt_manifest(node), node["unique_id"], None)
    assert spec.owners == ["team:analytics"]
    assert spec.group_name == "core"


def test_resource_at_top_of_its_folder_is_grouped_by_type():
    node = _model("plans", ["pkg", "plans"])
    node["resource_type"] = "seed"
    node["unique_id"] = "seed.pkg.plans"
    spec = ProjectTranslator().get_asset_spec(dbt_manifest(node), node["unique_id"], None)
    assert spec.group_name == "seeds"


def test_dbt_tags_become_dagster_tags():
    node = _model("fct_z", ["pkg", "marts", "fct_z"], tags=["hourly"])
    spec = ProjectTranslator().get_asset_spec(dbt_manifest(node), node["unique_id"], None)
    assert "hourly" in spec.tags
