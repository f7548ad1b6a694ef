"""Alert delivery: e-mail to a fake SMTP relay and a webhook to a fake HTTP server, both on 127.0.0.1
(started and stopped by each test), and the rate limits with an injected clock."""

from __future__ import annotations

import http.server
import json
import logging
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from stationd.config import AlertsSection
from stationd.ops.alerts import Alert, AlertEvent, Notifier

T = "2026-07-12T23:00:00.000000Z"


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    body += chunk
                self.server.messages.append(body.decode())  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="fake-smtp")
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def hook_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _HookHandler)
    server.posts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="fake-webhook")
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class FakeClock:
    t: float = 1000.0
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.t


def _alert(key: str = "no-video:cam1", severity: str = "error") -> Alert:
    return Alert(key, key.split(":")[0], severity, f"{key} happened", T)


def test_email_goes_through_the_smtp_relay(smtp_server: socketserver.ThreadingTCPServer) -> None:
    port = smtp_server.server_address[1]
    settings = AlertsSection(
        email_to=("op@example.org",), email_from="st@example.org", smtp_host="127.0.0.1", smtp_port=port
    )
    notifier = Notifier(settings, "XX0001", environ={})
    assert notifier.notify([AlertEvent(_alert(), "raised", T)], T)
    (message,) = smtp_server.messages  # type: ignore[attr-defined]
    assert "Subject: [stationd XX0001] 1 alert raised: no-video:cam1" in message
    assert "To: op@example.org" in message
    assert "RAISED [error] no-video:cam1: no-video:cam1 happened" in message


def test_webhook_receives_the_events_as_json(hook_server: http.server.HTTPServer) -> None:
    url = f"http://127.0.0.1:{hook_server.server_address[1]}/hook"
    notifier = Notifier(AlertsSection(webhook_url=url), "XX0001")
    events = [AlertEvent(_alert(), "raised", T), AlertEvent(_alert("clock", "warning"), "raised", T)]
    assert notifier.notify(events, T)
    (post,) = hook_server.posts  # type: ignore[attr-defined]
    assert (
        post["schema"] == "stationd.ops.alerts/1" and post["station"] == "XX0001" and post["suppressed"] == 0
    )
    assert [e["alert"]["key"] for e in post["events"]] == ["no-video:cam1", "clock"]
    assert post["events"][0]["state"] == "raised"


def test_rate_limits_per_alert_and_per_hour() -> None:
    posts: list[dict] = []
    clock = FakeClock()
    settings = AlertsSection(webhook_url="http://127.0.0.1:9/x", min_interval_s=600, max_per_hour=3)
    n = Notifier(
        settings, "XX0001", monotonic=clock, post_json=lambda url, body, t: posts.append(json.loads(body))
    )
    raised, cleared = AlertEvent(_alert(), "raised", T), AlertEvent(_alert(), "cleared", T)
    assert n.notify([raised], T)
    assert n.notify([cleared], T)  # the clear of a sent raise goes out
    clock.t += 60
    assert not n.notify([raised], T)  # flapping within min_interval_s: not again
    assert not n.notify([cleared], T)  # and its clear neither (its raise was not sent)
    clock.t += 600
    assert n.notify([raised], T)  # 3rd message this hour
    assert not n.notify([AlertEvent(_alert("clock", "warning"), "raised", T)], T)  # hourly cap reached
    assert n.suppressed == 1
    clock.t += 3600
    assert n.notify([AlertEvent(_alert("disk"), "raised", T)], T)
    assert posts[-1]["suppressed"] == 1
    assert len(posts) == 4


def test_delivery_failures_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    settings = AlertsSection(
        webhook_url="http://127.0.0.1:9/x", email_to=("a@b.c",), smtp_host="127.0.0.1", smtp_port=9
    )
    with caplog.at_level(logging.WARNING, logger="stationd.ops.alerts"):
        assert Notifier(settings, "XX0001", timeout_s=2.0).notify([AlertEvent(_alert(), "raised", T)], T)
    text = caplog.text
    assert "webhook http://127.0.0.1:9/x failed" in text and "e-mail through 127.0.0.1:9 failed" in text


def test_nothing_is_sent_without_targets() -> None:
    assert not Notifier(AlertsSection(), "XX0001").notify([AlertEvent(_alert(), "raised", T)], T)


def test_alert_round_trip_and_validation() -> None:
    a = Alert("disk", "disk", "error", "low", T, {"free_bytes": 3})
    assert Alert.from_dict(a.to_dict()) == a
    with pytest.raises(ValueError, match="severity"):
        Alert("disk", "disk", "fatal", "low")


def test_alert_and_health_settings_are_validated(tmp_path) -> None:
    import yaml

    from stationd.config import parse_config
    from stationd.config_example import example_config
    from stationd.errors import ConfigError

    raw = yaml.safe_load(example_config(tmp_path))
    raw["alerts"].update(email_to="operator", webhook_url="ftp://x", max_per_hour=0)
    raw["health"].update(no_video_min=-1, check_clock="yes")
    raw["processing"]["daytime_sun_alt_deg"] = 30
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert {p.key for p in info.value.problems} == {
        "alerts.email_to",
        "alerts.webhook_url",
        "alerts.max_per_hour",
        "health.no_video_min",
        "health.check_clock",
        "processing.daytime_sun_alt_deg",
    }
    raw = yaml.safe_load(example_config(tmp_path))
    raw["alerts"].update(email_to="op@example.org", webhook_url="https://hooks.example.org/x")
    cfg = parse_config(raw)
    assert cfg.alerts.email_to == ("op@example.org",) and cfg.health.no_video_min == 10.0
