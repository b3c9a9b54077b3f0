"""Turning one dbt invocation into Dagster events, with row counts and artifact locations."""

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from dagster import AssetMaterialization, MetadataValue, Output, get_dagster_logger
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

logger = get_dagster_logger()

ROW_COUNT_KEY = "dagster/row_count"


def stream_dbt_events(
    invocation: DbtCliInvocation,
    *,
    single_writer: bool,
    build_adapter: Callable[[], Any] | None = None,
) -> Iterator[Any]:
    """Yield the invocation's Dagster events, each materialization with its row count.

    A multi-writer warehouse counts rows while dbt runs (dagster-dbt's `fetch_row_counts`). A
    single-writer one (DuckDB) cannot: dbt holds the file's write lock until it exits, so a
    second connection from this process would fail. There the events are held until dbt exits,
    then every built relation is counted over one connection. Events are held, not dropped: a
    dbt failure is raised only after the materializations of the models that did succeed.

    `build_adapter` builds the adapter for those counts while dbt runs, off the critical path
    (else the invocation's own adapter is used). dbt keeps its invocation context per thread,
    so the adapter is built and used in one thread of its own. Building it moves the process's
    working directory for a moment (dagster-dbt's pushd to the project); every path used here
    is absolute.
    """
    artifacts = MetadataValue.path(str(invocation.target_path))
    if not single_writer:
        for event in invocation.stream().fetch_row_counts():
            yield _with_metadata(event, {"dbt/artifacts": artifacts})
        return

    adapter_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbt-adapter")
    try:
        adapter = adapter_thread.submit(build_adapter) if build_adapter else None
        yield from _held_events(invocation, artifacts, adapter_thread, adapter)
    finally:
        adapter_thread.shutdown(wait=False, cancel_futures=True)


def _held_events(
    invocation: DbtCliInvocation,
    artifacts: MetadataValue,
    adapter_thread: ThreadPoolExecutor,
    adapter: Future[Any] | None,
) -> Iterator[Any]:
    # Only the events that will carry a row count wait for dbt to exit: a table's
    # materialization, and whatever depends on a held one (Dagster takes a step's outputs in
    # topological order, and a check after the materialization it checks). The rest (views and
    # their checks) are reported while dbt runs, so their event writes overlap it.
    nodes = invocation.manifest.get("nodes", {})
    held: list[Any] = []
    held_ids: set[str] = set()
    failure: BaseException | None = None
    try:
        for event in invocation.stream():
            unique_id = _unique_id(event) or ""
            node = nodes.get(unique_id, {})
            counted = isinstance(event, Output | AssetMaterialization) and _is_counted(node)
            if not counted and not held_ids & _dependencies(nodes, node):
                yield _with_metadata(event, {"dbt/artifacts": artifacts})
                continue
            held_ids.add(unique_id)
            held.append(event)
    except DagsterExecutionInterruptedError:
        # The run is being terminated. dagster-dbt has sent dbt SIGINT (dbt then cancels its
        # open queries); make sure it is gone, report the models it finished, and stop. Rows are
        # not counted: a stop should be prompt.
        _stop_dbt(invocation)
        for event in held:
            yield _with_metadata(event, {"dbt/artifacts": artifacts})
        raise
    except Exception as error:  # dbt failed: report what did succeed, then fail the step.
        # Also reached when dbt ignored the stop and dagster-dbt's wait for it timed out.
        _stop_dbt(invocation)
        failure = error

    def count() -> dict[str, int]:
        return _count_rows(invocation, held, adapter.result() if adapter else invocation.adapter)

    counts = adapter_thread.submit(count).result()
    for event in held:
        metadata: dict[str, Any] = {"dbt/artifacts": artifacts}
        unique_id = _unique_id(event)
        if unique_id in counts:
            metadata[ROW_COUNT_KEY] = MetadataValue.int(counts[unique_id])
        yield _with_metadata(event, metadata)
    if failure is not None:
        raise failure


def _stop_dbt(invocation: DbtCliInvocation, grace_seconds: float = 10) -> None:
    """Leave no orphan dbt behind, and so no lock on the warehouse file."""
    process = invocation.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _is_counted(node: dict[str, Any]) -> bool:
    """Tables, incrementals, seeds and snapshots get a row count. Views do not: counting one
    re-runs its whole query, which can cost as much as the model itself; dagster-dbt's own row
    counts skip them for the same reason."""
    materialized = node.get("config", {}).get("materialized")
    return bool(node.get("relation_name")) and materialized not in ("view", "ephemeral")


def _dependencies(nodes: dict[str, Any], node: dict[str, Any]) -> set[str]:
    """The dbt nodes a node reads (a test: the models it tests), looking through ephemeral
    models, which Dagster sees through too."""
    found: set[str] = set()
    pending = [node.get("attached_node"), *node.get("depends_on", {}).get("nodes", [])]
    while pending:
        unique_id = pending.pop()
        if not unique_id or unique_id in found:
            continue
        found.add(unique_id)
        parent = nodes.get(unique_id, {})
        if parent.get("config", {}).get("materialized") == "ephemeral":
            pending += parent.get("depends_on", {}).get("nodes", [])
    return found


def _unique_id(event: Any) -> str | None:
    value = getattr(event, "metadata", {}).get("unique_id")
    return getattr(value, "text", value)


def _with_metadata(event: Any, metadata: dict[str, Any]) -> Any:
    if isinstance(event, Output | AssetMaterialization):
        return event.with_metadata({**event.metadata, **metadata})
    return event


def _count_rows(invocation: DbtCliInvocation, events: list[Any], adapter: Any) -> dict[str, int]:
    """Count rows of every materialized table/incremental/seed/snapshot, over one connection."""
    if adapter is None:
        return {}
    nodes = invocation.manifest.get("nodes", {})
    relations: dict[str, str] = {}
    for event in events:
        unique_id = _unique_id(event)
        node = nodes.get(unique_id or "", {})
        if isinstance(event, Output | AssetMaterialization) and _is_counted(node):
            relations[str(unique_id)] = node["relation_name"]
    if not relations:
        return {}
    counts: dict[str, int] = {}
    try:
        # dbt resolves relative paths in profiles.yml against the project directory.
        with contextlib.chdir(invocation.project_dir), adapter.connection_named("row_counts"):
            for unique_id, relation in relations.items():
                _, table = adapter.execute(
                    f"select count(*) as row_count from {relation}", fetch=True
                )
                counts[unique_id] = int(table.rows[0][0])
    except Exception:  # Row counts are metadata: never fail a successful build over them.
        logger.warning("Could not count rows after the dbt invocation.", exc_info=True)
    return counts
