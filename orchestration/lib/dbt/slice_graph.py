"""The dbt graph as the slices see it: which nodes are built, and which slice waits for which.

Dagster builds a step after every step whose assets it reads, and a dbt test's check after
every asset the test reads (dagster-dbt makes the test's other parents the check's deps). So a
slice waits for another when one of its built nodes reads a node of the other, directly or
through nodes that are not built (ephemeral models), and when a test on one of its nodes reads
a node of the other (a `relationships` test from staging to marts).
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot")


def is_built(node: Mapping[str, Any]) -> bool:
    """A node `dbt build` materializes, hence a Dagster asset (ephemeral models are inlined)."""
    return node["resource_type"] in BUILT_RESOURCE_TYPES and (
        node.get("config", {}).get("materialized") != "ephemeral"
    )


def built_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {uid: node for uid, node in manifest["nodes"].items() if is_built(node)}


class BuiltParents:
    """Each node's nearest built ancestors: an ephemeral parent is looked through."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self._nodes = manifest["nodes"]
        self._parent_map: Mapping[str, list[str]] = manifest["parent_map"]
        self._memo: dict[str, frozenset[str]] = {}

    def of(self, unique_id: str) -> frozenset[str]:
        """Built nodes `unique_id` reads, directly or through nodes that are not built."""
        found: set[str] = set()
        for parent in self._parent_map.get(unique_id, []):
            found |= self._through(parent)
        return frozenset(found)

    def _through(self, unique_id: str) -> frozenset[str]:
        if unique_id in self._memo:
            return self._memo[unique_id]
        node = self._nodes.get(unique_id)
        if node is None:  # a source, or anything that is neither built nor looked through
            result: frozenset[str] = frozenset()
        elif is_built(node):
            result = frozenset({unique_id})
        else:
            self._memo[unique_id] = frozenset()  # a cycle among unbuilt nodes ends here
            result = self.of(unique_id)
        self._memo[unique_id] = result
        return result


def attached_node(test: Mapping[str, Any]) -> str | None:
    """The node a test is a check of, as dagster-dbt decides it (the model a generic test is
    declared on, or a singular test's only parent)."""
    attached = test.get("attached_node")
    parents = test.get("depends_on", {}).get("nodes", [])
    if len(parents) == 1:
        attached = parents[0]
    return attached


def tests(manifest: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] == "test":
            yield unique_id, node


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of `edges` (name -> names it waits for), each
    sorted, every node in exactly one; iterative, so a long chain cannot exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            name, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[name] = min(low[name], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[name])
            if low[name] == index[name]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == name:
                        break
                components.append(sorted(component))
    return components
