"""Hand-made dbt manifests for unit tests: only the fields our code and dagster-dbt read.

One factory, so a field dbt adds or we start to read is added here once. Tests that need the
real thing parse a project (tests/harness/sandbox.py, `manifest_of`).
"""

from collections.abc import Mapping, Sequence
from typing import Any


def dbt_node(
    unique_id: str,
    fqn: Sequence[str] | None = None,
    *,
    parents: Sequence[str] = (),
    columns: Mapping[str, str | None] | None = None,
    description: str = "",
    **config: Any,
) -> dict:
    """A manifest node or source named by its unique id (`model.pkg.name`,
    `source.pkg.source_name.name`); `config` is its dbt config (meta, tags, freshness, ...)."""
    resource_type, package, *path = unique_id.split(".")
    name = path[-1]
    config.setdefault("meta", {})
    config.setdefault("tags", [])
    if resource_type == "model":
        config.setdefault("materialized", "table")
    node = {
        "unique_id": unique_id,
        "resource_type": resource_type,
        "package_name": package,
        "name": name,
        "fqn": list(fqn or [package, *path]),
        "config": config,
        "meta": config["meta"],
        "tags": config["tags"],
        "description": description,
        "depends_on": {"nodes": list(parents)},
        "original_file_path": f"models/{name}.sql",
        "columns": {c: {"name": c, "data_type": t} for c, t in (columns or {}).items()},
    }
    if resource_type == "source":
        node.update(
            source_name=path[0],
            schema="raw",
            identifier=name,
            source_description="",
            original_file_path=f"models/_{path[0]}__sources.yml",
        )
    return node


def dbt_manifest(*nodes: dict, adapter: str = "duckdb") -> dict:
    """A manifest of these nodes and sources, with the parent and child maps dbt derives."""
    parent_map = {node["unique_id"]: list(node["depends_on"]["nodes"]) for node in nodes}
    child_map: dict[str, list[str]] = {unique_id: [] for unique_id in parent_map}
    for unique_id, parents in parent_map.items():
        for parent in parents:
            child_map.setdefault(parent, []).append(unique_id)
    return {
        "nodes": {n["unique_id"]: n for n in nodes if n["resource_type"] != "source"},
        "sources": {n["unique_id"]: n for n in nodes if n["resource_type"] == "source"},
        "parent_map": parent_map,
        "child_map": child_map,
        "metadata": {"adapter_type": adapter},
        "groups": {},
    }
