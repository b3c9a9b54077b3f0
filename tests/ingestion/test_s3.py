"""The S3 landing zone: the same sensor and ingestion code, against S3 served on 127.0.0.1.

moto runs in server mode (ThreadedMotoServer, tests/harness/moto_server.py) and stands in for
AWS S3, which this machine cannot reach. Nothing is patched in-process: the sensor and the
ingestion build their own boto3 clients from the environment (AWS_ENDPOINT_URL and test
credentials), exactly as on ECS, and talk HTTP to it.
"""

import uuid

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from demo import cli as demo_cli
from demo.catalogue import RAW_TABLES
from orchestration.ingestion.definitions import LANDING_JOB
from orchestration.ingestion.sensors import LANDING_SENSOR
from tests.harness.moto_server import AWS_ENV_TO_UNSET, moto_server
from tests.ingestion.landing_drops import event_line, subscriptions_csv


@pytest.fixture(scope="module")
def s3_server():
    with moto_server() as server:
        yield server


@pytest.fixture
def s3_landing(s3_server, parsed_demo_sandbox, load_definitions, tmp_path, monkeypatch):
    """A fresh bucket as LANDING_URL, the code location's definitions, and an S3 client."""
    defs = load_definitions(parsed_demo_sandbox)
    for name in AWS_ENV_TO_UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    bucket = f"landing-{uuid.uuid4().hex[:8]}"
    client = s3_server.client("s3")
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("LANDING_URL", f"s3://{bucket}/prod/landing")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    return defs, client, bucket


def _keys(client, bucket: str) -> set[str]:
    return {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_sensor_and_ingestion_run_against_s3(s3_landing, tmp_path):
    defs, client, bucket = s3_landing
    prefix = "prod/landing"
    client.put_object(
        Bucket=bucket, Key=f"{prefix}/events/2026-05-01T0300.jsonl",
        Body=(event_line("evt_1") + "\n" + event_line("evt_2") + "\n").encode(),
    )  # fmt: skip
    client.put_object(
        Bucket=bucket, Key=f"{prefix}/subscriptions/2026-05-01T0300.csv",
        Body=subscriptions_csv("sub_1,acc_1,team,2026-01-01,,lots,active").encode(),
    )  # fmt: skip
    client.put_object(Bucket=bucket, Key=f"{prefix}/events/.upload.part", Body=b"{")  # ignored

    with DagsterInstance.ephemeral() as instance:
        sensor = defs.resolve_sensor_def(LANDING_SENSOR)
        tick = sensor.evaluate_tick(build_sensor_context(instance=instance))
        [request] = tick.run_requests
        assert sorted(request.asset_selection) == [
            AssetKey(["saas", "events"]),
            AssetKey(["saas", "subscriptions"]),
        ]
        result = defs.resolve_job_def(LANDING_JOB).execute_in_process(
            run_config=request.run_config,
            instance=instance,
            asset_selection=request.asset_selection,
            raise_on_error=False,
        )
        assert not result.success  # the bad subscriptions file fails it, naming the S3 object
        bad_url = f"s3://{bucket}/{prefix}/subscriptions/2026-05-01T0300.csv"
        assert f'{bad_url}: line 2, column "seats"' in str(result.all_events)

        assert _keys(client, bucket) == {
            f"{prefix}/events/.upload.part",
            f"{prefix}/_loaded/events/2026-05-01T0300.jsonl",
            f"{prefix}/_quarantine/subscriptions/2026-05-01T0300.csv",
            f"{prefix}/_quarantine/subscriptions/2026-05-01T0300.csv.error.txt",
        }
        note = (
            client.get_object(
                Bucket=bucket,
                Key=f"{prefix}/_quarantine/subscriptions/2026-05-01T0300.csv.error.txt",
            )["Body"]
            .read()
            .decode()
        )
        assert f'{bad_url}: line 2, column "seats"' in note

        # Both files are handled: the next tick launches nothing.
        after = sensor.evaluate_tick(build_sensor_context(cursor=tick.cursor, instance=instance))
        assert after.run_requests == []

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("select event_id, _source_file from raw.events order by 1").fetchall()
    source = f"s3://{bucket}/{prefix}/events/2026-05-01T0300.jsonl"
    assert loaded == [("evt_1", source), ("evt_2", source)]


def test_make_land_puts_demo_batches_into_an_empty_bucket_once(s3_landing, capsys):
    _, client, bucket = s3_landing
    url = f"s3://{bucket}/demo"
    args = ["--landing-url", url, "--if-missing", "--accounts", "5", "--days", "7"]

    assert demo_cli.main(args) == 0
    written = _keys(client, bucket)
    assert {key.split("/")[1] for key in written} == set(RAW_TABLES)
    assert demo_cli.main(args) == 0 and "skipping" in capsys.readouterr().out
    assert _keys(client, bucket) == written
