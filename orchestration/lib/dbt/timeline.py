"""When each node of one dbt invocation ran, and on which thread, from its run_results.json.

Dagster draws a step as one bar however many dbt nodes it runs, so a slow model or an idle dbt
thread is invisible there. dbt times every node itself (the `timing` entries of each result:
compile, then execute), which is all a timeline needs: no extra work while dbt runs. This module
reads it; timeline_markdown.py draws it.
"""

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class TimelineError(ValueError):
    """run_results.json is not shaped as dbt writes it."""


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    name: str
    resource_type: str
    status: str
    thread_id: str
    start: float  # POSIX seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Timeline:
    nodes: tuple[NodeTiming, ...]  # by start
    untimed: tuple[NodeTiming, ...]  # results dbt did not time (skipped); start == end == 0
    threads: int  # dbt's configured threads, or the lanes seen if more
    critical_path: tuple[NodeTiming, ...]  # first node first
    dbt_elapsed: float | None  # dbt's own elapsed_time, parsing and startup included

    @property
    def start(self) -> float:
        return min((n.start for n in self.nodes), default=0.0)

    @property
    def wall(self) -> float:
        """Seconds from the first node's start to the last node's end."""
        return max((n.end for n in self.nodes), default=0.0) - self.start

    def busy_seconds(self) -> dict[str, float]:
        busy: dict[str, float] = defaultdict(float)
        for node in self.nodes:
            busy[node.thread_id] += node.duration
        return dict(sorted(busy.items(), key=lambda item: _natural(item[0])))

    def saturation(self) -> dict[str, float]:
        """Per dbt thread: the share of the wall time it spent running a node."""
        wall = self.wall or 1.0
        return {thread: seconds / wall for thread, seconds in self.busy_seconds().items()}

    @property
    def utilisation(self) -> float:
        """Busy thread-seconds over the thread-seconds dbt had (configured threads x wall)."""
        capacity = self.threads * self.wall
        return sum(self.busy_seconds().values()) / capacity if capacity else 0.0

    def slowest(self, count: int = 10) -> list[NodeTiming]:
        return sorted(self.nodes, key=lambda n: (-n.duration, n.unique_id))[:count]


def build_timeline(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> Timeline:
    """The timeline of one run_results.json; `manifest` gives names and `depends_on`."""
    if not isinstance(run_results, Mapping) or not isinstance(run_results.get("results"), list):
        raise TimelineError("run_results.json has no `results` list")
    manifest = manifest if isinstance(manifest, Mapping) else {}
    # dbt keeps unit tests apart from the nodes; both run in `dbt build`.
    manifest_nodes = {**manifest.get("unit_tests", {}), **manifest.get("nodes", {})}
    timed, untimed = _node_timings(run_results["results"], manifest_nodes)
    args = run_results.get("args")
    configured = args.get("threads") if isinstance(args, Mapping) else None
    lanes = len({n.thread_id for n in timed})
    elapsed = run_results.get("elapsed_time")
    return Timeline(
        nodes=tuple(timed),
        untimed=tuple(untimed),
        threads=max(configured if isinstance(configured, int) else 0, lanes, 1),
        critical_path=tuple(critical_path(timed, manifest_nodes)),
        dbt_elapsed=float(elapsed) if isinstance(elapsed, int | float) else None,
    )


def _node_timings(
    results: Sequence[Any], manifest_nodes: Mapping[str, Any]
) -> tuple[list[NodeTiming], list[NodeTiming]]:
    timed: list[NodeTiming] = []
    untimed: list[NodeTiming] = []
    for index, result in enumerate(results):
        unique_id = result.get("unique_id") if isinstance(result, Mapping) else None
        if not isinstance(unique_id, str):
            raise TimelineError(f"run_results.json: result {index} has no `unique_id`")
        node = manifest_nodes.get(unique_id) or {}
        parts = unique_id.split(".")
        # Without the node (a manifest from another parse), its id still holds its name.
        name = str(node.get("name") or (parts[2] if len(parts) > 2 else unique_id))
        resource_type = str(node.get("resource_type") or parts[0])
        status = str(result.get("status"))
        spans = [
            (entry.get("started_at"), entry.get("completed_at"))
            for entry in result.get("timing") or ()
            if isinstance(entry, Mapping) and entry.get("started_at") and entry.get("completed_at")
        ]
        if not spans:
            untimed.append(NodeTiming(unique_id, name, resource_type, status, "", 0.0, 0.0))
            continue
        try:
            start = min(_seconds(started) for started, _ in spans)
            end = max(_seconds(completed) for _, completed in spans)
        except (TypeError, ValueError):
            raise TimelineError(
                f"run_results.json: {unique_id} has a timing entry that is not an ISO 8601 time"
            ) from None
        thread = str(result.get("thread_id") or "unknown thread")
        timed.append(NodeTiming(unique_id, name, resource_type, status, thread, start, end))
    timed.sort(key=lambda n: (n.start, n.end, n.unique_id))
    return timed, untimed


def critical_path(
    nodes: Sequence[NodeTiming], manifest_nodes: Mapping[str, Any]
) -> list[NodeTiming]:
    """The chain that ends with the node that finished last, walked back to a node that waited
    on nothing of this run by taking, each time, the predecessor that finished last.

    A node's predecessors are its `depends_on` nodes that ran here and, as `dbt build` orders
    them, the tests of those nodes. Only those that ended before the node started count: that
    drops edges dbt did not wait on (a test reading the node itself; a source a project's own
    seed stands in for, lib/dbt/dagster_manifest.py).
    """
    if not nodes:
        return []
    by_id = {n.unique_id: n for n in nodes}
    parents: dict[str, list[str]] = {}
    tests_of: dict[str, list[str]] = defaultdict(list)
    for unique_id, node in by_id.items():
        depends_on = (manifest_nodes.get(unique_id) or {}).get("depends_on") or {}
        parents[unique_id] = [p for p in depends_on.get("nodes") or () if p in by_id]
        if node.resource_type == "test":
            for parent in parents[unique_id]:
                tests_of[parent].append(unique_id)
    current = max(nodes, key=lambda n: (n.end, n.start))
    path = [current]
    seen = {current.unique_id}
    while True:
        candidates = list(parents[current.unique_id])
        if current.resource_type != "test":
            candidates += [t for p in parents[current.unique_id] for t in tests_of[p]]
        ready = [by_id[c] for c in candidates if c not in seen and by_id[c].end <= current.start]
        if not ready:
            break
        current = max(ready, key=lambda n: (n.end, n.unique_id))
        path.append(current)
        seen.add(current.unique_id)
    path.reverse()
    return path


def lane_name(thread_id: str) -> str:
    """`Thread-3 (worker)` -> `Thread-3`: the suffix is the same on every dbt thread."""
    return thread_id.removesuffix(" (worker)")


def _natural(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _seconds(stamp: Any) -> float:
    return datetime.fromisoformat(stamp).timestamp()
