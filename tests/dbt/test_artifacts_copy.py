"""Each dbt invocation's artifacts copied to S3 (DBT_ARTIFACTS_URL) and linked from every
materialization, through a real in-process run of the tiny project.

moto in server mode on 127.0.0.1 (tests/harness/moto_server.py) stands in for AWS S3, which this
machine cannot reach. Nothing is patched: the step builds its own boto3 client from the
environment, as on ECS, and talks HTTP to it.
"""

import json
from urllib.parse import parse_qs, urlparse

import pytest
from dagster import DagsterEventType, UrlMetadataValue

from orchestration.dbt.definitions import MATERIALIZE_ALL_JOB
from orchestration.lib.dbt.artifacts import PUBLISHED_FILES
from tests.harness.moto_server import AWS_ENV_TO_UNSET, moto_server
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.dbt  # dbt builds, in its own process

BUCKET = "dbt-artifacts"


@pytest.fixture
def tiny_on_s3(tmp_path, load_definitions, monkeypatch):
    with moto_server() as server:
        for name in AWS_ENV_TO_UNSET:
            monkeypatch.delenv(name, raising=False)
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        client = server.client("s3")
        client.create_bucket(Bucket=BUCKET)
        sandbox = make_sandbox(tmp_path, copy_dbt_project(TINY_PROJECT, tmp_path / "tiny"))
        sandbox.prepare_manifest()
        yield sandbox, load_definitions(sandbox), client


def _artifact_metadata(result) -> list:
    return [
        event.step_materialization_data.materialization.metadata["dbt/artifacts"]
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION
    ]


def test_every_invocation_copies_its_artifacts_and_each_materialization_links_to_them(
    tiny_on_s3, monkeypatch
):

    sandbox, defs, client = tiny_on_s3
    monkeypatch.setenv("DBT_ARTIFACTS_URL", f"s3://{BUCKET}/prod/runs/")
    with sandbox.instance() as instance:
        result = defs.resolve_job_def(MATERIALIZE_ALL_JOB).execute_in_process(instance=instance)
    assert result.success

    links = _artifact_metadata(result)
    assert links and all(isinstance(link, UrlMetadataValue) for link in links)
    folders = set()
    for link in links:
        url = urlparse(link.url)
        assert (url.netloc, url.path) == ("s3.console.aws.amazon.com", f"/s3/buckets/{BUCKET}")
        (prefix,) = parse_qs(url.query)["prefix"]
        assert prefix.startswith(f"prod/runs/{result.run_id}/dbt_")
        folders.add(prefix)

    listed = client.list_objects_v2(Bucket=BUCKET)["Contents"]
    keys = {entry["Key"] for entry in listed}
    ran: set[str] = set()
    for folder in folders:
        assert {f"{folder}{name}" for name in PUBLISHED_FILES} <= keys
        body = client.get_object(Bucket=BUCKET, Key=f"{folder}run_results.json")["Body"].read()
        ran |= {r["unique_id"] for r in json.loads(body)["results"]}
    assert "model.tiny_shop.customer_totals" in ran, ran  # the copies are this run's results


def test_a_copy_that_fails_is_logged_and_fails_nothing(tiny_on_s3, monkeypatch):
    sandbox, defs, _ = tiny_on_s3
    monkeypatch.setenv("DBT_ARTIFACTS_URL", "s3://no-such-bucket/runs")
    with sandbox.instance() as instance:
        result = defs.resolve_job_def(MATERIALIZE_ALL_JOB).execute_in_process(instance=instance)
        assert result.success  # the models are built; the artifacts stay in DBT_RUNS_DIR
        logs = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if "DBT_ARTIFACTS_URL" in (entry.user_message or "")
        ]
    assert logs and "s3://no-such-bucket/runs/" in logs[0]
