"""What a dbt node's materialization shows beyond dagster-dbt's defaults: the relation's columns
with their warehouse types, the SQL dbt ran, dbt's result for the node, and seconds that say so.

Everything here is read from what the step already has (dbt's log event, the note that
row_counting_dbt.py logs behind it, the invocation's target folder): no query of its own.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster import (
    JsonMetadataValue,
    MarkdownMetadataValue,
    MetadataValue,
    TableColumn,
    TableSchema,
    TableSchemaMetadataValue,
)

# dagster-dbt's key holds a bare float ("Execution Duration 0.17"): the UI shows no unit. The
# value stays a number under a key that names the unit, so Dagster still plots it.
DAGSTER_DBT_SECONDS_KEY = "Execution Duration"
EXECUTION_SECONDS_KEY = "Execution Duration (s)"
# The key the UI shows as an asset's Columns (Dagster's TableMetadataSet.column_schema).
COLUMN_SCHEMA_KEY = "dagster/column_schema"
COMPILED_SQL_KEY = "dbt/compiled_sql"
RESULT_KEY = "dbt/result"
# A generated model can compile to megabytes; the event log and the UI need only its head.
MAX_SQL_CHARS = 20_000


def column_schema(
    columns: Sequence[tuple[str, str]], manifest: Mapping[str, Any], unique_id: str
) -> dict[str, TableSchemaMetadataValue]:
    """The UI's Columns of an asset: names and the warehouse's types, with the descriptions the
    dbt YAML gives them, so a materialization's schema says no less than the definition's."""
    documented = manifest.get("nodes", {}).get(unique_id, {}).get("columns") or {}
    # The warehouse may fold the case of a name the YAML spells otherwise (Postgres: lower).
    descriptions = {
        name.lower(): column.get("description") or None for name, column in documented.items()
    }
    schema = TableSchema(
        columns=[
            TableColumn(name=name, type=kind, description=descriptions.get(name.lower()))
            for name, kind in columns
        ]
    )
    return {COLUMN_SCHEMA_KEY: MetadataValue.table_schema(schema)}


def with_seconds_unit(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`metadata` with dagster-dbt's execution duration under a key that names its unit."""
    renamed = dict(metadata)
    if DAGSTER_DBT_SECONDS_KEY in renamed:
        renamed[EXECUTION_SECONDS_KEY] = renamed.pop(DAGSTER_DBT_SECONDS_KEY)
    return renamed


def compiled_sql(
    target_path: Path, manifest: Mapping[str, Any], unique_id: str
) -> dict[str, MarkdownMetadataValue]:
    """The code dbt compiled for the node in this invocation (SQL, or Python for a Python model),
    as Markdown; nothing for a node with none (a seed) or whose file is gone, and only its head
    if it is long."""
    node = manifest.get("nodes", {}).get(unique_id, {})
    package, source = node.get("package_name"), node.get("original_file_path")
    if not package or not source:
        return {}
    path = target_path / "compiled" / package / source
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            sql = file.read(MAX_SQL_CHARS + 1)
    except OSError:
        return {}
    note = ""
    if len(sql) > MAX_SQL_CHARS:
        sql = sql[:MAX_SQL_CHARS]
        note = f"\n\nFirst {MAX_SQL_CHARS} characters; the whole file: `{path}`"
    fence = "```"
    while fence in sql:  # a fence the SQL itself cannot close
        fence += "`"
    language = node.get("language") or "sql"
    markdown = f"{fence}{language}\n{sql.rstrip()}\n{fence}{note}"
    return {COMPILED_SQL_KEY: MetadataValue.md(markdown)}


def dbt_result(raw_event: Mapping[str, Any]) -> dict[str, JsonMetadataValue]:
    """dbt's own account of the node, as its result event has it: status and database message
    (Postgres: `SELECT 42`, a seed: `INSERT 3`), start, end, seconds, dbt thread, relation.

    run_results.json has more (adapter_response), but only once dbt exits; the event is here now.
    """
    data = raw_event.get("data", {})
    node = data.get("node_info", {})
    result = {
        "status": data.get("status"),
        "message": data.get("result_message"),
        "started_at": node.get("node_started_at"),
        "finished_at": node.get("node_finished_at"),
        "execution_seconds": data.get("execution_time"),
        "thread": raw_event.get("info", {}).get("thread"),
        "materialized": node.get("materialized"),
        "relation": node.get("node_relation", {}).get("relation_name"),
    }
    present = {key: value for key, value in result.items() if value not in (None, "")}
    return {RESULT_KEY: MetadataValue.json(present)}
