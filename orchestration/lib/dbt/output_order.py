"""A step's dbt events in the order Dagster's lineage requires.

Dagster requires a step to yield an asset after every asset it depends on that the same step
yields. dbt reports nodes in its own order, which can disagree with Dagster's lineage when
two dbt nodes share one asset key: a source in schema `raw` whose table a seed of the same
project writes (both are `raw/raw_orders`). Dagster then sees `stg_orders` depend on the seed;
dbt sees it read a source, so may report it first, and the step failed ("Asset stg_orders was
yielded before its dependency raw/raw_orders") though dbt succeeded.

Here an asset's events (its output and its checks' results) wait until every asset of the step
it depends on has been yielded; whatever still waits when dbt ends (its dependency failed or
was not built) is yielded then. In dbt's usual order nothing waits.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dagster import AssetCheckResult, AssetKey, AssetsDefinition, Output


def in_lineage_order(
    events: Iterable[Any], assets_def: AssetsDefinition | None, selected: Iterable[AssetKey]
) -> Iterator[Any]:
    """`events` with each asset's events after those of the assets it depends on in this step."""
    if assets_def is None:
        yield from events
        return
    in_step = frozenset(selected)
    deps = {key: frozenset(assets_def.asset_deps.get(key, ())) & in_step for key in in_step}
    yielded: set[AssetKey] = set()
    waiting: dict[AssetKey, list[Any]] = {}

    def ready(key: AssetKey, *, ended: bool = False) -> bool:
        missing = deps.get(key, frozenset()) - yielded - {key}
        # Once dbt has ended, only what still waits itself can come first.
        return not (missing & waiting.keys() if ended else missing)

    def release(*, ended: bool = False) -> Iterator[Any]:
        progress = True
        while progress:
            progress = False
            for key in [k for k in waiting if ready(k, ended=ended)]:
                progress = True
                yield from _mark(waiting.pop(key), yielded, assets_def)

    for event in events:
        key = _asset_key_of(event, assets_def)
        if key is None:
            yield event
        elif key in waiting or not ready(key):
            waiting.setdefault(key, []).append(event)
        else:
            yield from _mark([event], yielded, assets_def)
            yield from release()
    # dbt has ended: what still waits depends on something that was not built, which Dagster
    # allows, as that dependency is never yielded. A cycle cannot remain: the lineage has none.
    yield from release(ended=True)
    for key in list(waiting):
        yield from _mark(waiting.pop(key), yielded, assets_def)


def _asset_key_of(event: Any, assets_def: AssetsDefinition) -> AssetKey | None:
    if isinstance(event, AssetCheckResult):
        return event.asset_key
    if isinstance(event, Output):
        keys: Mapping[str, AssetKey] = assets_def.keys_by_output_name
        return keys.get(event.output_name)
    return None


def _mark(events: list[Any], yielded: set[AssetKey], assets_def: AssetsDefinition):
    for event in events:
        if isinstance(event, Output):
            key = assets_def.keys_by_output_name.get(event.output_name)
            if key is not None:
                yielded.add(key)
        yield event
