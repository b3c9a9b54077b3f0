"""Dividing the dbt graph into steps ("slices"), each run by one dbt invocation in its own process.

A slice is a set of dbt nodes built together by one `dbt build`, so dbt's own thread pool still
parallelises inside it; slices run as separate Dagster steps, so independent parts of the graph
run side by side and a failure stops only the slices downstream of it.

Where a node goes is declared in dbt YAML, next to the models:

    # dbt_project.yml (per folder) or a model's YAML `config:`
    +meta:
      dagster:
        slice: finance          # which step builds it; default: its top folder under models/
        ecs_cpu: 1024           # optional ECS task size for the step (the largest in a slice wins)
        ecs_memory: 4096
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.settings import ConfigError

BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class DbtSlice:
    name: str
    unique_ids: frozenset[str]
    # A dbt selection matching exactly these nodes. `fqn:` is exact; `path:` selections were
    # seen to match fewer nodes at run time than at definition time.
    select: str
    op_tags: Mapping[str, str] = field(default_factory=dict)


def _dagster_meta(node: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = node.get("config", {}).get("meta") or node.get("meta") or {}
    return meta.get("dagster") or {}


def slice_name_for(node: Mapping[str, Any]) -> str:
    """The declared slice, else the node's top folder (models/staging -> staging).

    Seeds and snapshots at the top of their folder form their own slices (`seeds`, `snapshots`).
    """
    declared = _dagster_meta(node).get("slice")
    if declared:
        return str(declared)
    fqn = node["fqn"]
    # fqn is [package, *folders, name]; a node with no folder is named after its type.
    return fqn[1] if len(fqn) > 2 else f"{node['resource_type']}s"


def slice_manifest(manifest: Mapping[str, Any]) -> list[DbtSlice]:
    """Every built dbt node assigned to exactly one slice; raises if slices depend circularly."""
    members: dict[str, set[str]] = {}
    sizes: dict[str, dict[str, int]] = {}
    fqns: dict[str, list[str]] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in BUILT_RESOURCE_TYPES:
            continue
        name = slice_name_for(node)
        members.setdefault(name, set()).add(unique_id)
        fqns.setdefault(name, []).append(".".join(node["fqn"]))
        meta = _dagster_meta(node)
        for key in ("ecs_cpu", "ecs_memory"):
            if key in meta:
                size = sizes.setdefault(name, {})
                size[key] = max(size.get(key, 0), int(meta[key]))
    _raise_on_cycles(manifest, members)
    return [
        DbtSlice(
            name=name,
            unique_ids=frozenset(ids),
            select=" ".join(sorted(f"fqn:{fqn}" for fqn in fqns[name])),
            op_tags={
                f"ecs/{k.removeprefix('ecs_')}": str(v) for k, v in sizes.get(name, {}).items()
            },
        )
        for name, ids in sorted(members.items())
    ]


def _raise_on_cycles(manifest: Mapping[str, Any], members: Mapping[str, Iterable[str]]) -> None:
    """Dagster steps cannot depend on each other in a circle: name the slices and the fix."""
    slice_of = {uid: name for name, ids in members.items() for uid in ids}
    edges: dict[str, set[str]] = {name: set() for name in members}
    for unique_id, name in slice_of.items():
        for parent in manifest["parent_map"].get(unique_id, []):
            parent_slice = slice_of.get(parent)
            if parent_slice and parent_slice != name:
                edges[name].add(parent_slice)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ConfigError(
                "dbt slices depend on each other in a circle: "
                + " -> ".join(cycle)
                + ". Move the models that cross back into one slice (meta.dagster.slice in dbt "
                "YAML), or give these folders one common slice name."
            )
        visiting.append(name)
        for parent in edges[name]:
            visit(parent)
        visiting.pop()
        done.add(name)

    for name in sorted(edges):
        visit(name)
