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

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.lib.dbt.names import dagster_name, dagster_names
from orchestration.lib.dbt.slice_graph import (
    BuiltParents,
    attached_node,
    built_nodes,
    strongly_connected,
    tests,
)
from orchestration.lib.errors import ConfigError

ONE_STEP_SLICE = "all"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DbtSlice:
    name: str
    unique_ids: frozenset[str]
    # A dbt selection (select minus exclude) matching exactly these nodes, in a few terms: dbt
    # evaluates every term against every node, so one `fqn:` term per node made selection
    # quadratic (at load and again in every step, on a large project). `path:` is avoided:
    # it was seen to match fewer nodes at run time than at definition time.
    select: str
    exclude: str | None = None
    op_tags: Mapping[str, str] = field(default_factory=dict)
    # The slice's Dagster name (op, pool): valid and unique among the slices (lib/dbt/names.py).
    dagster_name: str = ""
    # Tests on several slices' nodes this slice runs / leaves to another (in select / exclude).
    test_terms: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    @property
    def op_name(self) -> str:
        return self.dagster_name or dagster_name(self.name)


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
    # fqn is [package, *folders, name] (versioned models add the version); a node with no
    # folder is named after its type.
    folders = fqn[1:-2] if node.get("version") is not None else fqn[1:-1]
    return folders[0] if folders else f"{node['resource_type']}s"


def slice_manifest(manifest: Mapping[str, Any], *, one_step: bool = False) -> list[DbtSlice]:
    """Every built dbt node assigned to exactly one slice, the slices depending on each other
    without a circle.

    Folder slices that would wait for each other in a circle are merged into one (logged). A
    circle through a declared `meta.dagster.slice` is the user's to resolve: ConfigError.
    With `one_step`, declared and folder slices are ignored: every node goes to `all`.
    """
    built = built_nodes(manifest)
    members = {ONE_STEP_SLICE: set(built)} if one_step else _merge_circles(manifest, built)
    op_names = dagster_names({name: name for name in members})
    test_terms = {} if one_step else _cross_slice_tests(manifest, members)
    slices = []
    for name, ids in sorted(members.items()):
        terms = test_terms.get(name, (frozenset(), frozenset()))
        if one_step:
            select, exclude = "fqn:*", None
        else:
            select, exclude = _selection_for(name, [built[uid] for uid in ids], built.values())
            select, exclude = _with_terms(select, exclude, *terms)
        tags = _size_tags(built[uid] for uid in ids)
        slices.append(DbtSlice(name, frozenset(ids), select, exclude, tags, op_names[name], terms))
    return slices


def explicit_selection(dbt_slice: DbtSlice, manifest: Mapping[str, Any]) -> tuple[str, str | None]:
    """A selection of the slice naming each of its nodes: long, but exact."""
    nodes = manifest["nodes"]
    terms = {fqn_term(nodes[uid]["fqn"]) for uid in dbt_slice.unique_ids}
    return _with_terms(" ".join(sorted(terms)), None, *dbt_slice.test_terms)


def _size_tags(nodes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """ECS task size tags of a slice: the largest each of its nodes asks for."""
    size: dict[str, int] = {}
    for node in nodes:
        meta = _dagster_meta(node)
        for key in ("ecs_cpu", "ecs_memory"):
            if key in meta:
                size[key] = max(size.get(key, 0), int(meta[key]))
    return {f"ecs/{k.removeprefix('ecs_')}": str(v) for k, v in size.items()}


def _with_terms(
    select: str, exclude: str | None, more_select: Iterable[str], more_exclude: Iterable[str]
) -> tuple[str, str | None]:
    selected = " ".join([select, *sorted(more_select)])
    excluded = " ".join([*([exclude] if exclude else []), *sorted(more_exclude)])
    return selected, excluded or None


def _slice_edges(
    manifest: Mapping[str, Any], slice_of: Mapping[str, str]
) -> dict[str, dict[str, tuple[str, str]]]:
    """slice -> {slice it waits for: (an example node of it, the node it reads)}."""
    parents = BuiltParents(manifest)
    edges: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in slice_of.values()}

    def add(child: str, parent: str) -> None:
        child_slice, parent_slice = slice_of[child], slice_of.get(parent)
        if parent_slice and parent_slice != child_slice:
            edges[child_slice].setdefault(parent_slice, (child, parent))

    for unique_id in slice_of:
        for parent in parents.of(unique_id):
            add(unique_id, parent)
    # A test is a check of its model: it runs in that model's step, which must come after every
    # node the test reads.
    for test_id, test in tests(manifest):
        attached = attached_node(test)
        if attached is not None and attached in slice_of:
            for parent in parents.of(test_id):
                add(attached, parent)
    return edges


