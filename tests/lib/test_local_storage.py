"""The local instance's SQLite storage (packages/dagster-local-storage), on real SQLite files.

Every test opens a real DagsterInstance from the repository's dagster_home/dagster.yaml in a
temporary DAGSTER_HOME, and reads back what was written through Dagster's own APIs.
"""

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import dagster
import psutil
import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Output,
    asset,
    asset_check,
    materialize,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster_local_storage import kept_connection as local_storage

from tests.harness.waiting import HANG_TIMEOUT, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


@asset
def raw_orders() -> Output[int]:
    return Output(3)


@asset(deps=[raw_orders])
def orders() -> Output[int]:
    return Output(2)


@asset_check(asset=orders)
def orders_not_empty() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


ASSETS = [raw_orders, orders, orders_not_empty]


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # As `make` sets it: the planned events of a launch come as one batch.
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    return home


@pytest.fixture
def instance(dagster_home: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.get() as instance:
        yield instance


def _events(instance: DagsterInstance, run_id: str, event_type: DagsterEventType) -> list:
    return [
        record
        for record in instance.all_logs(run_id)
        if record.dagster_event and record.dagster_event.event_type == event_type
    ]


def test_the_local_instance_uses_the_kept_connection_event_log(instance: DagsterInstance) -> None:
    storage = instance.event_log_storage
    assert isinstance(storage, local_storage.KeptConnectionSqliteEventLogStorage)
    # Its cached answer to "is this table there?" still tells a missing table apart.
    assert storage.has_table("asset_event_tags")
    assert storage.has_table("asset_event_tags")
    assert not storage.has_table("no_such_table")


def test_runs_planned_materialized_and_checked_are_all_recorded(
    instance: DagsterInstance,
) -> None:
    """Twice: the second run updates asset rows the first one created, inside a batch."""
    for _ in range(2):
        result = materialize(ASSETS, instance=instance)
        assert result.success
        run_id = result.run_id
        planned = _events(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        assert {e.dagster_event.asset_key for e in planned} == {
            AssetKey("raw_orders"),
            AssetKey("orders"),
        }
        assert len(_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)) == 1
        for key in (AssetKey("raw_orders"), AssetKey("orders")):
            latest = instance.get_latest_materialization_event(key)
            assert latest is not None and latest.run_id == run_id
        [check_record] = instance.event_log_storage.get_asset_check_execution_history(
            orders_not_empty.check_key, limit=1
        )
        assert check_record.run_id == run_id
        assert check_record.status.value == "SUCCEEDED"
    assert len(instance.get_runs()) == 2


def test_stock_dagster_reads_what_the_local_storage_wrote(
    instance: DagsterInstance, dagster_home: Path, tmp_path: Path
) -> None:
    """Same files, same schema: switching back to Dagster's default storage loses nothing."""
    run_id = materialize(ASSETS, instance=instance).run_id
    stock_home = tmp_path / "stock_home"
    stock_home.mkdir()
    (stock_home / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {dagster_home}\n")
    with DagsterInstance.from_config(str(stock_home)) as stock:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        assert [r.dagster_event_type for r in stock.all_logs(run_id)] == [
            r.dagster_event_type for r in instance.all_logs(run_id)
        ]
        latest = stock.get_latest_materialization_event(AssetKey("orders"))
        assert latest is not None and latest.run_id == run_id


def test_a_failing_batch_writes_none_of_its_events(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mock makes the second event's asset row fail: there is no other way to break one write
    of a batch on a healthy disk. The batch is one transaction, so none of it may stay."""
    first_run = materialize(ASSETS, instance=instance).run_id
    batch = [
        r
        for r in instance.all_logs(first_run)
        if r.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ]
    assert len(batch) == 2
    second_run = "0" * 8 + "-retry"
    batch = [r._replace(run_id=second_run) for r in batch]
    storage = instance.event_log_storage
    assert isinstance(storage, local_storage.KeptConnectionSqliteEventLogStorage)
    original = storage._store_asset_event
    calls = []

    def store_asset_event(conn, event, event_id):  # type: ignore[no-untyped-def]
        calls.append(event)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(conn, event, event_id)

    monkeypatch.setattr(storage, "_store_asset_event", store_asset_event)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.store_event_batch(batch)
    assert instance.all_logs(second_run) == []
    monkeypatch.undo()
    # And the storage is usable afterwards (its lock and connections were released).
    assert materialize(ASSETS, instance=instance).success


def test_open_database_files_stay_bounded(instance: DagsterInstance, dagster_home: Path) -> None:
    """One kept connection per file, for at most MAX_OPEN_FILES files, however many runs."""
    for _ in range(local_storage.MAX_OPEN_FILES + 3):
        assert materialize(ASSETS, instance=instance).success
    event_log_dir = str(dagster_home / "history" / "runs")

    def open_event_log_files() -> set[str]:
        # A set: SQLite defers closing a file descriptor while another connection of the same
        # process holds a lock on that file, so one file may show up twice.
        return {
            f.path
            for f in psutil.Process().open_files()
            if f.path.startswith(event_log_dir) and f.path.endswith(".db")
        }

    assert 0 < len(open_event_log_files()) <= local_storage.MAX_OPEN_FILES
    instance.event_log_storage.dispose()
    assert open_event_log_files() == set()


def test_wipe_closes_the_files_it_deletes(instance: DagsterInstance, dagster_home: Path) -> None:
    run_id = materialize(ASSETS, instance=instance).run_id
    instance.wipe()
    assert instance.all_logs(run_id) == []
    deleted = [f.path for f in psutil.Process().open_files() if "(deleted)" in f.path]
    assert not deleted
    assert materialize(ASSETS, instance=instance).success


def test_other_dagster_versions_get_the_stock_event_log(
    dagster_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dagster, "__version__", "9.9.9")
    with DagsterInstance.get() as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        assert materialize(ASSETS, instance=instance).success


# Opens each DAGSTER_HOME given, in order, once every opener is ready for it (files as barrier).
_OPENER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from dagster import DagsterInstance
    barrier, me, homes = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    for i, home in enumerate(homes):
        (barrier / f"ready-{i}-{me}").touch()
        while not (barrier / f"go-{i}").exists():
            time.sleep(0.001)
        os.environ["DAGSTER_HOME"] = home
        with DagsterInstance.get() as instance:
            instance.get_run_records()
""")


@pytest.mark.e2e  # processes meeting on new instances
def test_processes_opening_a_new_instance_together_all_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three processes open each of four fresh DAGSTER_HOMEs at the same moment. Dagster's SQLite
    storage creates its files unlocked; without creation_lock.py about one process in three
    failed, and some instances were left with two schema versions stamped."""
    homes = []
    for i in range(4):
        home = tmp_path / f"home{i}"
        home.mkdir()
        shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        homes.append(str(home))
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(barrier), str(k), *homes],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    try:
        for i in range(len(homes)):

            def all_ready(i: int = i) -> bool:
                for p in openers:
                    assert p.poll() in (None, 0), p.communicate()[1][-2000:]
                return len(list(barrier.glob(f"ready-{i}-*"))) == len(openers)

            wait_until(all_ready, HANG_TIMEOUT, f"the openers of home {i}", poll=0.01)
            (barrier / f"go-{i}").touch()
        errors = [p.communicate(timeout=HANG_TIMEOUT)[1] for p in openers]
    finally:
        for p in openers:
            p.kill()
    assert [p.returncode for p in openers] == [0, 0, 0], "\n".join(e[-2000:] for e in errors)
    for home in homes:  # each instance works for the processes that come later
        monkeypatch.setenv("DAGSTER_HOME", home)
        with DagsterInstance.get() as instance:
            assert materialize(ASSETS, instance=instance).success
