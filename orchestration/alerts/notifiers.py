"""Where alerts go: a small `Notifier` protocol, its implementations, and the settings' choice.

Every alert is logged and written as one JSON file under ALERTS_DIR; with ALERT_WEBHOOK_URL set
it is also POSTed there as JSON with a `text` field, which is what a Slack incoming webhook
reads (other chat tools and incident tools take the same shape or a small adapter). Another
destination is a class with a `name` and a `send(alert)`, added to `notifier_from_settings`.
"""

import base64
import hashlib
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from dagster import get_dagster_logger

from orchestration import settings

logger = get_dagster_logger("alerts")


@dataclass(frozen=True)
class Alert:
    """One thing that went wrong, once.

    `kind`, `subject` and `since` identify it: a failed run (subject: the run) or a breach
    (subject: the asset or check, since: when the breach began). Sending the same alert twice
    writes the same file, so a retried delivery never makes a second file.
    """

    kind: str  # run_failure | sla_breach | source_freshness
    subject: str
    since: float  # unix time the failure or breach began
    title: str
    details: Mapping[str, Any] = field(default_factory=dict)
    link: str | None = None
    severity: str = "error"

    @property
    def alert_id(self) -> str:
        return f"{self.kind}:{self.subject}:{self.since:.3f}"

    @property
    def since_iso(self) -> str:
        return datetime.fromtimestamp(self.since, UTC).isoformat(timespec="seconds")

    def text(self) -> str:
        """Plain text for people (and Slack's `text`): the title, then one line per detail."""
        lines = [f"[{self.severity.upper()}] {self.title}"]
        lines += [f"• {name}: {_plain(value)}" for name, value in self.details.items()]
        if self.link:
            lines.append(self.link)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "alert_id": self.alert_id, "since": self.since_iso}


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


class Notifier(Protocol):
    """A destination for alerts. `send` raises if the alert did not get there."""

    name: str

    def send(self, alert: Alert) -> None: ...


class AlertDeliveryError(RuntimeError):
    """No notifier took the alert; the message says which failed and why."""


class LogAndFileNotifier:
    """The default: an ERROR log line, and one JSON file per alert in a folder."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, alert: Alert) -> Path:
        stamp = datetime.fromtimestamp(alert.since, UTC).strftime("%Y%m%dT%H%M%SZ")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", alert.subject)[:60]
        digest = hashlib.sha256(alert.alert_id.encode()).hexdigest()[:8]
        return self.directory / f"{stamp}-{alert.kind}-{slug}-{digest}.json"

    def send(self, alert: Alert) -> None:
        logger.error("ALERT %s", alert.text().replace("\n", " | "))
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(alert)
        # Written whole, then renamed: a reader never sees half an alert.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".alert-", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(alert.to_json(), handle, indent=2, default=str)
        os.replace(tmp, path)


class WebhookNotifier:
    """POSTs `{"text": ..., "alert": {...}}` as JSON; retries briefly on network errors and 5xx."""

    name = "webhook"

    def __init__(self, url: str, timeout_seconds: float, attempts: int = 3) -> None:
        self.url, self.headers = _without_userinfo(url)
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts

    def payload(self, alert: Alert) -> dict[str, Any]:
        return {"text": alert.text(), "alert": alert.to_json()}

    def send(self, alert: Alert) -> None:
        body = json.dumps(self.payload(alert), default=str).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            headers={"Content-Type": "application/json", **self.headers},
            method="POST",
        )
        failure: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    response.read()
                return
            except urllib.error.HTTPError as error:
                # 4xx (a wrong or revoked URL, a rejected payload) will not fix itself.
                if error.code < 500 and error.code != 429:
                    raise AlertDeliveryError(f"webhook answered HTTP {error.code}") from error
                failure = error
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                failure = error
            if attempt < self.attempts:
                time.sleep(0.5 * 2 ** (attempt - 1))
        raise AlertDeliveryError(f"webhook failed {self.attempts} times: {failure}")


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """`https://user:secret@host/x` as `https://host/x` plus a Basic Authorization header.

    urllib cannot send to a URL with userinfo, and its error would quote the password; as a
    header the credentials reach the server and never appear in a URL, an error or a log.
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, {}
    host = parts.netloc.rsplit("@", 1)[1]
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    token = base64.b64encode(pair.encode()).decode()
    return urlunsplit(parts._replace(netloc=host)), {"Authorization": f"Basic {token}"}


class FanOutNotifier:
    """Sends each alert to every notifier; it counts as sent if at least one took it.

    A notifier that fails is logged as an error and not retried later: retrying would also
    repeat the alert on the notifiers that did take it. Only if none took it does `send` raise,
    so the sensor's tick fails and the alert is tried again on the next tick.
    """

    name = "fan_out"

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def send(self, alert: Alert) -> None:
        failures = []
        for notifier in self.notifiers:
            try:
                notifier.send(alert)
            except Exception as error:  # one destination down must not silence the others
                logger.error(
                    "Alert %s not delivered to %s: %s", alert.alert_id, notifier.name, error
                )
                failures.append(f"{notifier.name}: {error}")
        if len(failures) == len(self.notifiers):
            raise AlertDeliveryError(f"alert {alert.alert_id} reached no notifier: {failures}")


def notifier_from_settings() -> FanOutNotifier:
    """Log + file always; the webhook too when ALERT_WEBHOOK_URL is set."""
    notifiers: list[Notifier] = [LogAndFileNotifier(settings.alerts_dir())]
    url = settings.alert_webhook_url()
    if url:
        notifiers.append(WebhookNotifier(url, settings.alert_webhook_timeout_seconds()))
    return FanOutNotifier(notifiers)
