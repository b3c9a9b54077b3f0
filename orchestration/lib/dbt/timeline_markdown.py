"""A dbt timeline (timeline.py) as Markdown the Dagster UI renders: thread lanes, every node,
the slowest nodes and the critical path.

The chart has one lane per dbt thread, not one row per node, so its height is the thread count
whatever the project's size; under many nodes a lane becomes a texture, so a row above the lanes
shows how many threads were busy over time, and every node is named, one line each, below.
"""

import math
from collections import defaultdict
from collections.abc import Sequence

from orchestration.lib.dbt.timeline import NodeTiming, Timeline, lane_name

GANTT_WIDTH = 100
# Successive nodes on a lane alternate glyphs, so two back-to-back nodes show as two segments.
GLYPHS = ("█", "▒")
IDLE = "·"
# Share of the threads busy in a column, from none to all.
LEVELS = " ▁▂▃▄▅▆▇█"


def timeline_markdown(timeline: Timeline, *, slowest: int = 10, width: int = GANTT_WIDTH) -> str:
    nodes, t0, wall = timeline.nodes, timeline.start, timeline.wall
    dbt_total = f" (dbt ran {timeline.dbt_elapsed:.1f} s in all)" if timeline.dbt_elapsed else ""
    lines = [
        f"**{len(nodes)} dbt nodes** timed ({len(timeline.untimed)} not run), "
        f"{wall:.1f} s from the first node's start to the last one's end{dbt_total}, "
        f"{timeline.threads} threads, {timeline.utilisation:.0%} busy.",
        "",
    ]
    if not nodes:
        return "\n".join([*lines, *_untimed_lines(timeline)]) + "\n"
    lines += ["### Threads", "", "```text", *_gantt(timeline, width), "```", ""]
    lines.append(
        f"One lane per dbt thread; one column is {wall / width:.3g} s. Each node is a run of "
        f"`{GLYPHS[0]}` or `{GLYPHS[1]}` (they alternate), `{IDLE}` is an idle thread; nodes "
        "shorter than a column share it. `all` shows how many threads were busy, from none "
        f"(blank) to all (`{LEVELS[-1]}`). Every node is listed below."
    )
    lines += ["", f"### Nodes ({len(nodes)}, by start)", "", "```text"]
    lines += [*_node_list(nodes, t0), "```", "", *_untimed_lines(timeline)]
    lines += ["", f"### Slowest models (top {min(slowest, len(nodes))} of {len(nodes)})", ""]
    lines += ["| # | Node | Type | Duration | Starts at | Thread | Status |"]
    lines += ["|---|---|---|---|---|---|---|"]
    for rank, n in enumerate(timeline.slowest(slowest), 1):
        lines.append(
            f"| {rank} | {_cell(n.name)} | {n.resource_type} | {n.duration:.2f} s "
            f"| +{n.start - t0:.2f} s | {lane_name(n.thread_id)} | {n.status} |"
        )
    path = timeline.critical_path
    running = sum(n.duration for n in path)
    lines += ["", f"### Critical path ({len(path)} nodes)", ""]
    lines.append(
        f"The chain of dependent nodes that ended last: {running:.1f} s running, "
        f"{wall - running:.1f} s between its nodes or before its first one (waiting for a "
        "thread or for dbt)."
    )
    lines += ["", "| # | Node | Type | Starts at | Duration | Waited | Thread |"]
    lines += ["|---|---|---|---|---|---|---|"]
    previous_end = t0
    for step, n in enumerate(path, 1):
        lines.append(
            f"| {step} | {_cell(n.name)} | {n.resource_type} | +{n.start - t0:.2f} s "
            f"| {n.duration:.2f} s | {n.start - previous_end:.2f} s | {lane_name(n.thread_id)} |"
        )
        previous_end = n.end
    return "\n".join(lines) + "\n"


def _gantt(timeline: Timeline, width: int) -> list[str]:
    t0, wall = timeline.start, timeline.wall or 1.0
    by_thread: dict[str, list[NodeTiming]] = defaultdict(list)
    for node in timeline.nodes:
        by_thread[node.thread_id].append(node)
    saturation = timeline.saturation()
    label_width = max(len(lane_name(t)) for t in [*saturation, "all"])
    busy = _busy_levels(timeline, width)
    rows = [" " * (label_width + 1) + _axis(wall, width)]
    rows.append(f"{'all':<{label_width}} |{busy}| {timeline.utilisation:4.0%} busy")
    for thread, share in saturation.items():
        cells = [IDLE] * width
        for index, node in enumerate(by_thread[thread]):
            first = min(int((node.start - t0) / wall * width), width - 1)
            last = min(max(math.ceil((node.end - t0) / wall * width), first + 1), width)
            cells[first:last] = GLYPHS[index % 2] * (last - first)
        rows.append(f"{lane_name(thread):<{label_width}} |{''.join(cells)}| {share:4.0%} busy")
    idle = timeline.threads - len(saturation)
    if idle > 0:
        rows.append(f"({idle} of {timeline.threads} threads ran no node)")
    return rows


def _busy_levels(timeline: Timeline, width: int) -> str:
    """Per column, the busy share of all threads, as one of LEVELS."""
    t0, column = timeline.start, (timeline.wall or 1.0) / width
    busy = [0.0] * width
    for node in timeline.nodes:
        start, end = (node.start - t0) / column, (node.end - t0) / column
        for index in range(int(start), min(math.ceil(end), width)):
            busy[index] += min(end, index + 1) - max(start, index)
    top = len(LEVELS) - 1
    return "".join(LEVELS[min(top, math.ceil(b / timeline.threads * top))] for b in busy)


def _axis(wall: float, width: int) -> str:
    """Seconds at the chart's quarters, aligned to the lanes' first column."""
    axis = [" "] * (width + 2)
    for quarter in range(5):
        label = f"{wall * quarter / 4:.1f} s"
        column = min(1 + quarter * width // 4, width + 2 - len(label))
        axis[column : column + len(label)] = label
    return "".join(axis).rstrip()


def _node_list(nodes: Sequence[NodeTiming], t0: float) -> list[str]:
    name_width = max(len(n.name) for n in nodes)
    thread_width = max(len(lane_name(n.thread_id)) for n in nodes)
    header = f"{'start':>9} {'duration':>9}  {'thread':<{thread_width}}  {'status':<7} {'type':<9}"
    rows = [f"{header} {'name':<{name_width}}".rstrip()]
    for n in nodes:
        rows.append(
            f"{f'+{n.start - t0:.2f}s':>9} {f'{n.duration:.2f}s':>9}  "
            f"{lane_name(n.thread_id):<{thread_width}}  {n.status:<7} {n.resource_type:<9} "
            f"{n.name}"
        )
    return rows


def _untimed_lines(timeline: Timeline) -> list[str]:
    if not timeline.untimed:
        return []
    names = ", ".join(f"{n.name} ({n.status})" for n in timeline.untimed)
    return [f"Not run, so not timed ({len(timeline.untimed)}): {names}."]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
