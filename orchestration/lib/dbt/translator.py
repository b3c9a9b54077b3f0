"""How dbt resources become Dagster assets: the project's one translator."""

import functools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    BetaWarning,
    FreshnessPolicy,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.lib.dbt.names import is_valid_dagster_name, sanitize
from orchestration.lib.dbt.sla import freshness_policy_from_meta

# The tag Dagster's automation puts on every run it requests, as the UI shows it (its constant
# is private: tests/lib/test_automation_condition.py trips if Dagster renames it).
AUTOMATION_RUN_TAG = "dagster/from_automation_condition"


class ProjectTranslator(DagsterDbtTranslator):
    """Groups from folders, owners from `meta.owner`, freshness SLAs from `meta.freshness_sla`;
    keys, tags and descriptions from dbt.

    Nothing here names a model: every decision reads the manifest, so any dbt project works.
    """

    def __init__(self) -> None:
        # dbt tests become asset checks; error-severity ones block downstream assets.
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._specs: dict[tuple[int, str, int], AssetSpec] = {}

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        # dagster-dbt asks again for a node's spec each time the node is someone's parent: build
        # each once, keyed as dagster-dbt keys its own (a large part of the load otherwise).
        memo_id = (id(manifest), unique_id, id(project))
        if memo_id not in self._specs:
            self._specs[memo_id] = self._project_spec(manifest, unique_id, project)
        return self._specs[memo_id]

    def _project_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        return spec.replace_attributes(
            group_name=_group_for(props),
            owners=_owners_for(props) or spec.owners,
            freshness_policy=_freshness_policy_for(props) or spec.freshness_policy,
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        """dagster-dbt's key, except that a one-part key that is not a valid Dagster name gets
        one (lib/dbt/names.py): the key also names the step's output, and a model called
        `class`, `type` or `input` made the definitions fail to load."""
        key = super().get_asset_key(dbt_resource_props)
        if len(key.path) == 1 and not is_valid_dagster_name(key.to_python_identifier()):
            return AssetKey([sanitize(key.path[0])])
        return key

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        """Models, seeds and snapshots rebuild once anything upstream of them has updated.

        `meta.dagster.automation: false` opts a node out (schedules still build it).
        """
        if dbt_resource_props["resource_type"] not in ("model", "seed", "snapshot"):
            return None
        if _meta(dbt_resource_props).get("dagster", {}).get("automation", True) is False:
            return None
        return eager_after_upstream()


@functools.cache
def eager_after_upstream() -> AutomationCondition:
    """Dagster's `eager()`, with four changes that matter when dbt reads landed data.

    1. Sources loaded outside Dagster never block it. `eager()` waits while any dependency is
       missing, and a source that Dagster does not load (an external asset, never
       materialized) is missing forever: its models would never run. Such sources neither
       block nor trigger; the landing-ingested ones (real assets) do both.
    2. A dependency update is only ever cleared by a request made *after* it. `eager()` also
       clears it when the asset next materializes, and when a request lands in the same tick
       as the update. Both lose a batch ingested while a models run is under way: that run
       read the data from before it, yet finishes after it (a view's materialization is even
       recorded when dbt exits, after the tables that read through it). Here the late batch
       is always built, by the next run; at worst one run more than needed, never one fewer.
    3. What is missing at the first evaluation is built. `eager()` counts the first evaluation
       as handled, which on a fresh instance cancels every model's "newly missing" in the same
       tick: a seed (nothing upstream ever updates it) and all below it stayed empty until
       someone clicked. Dependency updates cannot fire on a first evaluation (there is no
       earlier one to compare with), so this builds exactly the missing assets, once each.
       Being missing is cleared by a request or by the asset's own materialization (unlike a
       dependency update, 2.): a model that a full build under way at the first evaluation
       creates is not missing any more, and is not built a second time after it.

    4. Only new data is carried down. A dependency's update counts when the dependency is not
       a dbt model (a landing-ingested table, or any asset Dagster loads), or when
       automation's own run rebuilt it (carrying that data further down). A dbt model rebuilt
       by a schedule or by hand read nothing new: its descendants keep their own cadence
       (their schedule, or the next data that lands), so "Materialize all" is not followed by
       a rebuild, the hourly schedule does not rebuild the daily marts every hour, and a
       model a person rebuilt (and perhaps broke) is not built upon unasked.

    `eager()` keeps its other guards: nothing launches while a dependency or the asset itself
    is in a run in progress, so a second batch folds into the next run instead of overlapping;
    and updates made by a run whose asset selection also holds the asset never re-trigger it
    (which is why scheduled runs name their assets: see `orchestration/dbt/schedules.py`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)  # include_sources: beta, and what we mean
        loaded_elsewhere = AssetSelection.all(include_sources=True) - AssetSelection.all()
    requested = AutomationCondition.newly_requested()
    deps_updated = new_data_upstream()
    missing = AutomationCondition.newly_missing().since(
        (requested | AutomationCondition.newly_updated()).with_label("requested or built since")
    )
    stale = deps_updated.since((requested & ~deps_updated).with_label("requested since"))
    return (
        AutomationCondition.in_latest_time_window()
        & (missing | stale)
        & ~AutomationCondition.any_deps_missing().ignore(loaded_elsewhere)
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("eager after upstream")


def new_data_upstream() -> AutomationCondition:
    """A dependency has new data since the last tick, or will be built on this one (4. above).

    As `any_deps_updated()`, an update by a run that also targets this asset does not count.
    """
    updated = (
        AutomationCondition.newly_updated() & ~AutomationCondition.executed_with_root_target()
    ).with_label("updated by another run")
    by_automation = AutomationCondition.executed_with_tags(
        tag_values={AUTOMATION_RUN_TAG: "true"}
    ).with_label("by automation")
    loaded = (
        AutomationCondition.any_deps_match(updated)
        .ignore(AssetSelection.kind("dbt"))
        .with_label("data loaded upstream")
    )
    carried = AutomationCondition.any_deps_match(updated & by_automation).with_label(
        "upstream rebuilt by automation"
    )
    coming = AutomationCondition.any_deps_match(AutomationCondition.will_be_requested()).with_label(
        "upstream requested now"
    )
    return (loaded | carried | coming).with_label("new data upstream")


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


def _group_for(props: Mapping[str, Any]) -> str:
    """An explicit `meta.dagster.group` or dbt group wins; else the folder the file sits in.

    The innermost folder is used (marts/finance -> finance) because that is how teams split
    ownership; resources at the top of their folder take the resource type (seeds, snapshots).
    """
    explicit = _meta(props).get("dagster", {}).get("group") or props.get("config", {}).get("group")
    if explicit:
        return sanitize(str(explicit))
    fqn: Sequence[str] = props.get("fqn", [])
    # fqn is [package, *folders, name] (a versioned model adds its version); with no folder,
    # fall back to the resource type.
    folders = fqn[1:-2] if props.get("version") is not None else fqn[1:-1]
    return sanitize(folders[-1] if folders else f"{props['resource_type']}s")


def _owners_for(props: Mapping[str, Any]) -> list[str] | None:
    owner = _meta(props).get("owner")
    if not owner:
        return None
    owners = [owner] if isinstance(owner, str) else list(owner)
    # Dagster owners are e-mail addresses or `team:<name>`; a bare name in dbt means a team.
    return [o if "@" in o or o.startswith("team:") else f"team:{o}" for o in owners]


def _freshness_policy_for(props: Mapping[str, Any]) -> FreshnessPolicy | None:
    """The SLA of `meta.freshness_sla` (lib/dbt/sla.py) as a Dagster freshness policy."""
    where = f"{props['unique_id']} ({props.get('original_file_path', '?')})"
    return freshness_policy_from_meta(_meta(props), where)
