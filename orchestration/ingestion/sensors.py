"""The landing sensor: one ingestion run for exactly the files that arrived since the last tick.

Its cursor maps every waiting file it has already requested to the version it requested
(`{"events/2026-05-01.jsonl": "<etag or size-mtime>"}`); a file is new when it is waiting at a
version the cursor does not hold. Files leave the waiting area once handled (loaded or
quarantined), and leave the cursor with it, so the cursor stays as small as the queue. The
run key is derived from the requested files and their versions: a tick evaluated twice never
launches twice. Quarantined and loaded files are never listed, so never relaunched.

What no table will ever load (a folder that is no table's, a dangling symlink) is warned about
in the tick's log, once per path: the cursor keeps it under `!<path>` while it is there.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration import settings
from orchestration.ingestion.assets import LANDING_OP, LandingLoadConfig
from orchestration.ingestion.landing import LandingFile, LandingStore, landing_store
from orchestration.ingestion.sources import LandingTable

LANDING_SENSOR = "landing_sensor"
# Bounds one run's config and duration; the rest is requested on the next tick.
MAX_FILES_PER_RUN = 500


def new_landing_files(
    store: LandingStore, tables: Sequence[LandingTable], seen: Mapping[str, str]
) -> tuple[list[LandingFile], dict[str, str]]:
    """The files to request now, and the cursor to keep once they are requested."""
    waiting = [file for table in tables for file in store.list_files(table.folder)]
    new = [file for file in waiting if seen.get(file.key) != file.version][:MAX_FILES_PER_RUN]
    requested = {file.key for file in new}
    cursor = {
        file.key: file.version
        for file in waiting
        if file.key in requested or seen.get(file.key) == file.version
    }
    return new, cursor


STRAY = "!"  # cursor keys of strays already warned about; no landing folder starts with it


def new_strays(
    store: LandingStore, tables: Sequence[LandingTable], seen: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The strays not warned about yet, and the cursor entries of every stray there now."""
    strays = store.strays({table.folder for table in tables})
    return [p for p in strays if STRAY + p not in seen], {STRAY + p: "warned" for p in strays}


def run_key_for(files: Sequence[LandingFile]) -> str:
    """Stable for the same files at the same versions; different as soon as one changes."""
    listing = "\n".join(sorted(f"{file.key}@{file.version}" for file in files))
    return f"landing:{hashlib.sha256(listing.encode()).hexdigest()[:24]}"


def build_landing_sensor(tables: Sequence[LandingTable], job) -> SensorDefinition:
    """The sensor launching `job` (the ingestion asset job) for new files of these tables."""
    by_folder = {table.folder: table for table in tables}

    @sensor(
        name=LANDING_SENSOR,
        job=job,
        minimum_interval_seconds=settings.landing_sensor_interval_seconds(),
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches landing ingestion for the files that arrived in "
        f"{settings.landing_url()} since its last tick, one run per tick.",
    )
    def landing_sensor(context: SensorEvaluationContext):
        store = landing_store(settings.landing_url())
        seen = json.loads(context.cursor) if context.cursor else {}
        new, cursor = new_landing_files(store, tables, seen)
        strays, warned = new_strays(store, tables, seen)
        for path in strays:
            context.log.warning(
                f"Ignoring {store.url}/{path}: no table loads it. Landing files go into "
                f"<landing>/<table>/ for one of: {', '.join(sorted(by_folder))}; a symlink must "
                "point at an existing file."
            )
        context.update_cursor(json.dumps({**cursor, **warned}, sort_keys=True))
        if not new:
            return SkipReason(f"No new file in {store.url} ({len(cursor)} waiting, requested).")
        folders = sorted({file.folder for file in new})
        context.log.info(f"Requesting ingestion of {len(new)} new file(s) in {', '.join(folders)}.")
        return RunRequest(
            run_key=run_key_for(new),
            asset_selection=[by_folder[folder].asset_key for folder in folders],
            asset_check_keys=[],  # not their source-freshness checks: see definitions.py
            run_config=RunConfig(ops={LANDING_OP: LandingLoadConfig(files=[f.key for f in new])}),
            tags={"landing/tables": ",".join(folders), "landing/file_count": str(len(new))},
        )

    return landing_sensor
