"""The raw tables behind the dbt sources, as assets loaded from the landing zone.

Their asset keys are the dbt source asset keys (from the manifest, through the translator), so
the lineage reads landing -> raw -> staging -> marts. One subsettable multi-asset loads them:
a run selects the tables it loads, and its config may name the exact files (the landing sensor
does); without files it loads everything waiting for the selected tables.
"""

import functools

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)
from dagster_dbt.dbt_manifest import validate_manifest
from pydantic import Field

from orchestration import settings
from orchestration.ingestion.ingest import TableReport, ingest
from orchestration.ingestion.landing import landing_store
from orchestration.ingestion.sources import LandingTable, landing_tables
from orchestration.ingestion.warehouses import writer_for
from orchestration.pools import ingestion_pool
from orchestration.project import dbt_project

LANDING_OP = "landing_ingestion"


class LandingLoadConfig(Config):
    files: list[str] = Field(
        default=[],
        description="Landing files to load, as '<table folder>/<file name>'. Empty: every file "
        "waiting in the landing zone for the selected tables.",
    )


@functools.cache
def project_landing_tables() -> tuple[LandingTable, ...]:
    """The opted-in dbt source tables of the project's manifest (cached, like the dbt assets)."""
    return tuple(landing_tables(validate_manifest(dbt_project().manifest_path)))


def _spec(table: LandingTable, landing_url: str, adapter_type: str) -> AssetSpec:
    where = f"{landing_url}/{table.folder}/"
    return AssetSpec(
        key=table.asset_key,
        description=f"{table.description}\n\nLoaded from `{where}` by landing ingestion.".strip(),
        group_name="landing",
        kinds={adapter_type},
        skippable=True,
        metadata={
            "dagster/table_name": f"{table.schema}.{table.identifier}",
            "dagster/column_schema": TableSchema(
                columns=[TableColumn(name, data_type) for name, data_type in table.columns]
            ),
            "landing/folder": MetadataValue.url(where),
            "landing/primary_key": ", ".join(table.primary_key) or "(append)",
        },
    )


@functools.cache
def landing_assets() -> AssetsDefinition | None:
    """The ingestion multi-asset, or None when no dbt source opts into landing ingestion."""
    tables = project_landing_tables()
    if not tables:
        return None
    by_key = {table.asset_key: table for table in tables}
    adapter_type = settings.warehouse_target().adapter_type
    open_writer = writer_for(adapter_type, tables)

    @multi_asset(
        name=LANDING_OP,
        specs=[_spec(table, settings.landing_url(), adapter_type) for table in tables],
        can_subset=True,
        pool=ingestion_pool(single_writer=settings.single_writer_warehouse()),
    )
    def _ingest(context: AssetExecutionContext, config: LandingLoadConfig):
        selected = [by_key[key] for key in sorted(context.selected_asset_keys) if key in by_key]
        with open_writer() as writer:
            reports = ingest(
                landing_store(settings.landing_url()),
                selected,
                writer=writer,
                run_id=context.run.run_id,
                only=set(config.files) if config.files else None,
                log=context.log,
            )
        for report in reports:
            # Named files (a sensor run, or its re-execution): only a table that took some of
            # them changed. Otherwise (a full run) every selected table is materialized, so
            # the dbt steps after it run, unless all that waited for it was rejected.
            if not report.loaded and (config.files or report.rejected):
                continue
            yield MaterializeResult(
                asset_key=report.table.asset_key,
                metadata=_metadata(report),
                data_version=DataVersion(report.data_version),
            )
        rejected = [error for report in reports for error in report.rejected]
        failed = [line for report in reports for line in report.failed]
        not_loadable = [line for report in reports for line in report.not_loadable]
        folders = {table.folder for table in tables}
        not_loadable += [
            f"{name}: {name.split('/')[0]!r} is no landing table's folder "
            f"(they are {', '.join(sorted(folders))}): check the file name."
            for name in sorted(config.files or ())
            if name.split("/")[0] not in folders
        ]
        if rejected or failed or not_loadable:
            lines = [f"- {error}" for error in rejected] + [f"- {line}" for line in failed]
            lines += [f"- {line}" for line in not_loadable]
            raise Failure(
                description=f"{len(rejected)} landing file(s) rejected and quarantined, "
                f"{len(failed)} left waiting after an error, {len(not_loadable)} named but "
                "not loadable:\n" + "\n".join(lines),
                metadata={"quarantined": [error.url for error in rejected]},
                # Quarantined files leave nothing to retry; a file left waiting may load then.
                allow_retries=bool(failed),
            )

    return _ingest


def _metadata(report: TableReport) -> dict:
    return {
        "dagster/row_count": MetadataValue.int(report.row_count),
        "rows_loaded": MetadataValue.int(report.rows_loaded),
        "files_loaded": [outcome.file.name for outcome in report.loaded],
        "files_skipped": [f"{o.file.name}: {o.skipped}" for o in report.skipped],
        "files_quarantined": [error.url for error in report.rejected],
    }
