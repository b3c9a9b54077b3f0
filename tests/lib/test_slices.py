import pytest

from orchestration.lib.dbt.cross_slice_tests import (
    cross_slice_test_parents,
    with_cross_slice_test_parents,
)
from orchestration.lib.dbt.slices import slice_manifest
from orchestration.settings import ConfigError
from tests.harness.manifests import dbt_manifest, dbt_node


def _node(
    uid: str,
    fqn: list[str],
    parents: tuple[str, ...] = (),
    materialized: str = "table",
    attached_node: str | None = None,
    **dagster_meta,
) -> dict:
    node = dbt_node(
        uid,
        fqn,
        parents=parents,
        meta={"dagster": dagster_meta} if dagster_meta else {},
        materialized=materialized,
    )
    node["attached_node"] = attached_node
    return node


def _staging_relationships_test(model: str, other: str) -> dict:
    """A relationships test in the staging folder from model.p.<model> to model.p.<other>:
    it reads both, and dbt attaches it to `model`, the one it is declared on."""
    name = f"relationships_{model}_{other}"
    parents = (f"model.p.{model}", f"model.p.{other}")
    return _node(f"test.p.{name}", ["p", "staging", name], parents, attached_node=parents[0])


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


def test_folders_reading_each_other_are_merged_into_one_slice(caplog: pytest.LogCaptureFixture):
    manifest = dbt_manifest(
        _node("model.p.a1", ["p", "alpha", "a1"]),
        _node("model.p.b1", ["p", "beta", "b1"], ("model.p.a1",)),
        _node("model.p.a2", ["p", "alpha", "a2"], ("model.p.b1",)),
        _node("model.p.c", ["p", "gamma", "c"], ("model.p.a2",)),
    )
    with caplog.at_level("INFO"):
        slices = {s.name: s for s in slice_manifest(manifest)}
    assert set(slices) == {"alpha__beta", "gamma"}
    assert slices["alpha__beta"].unique_ids == {"model.p.a1", "model.p.a2", "model.p.b1"}
    assert slices["alpha__beta"].select == "fqn:p.alpha fqn:p.beta"
    assert "alpha, beta" in caplog.text and "model.p.b1 reads model.p.a1" in caplog.text


