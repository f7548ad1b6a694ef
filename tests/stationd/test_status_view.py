"""``stationd status`` without a day: the daemon (its lock, looked at without taking it, and its heartbeat),
the cameras' last minutes, the backlog, open alerts, the disk, and meteors per day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from detection.timing import iso_utc
from stationd.config_example import example_config
from stationd.daemon.lock import StationLock, lock_holder
from stationd.disk.atomic import atomic_write_json
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.disk.views import station_overview
from stationd.errors import LockHeldError
from tests.stationd.ops_helpers import NONE, add_minute, make_config
from tests.stationd.test_night import EVENING, verified


def test_lock_holder_is_seen_without_taking_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "stationd.lock"
    assert not lock_holder(path).running and not path.exists()  # a read-only look creates nothing
    lock = StationLock(path)
    with lock:
        holder = lock_holder(path)
        assert holder.running and holder.held and holder.pid == os.getpid()
        assert holder.since_utc is not None
        assert abs(holder.since_utc.timestamp() - path.stat().st_mtime) < 1e-3
        try:  # the probe released what it took: the lock is still exclusive
            StationLock(path).acquire()
        except LockHeldError:
            pass
        else:
            raise AssertionError("a second lock was granted")
    after = lock_holder(path)
    assert not after.held and not after.running and after.since_utc is None
    with StationLock(path):  # nothing the probe did keeps a new daemon from locking
        pass


def test_a_held_lock_whose_pid_is_gone_is_not_a_running_daemon(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    path = tmp_path / "stationd.lock"
    with StationLock(path):
        fd = os.open(path, os.O_WRONLY)
        os.pwrite(fd, gone.stdout.strip().ljust(16), 0)
        os.close(fd)
        holder = lock_holder(path)
    assert holder.held and not holder.alive and not holder.running


def test_overview_of_a_station(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cfg = make_config(data_dir)
    layout = StationLayout(data_dir)
    now = EVENING + timedelta(hours=2)
    with StateStore(layout.state_db) as store:
        add_minute(store, layout, EVENING, NONE)
        m = add_minute(store, layout, EVENING + timedelta(minutes=1), None)
        verified(store, m, meteors=2, fireballs=1, duration_s=1.0)
        m = add_minute(store, layout, EVENING + timedelta(hours=1, minutes=30), None)  # the next UTC day
        verified(store, m, meteors=1, fireballs=0, duration_s=1.0)
        add_minute(store, layout, EVENING + timedelta(hours=1, minutes=40), None, scanned=False)
        add_minute(store, layout, EVENING + timedelta(hours=1, minutes=41), None)  # candidates pending
        alert = {"key": "disk", "kind": "disk", "severity": "error", "message": "low disk"}
        atomic_write_json(data_dir / "status.json", {"updated_utc": iso_utc(now - timedelta(seconds=30)),
                                                     "alerts": [alert]})  # fmt: skip

        view = station_overview(cfg, store, now)

    assert view["daemon"] == {"running": False, "pid": None, "lock_held": False, "since_utc": None,
                              "heartbeat_utc": iso_utc(now - timedelta(seconds=30)), "heartbeat_age_s": 30.0,
                              "heartbeat_stale": False}  # fmt: skip
    last = iso_utc(EVENING + timedelta(minutes=101))
    assert view["cameras"] == [{"camera": "cam1", "last_minute_utc": last, "last_minute_age_s": 19 * 60.0}]
    assert view["backlog"] == {"pending": 2, "running": 0,
                               "pending_by_stage": {"scan": 1, "candidates": 1, "verify": 0}}  # fmt: skip
    assert [a["key"] for a in view["alerts"]] == ["disk"]
    assert [(d["day"], d["meteors"], d["fireballs"]) for d in view["days"]] == [
        ("2026-07-12", 2, 1), ("2026-07-13", 1, 0)
    ]  # fmt: skip
    disk = view["disk"]
    assert disk["data_dir"] == str(data_dir) and disk["disk_free_gb"] > 0
    assert disk["data_dir_gb"] > 0 and disk["disk_total_gb"] >= disk["disk_free_gb"]
    json.dumps(view)  # plain data


def test_status_renders_the_station_at_a_glance(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    config_path = tmp_path / "stationd.yaml"
    config_path.write_text(example_config(data_dir, "XX0001", "cam1", 51.8831, -1.30616, 80))
    layout = StationLayout(data_dir)
    with StateStore(layout.state_db) as store:
        m = add_minute(store, layout, EVENING, None)
        verified(store, m, meteors=2, fireballs=1, duration_s=1.0)
    with StationLock(layout.lock_file):
        result = CliRunner().invoke(cli, ["status", "--config", str(config_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"daemon: running, pid {os.getpid()}, since " in out and "no heartbeat yet" in out
    assert "cam1" in out and "2026-07-12 23:00:00 UTC" in out
    assert "backlog: 0 pending stage runs, 0 running" in out
    assert "GB free of" in out and f"the data directory {data_dir} holds" in out
    assert "2 (1 fireball)" in out  # the day's meteors


def test_a_running_daemon_without_a_heartbeat_for_minutes_is_flagged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cfg = make_config(data_dir)
    layout = StationLayout(data_dir)
    data_dir.mkdir()
    atomic_write_json(data_dir / "status.json", {"updated_utc": iso_utc(datetime(2026, 1, 1, tzinfo=UTC))})
    with StateStore(layout.state_db) as store, StationLock(layout.lock_file):
        started = datetime.fromtimestamp(layout.lock_file.stat().st_mtime, UTC)
        fresh = station_overview(cfg, store, started + timedelta(seconds=60))["daemon"]
        silent = station_overview(cfg, store, started + timedelta(seconds=600))["daemon"]
    assert fresh["running"] and not fresh["heartbeat_stale"]  # the first heartbeat is not due yet
    assert silent["heartbeat_stale"]
