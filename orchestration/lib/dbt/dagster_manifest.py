"""The dbt manifest as dagster-dbt is given it: dbt's own, with two things Dagster cannot take.

dbt never sees this copy (it parses the project itself); only dagster-dbt's definitions and its
turning of dbt results into Dagster events read it, so both always agree.

1. Check names. dagster-dbt names a test's asset check after the test's `name`, when it defines
   the check and when it reports its result. dbt test names need not be unique (dbt truncates a
   long generic test name and appends a hash of the arguments after cleaning them, so two
   `accepted_values` tests whose values differ only in punctuation share one name) nor valid
   Dagster names (a singular test file `assert-positive.sql`). Two tests of one name on one
   model made two outputs of one name: the step failed, "returned an output ... multiple
   times". Here every test name is a Dagster name, unique in the project (lib/dbt/names.py).
   Tests are still selected by their `fqn`, which is kept.
2. Sources that are the project's own nodes. A source in schema `raw` whose table a seed of the
   project writes there has the seed's asset key; dagster-dbt refuses two dbt nodes of one key.
   Here whatever reads the source reads the seed instead, so Dagster's lineage has the
   seed -> model edge that the warehouse has (dbt itself does not know it: a `dbt build` that
   reads the source before the seed loads it fails the same way here).
"""

from collections.abc import Callable, Mapping
from typing import Any

from dagster import AssetKey

from orchestration.lib.dbt.names import dagster_names
from orchestration.lib.dbt.slice_graph import is_built


def dagster_manifest(
    manifest: Mapping[str, Any], key_of: Callable[[Mapping[str, Any]], AssetKey]
) -> Mapping[str, Any]:
    """`manifest` with unique, valid test names and sources that are built nodes replaced by
    them (`key_of`: the translator's asset key of a node); the same object if nothing changed."""
    nodes: dict[str, Any] = dict(manifest["nodes"])
    parent_map: dict[str, list[str]] = dict(manifest["parent_map"])
    renamed = _rename_tests(nodes)
    if _read_sources_from_their_nodes(manifest, nodes, parent_map, key_of):
        return {
            **manifest,
            "nodes": nodes,
            "parent_map": parent_map,
            "child_map": _children(parent_map),
        }
    return {**manifest, "nodes": nodes} if renamed else manifest


def _rename_tests(nodes: dict[str, Any]) -> bool:
    names = {uid: node["name"] for uid, node in nodes.items() if node["resource_type"] == "test"}
    renamed = {uid: name for uid, name in dagster_names(names).items() if name != names[uid]}
    for unique_id, name in renamed.items():
        nodes[unique_id] = {**nodes[unique_id], "name": name}
    return bool(renamed)


def _read_sources_from_their_nodes(
    manifest: Mapping[str, Any],
    nodes: dict[str, Any],
    parent_map: dict[str, list[str]],
    key_of: Callable[[Mapping[str, Any]], AssetKey],
) -> bool:
    built_by_key = {key_of(node): uid for uid, node in nodes.items() if is_built(node)}
    alias = {
        source_id: built_by_key[key]
        for source_id, source in manifest["sources"].items()
        if (key := key_of(source)) in built_by_key
    }
    if not alias:
        return False
    for unique_id, node in nodes.items():
        # Tests keep their parents: a test of the source stays a test of a source.
        if node["resource_type"] == "test":
            continue
        parents = node.get("depends_on", {}).get("nodes", [])
        if any(parent in alias for parent in parents):
            swapped = list(dict.fromkeys(alias.get(p, p) for p in parents))
            nodes[unique_id] = {**node, "depends_on": {**node["depends_on"], "nodes": swapped}}
            parent_map[unique_id] = list(
                dict.fromkeys(alias.get(p, p) for p in parent_map.get(unique_id, []))
            )
    return True


def _children(parent_map: Mapping[str, list[str]]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {uid: [] for uid in parent_map}
    for unique_id, parents in parent_map.items():
        for parent in parents:
            children.setdefault(parent, []).append(unique_id)
    return children
