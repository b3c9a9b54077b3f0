"""Failures surface where a user looks: failed asset checks, and run errors naming the model."""

import re

import pytest
from dagster import AssetKey, DagsterEventType, DagsterRunStatus

from tests.harness.sandbox import TINY_PROJECT, Sandbox, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


def _run_id(stdout: str) -> str:
    match = re.search(r"^run (\S+) (succeeded|FAILED)", stdout, re.MULTILINE)
    assert match, stdout[-2000:]
    return match.group(1)


def _make_run_fails(tmp_path, project) -> tuple[Sandbox, str]:
    """`make run` on the edited project: it exits non-zero; its run's id."""
    sandbox = make_sandbox(tmp_path, project)
    sandbox.prepare_manifest()
    result = sandbox.python("-m", "orchestration.cli.run", check=False)
    assert result.returncode != 0
    return sandbox, _run_id(result.stdout)


def _materialized(instance, run_id: str) -> set[AssetKey]:
    return set(
        instance.get_asset_keys_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    )


def test_failing_dbt_test_is_a_failed_asset_check(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    (project / "models" / "customer_totals.yml").write_text(
        "models:\n"
        "  - name: customer_totals\n"
        "    columns:\n"
        "      - name: customer\n"
        "        data_tests:\n"
        "          - accepted_values:\n"
        "              arguments: {values: ['ada']}\n"
    )
    # A singular test reading two nodes is no asset check; its failure is still in the summary.
    (project / "tests").mkdir(exist_ok=True)
    (project / "tests" / "assert_totals_match_orders.sql").write_text(
        "select t.customer from {{ ref('customer_totals') }} as t "
        "join {{ ref('orders') }} as o on o.customer = t.customer\n"
    )
    sandbox = make_sandbox(tmp_path, project)
    sandbox.prepare_manifest()
    result = sandbox.python("-m", "orchestration.cli.run", check=False)

    assert result.returncode != 0
    assert re.search(r"dbt test assert_totals_match_orders +check .*1 FAILED", result.stdout)
    assert re.search(r"assets materialized, 2 failed checks$", result.stdout, re.MULTILINE)
    run_id = _run_id(result.stdout)
    with sandbox.instance() as instance:
        records = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        events = [r.event_log_entry.dagster_event for r in records]
        evaluations = [e.asset_check_evaluation_data for e in events if e is not None]
        failed = [e for e in evaluations if not e.passed]
        assert [e.asset_key for e in failed] == [AssetKey("customer_totals")]
        assert "accepted_values" in failed[0].check_name
        # dbt's own message on the check, not only its status.
        assert "configured to fail if != 0" in str(failed[0].metadata["dbt/message"].value)
        # The model itself was built; the blocking check then failed the run.
        assert AssetKey("customer_totals") in _materialized(instance, run_id)
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.FAILURE


def test_broken_sql_fails_the_run_naming_the_model_and_dbt_error(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    (project / "models" / "broken_model.sql").write_text("select * from table_that_is_not_there\n")
    sandbox, run_id = _make_run_fails(tmp_path, project)
    with sandbox.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.FAILURE
        failures = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records
        assert failures
        failure = failures[0].event_log_entry.dagster_event
        assert failure is not None
        error = failure.step_failure_data.error
        message = error.message if error else ""
        assert "broken_model" in message
        assert "table_that_is_not_there" in message  # dbt's own (DuckDB's) error text
        # Its sibling, untouched by the breakage, still materialized.
        assert AssetKey("customer_totals") in _materialized(instance, run_id)


def test_a_failed_model_stops_only_the_slices_that_read_it(tmp_path):
    """dbt's blast radius in the slices layout: a broken staging model skips what reads it, while
    the slice below that reads only its healthy siblings still builds."""
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    models = {
        "staging/stg_orders.sql": "select * from {{ ref('orders') }}",
        "staging/broken_stg.sql": "select * from table_that_is_not_there",
        "marts/orders_mart.sql": "select count(*) as orders from {{ ref('stg_orders') }}",
        "reports/after_broken.sql": "select * from {{ ref('broken_stg') }}",
    }
    for path, sql in models.items():
        (project / "models" / path).parent.mkdir(exist_ok=True)
        (project / "models" / path).write_text(sql + "\n")
    sandbox = make_sandbox(tmp_path, project)
    sandbox.env["DBT_STEPS"] = "slices"
    sandbox.prepare_manifest()
    result = sandbox.python("-m", "orchestration.cli.run", check=False)
    assert result.returncode != 0
    run_id = _run_id(result.stdout)
    with sandbox.instance() as instance:
        built = _materialized(instance, run_id)
        run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == DagsterRunStatus.FAILURE
    assert {AssetKey("stg_orders"), AssetKey("orders_mart")} <= built, result.stdout[-3000:]
    assert not {AssetKey("broken_stg"), AssetKey("after_broken")} & built
