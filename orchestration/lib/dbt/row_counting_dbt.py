"""The dbt CLI, unchanged, plus one log line per built relation: its rows (tables) and columns.

Run as `python row_counting_dbt.py build ...`, with the interpreter that has dbt installed.

Why: a single-writer warehouse (DuckDB) is locked by dbt until dbt exits, so no other process can
count rows while dbt runs. Counting after dbt exits meant every table's materialization, and all
that depends on it, waited for dbt to finish: one long tail of event writes per invocation. Here
dbt itself counts, on its own connection, right after it builds each table, before any model
downstream of it can start; the count reaches Dagster in the log stream right behind the table's
result, which waits for it (lib/dbt/events.py). The relation's columns and their warehouse types
come the same way, from one catalog query, so a model's materialization shows its actual schema
(dagster-dbt's `fetch_column_metadata` would read them from a thread pool; events.py says why not).

It is dbt's own CLI (same arguments, flags, exit codes and SIGINT handling) with one callback, a
public dbt API, and two changes: on Postgres, a schema created by a parallel dbt at the same moment
is not an error (tolerate_concurrent_schema_creation); with `--query-views` before dbt's own
arguments, a view whose SQL fails when queried is a failed model, not a built one
(fail_views_that_cannot_be_queried). This file imports nothing from `orchestration`: it runs as a
script, in dbt's process, beside any dbt project.
"""

import contextlib
import json
import sys
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, cast

# The log line is a dbt `Note` whose message is a JSON object with this one key.
ROW_COUNT_NOTE_KEY = "dagster_row_count"
# dbt logs one of these per node once the node ran; dagster-dbt turns it into the node's result.
_RESULT_EVENTS = ("LogModelResult", "LogSeedResult", "LogSnapshotResult")
# Views are not counted: counting one re-runs its query (dagster-dbt skips them too). Their
# columns are read all the same: that is a catalog lookup, which runs nothing.
_NOT_COUNTED = ("view", "ephemeral", "materialized_view")


class BuiltRelation(NamedTuple):
    """What the note says of a relation dbt just built; None where it could not be read."""

    unique_id: str
    rows: int | None
    # (name, type) in the warehouse's own words, in the relation's column order.
    columns: list[tuple[str, str]] | None


def is_noted(event_name: str, node_status: str, materialized: str, relation: str) -> bool:
    """Whether dbt's result event for a node is followed by a note on it: a built table, view,
    seed, snapshot or incremental (an ephemeral model builds no relation)."""
    return (
        event_name in _RESULT_EVENTS
        and node_status == "success"
        and materialized != "ephemeral"
        and bool(relation)
    )


def describe_built_relations(message: Any) -> None:
    """dbt event callback: count a table's rows and read its columns as soon as dbt reports it
    built (a view: its columns only).

    It runs in the node's own thread, after dbt logged the node's result and before dbt lets any
    node that depends on it start, so the note always comes before anything downstream. Both
    queries share one connection: a count, and one catalog query for the columns.
    """
    if message.info.name not in _RESULT_EVENTS:
        return
    node = message.data.node_info
    relation = node.node_relation.relation_name
    if not is_noted(message.info.name, node.node_status, node.materialized, relation):
        return
    note: dict[str, Any] = {"unique_id": node.unique_id, "rows": None, "columns": None}
    errors: list[str] = []
    # A callback's exception would fail the node in dbt: this is metadata, never that.
    try:
        adapter = _adapter()
        own = None
        if _fully_named(node.node_relation):
            own = OWN_CONNECTIONS.query_function(adapter)
        if own is not None:
            _describe(adapter, own, node, note, errors)
        else:
            with adapter.connection_named("dagster_row_count"):
                _describe(adapter, _through_dbt(adapter), node, note, errors)
    except Exception as error:
        errors.append(f"could not describe {relation}: {error}")
    if errors:
        note["error"] = "; ".join(errors)
    _note(json.dumps({ROW_COUNT_NOTE_KEY: note}))


Query = Callable[[str], list[tuple[Any, ...]]]


def _describe(
    adapter: Any, query: Query, node: Any, note: dict[str, Any], errors: list[str]
) -> None:
    relation = node.node_relation.relation_name
    if node.materialized not in _NOT_COUNTED:
        try:
            note["rows"] = int(query(f"select count(*) from {relation}")[0][0])
        except Exception as error:
            errors.append(f"could not count rows of {relation}: {error}")
    try:
        note["columns"] = _columns(adapter, query, node.node_relation)
    except Exception as error:
        errors.append(f"could not read the columns of {relation}: {error}")


