"""Settings: every one validated at load, each error naming the setting and the fix."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import settings
from orchestration.settings import ConfigError
from tests.harness.sandbox import REPO_ROOT

FILE = Path(__file__)  # a regular file: nothing can be created "inside" it


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("DBT_THREADS", "abc", "whole number"),
        ("DBT_THREADS", "0", "whole number"),
        ("DUCKDB_PATH", str(FILE / "warehouse.duckdb"), "its folder cannot be written"),
        ("DUCKDB_PATH", "/proc/no/such/warehouse.duckdb", "its folder cannot be written"),
        ("DBT_ARTIFACT_RETENTION_DAYS", "-1", "number of days >= 0"),
        ("DBT_ARTIFACT_RETENTION_DAYS", "nan", "number of days >= 0"),
        ("DBT_ARTIFACT_RETENTION_DAYS", "inf", "number of days >= 0"),
        ("DBT_ARTIFACTS_URL", "/var/dbt-runs", "use s3://bucket/prefix"),
        ("DBT_ARTIFACTS_URL", "s3:///runs", "use s3://bucket/prefix"),
        ("DBT_PROFILES_DIR", "/nonexistent", "has no profiles.yml"),
        ("DBT_EXECUTABLE", "/nonexistent/dbt", "is not an executable file"),
        ("ALERT_WEBHOOK_TIMEOUT_SECONDS", "-5", "whole number of seconds >= 1"),
        ("RUN_RETRY_ON_MODEL_FAILURE", "maybe", "use true or false"),
        ("RUN_MAX_RETRIES", "-1", "whole number >= 0"),
        ("LANDING_MAX_LINE_BYTES", "1e6", "whole number"),
    ],
)
def test_a_wrong_setting_fails_validation_naming_it(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        settings.validate()
    message = str(raised.value)
    assert message.startswith(f"{name}=") and words in message
    assert len(message.splitlines()) == 1  # only the wrong setting is named


def test_every_wrong_setting_is_named_at_once(monkeypatch):
    monkeypatch.setenv("DBT_THREADS", "abc")
    monkeypatch.setenv("ALERT_WEBHOOK_TIMEOUT_SECONDS", "-5")
    with pytest.raises(ConfigError) as raised:
        settings.validate()
    assert [line.split("=")[0] for line in str(raised.value).splitlines()] == [
        "DBT_THREADS",
        "ALERT_WEBHOOK_TIMEOUT_SECONDS",
    ]


@pytest.mark.parametrize(
    ("raw", "value"), [("TRUE", True), ("yes", True), ("1", True), ("off", False)]
)
def test_booleans_take_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("RUN_RETRY_ON_MODEL_FAILURE", raw)
    assert settings.run_retry_on_model_failure() is value


def test_make_run_with_a_wrong_setting_exits_naming_it_without_a_traceback(tmp_path):
    import os

    env = {**os.environ, "DBT_THREADS": "abc", "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Configuration error:\nDBT_THREADS='abc' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(("given", "expected"), [(None, "1000"), ("0", "0"), ("250", "250")])
def test_launched_runs_batch_their_planned_events_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, given: str | None, expected: str
) -> None:
    if given is None:
        monkeypatch.delenv(settings.EVENT_BATCH_SIZE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(settings.EVENT_BATCH_SIZE_VARIABLE, given)
    settings.default_event_batching()
    assert os.environ[settings.EVENT_BATCH_SIZE_VARIABLE] == expected