def _merge_circles(
    manifest: Mapping[str, Any], built: Mapping[str, Mapping[str, Any]]
) -> dict[str, set[str]]:
    """Slices by folder or declaration, those that wait for each other in a circle merged."""
    slice_of = {uid: slice_name_for(node) for uid, node in built.items()}
    declared = {name for node in built.values() if (name := _dagster_meta(node).get("slice"))}
    edges = _slice_edges(manifest, slice_of)
    merged_name: dict[str, str] = {}
    for component in strongly_connected({name: set(e) for name, e in edges.items()}):
        name = "__".join(component)
        for member in component:
            merged_name[member] = name
        if len(component) == 1:
            continue
        examples = [
            f"{child} reads {parent}"
            for member in component
            for other, (child, parent) in sorted(edges[member].items())
            if other in component
        ]
        if declared & set(component):
            raise ConfigError(
                "dbt slices depend on each other in a circle: "
                + ", ".join(component)
                + f" (e.g. {'; '.join(examples[:4])}). Dagster runs one slice after the other, "
                "so one of these nodes must move: give it the slice of what it reads "
                "(meta.dagster.slice in dbt YAML), or give these slices one common name."
            )
        _log.info(
            "dbt folders %s read each other (e.g. %s): they are built in one step, %r.",
            ", ".join(component),
            "; ".join(examples[:4]),
            name,
        )
    members: dict[str, set[str]] = {}
    for unique_id, name in slice_of.items():
        members.setdefault(merged_name[name], set()).add(unique_id)
    return members


def _cross_slice_tests(
    manifest: Mapping[str, Any], members: Mapping[str, set[str]]
) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """slice -> (tests to select, tests to exclude): tests reading several slices run in the
    step of the model they are declared on (the last one to run, see `_slice_edges`) and no other.

    dbt's `buildable` indirect selection would skip such a test where it belongs when its other
    parents are not upstream of that slice in dbt, and could pick it in a later slice as well.
    """
    slice_of = {uid: name for name, ids in members.items() for uid in ids}
    parents = BuiltParents(manifest)
    edges = _slice_edges(manifest, slice_of)
    upstream = {name: _ancestors(name, edges) for name in members}
    terms: dict[str, tuple[set[str], set[str]]] = {name: (set(), set()) for name in members}
    for test_id, test in tests(manifest):
        owner = slice_of.get(attached_node(test) or "")
        read = {slice_of[p] for p in parents.of(test_id) if p in slice_of}
        if owner is None or read <= {owner}:
            continue
        term = fqn_term(test["fqn"])
        terms[owner][0].add(term)
        for name in members:
            if name != owner and read <= upstream[name] | {name}:
                terms[name][1].add(term)
    return {name: (frozenset(add), frozenset(drop)) for name, (add, drop) in terms.items()}


def _ancestors(name: str, edges: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for parent in edges[todo.pop()]:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def fqn_term(parts: list[str], *, folder: bool = False) -> str:
    """A dbt `fqn:` selection term for these fqn parts (a folder's: everything inside it).

    dbt splits a selection at whitespace, so a folder named `01 core` cannot be spelled out:
    such characters become the `?` wildcard, and a term with a wildcard must match the whole
    rest of the fqn, hence the `.*` of a folder term.
    """
    joined = ".".join(parts)
    escaped = "".join("?" if c.isspace() or c in "*?[]" else c for c in joined)
    if escaped == joined:
        return f"fqn:{joined}"
    return f"fqn:{escaped}.*" if folder else f"fqn:{escaped}"


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
            select.add(f"config.meta.dagster.slice:{_dagster_meta(node)['slice']}")
        elif len(fqn) > 2:
            folders.add((fqn[0], fqn[1]))
        else:
            select.add(fqn_term(fqn))
    select.update(fqn_term([package, folder], folder=True) for package, folder in folders)
    # Nodes inside those folders that declare another slice belong there, not here.
    others = {
        str(declared)
        for node in all_built
        if len(node["fqn"]) > 2
        and (node["fqn"][0], node["fqn"][1]) in folders
        and (declared := _dagster_meta(node).get("slice"))
        and str(declared) not in name.split("__")
    }
    exclude = " ".join(sorted(f"config.meta.dagster.slice:{other}" for other in others))
    return " ".join(sorted(select)), exclude or None