def test_a_path_through_an_ephemeral_model_counts_and_ephemerals_are_not_built():
    manifest = dbt_manifest(
        _node("model.p.a1", ["p", "alpha", "a1"]),
        _node("model.p.e", ["p", "middle", "e"], ("model.p.a1",), materialized="ephemeral"),
        _node("model.p.b1", ["p", "beta", "b1"], ("model.p.e",)),
        _node("model.p.a2", ["p", "alpha", "a2"], ("model.p.b1",)),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    assert set(slices) == {"alpha__beta"}
    assert "model.p.e" not in slices["alpha__beta"].unique_ids


def test_a_test_across_slices_runs_in_its_models_slice_after_every_parent():
    manifest = dbt_manifest(
        _node("model.p.stg", ["p", "staging", "stg"]),
        _node("model.p.dim", ["p", "marts", "dim"]),
        _node("model.p.fct", ["p", "reports", "fct"], ("model.p.stg", "model.p.dim")),
        _staging_relationships_test("stg", "dim"),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    term = "fqn:p.staging.relationships_stg_dim"
    # staging now waits for marts, so the test finds dim built; reports (downstream of both)
    # would pick it up too under dbt's `buildable` selection: it is excluded there.
    assert slices["staging"].select == f"fqn:p.staging {term}"
    assert slices["reports"].exclude == term
    assert slices["marts"].exclude is None


def test_declared_slices_reading_each_other_are_refused_naming_nodes_and_fix():
    manifest = dbt_manifest(
        _node("model.p.a1", ["p", "x", "a1"], slice="alpha"),
        _node("model.p.b1", ["p", "x", "b1"], ("model.p.a1",), slice="beta"),
        _node("model.p.a2", ["p", "x", "a2"], ("model.p.b1",), slice="alpha"),
    )
    with pytest.raises(ConfigError, match=r"alpha, beta") as error:
        slice_manifest(manifest)
    assert "model.p.a2 reads model.p.b1" in str(error.value)
    assert "meta.dagster.slice" in str(error.value)


def test_odd_folder_names_get_valid_unique_op_names_and_selectable_terms():
    manifest = dbt_manifest(
        _node("seed.p.a", ["p", "raw-data", "a"]),
        _node("seed.p.b", ["p", "raw_data", "b"]),
        _node("model.p.c", ["p", "01 core", "c"]),
        _node("model.p.d", ["p", "données", "d"]),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    assert slices["raw_data"].op_name == "raw_data"
    assert slices["raw-data"].op_name.startswith("raw_data_")
    assert slices["01 core"].op_name == "01_core"
    assert slices["01 core"].select == "fqn:p.01?core.*"
    assert slices["données"].op_name == "donnees"


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

    monkeypatch.delenv("DBT_STEPS", raising=False)
    monkeypatch.setenv("DBT_STEPS", "One")
    assert settings.dbt_steps() == "one"
    monkeypatch.setenv("DBT_STEPS", "per-model")
    with pytest.raises(ConfigError, match=r"DBT_STEPS='per-model'.*slices.*one"):
        settings.dbt_steps()


@pytest.mark.parametrize(
    ("step_executor", "single_writer", "layout"),
    [
        ("multiprocess", True, "one"),
        ("multiprocess", False, "one"),
        ("ecs", True, "slices"),
        ("ecs", False, "slices"),
    ],
)
def test_dbt_steps_default_is_one_step_unless_each_step_is_its_own_ecs_task(
    monkeypatch: pytest.MonkeyPatch, step_executor: str, single_writer: bool, layout: str
):
    """One dbt invocation per run on any warehouse (measured fastest: benchmarks/README.md);
    slices where each is sized as its own ECS task. An explicit choice wins."""
    from orchestration import settings

    monkeypatch.delenv("DBT_STEPS", raising=False)
    monkeypatch.setenv("STEP_EXECUTOR", step_executor)
    monkeypatch.setattr(settings, "single_writer_warehouse", lambda: single_writer)
    assert settings.dbt_steps() == layout
    monkeypatch.setenv("DBT_STEPS", "slices")  # an explicit choice wins
    assert settings.dbt_steps() == "slices"
    monkeypatch.setenv("DBT_STEPS", "one")
    assert settings.dbt_steps() == "one"


def test_a_test_across_slices_gives_its_models_step_an_input_on_what_it_reads():
    """Dagster orders steps by their inputs only; a check's other parents give none, so the
    model the test is declared on gets them as parents in dagster-dbt's manifest (that the step
    then has the input: tests/warehouse/test_demo_on_postgres.py, a relationships test from the
    product marts to the customer marts)."""

    manifest = dbt_manifest(
        _node("model.p.stg", ["p", "staging", "stg"]),
        _node("model.p.other", ["p", "staging", "other"]),
        _node("model.p.dim", ["p", "marts", "dim"]),
        _staging_relationships_test("stg", "dim"),
        _staging_relationships_test("stg", "other"),
    )
    slices = {s.name: s for s in slice_manifest(manifest)}
    assert cross_slice_test_parents(manifest, slices.values()) == {"model.p.stg": {"model.p.dim"}}
    patched = with_cross_slice_test_parents(manifest, slices.values())
    assert patched["nodes"]["model.p.stg"]["depends_on"]["nodes"] == ["model.p.dim"]
    assert manifest["nodes"]["model.p.stg"]["depends_on"]["nodes"] == []  # dbt's is untouched
    assert patched["child_map"]["model.p.dim"] == ["test.p.relationships_stg_dim", "model.p.stg"]
