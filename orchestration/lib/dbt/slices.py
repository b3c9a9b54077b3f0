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

`one_step=True` (DBT_STEPS=one) puts every node in one slice, `all`: one dbt invocation per run.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.lib.errors import ConfigError

BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot")
ONE_STEP_SLICE = "all"


@dataclass(frozen=True)
class DbtSlice:
    name: str
    unique_ids: frozenset[str]
    # A dbt selection (select minus exclude) matching exactly these nodes, in a few terms: dbt
    # evaluates every term against every node, so one `fqn:` term per node made selection
    # quadratic (minutes at 3000 models, at load and again in every step). `path:` is avoided:
    # it was seen to match fewer nodes at run time than at definition time.
    select: str
    exclude: str | None = None
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


def slice_manifest(manifest: Mapping[str, Any], *, one_step: bool = False) -> list[DbtSlice]:
    """Every built dbt node assigned to exactly one slice; raises if slices depend circularly.

    With `one_step`, declared and folder slices are ignored: every node goes to `all`.
    """
    members: dict[str, set[str]] = {}
    sizes: dict[str, dict[str, int]] = {}
    built = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in BUILT_RESOURCE_TYPES
    }
    for unique_id, node in built.items():
        name = ONE_STEP_SLICE if one_step else slice_name_for(node)
        members.setdefault(name, set()).add(unique_id)
        meta = _dagster_meta(node)
        for key in ("ecs_cpu", "ecs_memory"):
            if key in meta:
                size = sizes.setdefault(name, {})
                size[key] = max(size.get(key, 0), int(meta[key]))
    _raise_on_cycles(manifest, members)
    slices = []
    for name, ids in sorted(members.items()):
        if one_step:
            select, exclude = "fqn:*", None
        else:
            select, exclude = _selection_for(name, [built[uid] for uid in ids], built.values())
        tags = {f"ecs/{k.removeprefix('ecs_')}": str(v) for k, v in sizes.get(name, {}).items()}
        slices.append(DbtSlice(name, frozenset(ids), select, exclude, tags))
    return slices


def _selection_for(
    name: str, members: list[Mapping[str, Any]], all_built: Iterable[Mapping[str, Any]]
) -> tuple[str, str | None]:
    """Few dbt terms selecting exactly `members`: a declared slice by its meta, a folder slice
    by its folder (minus the nodes there that declare another slice), loose nodes by name."""
    select: set[str] = set()
    folders: set[tuple[str, str]] = set()
    for node in members:
        fqn = node["fqn"]
        if _dagster_meta(node).get("slice"):
            select.add(f"config.meta.dagster.slice:{name}")
        elif len(fqn) > 2:
            folders.add((fqn[0], fqn[1]))
        else:
            select.add("fqn:" + ".".join(fqn))
    select.update(f"fqn:{package}.{folder}" for package, folder in folders)
    # Nodes inside those folders that declare another slice belong there, not here.
    others = {
        declared
        for node in all_built
        if len(node["fqn"]) > 2
        and (node["fqn"][0], node["fqn"][1]) in folders
        and (declared := _dagster_meta(node).get("slice"))
        and declared != name
    }
    exclude = " ".join(sorted(f"config.meta.dagster.slice:{other}" for other in others))
    return " ".join(sorted(select)), exclude or None


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
