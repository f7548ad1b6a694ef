"""A ``stationd sync`` process killed with SIGKILL in the middle of a multipart clip, then ``stationd sync``
again: the interrupted row is taken back, the clip resumes from its saved parts, and everything arrives
exactly once on SeaweedFS (one object per key, the file's bytes, no unfinished upload)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from stationd import store_factory
from stationd.config import StationConfig
from stationd.daemon.owner import owner_alive
from stationd.disk.layout import StationLayout
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox
from sync import S3Store, Store
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


def _parts_saved(cfg: StationConfig, key: str) -> int:
    with open_outbox(cfg, read_only=True) as outbox:
        (item,) = [i for i in outbox.items() if i.key == key]
        progress = outbox.load_checkpoint(key, item.gen)
    return len(progress["parts"]) if progress else 0


def _bytes_saved(cfg: StationConfig, key: str) -> int:
    """Bytes of the parts the checkpoint says the server holds."""
    with open_outbox(cfg, read_only=True) as outbox:
        (item,) = [i for i in outbox.items() if i.key == key]
        progress = outbox.load_checkpoint(key, item.gen)
    assert progress is not None
    part = progress["part"]
    return sum(min(part, CLIP - (int(n) - 1) * part) for n in progress["parts"])


def test_stationd_sync_killed_mid_upload_then_run_again(
    tmp_path: Path, seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path, cfg = write_config(tmp_path, s3_section(seaweed, write_credentials(tmp_path)))
    ids = [add_meteor(cfg, 5), add_meteor(cfg, 15, clip_bytes=CLIP)]
    publish_meteors(cfg, DAY, "cam1", ids)
    big = f"stations/XX0001/meteors/{DAY}/{ids[1]}/clip.mp4"

    args = [sys.executable, "-m", "tests.sync._station_sync_child", str(config_path), str(4 * MIB)]
    child = subprocess.Popen(args, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 90
        while _parts_saved(cfg, big) < 1 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL  # mid-clip (5 s at 4 MiB/s)
    with open_outbox(cfg, read_only=True) as outbox:
        assert [i.key for i in outbox.items(["sending"])] == [big]  # the row the kill interrupted
    with sqlite3.connect(StationLayout(cfg.station.data_dir).state_db) as db:
        (owner,) = db.execute("SELECT owner FROM outbox WHERE key=?", (big,)).fetchone()
    assert not owner_alive(owner)

    saved = _bytes_saved(cfg, big)
    assert saved > 0
    sent = [0]

    def count(n: int) -> None:
        sent[0] += n

    def open_counting(config: StationConfig) -> Store:
        return S3Store(config.storage.store_settings(config.station.data_dir), throttle=count)

    monkeypatch.setattr(store_factory, "store_opener", open_counting)
    result = CliRunner().invoke(cli, ["sync", "--json", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["sent"]["failed"] == 0
    # The parts saved before the kill were not sent again (4 go at once: any of them may be done first);
    # the rest is the clip's other parts and a few small files.
    assert CLIP - saved <= sent[0] < CLIP - saved + 200_000, (sent[0], saved)
    assert_published_once(cfg, seaweed)
