"""The dbt timeline from hand-made run_results.json/manifest pairs shaped as dbt writes them."""

import itertools
import logging
import random
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from orchestration.lib.dbt.timeline import TimelineError, build_timeline
from orchestration.lib.dbt.timeline_markdown import GLYPHS, IDLE, LEVELS, timeline_markdown
from tests.harness.manifests import dbt_manifest, dbt_node

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _result(unique_id, start, end, thread=1, status="success"):
    """A result as dbt writes it: compile then execute, on a named worker thread."""
    middle = start + (end - start) / 4
    return {
        "unique_id": unique_id,
        "status": status,
        "thread_id": f"Thread-{thread} (worker)",
        "timing": [
            {"name": "compile", "started_at": _stamp(start), "completed_at": _stamp(middle)},
            {"name": "execute", "started_at": _stamp(middle), "completed_at": _stamp(end)},
        ],
    }


def _run(results, threads=None):
    run = {"results": results, "elapsed_time": 99.0}
    if threads is not None:
        run["args"] = {"threads": threads}
    return run


def _manifest(parents):
    """`parents`: unique_id -> unique_ids it depends on; names and types from the ids."""
    nodes = []
    for unique_id, deps in parents.items():
        node = dbt_node(unique_id, parents=deps)
        if unique_id.startswith("test.") and deps:
            node["attached_node"] = deps[0]
        nodes.append(node)
    return dbt_manifest(*nodes)


def _dag_timeline(*nodes):
    """The timeline of a run of these nodes, each `(unique_id, start, end, thread, *parents)`:
    one row holds a node's timing and what it depends on."""
    results = [_result(uid, start, end, thread=thread) for uid, start, end, thread, *_ in nodes]
    parents = {uid: deps for uid, _start, _end, _thread, *deps in nodes}
    return build_timeline(_run(results), _manifest(parents))


def _fenced_blocks(markdown):
    return re.findall(r"```text\n(.*?)\n```", markdown, re.DOTALL)


def _lanes(markdown):
    """The chart's rows: `all` threads first, then one lane per thread."""
    return [row for row in _fenced_blocks(markdown)[0].splitlines() if "|" in row]


def _listed_names(markdown):
    return [row.split()[-1] for row in _fenced_blocks(markdown)[1].splitlines()[1:]]


def test_each_dbt_thread_is_one_lane_and_each_node_one_line_with_its_busy_share():
    results = [
        _result("model.p.a", 0, 4, thread=1),
        _result("model.p.b", 4, 10, thread=1),
        _result("model.p.c", 0, 5, thread=2),
        _result("seed.p.d", 2, 3, thread=3),
    ]
    timeline = build_timeline(_run(results, threads=4), _manifest({}))
    markdown = timeline_markdown(timeline)

    assert timeline.wall == pytest.approx(10)
    assert timeline.saturation() == pytest.approx(
        {"Thread-1 (worker)": 1.0, "Thread-2 (worker)": 0.5, "Thread-3 (worker)": 0.1}
    )
    assert timeline.utilisation == pytest.approx(16 / 40)  # 4 configured threads, one idle
    lanes = _lanes(markdown)
    assert [lane.split()[0] for lane in lanes] == ["all", "Thread-1", "Thread-2", "Thread-3"]
    assert lanes[0].endswith("40% busy") and lanes[1].endswith("100% busy")
    assert lanes[3].endswith("10% busy")
    assert "(1 of 4 threads ran no node)" in markdown
    assert _listed_names(markdown) == ["a", "c", "d", "b"]  # by start
    assert "4 threads, 40% busy" in markdown.splitlines()[0]


def test_a_node_spans_its_earliest_start_to_its_latest_end_and_back_to_back_nodes_alternate():
    late_first = _result("model.p.a", 0, 5)
    late_first["timing"].reverse()
    timeline = build_timeline(_run([late_first, _result("model.p.b", 5, 10)]), _manifest({}))
    assert (timeline.nodes[0].start, timeline.nodes[0].end) == (
        T0.timestamp(),
        T0.timestamp() + 5,
    )
    lane = _lanes(timeline_markdown(timeline, width=10))[1]
    assert lane.split("|")[1] == GLYPHS[0] * 5 + GLYPHS[1] * 5


