"""Run-retry policy, applied as run tags to every job of this code location."""

from orchestration import settings


def run_retry_tags() -> dict[str, str]:
    """Tags that make Dagster's run-retry daemon re-run only what did not finish.

    FROM_ASSET_FAILURE re-executes the assets that were planned but not materialized and the
    checks that failed or did not run; dbt assets are subsettable, so the retried dbt steps
    build exactly those models: what succeeded is not rebuilt.
    """
    return {
        "dagster/retry_strategy": "FROM_ASSET_FAILURE",
        "dagster/max_retries": str(settings.run_max_retries()),
        "dagster/retry_on_asset_or_op_failure": str(settings.run_retry_on_model_failure()).lower(),
    }
