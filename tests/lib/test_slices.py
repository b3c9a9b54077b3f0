import pytest

from orchestration.lib.dbt.slices import slice_manifest
from orchestration.settings import ConfigError
from tests.harness.manifests import dbt_manifest, dbt_node


def _node(uid: str, fqn: list[str], parents: tuple[str, ...] = (), **dagster_meta) -> dict:
    return dbt_node(
        uid, fqn, parents=parents, meta={"dagster": dagster_meta} if dagster_meta else {}
    )


def test_default_slices_are_top_folders_and_loose_seeds_go_together():
    manifest = dbt_manifest(
        _node("seed.p.plans", ["p", "plans"]),
        _node("model.p.stg_a", ["p", "staging", "stg_a"], ("seed.p.plans",)),
        _node("model.p.stg_b", ["p", "staging", "stg_b"]),
        _node("model.p.fct", ["p", "marts", "finance", "fct"], ("model.p.stg_a", "model.p.stg_b")),
        _node("test.p.not_null_fct_id", ["p", "marts", "not_null_fct_id"], ("model.p.fct",)),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    assert set(slices) == {"seeds", "staging", "marts"}
    assert slices["staging"].unique_ids == {"model.p.stg_a", "model.p.stg_b"}
    assert slices["staging"].select == "fqn:p.staging"
    assert slices["seeds"].select == "fqn:p.plans"
    assert slices["marts"].unique_ids == {"model.p.fct"}, "tests are not built nodes"


def test_declared_slice_and_ecs_size_come_from_dbt_meta():
    manifest = dbt_manifest(
        _node("model.p.a", ["p", "marts", "a"], slice="heavy", ecs_cpu=1024, ecs_memory=4096),
        _node("model.p.b", ["p", "marts", "b"], slice="heavy", ecs_memory=8192),
        _node("model.p.c", ["p", "marts", "c"]),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    assert slices["heavy"].unique_ids == {"model.p.a", "model.p.b"}
    assert slices["heavy"].op_tags == {"ecs/cpu": "1024", "ecs/memory": "8192"}
    assert slices["marts"].op_tags == {}
    assert slices["heavy"].select == "config.meta.dagster.slice:heavy"
    # The folder slice takes the folder, minus what is declared to go elsewhere.
    assert slices["marts"].select == "fqn:p.marts"
    assert slices["marts"].exclude == "config.meta.dagster.slice:heavy"


def test_slices_depending_on_each_other_in_a_circle_are_refused_with_the_fix():
    manifest = dbt_manifest(
        _node("model.p.a1", ["p", "alpha", "a1"]),
        _node("model.p.b1", ["p", "beta", "b1"], ("model.p.a1",)),
        _node("model.p.a2", ["p", "alpha", "a2"], ("model.p.b1",)),
    )
    with pytest.raises(ConfigError, match=r"alpha -> beta -> alpha|beta -> alpha -> beta") as error:
        slice_manifest(manifest)
    assert "meta.dagster.slice" in str(error.value)


def test_one_step_puts_every_built_node_in_one_slice_selected_by_fqn():
    manifest = dbt_manifest(
        _node("seed.p.plans", ["p", "plans"]),
        _node("model.p.a", ["p", "marts", "a"], ("seed.p.plans",), slice="heavy", ecs_cpu=1024),
        _node("model.p.b", ["p", "staging", "b"], ecs_memory=4096),
        _node("test.p.not_null_a_id", ["p", "marts", "not_null_a_id"], ("model.p.a",)),
    )
    (only,) = slice_manifest(manifest, one_step=True)
    assert only.name == "all"
    assert only.unique_ids == {"seed.p.plans", "model.p.a", "model.p.b"}
    assert (only.select, only.exclude) == ("fqn:*", None)
    assert only.op_tags == {"ecs/cpu": "1024", "ecs/memory": "4096"}, "the largest size wins"


def test_dbt_steps_setting_names_the_choices(monkeypatch: pytest.MonkeyPatch):
    from orchestration import settings

    assert settings.dbt_steps() == "slices"
    monkeypatch.setenv("DBT_STEPS", "One")
    assert settings.dbt_steps() == "one"
    monkeypatch.setenv("DBT_STEPS", "per-model")
    with pytest.raises(ConfigError, match=r"DBT_STEPS='per-model'.*slices.*one"):
        settings.dbt_steps()