def test_an_idle_gap_on_a_thread_is_drawn_idle():
    results = [_result("model.p.a", 0, 2), _result("model.p.b", 8, 10)]
    lane = _lanes(timeline_markdown(build_timeline(_run(results), _manifest({})), width=10))[1]
    assert lane.split("|")[1] == GLYPHS[0] * 2 + IDLE * 6 + GLYPHS[1] * 2


def test_the_all_row_shows_how_many_threads_were_busy_over_time():
    results = [_result("model.p.a", 0, 10, thread=1), _result("model.p.b", 0, 5, thread=2)]
    timeline = build_timeline(_run(results, threads=4), _manifest({}))
    busy = _lanes(timeline_markdown(timeline, width=10))[0].split("|")[1]
    # Two of four threads, then one of four: half, then a quarter, of the top level.
    assert busy == LEVELS[4] * 5 + LEVELS[2] * 5


def test_the_critical_path_through_a_diamond_takes_the_parent_that_finished_last():
    #   a -> b -> d
    #   a -> c -> d    c (and its test) end after b: the path runs through c.
    timeline = _dag_timeline(
        ("model.p.a", 0, 2, 1),
        ("model.p.b", 2, 4, 1, "model.p.a"),
        ("model.p.c", 2, 6, 2, "model.p.a"),
        ("test.p.not_null_c", 6, 7, 2, "model.p.c"),
        ("model.p.d", 7, 9, 1, "model.p.b", "model.p.c"),
        ("test.p.unique_d", 9, 9.5, 2, "model.p.d"),
    )
    path = [n.name for n in timeline.critical_path]
    assert path == ["a", "c", "not_null_c", "d", "unique_d"]

    markdown = timeline_markdown(timeline)
    table = markdown.split("### Critical path")[1]
    assert "| 1 | a | model | +0.00 s | 2.00 s | 0.00 s | Thread-1 |" in table
    assert "| 4 | d | model | +7.00 s | 2.00 s | 0.00 s | Thread-1 |" in table


def test_a_predecessor_that_ended_after_the_node_started_is_not_on_its_path():
    # A test that reads two models waits for both; the model it does not belong to may start
    # before it ends (dbt only orders a test before models downstream of all it reads).
    timeline = _dag_timeline(
        ("model.p.a", 0, 1, 1),
        ("model.p.slow", 0, 5, 2),
        ("model.p.b", 1, 6, 1, "model.p.a"),
        ("test.p.rel", 5, 5.5, 2, "model.p.a", "model.p.slow"),
    )
    assert [n.name for n in timeline.critical_path] == ["a", "b"]


def test_slowest_nodes_come_longest_first_in_the_table():
    results = [_result(f"model.p.m{i}", 0, i + 1, thread=i) for i in range(12)]
    timeline = build_timeline(_run(results), _manifest({}))
    assert [n.name for n in timeline.slowest(3)] == ["m11", "m10", "m9"]
    table = timeline_markdown(timeline).split("### Slowest models")[1].split("###")[0]
    assert "(top 10 of 12)" in table
    ranked = [row.split("|")[2].strip() for row in table.splitlines() if re.match(r"\| \d", row)]
    assert ranked == [f"m{i}" for i in range(11, 1, -1)]


def test_skipped_nodes_are_counted_and_named_but_not_drawn():
    skipped = {"unique_id": "model.p.child", "status": "skipped", "timing": [], "thread_id": None}
    results = [_result("model.p.parent", 0, 1, status="error"), skipped]
    timeline = build_timeline(_run(results), _manifest({"model.p.child": ["model.p.parent"]}))
    markdown = timeline_markdown(timeline)
    assert [n.name for n in timeline.untimed] == ["child"]
    assert "1 dbt nodes** timed (1 not run)" in markdown
    assert "Not run, so not timed (1): child (skipped)." in markdown
    assert _listed_names(markdown) == ["parent"]


def test_nodes_missing_from_the_manifest_are_named_from_their_id_and_unit_tests_found():
    results = [
        _result("test.p.not_null_a_id.8f3e2a1b0c", 0, 1),
        _result("unit_test.p.a.a_sums_amounts", 1, 2),
    ]
    manifest = {"unit_tests": {"unit_test.p.a.a_sums_amounts": {"name": "a_sums_amounts"}}}
    nodes = build_timeline(_run(results), manifest).nodes
    assert [(n.name, n.resource_type) for n in nodes] == [
        ("not_null_a_id", "test"),
        ("a_sums_amounts", "unit_test"),
    ]


