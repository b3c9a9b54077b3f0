"""Which sources dbt checks the freshness of, and what each dbt result means as a check."""

from dagster import AssetCheckSeverity, AssetKey

from orchestration.lib.dbt.source_freshness import (
    freshness_sources,
    outcome_for,
    results_by_source,
    source_freshness_args,
)
from tests.harness.manifests import dbt_manifest, dbt_node


def _source(name: str, **config) -> dict:
    return dbt_node(f"source.pkg.raw.{name}", **config)


WINDOWS = {
    "warn_after": {"count": 1, "period": "hour"},
    "error_after": {"count": 2, "period": "day"},
}


def _only_source():
    return freshness_sources(dbt_manifest(_source("a", loaded_at_field="t", freshness=WINDOWS)))


def test_only_sources_with_a_window_and_a_loaded_at_are_checked():
    manifest = dbt_manifest(
        _source("a", loaded_at_field="_loaded_at", freshness=WINDOWS),
        _source("b", loaded_at_field="_loaded_at", freshness=None),
        _source("c", freshness=WINDOWS),  # nothing to measure it by
        _source("d", loaded_at_query="select max(t) from x", freshness=WINDOWS),
    )
    found = freshness_sources(manifest)
    assert [s.unique_id for s in found] == ["source.pkg.raw.a", "source.pkg.raw.d"]
    assert found[0].asset_key == AssetKey(["raw", "a"])
    assert (found[0].warn_after, found[0].error_after) == ("1 hour", "2 days")
    assert source_freshness_args(found) == [
        "source",
        "freshness",
        "--select",
        "source:raw.a source:raw.d",
    ]


def test_dbt_statuses_become_pass_warn_and_error():
    (source,) = freshness_sources(
        dbt_manifest(_source("a", loaded_at_field="t", freshness=WINDOWS))
    )
    results = results_by_source(
        {
            "results": [
                {
                    "unique_id": source.unique_id,
                    "status": "warn",
                    "max_loaded_at": "2026-01-01T00:00:00+00:00",
                    "max_loaded_at_time_ago_in_s": 5400,
                }
            ]
        }
    )
    warn = outcome_for(source, results[source.unique_id])
    assert (warn.passed, warn.severity, warn.metadata["age_hours"]) == (
        False,
        AssetCheckSeverity.WARN,
        1.5,
    )
    assert outcome_for(source, {"status": "pass"}).passed
    error = outcome_for(source, {"status": "error"})
    assert (error.passed, error.severity, "error" in error.metadata) == (
        False,
        AssetCheckSeverity.ERROR,
        False,
    )
    missing = outcome_for(source, None, missing="dbt did not run")
    assert missing.severity == AssetCheckSeverity.ERROR
    assert missing.metadata["error"] == "dbt did not run"


def test_a_failed_freshness_query_is_read_from_dbts_log():
    uid = "source.pkg.raw.a"
    node = {"node_info": {"unique_id": uid}}
    log = [
        {"info": {"name": "LogFreshnessResult"}, "data": {**node, "status": "runtime error"}},
        {"info": {"name": "RunResultError"}, "data": {**node, "msg": "Table a does not exist"}},
    ]
    (source,) = freshness_sources(
        dbt_manifest(_source("a", loaded_at_field="t", freshness=WINDOWS))
    )
    outcome = outcome_for(source, results_by_source({"results": []}, log)[uid])
    assert not outcome.passed
    assert outcome.severity == AssetCheckSeverity.ERROR
    assert outcome.metadata["error"] == "Table a does not exist"
