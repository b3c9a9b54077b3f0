"""One ingestion pass: every waiting file of some tables loaded, archived or quarantined.

A file is handled exactly once: loaded, it moves to `_loaded/`; rejected, it moves to
`_quarantine/` with an `.error.txt` note, and nothing retries it (the producer fixes it and
drops it again). A bad file never stops the good files of the same pass. A file that fails
for any other reason (a bug, the disk, the network) is not the producer's fault: it stays
waiting for the next run, named in the log, and the pass goes on with the other files.
"""

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from orchestration.ingestion.errors import LandingFileError, check_readable
from orchestration.ingestion.landing import LOADED, QUARANTINE, LandingFile, LandingStore
from orchestration.ingestion.loader import LoadOutcome, load_file
from orchestration.ingestion.sources import LandingTable
from orchestration.ingestion.writer import WarehouseWriter, relation


@dataclass
class TableReport:
    """What one pass did to one raw table."""

    table: LandingTable
    loaded: list[LoadOutcome] = field(default_factory=list)
    skipped: list[LoadOutcome] = field(default_factory=list)
    rejected: list[LandingFileError] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "<url>: <error>", left waiting
    # Files the run was asked for by name that are not waiting and were never loaded: a typo,
    # or a file rejected earlier. Each "<url> <why, and the fix>".
    not_loadable: list[str] = field(default_factory=list)
    row_count: int = 0
    data_version: str = ""

    @property
    def rows_loaded(self) -> int:
        return sum(outcome.rows for outcome in self.loaded)


def ingest(
    store: LandingStore,
    tables: Sequence[LandingTable],
    *,
    writer: WarehouseWriter,
    run_id: str,
    only: Collection[str] | None = None,
    log: logging.Logger | logging.LoggerAdapter,
) -> list[TableReport]:
    """Load the waiting files of `tables` (only the keys in `only`, if given), in name order."""
    reports = []
    for table in tables:
        report = TableReport(table)
        waiting = store.list_files(table.folder)
        if only is not None:
            gone = set(only) - {f.key for f in waiting}
            for key in sorted(k for k in gone if k.startswith(f"{table.folder}/")):
                _explain_gone(store, key, report, log)
            waiting = [f for f in waiting if f.key in only]
        for file in waiting:
            _handle(writer, store, table, file, report, run_id=run_id, log=log)
        # An empty declared table lets dbt build before the first file arrives.
        writer.ensure_table(table)
        report.row_count, report.data_version = writer.state(table)
        reports.append(report)
    return reports


def _explain_gone(
    store: LandingStore,
    key: str,
    report: TableReport,
    log: logging.Logger | logging.LoggerAdapter,
) -> None:
    """A file named to this run that is not waiting: loaded already (by another run, or by the
    run this one re-executes), which is fine; or rejected earlier, or never there."""
    if store.exists(f"{LOADED}/{key}"):
        log.info(f"{key} is no longer waiting: it was loaded already ({store.url}/{LOADED}/).")
    elif store.exists(f"{QUARANTINE}/{key}"):
        report.not_loadable.append(
            f"{store.url}/{key} was rejected earlier: it is in {store.url}/{QUARANTINE}/ with "
            "an .error.txt saying why. Fix it and drop it into the landing zone again."
        )
    else:
        report.not_loadable.append(
            f"{store.url}/{key} does not exist (not waiting, loaded or quarantined): check "
            "the file name."
        )


def _handle(
    writer: WarehouseWriter,
    store: LandingStore,
    table: LandingTable,
    file: LandingFile,
    report: TableReport,
    *,
    run_id: str,
    log: logging.Logger | logging.LoggerAdapter,
) -> None:
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with store.local_copy(file) as path:
            check_readable(file.url, path)
            outcome = load_file(writer, table, file, path, run_id=run_id, loaded_at=loaded_at)
    except LandingFileError as error:
        moved_to = store.move(file, QUARANTINE)
        store.write_bytes(f"{moved_to}.error.txt", _note(error, run_id).encode())
        log.error(f"Rejected {error} -> quarantined at {store.url}/{moved_to}")
        report.rejected.append(error)
        return
    except Exception as error:
        log.error(f"Could not load {file.url}, left waiting for the next run: {error!r}")
        report.failed.append(f"{file.url}: {error!r}")
        return
    # Moved only after the load committed: a crash in between leaves the file waiting, and the
    # ledger then recognises its content and skips it.
    store.move(file, LOADED)
    if outcome.skipped:
        log.info(f"Skipped {file.url}: {outcome.skipped}.")
        report.skipped.append(outcome)
    else:
        log.info(f"Loaded {outcome.rows} rows from {file.url} into {relation(table)}.")
        report.loaded.append(outcome)


def _note(error: LandingFileError, run_id: str) -> str:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return (
        f"{error}\n\nRejected by Dagster run {run_id} at {now}. Nothing from this file was "
        "loaded. Fix it and drop it into the landing zone again (the same name is fine).\n"
    )