def _through_dbt(adapter: Any) -> Query:
    """Queries through dbt's connection manager: any adapter, at the price of dbt's events and of
    an agate table per query."""

    def query(sql: str) -> list[tuple[Any, ...]]:
        _, table = adapter.execute(sql, fetch=True)
        return [tuple(row) for row in table.rows]

    return query


class OwnConnections:
    """One database connection per dbt thread for the notes' queries, kept for the whole
    invocation, on the adapters whose catalog query is known (DuckDB, Postgres).

    Why not dbt's own connections: dbt opens and closes a named connection per use and logs every
    step and every query as an event, which a few hundred relations pay many times over; here each
    thread opens one connection once (through the adapter's own `open`, so with the profile's
    settings) and queries it through its DB-API cursor. On Postgres the connection is in
    autocommit, so a count holds no lock past its own statement.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._handles: list[Any] = []

    def query_function(self, adapter: Any) -> Query | None:
        if adapter.type() not in _CATALOG_QUERIES:
            return None
        handle = getattr(self._local, "handle", None)
        if handle is None:
            handle = self._open(adapter)
            self._local.handle = handle

        def query(sql: str) -> list[tuple[Any, ...]]:
            cursor = handle.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

        return query

    def _open(self, adapter: Any) -> Any:
        from dbt.adapters.contracts.connection import Connection, ConnectionState

        connection = Connection(
            type=adapter.type(),
            name="dagster_row_count",
            state=ConnectionState.INIT,
            transaction_open=False,
            handle=None,
            credentials=adapter.config.credentials,
        )
        handle = adapter.ConnectionManager.open(connection).handle
        if adapter.type() in _AUTOCOMMIT_ADAPTERS:
            handle.autocommit = True
        with self._lock:
            self._handles.append(handle)
        return handle

    def close_all(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            # The process is ending: a failed close is the warehouse closing it as well.
            with contextlib.suppress(Exception):
                handle.close()


OWN_CONNECTIONS = OwnConnections()


def _adapter() -> Any:
    from dbt.adapters.factory import FACTORY

    # One dbt invocation runs one profile, hence one adapter.
    (adapter,) = FACTORY.adapters.values()  # typed as a protocol; this is a SQL adapter
    return cast("Any", adapter)


# The catalog query of each adapter's own `get_columns_in_relation` macro, run as plain SQL: a
# macro call renders Jinja in a fresh context every time, which over hundreds of relations costs
# more than the queries. Other adapters go through their macro.
_CATALOG_QUERIES = {
    "duckdb": "select column_name, column_type, null, null, null from (describe {relation})",
    "postgres": (
        "select column_name, data_type, character_maximum_length, numeric_precision,"
        " numeric_scale from {database}.information_schema.columns"
        " where table_schema = {schema} and table_name = {identifier} order by ordinal_position"
    ),
}
# Of those, the adapters whose DB-API connection opens a transaction per statement unless told
# otherwise: the notes' connection is put in autocommit, so a count holds no lock past itself.
_AUTOCOMMIT_ADAPTERS = ("postgres",)


def _columns(adapter: Any, query: Query, node_relation: Any) -> list[tuple[str, str]]:
    """The relation's columns as the warehouse's catalog has them (DuckDB: `describe`; Postgres:
    information_schema.columns), in the adapter's own column type."""
    catalog_query = _CATALOG_QUERIES.get(adapter.type())
    if catalog_query is None or not _fully_named(node_relation):
        relation = adapter.Relation.create(
            database=node_relation.database or None,
            schema=node_relation.schema,
            identifier=node_relation.alias,
        )
        columns = adapter.get_columns_in_relation(relation)
    else:
        sql = catalog_query.format(
            relation=node_relation.relation_name,
            database=adapter.quote(node_relation.database),
            schema=_literal(node_relation.schema),
            identifier=_literal(node_relation.alias),
        )
        columns = [adapter.Column(*row) for row in query(sql)]
    return [(column.name, _type_of(column)) for column in columns]


def _fully_named(node_relation: Any) -> bool:
    return bool(node_relation.database and node_relation.schema)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _type_of(column: Any) -> str:
    """The column's type with its length or precision where the catalog has one. Not dbt's
    `Column.data_type`: it says `character varying(256)` of a string of no declared length."""
    if column.is_string() and column.char_size:
        return column.string_type(column.char_size)
    if column.is_numeric():
        return column.numeric_type(column.dtype, column.numeric_precision, column.numeric_scale)
    return str(column.dtype)


