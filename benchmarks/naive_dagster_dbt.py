"""The anchor column: dbt in Dagster as the dagster-dbt docs show it, nothing of ours.

One `@dbt_assets` over the whole manifest, `dbt build` streamed with row counts, the default
multiprocess executor, the instance in DAGSTER_HOME. Run as
`python -m benchmarks.naive_dagster_dbt` with DBT_PROJECT_DIR set and a prepared manifest; it
prints `naive run <id> succeeded|FAILED` and exits non-zero on failure.
"""

import os
import sys
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    Definitions,
    JobDefinition,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

PROJECT = DbtProject(project_dir=Path(os.environ["DBT_PROJECT_DIR"]))


@dbt_assets(manifest=PROJECT.manifest_path, project=PROJECT)
def all_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()


def naive_job() -> JobDefinition:
    defs = Definitions(
        assets=[all_dbt_models],
        jobs=[define_asset_job("naive_build")],
        resources={"dbt": DbtCliResource(project_dir=PROJECT)},
    )
    return defs.resolve_job_def("naive_build")


def main() -> int:
    with DagsterInstance.get() as instance:
        result = execute_job(reconstructable(naive_job), instance=instance)
    print(f"naive run {result.run_id} {'succeeded' if result.success else 'FAILED'}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
