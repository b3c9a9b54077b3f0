"""dbt source freshness, read from the manifest and from `sources.json`, in pure functions.

Which sources are checked is dbt's own configuration: a `freshness` with `warn_after` and/or
`error_after`, and a `loaded_at_field` (or `loaded_at_query`) to measure it by. What each
result means is dbt's too: `pass`, `warn` (older than warn_after), `error` (older than
error_after: the source is stale) or `runtime error` (the query failed, e.g. a missing table).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagster import AssetCheckSeverity, AssetKey, MetadataValue

from orchestration.lib.dbt.translator import ProjectTranslator

CHECK_NAME = "dbt_source_freshness"
STALE = "error"


@dataclass(frozen=True)
class FreshnessSource:
    """A dbt source table that `dbt source freshness` checks."""

    unique_id: str
    asset_key: AssetKey
    warn_after: str
    error_after: str
    measured_by: str

    @property
    def selector(self) -> str:
        """How dbt selects it: source.pkg.saas.accounts -> source:saas.accounts."""
        return "source:" + ".".join(self.unique_id.split(".")[2:])

    @property
    def description(self) -> str:
        return (
            f"dbt source freshness of `{self.selector.removeprefix('source:')}` by "
            f"{self.measured_by}: warn after {self.warn_after}, stale (error) after "
            f"{self.error_after}."
        )


def _criteria(source: Mapping[str, Any]) -> Mapping[str, Any]:
    return (source.get("config") or {}).get("freshness") or source.get("freshness") or {}


def _window(criteria: Mapping[str, Any], name: str) -> str:
    window = criteria.get(name) or {}
    if window.get("count") is None or not window.get("period"):
        return "never"
    count, period = window["count"], window["period"]
    return f"{count} {period}{'' if count == 1 else 's'}"


def freshness_sources(manifest: Mapping[str, Any]) -> list[FreshnessSource]:
    """Every source table dbt checks the freshness of, with its Dagster asset key."""
    translator = ProjectTranslator()
    found = []
    for unique_id, source in sorted(manifest.get("sources", {}).items()):
        config = source.get("config") or {}
        field = config.get("loaded_at_field") or source.get("loaded_at_field")
        query = config.get("loaded_at_query") or source.get("loaded_at_query")
        criteria = _criteria(source)
        warn, error = _window(criteria, "warn_after"), _window(criteria, "error_after")
        if not (field or query) or (warn == error == "never"):
            continue
        found.append(
            FreshnessSource(
                unique_id=unique_id,
                asset_key=translator.get_asset_spec(manifest, unique_id, None).key,
                warn_after=warn,
                error_after=error,
                measured_by=f"`{field}`" if field else "its loaded_at_query",
            )
        )
    return found


def source_freshness_args(selected: Sequence[FreshnessSource]) -> list[str]:
    """`dbt source freshness` for exactly these sources (one space-separated --select)."""
    return ["source", "freshness", "--select", " ".join(s.selector for s in selected)]


@dataclass(frozen=True)
class FreshnessOutcome:
    """One source's result, as an asset check reports it."""

    severity: AssetCheckSeverity
    status: str
    metadata: dict[str, Any]

    @property
    def passed(self) -> bool:
        # Only dbt's "pass" passes: warn, stale (error), an error or no result all fail.
        return self.status == "pass"


def outcome_for(
    source: FreshnessSource, result: Mapping[str, Any] | None, missing: str = "no result"
) -> FreshnessOutcome:
    """dbt's result for one source -> passed (pass), WARN (warn) or ERROR (error, or no result).

    `missing` is the error reported when dbt has no result for the source.
    """
    if result is None:
        return FreshnessOutcome(
            severity=AssetCheckSeverity.ERROR,
            status="no result",
            metadata={"error": missing},
        )
    status = str(result.get("status", "runtime error"))
    metadata: dict[str, Any] = {
        "status": status,
        "warn_after": source.warn_after,
        "error_after": source.error_after,
    }
    if result.get("max_loaded_at"):
        metadata["max_loaded_at"] = MetadataValue.timestamp(
            datetime.fromisoformat(str(result["max_loaded_at"]))
        )
    age = result.get("max_loaded_at_time_ago_in_s")
    if age is not None:
        metadata["age_hours"] = round(float(age) / 3600, 2)
    problem = result.get("error") or result.get("message")
    if problem or status not in ("pass", "warn", STALE):
        metadata["error"] = str(problem or status)
    return FreshnessOutcome(
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        status=status,
        metadata=metadata,
    )


def results_by_source(
    sources_json: Mapping[str, Any] | None, log_events: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Mapping[str, Any]]:
    """Each source's result keyed by its unique id: `sources.json`, else dbt's own log.

    `sources.json` leaves out sources whose query failed (a missing table, a bad
    loaded_at_field); dbt's structured log events (`LogFreshnessResult`, `RunResultError`) still
    name them, with the error.
    """
    results: dict[str, dict[str, Any]] = {}
    for event in log_events:
        name = event.get("info", {}).get("name")
        data = event.get("data", {})
        unique_id = data.get("node_info", {}).get("unique_id")
        if not unique_id:
            continue
        if name == "LogFreshnessResult":
            results.setdefault(unique_id, {"unique_id": unique_id})["status"] = data.get("status")
        elif name == "RunResultError" and data.get("msg"):
            results.setdefault(unique_id, {"unique_id": unique_id})["error"] = data["msg"]
    for result in (sources_json or {}).get("results", []):
        results[result["unique_id"]] = result
    return dict(results)
