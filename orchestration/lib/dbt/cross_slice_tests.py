"""Tests that read other slices' nodes, made to wait for them in Dagster as they do in dbt.

A test runs in the step of the model it is declared on (slices.py), and reads every node it
refs: a `relationships` test on `fct_feature_adoption` also reads `dim_accounts`. In a bare
`dbt build` the test waits for both, and the model's children wait for the test. Dagster,
though, orders steps only by the assets they read: a check's other parents (dagster-dbt's
`additional_deps`) give its step no input. The step of `fct_feature_adoption` could then run
its test before another step had built `dim_accounts`, and did, once steps started on their
inputs rather than on whole upstream steps.

So the manifest that dagster-dbt defines the assets from (never dbt's own) lists such a test's
other-slice parents as parents of the model it is declared on. Dagster then gives that step an
input on each, and the lineage shows the edge that `dbt build`'s ordering already had. Within a
slice dbt orders the test itself, so nothing is added there, nor in the one-step layout.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from orchestration.lib.dbt.slice_graph import BuiltParents, attached_node, tests
from orchestration.lib.dbt.slices import DbtSlice


def cross_slice_test_parents(
    manifest: Mapping[str, Any], slices: Iterable[DbtSlice]
) -> dict[str, set[str]]:
    """model -> the nodes of other slices that a test declared on it reads."""
    slice_of = {uid: s.name for s in slices for uid in s.unique_ids}
    parents = BuiltParents(manifest)
    extra: dict[str, set[str]] = {}
    for test_id, test in tests(manifest):
        owner = attached_node(test)
        if owner is None or owner not in slice_of:
            continue
        elsewhere = {
            parent
            for parent in parents.of(test_id)
            if parent in slice_of and slice_of[parent] != slice_of[owner]
        }
        if elsewhere:
            extra.setdefault(owner, set()).update(elsewhere)
    return extra


def with_cross_slice_test_parents(
    manifest: Mapping[str, Any], slices: Iterable[DbtSlice]
) -> Mapping[str, Any]:
    """`manifest` with those parents added to their models; the same object if there are none."""
    extra = cross_slice_test_parents(manifest, slices)
    if not extra:
        return manifest
    nodes: dict[str, Any] = dict(manifest["nodes"])
    parent_map: dict[str, list[str]] = dict(manifest["parent_map"])
    child_map: dict[str, list[str]] = dict(manifest["child_map"])
    for model, added in extra.items():
        node = nodes[model]
        depends_on = node.get("depends_on", {})
        new = sorted(added - set(depends_on.get("nodes", [])))
        nodes[model] = {
            **node,
            "depends_on": {**depends_on, "nodes": [*depends_on.get("nodes", []), *new]},
        }
        parent_map[model] = [*parent_map.get(model, []), *new]
        for parent in new:
            child_map[parent] = [*child_map.get(parent, []), model]
    return {**manifest, "nodes": nodes, "parent_map": parent_map, "child_map": child_map}
