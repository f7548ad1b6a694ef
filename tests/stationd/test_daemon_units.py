"""Pieces of the daemon without a process: the work queue, the watcher, its settings and its jobs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from stationd.config import DaemonSection, parse_config
from stationd.daemon.loop import periodic_jobs
from stationd.daemon.watcher import IncomingWatcher, WatchState
from stationd.daemon.workers import Priority, Task, WorkQueue
from stationd.errors import ConfigError


def test_queue_serves_new_scans_newest_first_then_later_stages_then_backlog() -> None:
    q = WorkQueue(capacity=10)
    q.push(Task("scan", 1), Priority.BACKLOG_SCAN, 1)
    q.push(Task("candidates", 2), Priority.LATER_STAGE, 2)
    q.push(Task("scan", 3), Priority.NEW_SCAN, -300.0)
    q.push(Task("scan", 4), Priority.NEW_SCAN, -400.0)  # a newer minute
    q.push(Task("scan", 5), Priority.DAYTIME, 5)
    assert not q.push(Task("scan", 3), Priority.NEW_SCAN, -300.0)  # already queued
    assert [q.pop() for _ in range(5)] == [
        Task("scan", 4), Task("scan", 3), Task("candidates", 2), Task("scan", 1), Task("scan", 5)
    ]  # fmt: skip
    assert q.pop() is None


def test_full_queue_admits_better_work_by_dropping_the_worst() -> None:
    q = WorkQueue(capacity=2)
    assert q.push(Task("scan", 1), Priority.BACKLOG_SCAN, 1)
    assert q.push(Task("scan", 2), Priority.BACKLOG_SCAN, 2)
    assert not q.push(Task("scan", 3), Priority.BACKLOG_SCAN, 3)  # no better than what is held
    assert q.push(Task("scan", 9), Priority.NEW_SCAN, -9.0)  # pushes scan 2 out (still pending in the store)
    assert len(q) == 2 and Task("scan", 2) not in q
    assert [q.pop(), q.pop()] == [Task("scan", 9), Task("scan", 1)]


def _wait_settled(watcher: IncomingWatcher, timeout_s: float = 10.0) -> list[tuple[str, Path]]:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        got = watcher.settled()
        if got:
            return got
        time.sleep(0.05)
    return []


def test_watcher_hands_on_closed_and_moved_in_files_once_they_settle(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    watcher = IncomingWatcher({incoming: "cam1"}, settle_s=0.3)
    watcher.start()
    try:
        assert watcher.states == {incoming: WatchState.WATCHING}
        path = incoming / "a.mp4"
        with path.open("wb") as f:
            for _ in range(5):
                f.write(b"x" * 1000)
                f.flush()
                time.sleep(0.02)
        assert _wait_settled(watcher) == [("cam1", path)]
        assert watcher.settled() == []  # given once

        (incoming / ".tmp-b.mp4").write_bytes(b"x")  # a temporary name is not a minute file
        outside = tmp_path / "b.mp4"
        outside.write_bytes(b"y")
        os.replace(outside, incoming / "b.mp4")  # a camera that renames its finished file into place
        assert _wait_settled(watcher) == [("cam1", incoming / "b.mp4")]
    finally:
        watcher.stop()


def test_watcher_leaves_an_unwatchable_folder_to_the_sweep(tmp_path: Path) -> None:
    watcher = IncomingWatcher({tmp_path / "missing": "cam1"}, settle_s=0.1)
    watcher.start()
    try:
        assert watcher.states == {tmp_path / "missing": WatchState.SWEEP_ONLY}
    finally:
        watcher.stop()


def _raw(tmp_path: Path, daemon: object = None) -> dict[str, object]:
    raw: dict[str, object] = {
        "station": {"id": "XX0001", "latitude_deg": 45.0, "longitude_deg": 7.0, "data_dir": str(tmp_path)},
        "cameras": [{"id": "cam1"}],
    }
    if daemon is not None:
        raw["daemon"] = daemon
    return raw


def test_daemon_section_defaults_and_errors_name_the_key(tmp_path: Path) -> None:
    assert parse_config(_raw(tmp_path)).daemon == DaemonSection()
    assert DaemonSection().shutdown_timeout_s == 30.0
    cfg = parse_config(_raw(tmp_path, {"shutdown_timeout_s": 5, "queue_size": 8}))
    assert cfg.daemon.shutdown_timeout_s == 5.0 and cfg.daemon.queue_size == 8
    with pytest.raises(ConfigError) as info:
        parse_config(_raw(tmp_path, {"shutdown_timeout_s": -1, "queue_size": 0, "sweep": 3}))
    text = str(info.value)
    assert "daemon.shutdown_timeout_s: got -1" in text
    assert "daemon.queue_size: got 0" in text
    assert "daemon.sweep: got 3" in text


def test_the_example_configuration_has_a_valid_daemon_section(tmp_path: Path) -> None:
    import yaml

    from stationd.config_example import example_config

    raw = yaml.safe_load(example_config(tmp_path))
    assert "daemon" in raw
    assert parse_config(raw).daemon == DaemonSection()


def test_periodic_jobs_include_sweep_retention_and_health(tmp_path: Path) -> None:
    cfg = parse_config(_raw(tmp_path, {"sweep_interval_s": 120}))
    jobs = {job.name: job for job in periodic_jobs(cfg)}
    assert set(jobs) >= {"sweep", "retention", "health"}
    assert jobs["sweep"].interval_s == 120.0
