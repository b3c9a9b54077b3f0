"""The dbt CLI, unchanged, plus one log line per built table that says how many rows it holds.

Run as `python row_counting_dbt.py build ...`, with the interpreter that has dbt installed.

Why: a single-writer warehouse (DuckDB) is locked by dbt until dbt exits, so no other process can
count rows while dbt runs. Counting after dbt exits meant every table's materialization, and all
that depends on it, waited for dbt to finish: one long tail of event writes per invocation. Here
dbt itself counts, on its own connection, right after it builds each table, before any model
downstream of it can start; the count reaches Dagster in the log stream right behind the table's
result, which waits for it (lib/dbt/events.py).

It is dbt's own CLI (same arguments, flags, exit codes and SIGINT handling) with one callback, a
public dbt API, and one fix: on Postgres, a schema created by a parallel dbt at the same moment is
not an error (tolerate_concurrent_schema_creation). This file imports nothing from
`orchestration`: it runs as a script, in dbt's process, beside any dbt project.
"""

import json
import sys
from typing import Any, cast

# The log line is a dbt `Note` whose message is a JSON object with this one key.
ROW_COUNT_NOTE_KEY = "dagster_row_count"
# dbt logs one of these per node once the node ran; dagster-dbt turns it into the node's result.
_RESULT_EVENTS = ("LogModelResult", "LogSeedResult", "LogSnapshotResult")
# Views are not counted: counting one re-runs its query (dagster-dbt skips them too).
_NOT_COUNTED = ("view", "ephemeral", "materialized_view")


def is_counted(event_name: str, node_status: str, materialized: str, relation: str) -> bool:
    """Whether dbt's result event for a node is followed by a row-count note for it: a built
    table, seed, snapshot or incremental."""
    return (
        event_name in _RESULT_EVENTS
        and node_status == "success"
        and materialized not in _NOT_COUNTED
        and bool(relation)
    )


def count_rows_of_built_tables(message: Any) -> None:
    """dbt event callback: count a table's rows as soon as dbt reports it built.

    It runs in the node's own thread, after dbt logged the node's result and before dbt lets any
    node that depends on it start, so the note always comes before anything downstream.
    """
    if message.info.name not in _RESULT_EVENTS:
        return
    node = message.data.node_info
    relation = node.node_relation.relation_name
    if not is_counted(message.info.name, node.node_status, node.materialized, relation):
        return
    count: dict[str, Any] = {"unique_id": node.unique_id, "rows": None}
    # A callback's exception would fail the node in dbt: row counts are metadata, never that.
    try:
        count["rows"] = _count(relation)
    except Exception as error:
        count["error"] = f"could not count rows of {relation}: {error}"
    _note(json.dumps({ROW_COUNT_NOTE_KEY: count}))


def _count(relation: str) -> int:
    from dbt.adapters.factory import FACTORY

    # One dbt invocation runs one profile, hence one adapter.
    (adapter,) = FACTORY.adapters.values()  # typed as a protocol; this is a SQL adapter
    adapter = cast("Any", adapter)
    with adapter.connection_named("dagster_row_count"):
        _, table = adapter.execute(f"select count(*) from {relation}", fetch=True)
    return int(table.rows[0][0])


def _note(message: str) -> None:
    # Info level: a warning would fail the whole invocation under dbt's --warn-error.
    from dbt_common.events.functions import fire_event
    from dbt_common.events.types import Note

    fire_event(Note(msg=message))


def row_count_of(raw_event: dict[str, Any]) -> tuple[str, int | None] | None:
    """(unique_id, rows or None if it could not be counted) if a raw dbt JSON log event is one
    of the notes written above."""
    info = raw_event.get("info", {})
    if info.get("name") != "Note" or ROW_COUNT_NOTE_KEY not in info.get("msg", ""):
        return None
    try:
        count = json.loads(info["msg"])[ROW_COUNT_NOTE_KEY]
        rows = count["rows"]
        return str(count["unique_id"]), None if rows is None else int(rows)
    except (ValueError, KeyError, TypeError):
        return None


# Postgres's `create schema if not exists` is not atomic: when two dbt processes create the same
# schema at the same moment (parallel slices on a fresh warehouse), one of them fails on this
# catalog index although the schema it asked for now exists.
POSTGRES_SCHEMA_RACE = "pg_namespace_nspname_index"


def tolerate_concurrent_schema_creation() -> None:
    """Let dbt-postgres's `create_schema` succeed when another process created the schema first.

    dbt rolls the failed statement back before raising, so its connection stays usable.
    """
    try:
        from dbt.adapters.postgres.impl import PostgresAdapter
        from dbt_common.exceptions import DbtDatabaseError
    except ImportError:  # another adapter: nothing to tolerate
        return
    create_schema = PostgresAdapter.create_schema

    def create_schema_once_anyone_did(self: Any, relation: Any) -> None:
        try:
            create_schema(self, relation)
        except DbtDatabaseError as error:
            if POSTGRES_SCHEMA_RACE not in str(error):
                raise

    PostgresAdapter.create_schema = create_schema_once_anyone_did


def main() -> None:
    from dbt.cli.main import cli

    tolerate_concurrent_schema_creation()
    # The click group dbt's own `dbt` script calls, so exit codes and signal handling are dbt's.
    cli.main(args=sys.argv[1:], prog_name="dbt", obj={"callbacks": [count_rows_of_built_tables]})


if __name__ == "__main__":
    main()