def _note(message: str) -> None:
    # Info level: a warning would fail the whole invocation under dbt's --warn-error.
    from dbt_common.events.functions import fire_event
    from dbt_common.events.types import Note

    fire_event(Note(msg=message))


def built_relation_of(raw_event: dict[str, Any]) -> BuiltRelation | None:
    """What a raw dbt JSON log event says of a built relation, if it is one of the notes above."""
    info = raw_event.get("info", {})
    if info.get("name") != "Note" or ROW_COUNT_NOTE_KEY not in info.get("msg", ""):
        return None
    try:
        note = json.loads(info["msg"])[ROW_COUNT_NOTE_KEY]
        rows, columns = note["rows"], note.get("columns")
        return BuiltRelation(
            str(note["unique_id"]),
            None if rows is None else int(rows),
            None if columns is None else [(str(name), str(kind)) for name, kind in columns],
        )
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


QUERY_VIEWS_FLAG = "--query-views"
# dbt-core's ModelRunner.execute is not a public API: the views are only queried with a dbt-core
# this was checked against (orchestration/lib/private_api.py); another one builds views as dbt does.
CHECKED_DBT_CORE_VERSION = "1.12.0"


def fail_views_that_cannot_be_queried() -> bool:
    """Read one row of each view dbt creates, in the view's own node, and fail the node if that
    query fails; whether it is in force (it is not with an unchecked dbt-core).

    dbt creates a view without running its query, so a view whose SQL fails only when read (a
    failed cast, a column gone from the table below it) is reported built, and whatever reads it
    next fails instead, often in a later run. Failing the view's own node makes dbt say so where
    the fault is: the view is `error` in run_results.json, with the database's message, and dbt
    skips the nodes that depend on it, as for any failed model. One row is read, so a view that
    aggregates a large table is paid in full: DBT_QUERY_VIEWS=false turns this off.
    """
    try:
        from dbt.__version__ import version as dbt_core_version
        from dbt.task.run import ModelRunner
        from dbt_common.exceptions import DbtRuntimeError
    except ImportError:
        return False
    if dbt_core_version != CHECKED_DBT_CORE_VERSION:
        return False
    execute = ModelRunner.execute

    def execute_then_query_view(self: Any, model: Any, manifest: Any) -> Any:
        result = execute(self, model, manifest)
        if model.config.materialized == "view" and str(result.status) == "success":
            try:
                _read_one_row(self.adapter, f"select * from {model.relation_name} limit 1")
            except Exception as error:
                # A dbt error's `msg` is the database's message without dbt's own heading.
                reason = str(getattr(error, "msg", None) or error).strip()
                raise DbtRuntimeError(
                    f"The view {model.relation_name} was created, but reading it fails: "
                    f"{reason}. Fix the model's SQL (or, to build views unread as dbt does, set "
                    "DBT_QUERY_VIEWS=false)."
                ) from error
        return result

    ModelRunner.execute = execute_then_query_view
    return True


def _read_one_row(adapter: Any, sql: str) -> None:
    """Run `sql` on the node's own connection and fetch its first row; on DuckDB and Postgres
    through the DB-API cursor, without dbt's query events and agate table."""
    if adapter.type() not in _CATALOG_QUERIES:
        adapter.execute(sql, fetch=True)
        return
    handle = adapter.connections.get_thread_connection().handle
    cursor = handle.cursor()
    try:
        cursor.execute(sql)
        cursor.fetchone()
    except Exception:
        # Postgres: a failed statement aborts the transaction; leave the connection usable.
        with contextlib.suppress(Exception):
            handle.rollback()
        raise


def main() -> None:
    from dbt.cli.main import cli

    args = sys.argv[1:]
    if args[:1] == [QUERY_VIEWS_FLAG]:
        args = args[1:]
        fail_views_that_cannot_be_queried()
    tolerate_concurrent_schema_creation()
    # The click group dbt's own `dbt` script calls, so exit codes and signal handling are dbt's.
    try:
        cli.main(args=args, prog_name="dbt", obj={"callbacks": [describe_built_relations]})
    finally:
        OWN_CONNECTIONS.close_all()


if __name__ == "__main__":
    main()
