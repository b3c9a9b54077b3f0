"""Notifiers: the JSON file, the webhook (a real HTTP server on 127.0.0.1), and the settings."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from orchestration import settings
from orchestration.alerts.notifiers import (
    Alert,
    AlertDeliveryError,
    LogAndFileNotifier,
    WebhookNotifier,
    notifier_from_settings,
)
from orchestration.settings import ConfigError

ALERT = Alert(
    kind="sla_breach",
    subject="fct_invoices",
    since=1767225600.0,  # 2026-01-01T00:00:00Z
    title="fct_invoices breached its freshness SLA: not updated for over 2:00:00",
    details={"asset": "fct_invoices", "fail_after": "2:00:00"},
    link="http://dagster.example/assets/fct_invoices",
)


@dataclass
class Hook:
    """A webhook receiver: answers each POST with the next status (then 200), keeps each POST's
    JSON body and its headers."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    headers: list[Message] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server calls it by this name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.headers.append(self.headers)
            state.received.append(json.loads(body))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: the kernel picks a free one
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_webhook_posts_json_with_slack_text_and_the_alert(hook: Hook):
    WebhookNotifier(hook.url, timeout_seconds=5).send(ALERT)

    (payload,) = hook.received
    assert [headers["Content-Type"] for headers in hook.headers] == ["application/json"]
    assert payload["text"].startswith("[ERROR] fct_invoices breached its freshness SLA")
    assert "• fail_after: 2:00:00" in payload["text"]
    assert payload["alert"]["kind"] == "sla_breach"
    assert payload["alert"]["subject"] == "fct_invoices"
    assert payload["alert"]["since"] == "2026-01-01T00:00:00+00:00"
    assert payload["alert"]["alert_id"] == ALERT.alert_id
    assert payload["alert"]["link"] == "http://dagster.example/assets/fct_invoices"


def test_webhook_retries_a_server_error_and_gives_up_on_a_client_error(hook: Hook):
    hook.statuses = [503]
    WebhookNotifier(hook.url, timeout_seconds=5).send(ALERT)
    assert len(hook.received) == 2  # the 503, then the retry that got 200

    hook.statuses = [404]
    with pytest.raises(AlertDeliveryError, match="HTTP 404"):
        WebhookNotifier(hook.url, timeout_seconds=5).send(ALERT)
    assert len(hook.received) == 3  # a 404 is not retried


def test_file_notifier_writes_one_file_per_alert_and_rewrites_it_if_sent_again(tmp_path: Path):
    notifier = LogAndFileNotifier(tmp_path / "alerts")
    notifier.send(ALERT)
    notifier.send(ALERT)  # e.g. a tick re-run after failing midway
    (path,) = (tmp_path / "alerts").glob("*.json")
    assert path.name.startswith("20260101T000000Z-sla_breach-fct_invoices-")
    assert json.loads(path.read_text())["title"] == ALERT.title
    assert not list((tmp_path / "alerts").glob(".alert-*"))  # no temporary file left


def test_settings_choose_file_only_or_file_and_webhook(
    hook: Hook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ALERTS_DIR", raising=False)
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    assert [n.name for n in notifier_from_settings().notifiers] == ["file"]

    monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
    notifier_from_settings().send(ALERT)
    assert len(list((tmp_path / "alerts").glob("*.json"))) == 1
    assert [p["alert"]["alert_id"] for p in hook.received] == [ALERT.alert_id]


def test_a_webhook_that_fails_does_not_lose_the_file(
    hook: Hook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALERTS_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
    hook.statuses = [410]
    notifier_from_settings().send(ALERT)  # does not raise: the file took it
    assert len(list((tmp_path / "elsewhere").glob("*.json"))) == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ALERT_WEBHOOK_URL", "hooks.slack.com/services/x", "ALERT_WEBHOOK_URL is not an http"),
        ("ALERT_WEBHOOK_URL", "ftp://example.com/x", "ALERT_WEBHOOK_URL is not an http"),
        ("ALERT_SENSOR_INTERVAL_SECONDS", "soon", "ALERT_SENSOR_INTERVAL_SECONDS='soon'"),
        ("SOURCE_FRESHNESS_CRON", "hourly", "SOURCE_FRESHNESS_CRON='hourly' is not a cron"),
        ("DAGSTER_UI_URL", "dagster.example.com", "DAGSTER_UI_URL='dagster.example.com'"),
    ],
)
def test_bad_alert_settings_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    getter = {
        "ALERT_WEBHOOK_URL": settings.alert_webhook_url,
        "ALERT_SENSOR_INTERVAL_SECONDS": settings.alert_sensor_interval_seconds,
        "SOURCE_FRESHNESS_CRON": settings.source_freshness_cron,
        "DAGSTER_UI_URL": settings.dagster_ui_url,
    }[name]
    with pytest.raises(ConfigError, match=message):
        getter()


def test_webhook_url_error_does_not_echo_the_secret(monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "hooks.slack.com/services/T000/B000/SECRET")
    with pytest.raises(ConfigError) as raised:
        settings.alert_webhook_url()
    assert "SECRET" not in str(raised.value)


def test_webhook_credentials_in_the_url_go_as_a_header_and_never_into_a_log(
    hook: Hook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    import base64

    with_userinfo = hook.url.replace("http://", "http://alerts:s3cr%40t@")
    monkeypatch.setenv("ALERTS_DIR", str(tmp_path / "alerts"))
    monkeypatch.setenv("ALERT_WEBHOOK_URL", with_userinfo)
    settings.validate()  # accepted at load
    notifier_from_settings().send(ALERT)
    basic = f"Basic {base64.b64encode(b'alerts:s3cr@t').decode()}"
    assert [headers.get("Authorization") for headers in hook.headers] == [basic]

    # Refused (4xx) and unreachable (nothing listens): the errors are logged, without secrets.
    hook.statuses = [403]
    notifier_from_settings().send(ALERT)
    closed = with_userinfo.replace(hook.url.split("/")[2].split(":")[1], "9")  # port 9: closed
    monkeypatch.setenv("ALERT_WEBHOOK_URL", closed)
    with pytest.raises(AlertDeliveryError) as raised:
        WebhookNotifier(closed, timeout_seconds=2, attempts=1).send(ALERT)
    notifier_from_settings().send(ALERT)
    logged = caplog.text + str(raised.value)
    assert "not delivered to webhook" in caplog.text
    assert "s3cr" not in logged and "alerts:s3" not in logged


def test_source_freshness_schedule_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("SOURCE_FRESHNESS_CRON", "off")
    assert settings.source_freshness_cron() is None
    monkeypatch.delenv("SOURCE_FRESHNESS_CRON")
    assert settings.source_freshness_cron() == "30 * * * *"
