"""Alerts and their delivery by e-mail (an SMTP relay, :mod:`smtplib`) and webhook (a JSON POST).

An :class:`Alert` is a condition that holds now (the health monitor decides which); an
:class:`AlertEvent` says it was raised or cleared. :class:`Notifier` sends the events of one check as a
single message per channel, rate limited twice over:

- per alert: a raise is sent at most once per ``alerts.min_interval_s`` for the same key (an alert that
  flaps is not sent again and again); a clear is sent only when the raise it ends was sent;
- in all: at most ``alerts.max_per_hour`` messages per hour; what is held back is counted and the next
  message says how many were suppressed.

Delivery never raises: a failure is logged and the station goes on. The SMTP password is read from
``$STATIOND_SMTP_PASSWORD`` (never from the configuration file, never logged).

Webhook body (``Content-Type: application/json``)::

    {"schema": "stationd.ops.alerts/1", "station": "XX0001", "sent_utc": "...Z", "suppressed": 0,
     "events": [{"state": "raised" | "cleared", "t_utc": "...Z", "alert": {Alert.to_dict()}}]}
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

from stationd.config import AlertsSection
from stationd.text import plural

SEVERITIES = ("warning", "error")
PASSWORD_ENV = "STATIOND_SMTP_PASSWORD"


@dataclass(frozen=True)
class Alert:
    """A condition that needs an operator: ``key`` identifies it (``no-video:cam1``), ``kind`` groups it."""

    key: str
    kind: str
    severity: str
    message: str
    since_utc: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Alert.severity: got {self.severity!r}, expected one of {SEVERITIES}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, as kept in ``status.json`` and sent in the webhook body."""
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "since_utc": self.since_utc,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        """Read :meth:`to_dict` back from ``status.json`` after a restart; absent optional keys default."""
        return cls(
            key=str(data["key"]),
            kind=str(data.get("kind", data["key"])),
            severity=str(data.get("severity", "warning")),
            message=str(data.get("message", "")),
            since_utc=str(data.get("since_utc", "")),
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class AlertEvent:
    alert: Alert
    state: Literal["raised", "cleared"]
    t_utc: str

    def to_dict(self) -> dict[str, Any]:
        """One entry of the webhook body's ``events`` list."""
        return {"state": self.state, "t_utc": self.t_utc, "alert": self.alert.to_dict()}

    def line(self) -> str:
        """One human line for the log and the e-mail body; a raise is in capitals to stand out."""
        word = "RAISED" if self.state == "raised" else "cleared"
        return f"{word} [{self.alert.severity}] {self.alert.key}: {self.alert.message}"


def _post_json(url: str, body: bytes, timeout_s: float) -> None:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(
        request, timeout=timeout_s
    ) as response:  # the URL is http(s): checked by the config
        response.read()


@dataclass
class Notifier:
    """Sends alert events to the configured e-mail addresses and webhook, rate limited."""

    settings: AlertsSection
    station: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("stationd.ops.alerts"))
    monotonic: Callable[[], float] = time.monotonic
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    timeout_s: float = 10.0
    post_json: Callable[[str, bytes, float], None] = _post_json
    _last_raise: dict[str, float] = field(default_factory=dict, init=False)
    _sent_raise: set[str] = field(default_factory=set, init=False)
    _messages: deque[float] = field(default_factory=deque, init=False)
    suppressed: int = field(default=0, init=False)

    @property
    def enabled(self) -> bool:
        """Whether any channel is configured; without one, events are only logged."""
        return bool(self.settings.email_to or self.settings.webhook_url)

    def notify(self, events: Sequence[AlertEvent], now_utc: str) -> bool:
        """Send what the rate limits let through as one message per channel; True when a message went."""
        if not self.enabled:
            return False
        now = self.monotonic()
        chosen = [e for e in events if self._wanted(e, now)]
        if not chosen:
            return False
        while self._messages and now - self._messages[0] >= 3600.0:
            self._messages.popleft()
        if len(self._messages) >= self.settings.max_per_hour:
            self.suppressed += len(chosen)
            self.log.warning("alerts: %s held back (max %d messages per hour)",
                             plural(len(chosen), "notification"), self.settings.max_per_hour)  # fmt: skip
            return False
        for e in chosen:
            if e.state == "raised":
                self._last_raise[e.alert.key] = now
                self._sent_raise.add(e.alert.key)
            else:
                self._sent_raise.discard(e.alert.key)
        self._messages.append(now)
        suppressed, self.suppressed = self.suppressed, 0
        self._send(chosen, now_utc, suppressed)
        return True

    def _wanted(self, event: AlertEvent, now: float) -> bool:
        key = event.alert.key
        if event.state == "cleared":
            return key in self._sent_raise
        last = self._last_raise.get(key)
        return last is None or now - last >= self.settings.min_interval_s

    def _send(self, events: list[AlertEvent], now_utc: str, suppressed: int) -> None:
        if self.settings.webhook_url:
            body = {"schema": "stationd.ops.alerts/1", "station": self.station, "sent_utc": now_utc,
                    "suppressed": suppressed, "events": [e.to_dict() for e in events]}  # fmt: skip
            try:
                self.post_json(self.settings.webhook_url, json.dumps(body).encode(), self.timeout_s)
            except (OSError, ValueError) as exc:
                self.log.warning("alerts: webhook %s failed: %s", self.settings.webhook_url, exc)
        if self.settings.email_to:
            try:
                self._send_email(events, now_utc, suppressed)
            except (OSError, smtplib.SMTPException) as exc:
                self.log.warning("alerts: e-mail through %s:%d failed: %s", self.settings.smtp_host,
                                 self.settings.smtp_port, exc)  # fmt: skip

    def _send_email(self, events: list[AlertEvent], now_utc: str, suppressed: int) -> None:
        s = self.settings
        raised = [e for e in events if e.state == "raised"]
        head = (
            f"{plural(len(raised), 'alert')} raised" if raised else f"{plural(len(events), 'alert')} cleared"
        )
        msg = EmailMessage()
        msg["Subject"] = f"[stationd {self.station}] {head}: " + "; ".join(e.alert.key for e in events)
        msg["From"] = s.email_from
        msg["To"] = ", ".join(s.email_to)
        lines = [f"Station {self.station}, {now_utc}", "", *(e.line() for e in events)]
        if suppressed:
            held = plural(suppressed, "earlier notification")
            lines += ["", f"{held} {'was' if suppressed == 1 else 'were'} held back by the rate limit."]
        lines += ["", "Details: stationd status, stationd logs, or DATA_DIR/status.json on the station."]
        msg.set_content("\n".join(lines) + "\n")
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            password = self.environ.get(PASSWORD_ENV)
            if s.smtp_user and password:
                smtp.login(s.smtp_user, password)
            smtp.send_message(msg)
