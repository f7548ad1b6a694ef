"""The daemon (``stationd run``) killed with SIGKILL while its uploader thread is in the middle of a
multipart clip, then started again: the new daemon takes the interrupted row back, resumes the clip from
its saved parts, and everything arrives exactly once on SeaweedFS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stationd.config import StationConfig
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox
from tests.sync.seaweed import SeaweedServer
from tests.sync.station_s3 import (
    DAY,
    add_meteor,
    assert_published_once,
    s3_section,
    write_config,
    write_credentials,
)

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
MIB = 2**20
CLIP = 20 * MIB  # the station's default 8 MiB parts: 8, 8, 4


def _daemon(config_path: Path, rate_bytes_s: float, log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tests.sync._station_daemon_child", str(config_path), str(rate_bytes_s)]
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, stdout=out, stderr=out)


def _wait(what: str, ok: object, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(ok) and ok():
            return
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout_s} s:\n{log.read_text()}")


def _parts_saved(cfg: StationConfig, key: str) -> int:
    with open_outbox(cfg, read_only=True) as outbox:
        (item,) = [i for i in outbox.items() if i.key == key]
        progress = outbox.load_checkpoint(key, item.gen)
    return len(progress["parts"]) if progress else 0


def _drained(cfg: StationConfig) -> bool:
    with open_outbox(cfg, read_only=True) as outbox:
        return outbox.summary()["pending"] == 0 and not outbox.dirty_days()


def test_the_daemon_killed_mid_upload_and_started_again(tmp_path: Path, seaweed: SeaweedServer) -> None:
    (tmp_path / "data" / "incoming" / "cam1").mkdir(parents=True)
    config_path, cfg = write_config(
        tmp_path, s3_section(seaweed, write_credentials(tmp_path)), station="IT0001"
    )
    ids = [add_meteor(cfg, 5), add_meteor(cfg, 15, clip_bytes=CLIP)]
    publish_meteors(cfg, DAY, "cam1", ids)
    big = f"stations/IT0001/meteors/{DAY}/{ids[1]}/clip.mp4"

    first_log = tmp_path / "daemon0.log"
    first = _daemon(config_path, 4 * MIB, first_log)
    try:
        _wait("a part of the clip saved", lambda: _parts_saved(cfg, big) >= 1, first, first_log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    with open_outbox(cfg, read_only=True) as outbox:
        assert [i.key for i in outbox.items(["sending"])] == [big]

    second_log = tmp_path / "daemon1.log"
    second = _daemon(config_path, 1e12, second_log)
    try:
        _wait("the outbox drained", lambda: _drained(cfg), second, second_log)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert second.returncode == 0, second_log.read_text()
    assert "interrupted by a previous run are pending again" in second_log.read_text()
    assert_published_once(cfg, seaweed)
