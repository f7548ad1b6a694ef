"""A daemon started by a test as a child process on a temporary station, and everything to watch it.

The harness binds a systemd-style notify socket (an abstract unix socket: no network), starts
``python -m cli.run_cmd`` with fake stages plugged in (see ``daemon_fakes``), and stops what it started, by
its own ``Popen`` handle only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from stationd.disk.atomic import TMP_PREFIX
from stationd.disk.state import StateStore
from tests.stationd.daemon_fakes import install_plugin

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)  # a night: no day-time policy involved


def minute_name(i: int, camera: str = "cam1") -> str:
    t = T0 + timedelta(minutes=i)
    return t.strftime("%Y_%m_%d_%H_%M_%S_") + f"{t.microsecond // 1000:03d}_{camera}.mp4"


class DaemonHarness:
    def __init__(self, tmp_path: Path, daemon: dict[str, Any] | None = None, workers: int = 2) -> None:
        self.root = tmp_path
        self.data_dir = tmp_path / "data"
        self.incoming = self.data_dir / "incoming" / "cam1"
        self.incoming.mkdir(parents=True)
        self.fake_log = tmp_path / "fake.log"
        self.config_path = tmp_path / "stationd.yaml"
        settings = {"shutdown_timeout_s": 10, "sweep_interval_s": 60, "settle_s": 1, "event_settle_s": 0.3}
        settings.update(daemon or {})
        raw = {
            "station": {
                "id": "IT0001",  # not the placeholder XX0001: stationd run refuses it
                "latitude_deg": 45.0,
                "longitude_deg": 7.0,
                "data_dir": str(self.data_dir),
            },
            "cameras": [{"id": "cam1", "width_px": 640, "height_px": 360}],
            "processing": {"workers": workers},
            "daemon": settings,
        }
        self.config_path.write_text(yaml.safe_dump(raw))
        self.plugin_dir = install_plugin(tmp_path / "plugin")
        self.notify_name = f"@stationd-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(b"\0" + self.notify_name[1:].encode())
        self.messages: list[dict[str, str]] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    # -- processes -----------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(self.plugin_dir), str(REPO), env.get("PYTHONPATH", "")])
        env["NOTIFY_SOCKET"] = self.notify_name
        env["STATIOND_FAKE_LOG"] = str(self.fake_log)
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        env.update(extra)
        return env

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"daemon{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.run_cmd", "--config", str(self.config_path)],
            cwd=REPO, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def run_once(self, timeout_s: float = 60.0) -> subprocess.CompletedProcess[bytes]:
        """A second instance, run to its end."""
        cmd = [sys.executable, "-m", "cli.run_cmd", "--config", str(self.config_path)]
        return subprocess.run(
            cmd, cwd=REPO, env=self.env(), capture_output=True, timeout=timeout_s, check=False
        )

    def stop(self, proc: subprocess.Popen[bytes], timeout_s: float) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=timeout_s)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        self.sock.close()

    def log_text(self, index: int = -1) -> str:
        return (self.root / f"daemon{len(self.procs) - 1 if index == -1 else index}.log").read_text()

    # -- notifications -------------------------------------------------------------------------------

    def receive(self, duration_s: float) -> list[dict[str, str]]:
        """Datagrams received over ``duration_s``; each parsed into its KEY=value fields."""
        got: list[dict[str, str]] = []
        end = time.monotonic() + duration_s
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            got.append(fields)
        self.messages += got
        return got

    def wait_message(self, key: str, timeout_s: float = 90.0, value: str | None = None) -> dict[str, str]:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for msg in self.receive(0.2):
                if key in msg and (value is None or msg[key] == value):
                    return msg
            for proc in self.procs:
                assert proc.poll() is None or proc.returncode == 0, self.log_text()
        raise AssertionError(f"no {key} message within {timeout_s} s:\n{self.log_text()}")

    # -- files and state -----------------------------------------------------------------------------

    def write_minute(self, i: int, slow: bool = True, size: int = 64 * 1024) -> Path:
        """Write a minute file the way a camera does: in pieces over a while, then close it."""
        path = self.incoming / minute_name(i)
        with path.open("wb") as f:
            for _ in range(8):
                f.write(os.urandom(size // 8))
                f.flush()
                if slow:
                    time.sleep(0.05)
        return path

    def events(self) -> list[tuple[str, str, str, int]]:
        if not self.fake_log.exists():
            return []
        out = []
        for line in self.fake_log.read_text().splitlines():
            event, stage, name, pid = line.split()
            out.append((event, stage, name, int(pid)))
        return out

    def count(self, event: str, stage: str, name: str) -> int:
        return sum(1 for e in self.events() if e[:3] == (event, stage, name))

    def statuses(self, stage: str) -> dict[str, str]:
        with StateStore(self.data_dir / "state.sqlite3") as store:
            return {
                m.name: store.runs(m.id)[stage].status.value
                for m in store.minutes()
                if stage in store.runs(m.id)
            }

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 120.0, what: str = "") -> None:
        """Wait for ``predicate``; fail at once when the newest daemon dies with an error."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if predicate():
                return
            for proc in self.procs[-1:]:
                if proc.poll() not in (None, 0):
                    raise AssertionError(f"daemon exited {proc.returncode}:\n{self.log_text()}")
            self.receive(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_text()}")

    def all_done(self, names: list[str]) -> bool:
        detect = self.statuses("candidates")
        return all(detect.get(n) == "done" for n in names)

    def temporaries(self) -> list[Path]:
        return [p for p in self.data_dir.rglob(TMP_PREFIX + "*")]