def test_a_run_that_timed_nothing_says_so():
    skipped = {"unique_id": "model.p.a", "status": "skipped", "timing": []}
    markdown = timeline_markdown(build_timeline(_run([skipped]), {}))
    assert markdown.startswith("**0 dbt nodes** timed (1 not run)")
    assert "a (skipped)" in markdown and "```" not in markdown


@pytest.mark.parametrize(
    ("run_results", "message"),
    [
        ({"metadata": {}}, "no `results` list"),
        ([], "no `results` list"),
        ({"results": [{"status": "success"}]}, "result 0 has no `unique_id`"),
        (
            {
                "results": [
                    {"unique_id": "model.p.a", "timing": [{"started_at": 3, "completed_at": 4}]}
                ]
            },
            "model.p.a has a timing entry that is not an ISO 8601 time",
        ),
        (
            {
                "results": [
                    {
                        "unique_id": "model.p.a",
                        "timing": [{"started_at": "soon", "completed_at": "x"}],
                    }
                ]
            },
            "model.p.a has a timing entry",
        ),
    ],
)
def test_malformed_run_results_raise_a_timeline_error_naming_what_is_wrong(run_results, message):
    with pytest.raises(TimelineError, match=re.escape(message)):
        build_timeline(run_results, {})


def _simulated_run(count: int, threads: int, seed: int = 20):
    """A dbt-shaped run of `count` nodes: models reading one to three recent models (the first
    reads none), a test on every fourth model, each node starting on the first free thread once
    its parents ended."""
    rng = random.Random(seed)
    parents: dict[str, list[str]] = {}
    models: list[str] = []
    while len(parents) < count:
        uid = f"model.big.model_{len(parents):04d}"
        recent = models[-40:]
        parents[uid] = rng.sample(recent, k=min(len(recent), rng.randint(1, 3)))
        models.append(uid)
        if len(models) % 4 == 0 and len(parents) < count:
            parents[f"test.big.not_null_model_{len(parents):04d}"] = [uid]
    free, ends, results = [0.0] * threads, {}, []
    for uid, deps in parents.items():
        ready = max((ends[p] for p in deps), default=0.0)
        thread = min(range(threads), key=lambda t: max(free[t], ready))
        start = max(free[thread], ready) + rng.uniform(0.001, 0.05)
        ends[uid] = free[thread] = start + rng.uniform(0.05, 3.0)
        results.append(_result(uid, start, ends[uid], thread=thread + 1))
    rng.shuffle(results)  # dbt writes results in completion order, not start order
    return _run(results, threads=threads), _manifest(parents)


@pytest.mark.parametrize("count", [600, 3000])
def test_a_large_run_names_every_node_in_one_lane_per_thread(count, record_property):
    run_results, manifest = _simulated_run(count, threads=8)
    began = time.perf_counter()
    timeline = build_timeline(run_results, manifest)
    markdown = timeline_markdown(timeline)
    seconds = time.perf_counter() - began
    record_property(f"timeline_seconds_{count}", round(seconds, 4))
    logging.getLogger(__name__).info("timeline of %d nodes built in %.3f s", count, seconds)

    names = [node["name"] for node in manifest["nodes"].values()]
    assert sorted(_listed_names(markdown)) == sorted(names)
    assert len(_lanes(markdown)) == 1 + 8
    path = timeline.critical_path
    assert path[-1].end == max(n.end for n in timeline.nodes)
    node_parents = {u: n["depends_on"]["nodes"] for u, n in manifest["nodes"].items()}
    for before, after in itertools.pairwise(path):
        reads_before = before.unique_id in node_parents[after.unique_id]
        tests_a_parent = set(node_parents[before.unique_id]) & set(node_parents[after.unique_id])
        assert reads_before or tests_a_parent, (before.name, after.name)
        assert before.end <= after.start
    # Every node but the first model reads an earlier one: walking back must reach it.
    assert path[0].unique_id == "model.big.model_0000"
