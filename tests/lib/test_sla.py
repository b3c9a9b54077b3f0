"""Freshness SLAs from dbt `meta.freshness_sla`: parsing, the translator, and the errors."""

from datetime import timedelta

import pytest
from dagster import AssetKey

# The policy type that `FreshnessPolicy.time_window` returns; dagster does not export it.
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

from orchestration.lib.dbt.sla import freshness_policy_from_meta, parse_duration
from orchestration.lib.dbt.translator import ProjectTranslator
from orchestration.settings import ConfigError
from tests.harness.manifests import dbt_manifest, dbt_node


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1d 2h", timedelta(days=1, hours=2)),
    ],
)
def test_durations_are_days_hours_minutes(text, expected):
    assert parse_duration(text, "here") == expected


@pytest.mark.parametrize("text", ["", "2", "2 hours", "h", "0m", "-1h", "1.5h"])
def test_a_bad_duration_names_where_and_the_accepted_forms(text):
    with pytest.raises(ConfigError, match=r"model\.pkg\.x.*(1h30m|1 minute)"):
        parse_duration(text, "model.pkg.x")


def test_short_form_is_the_fail_window_and_the_mapping_sets_both():
    short = freshness_policy_from_meta({"freshness_sla": "2h"}, "m")
    assert isinstance(short, TimeWindowFreshnessPolicy)
    assert short.fail_window.to_timedelta() == timedelta(hours=2)
    assert short.warn_window is None
    declared = {"fail_after": "2h", "warn_after": "75m"}
    both = freshness_policy_from_meta({"freshness_sla": declared}, "m")
    assert isinstance(both, TimeWindowFreshnessPolicy)
    assert both.warn_window is not None
    assert both.warn_window.to_timedelta() == timedelta(minutes=75)


@pytest.mark.parametrize("off", [None, "none", "off"])
def test_a_model_can_remove_its_folders_sla(off):
    assert freshness_policy_from_meta({"freshness_sla": off}, "m") is None
    assert freshness_policy_from_meta({}, "m") is None


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"fail_after": "1h", "warn_after": "2h"}, "warn_after .* shorter than fail_after"),
        ({"warn_after": "1h"}, "takes fail_after"),
        ({"fail_after": "1h", "error_after": "2h"}, "takes fail_after"),
        (["2h"], "must be a duration"),
    ],
)
def test_malformed_sla_is_a_config_error_naming_the_model(declared, message):
    with pytest.raises(ConfigError, match=f"model.pkg.x meta.freshness_sla.*{message}"):
        freshness_policy_from_meta({"freshness_sla": declared}, "model.pkg.x")


def test_sla_under_meta_dagster_is_refused_with_the_reason():
    with pytest.raises(ConfigError, match=r"Move it to meta\.freshness_sla: dbt merges meta"):
        freshness_policy_from_meta({"dagster": {"freshness_sla": "2h"}}, "model.pkg.x")


def test_translator_puts_the_sla_on_the_asset_spec_and_leaves_others_without():
    with_sla = dbt_node("model.pkg.fct_a", ["pkg", "marts", "fct_a"], meta={"freshness_sla": "26h"})
    without = dbt_node("model.pkg.fct_b", ["pkg", "marts", "fct_b"])
    manifest = dbt_manifest(with_sla, without)
    translator = ProjectTranslator()
    spec = translator.get_asset_spec(manifest, with_sla["unique_id"], None)
    assert spec.key == AssetKey("fct_a")
    policy = spec.freshness_policy
    assert isinstance(policy, TimeWindowFreshnessPolicy)
    assert policy.fail_window.to_timedelta() == timedelta(hours=26)
    assert translator.get_asset_spec(manifest, without["unique_id"], None).freshness_policy is None


def test_translator_error_names_the_model_and_its_file():
    node = dbt_node("model.pkg.fct_c", ["pkg", "marts", "fct_c"], meta={"freshness_sla": "soon"})
    with pytest.raises(ConfigError, match=r"model\.pkg\.fct_c \(models/fct_c\.sql\)"):
        ProjectTranslator().get_asset_spec(dbt_manifest(node), node["unique_id"], None)
