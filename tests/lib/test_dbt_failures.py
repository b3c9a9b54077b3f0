"""A failed dbt invocation said once per node, in dbt's words (lib/dbt/failures.py)."""

from orchestration.alerts.run_failures import error_summary
from orchestration.lib.dbt.failures import failure_summary
from tests.harness.manifests import dbt_manifest, dbt_node

MANIFEST = dbt_manifest(
    dbt_node("model.p.broken"),
    dbt_node("model.p.fine"),
    dbt_node("test.p.not_null_fine_id", parents=("model.p.fine",)),
)


def _result(unique_id: str, status: str, message: str | None) -> dict:
    return {"unique_id": unique_id, "status": status, "message": message}


def test_each_failed_node_once_with_its_file_and_dbt_message_without_colour_codes():
    run_results = {
        "results": [
            _result(
                "model.p.broken",
                "error",
                "Runtime Error in model broken (models/broken.sql)\n"
                "  \x1b[31mCatalog Error\x1b[0m: Table with name nope does not exist!",
            ),
            _result("model.p.fine", "success", "OK"),
            _result(
                "test.p.not_null_fine_id",
                "fail",
                "Got 3 results, configured to fail if != 0\n\n  compiled code at /w/x.sql",
            ),
        ]
    }
    summary = failure_summary(run_results, MANIFEST)
    assert summary == (
        "dbt: 2 nodes failed.\n"
        "Runtime Error in model broken (models/broken.sql)\n"
        "  Catalog Error: Table with name nope does not exist!\n"
        "Failure in test not_null_fine_id (models/not_null_fine_id.sql)\n"
        "  Got 3 results, configured to fail if != 0"
    )
    assert error_summary(f"dagster._core.definitions.events.Failure: {summary}") == (
        "Runtime Error in model broken (models/broken.sql): Catalog Error: Table with name nope "
        "does not exist!; Failure in test not_null_fine_id (models/not_null_fine_id.sql): Got 3 "
        "results, configured to fail if != 0"
    )


def test_nothing_failed_is_no_summary():
    assert (
        failure_summary({"results": [_result("model.p.fine", "success", "OK")]}, MANIFEST) is None
    )
    assert failure_summary({}, MANIFEST) is None
