"""Per-run dbt artifact folders (run_results.json, manifest.json, dbt.log): where a user finds
them from a materialization, their copy to object storage, and their retention."""

import shutil
import time
from pathlib import Path
from urllib.parse import quote

from dagster import MetadataValue, get_dagster_logger

# What a person opens after a run: results and timings, the graph dbt ran, dbt's debug log.
PUBLISHED_FILES = ("run_results.json", "manifest.json", "dbt.log")


def copy_location(target_path: Path, runs_dir: Path, artifacts_url: str) -> str:
    """The `s3://` folder an invocation's artifacts are copied to: the same run/step/invocation
    layout under `artifacts_url` as under the runs folder."""
    return f"{artifacts_url}/{target_path.relative_to(runs_dir).as_posix()}"


def browsable_link(s3_folder: str) -> str:
    """The S3 console's page of a folder: where a signed-in user browses and downloads it."""
    bucket, prefix = _bucket_and_prefix(s3_folder)
    return (
        f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket)}"
        f"?prefix={quote(prefix.rstrip('/') + '/')}"
    )


def artifacts_metadata(target_path: Path, runs_dir: Path, artifacts_url: str | None):
    """What a materialization says of where its invocation's artifacts are: a link to their
    copy when DBT_ARTIFACTS_URL is set, else the folder on the machine that ran dbt."""
    if artifacts_url is None:
        return MetadataValue.path(str(target_path))
    return MetadataValue.url(browsable_link(copy_location(target_path, runs_dir, artifacts_url)))


def _bucket_and_prefix(s3_url: str) -> tuple[str, str]:
    bucket, _, prefix = s3_url.removeprefix("s3://").partition("/")
    return bucket, prefix


def copy_artifacts(target_path: Path, s3_folder: str, client=None) -> list[str]:
    """Copy the invocation's artifacts that exist to `s3_folder`; return the keys written.

    The client comes from the environment (AWS_REGION, credentials, AWS_ENDPOINT_URL), as the
    landing zone's does.
    """
    if client is None:
        import boto3

        client = boto3.client("s3")
    bucket, prefix = _bucket_and_prefix(s3_folder)
    written = []
    for name in PUBLISHED_FILES:
        path = target_path / name
        if path.is_file():
            key = f"{prefix.rstrip('/')}/{name}".lstrip("/")
            client.upload_file(str(path), bucket, key)
            written.append(key)
    return written


def sweep_old_runs(runs_dir: Path, *, keep_days: float, now: float | None = None) -> list[Path]:
    """Delete run folders untouched for longer than `keep_days`; return what was deleted.

    Runs are swept by folder age, not by run status, so a long run is never cut from under
    itself: its folder's mtime moves with every new invocation inside it.
    """
    if not runs_dir.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    removed = []
    for run_dir in runs_dir.iterdir():
        if run_dir.is_dir() and run_dir.stat().st_mtime < cutoff:
            shutil.rmtree(run_dir, ignore_errors=True)
            removed.append(run_dir)
    if removed:
        get_dagster_logger().info(
            f"Removed {len(removed)} dbt run folders older than {keep_days} days."
        )
    return removed
