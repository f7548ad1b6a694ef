"""systemd notify protocol with the standard library (sd_notify(3))."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stationd.daemon.notify import Notifier


@pytest.fixture
def abstract_socket() -> Iterator[tuple[str, socket.socket]]:
    name = f"@stationd-notify-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name[1:].encode())
    sock.settimeout(5)
    yield name, sock
    sock.close()


def _fields(data: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in data.decode().splitlines())


def test_ready_status_stopping_and_watchdog_reach_an_abstract_socket(
    abstract_socket: tuple[str, socket.socket],
) -> None:
    name, sock = abstract_socket
    notifier = Notifier.from_env({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "20000000"})
    try:
        assert notifier.enabled and notifier.watchdog_interval_s == pytest.approx(10.0)
        assert notifier.ready("running")
        assert _fields(sock.recv(4096)) == {"READY": "1", "STATUS": "running", "MAINPID": str(os.getpid())}
        assert notifier.status("3 queued")
        assert _fields(sock.recv(4096)) == {"STATUS": "3 queued"}
        assert notifier.watchdog()
        assert _fields(sock.recv(4096)) == {"WATCHDOG": "1"}
        assert notifier.stopping("bye")
        assert _fields(sock.recv(4096)) == {"STOPPING": "1", "STATUS": "bye"}
    finally:
        notifier.close()


def test_a_path_socket_works_too(tmp_path: Path) -> None:
    path = tmp_path / "n.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(5)
        notifier = Notifier(str(path))
        assert notifier.watchdog()
        assert sock.recv(64) == b"WATCHDOG=1"
        notifier.close()


def test_without_systemd_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled and notifier.watchdog_interval_s is None
    assert not notifier.ready("x") and not notifier.watchdog()


def test_watchdog_meant_for_another_pid_is_ignored() -> None:
    env = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    notifier = Notifier.from_env(env)
    assert notifier.watchdog_interval_s is None
    notifier.close()


def test_a_missing_or_full_socket_never_blocks_or_raises(abstract_socket: tuple[str, socket.socket]) -> None:
    gone = Notifier("@stationd-nobody-listens-" + uuid.uuid4().hex)
    assert not gone.status("x")
    gone.close()
    name, _sock = abstract_socket  # nobody reads it: its buffer fills up
    notifier = Notifier(name)
    sent = [notifier.status("x" * 2000) for _ in range(2000)]
    assert sent[0] and not all(sent)  # dropped once full, instead of blocking the daemon
    notifier.close()
