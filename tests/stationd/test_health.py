"""Health checks with an injected clock, daytime, clock state and free space; alerts logged once when
raised and once when cleared, written to status.json, and handed to the notifier."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detection.timing import iso_utc
from stationd.config import AlertsSection, HealthSection, RetentionSection
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.ops.alerts import Alert, AlertEvent, Notifier
from stationd.ops.health import ClockState, HealthMonitor, active_alerts, kernel_clock_state, read_status
from stationd.ops.retention import GB, RetentionReport
from tests.stationd.ops_helpers import NONE, OWNER, add_minute, candidates, make_config, minute_name

T0 = datetime(2026, 7, 12, 23, 0, tzinfo=UTC)


@dataclass
class Env:
    data_dir: Path
    store: StateStore
    now: datetime = T0
    day: bool = False
    synced: bool | None = True
    free: int = 100 * GB
    sent: list[list[AlertEvent]] = field(default_factory=list)

    def monitor(self, log: logging.Logger | None = None, **health: object) -> HealthMonitor:
        cfg = make_config(
            self.data_dir,
            health=HealthSection(**health),  # type: ignore[arg-type]
            retention=RetentionSection(None, 1.0),
            alerts=AlertsSection(webhook_url="http://x"),
        )
        notifier = Notifier(cfg.alerts, cfg.station.id, post_json=lambda *a: None)
        notifier.notify = lambda events, now: self.sent.append(list(events)) or True  # type: ignore[method-assign]
        return HealthMonitor(
            cfg,
            self.store,
            log,
            notifier=notifier,
            clock_state=lambda: ClockState(self.synced),
            disk_free=lambda p: self.free,
            daytime=lambda t: self.day,
            started_utc=T0,
        )

    @property
    def layout(self) -> StationLayout:
        return StationLayout(self.data_dir)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path / "data", StateStore(tmp_path / "data" / "state.sqlite3"))
    e.store._now_iso = lambda: iso_utc(e.now)  # the store's timestamps follow the test's clock
    yield e
    e.store.close()


def _keys(alerts: list[Alert]) -> set[str]:
    return {a.key for a in alerts}


def test_no_video_at_night_is_raised_once_and_cleared_once(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    mon = env.monitor(no_video_min=10)
    with caplog.at_level(logging.INFO, logger="stationd.ops.health"):
        assert mon.check(T0 + timedelta(minutes=5)) == []
        for m in (11, 12, 13):
            assert _keys(mon.check(T0 + timedelta(minutes=m))) == {"no-video:cam1"}
        add_minute(env.store, env.layout, T0 + timedelta(minutes=13), NONE)
        assert mon.check(T0 + timedelta(minutes=14)) == []
    lines = [r.getMessage() for r in caplog.records if "no-video" in r.getMessage()]
    assert len(lines) == 2
    assert lines[0].startswith("alert RAISED [error] no-video:cam1: no new video from cam1 for 11 min")
    assert lines[1].startswith("alert cleared")
    assert [[e.state for e in batch] for batch in env.sent] == [["raised"], ["cleared"]]


def test_no_video_is_not_an_alert_by_day_and_new_files_in_incoming_count(env: Env) -> None:
    env.day = True
    mon = env.monitor(no_video_min=10)
    assert mon.check(T0 + timedelta(hours=2)) == []
    env.day = False
    incoming = env.layout.incoming("cam1")
    incoming.mkdir(parents=True)
    f = incoming / "2026_07_13_00_59_00_000_cam1.mp4"
    f.write_bytes(b"x")
    t = (T0 + timedelta(hours=2)).timestamp()
    os.utime(f, (t, t))
    assert mon.check(T0 + timedelta(hours=2, minutes=5)) == []


def test_too_many_candidates_per_hour(env: Env) -> None:
    for i in range(4):
        add_minute(env.store, env.layout, T0 + timedelta(minutes=i), candidates(3))
    mon = env.monitor(max_candidates_per_hour=10)
    alerts = mon.check(T0 + timedelta(minutes=5))
    assert _keys(alerts) == {"candidates:cam1"}
    assert alerts[0].details["candidates_per_hour"] == 12
    assert "candidates:cam1" not in _keys(mon.check(T0 + timedelta(minutes=70)))  # out of the hour


def test_repeated_stage_failures(env: Env) -> None:
    for i in range(3):
        m, _ = env.store.register_minute(
            "cam1", T0 + timedelta(minutes=i), f"m{i}.mp4", env.data_dir / f"m{i}"
        )
        assert env.store.claim(m.id, "scan", OWNER, "scan/1")
        env.store.fail(m.id, "scan", OWNER, "OSError: disk full", 0.5)
    mon = env.monitor(max_failures_per_hour=3)
    alerts = mon.check(T0 + timedelta(minutes=4))
    assert _keys(alerts) >= {"failures"}
    assert "3 failed stage runs" in next(a.message for a in alerts if a.key == "failures")
    env.now = T0 + timedelta(hours=2)
    assert "failures" not in _keys(mon.check(T0 + timedelta(hours=2)))


def test_a_backlog_that_keeps_growing(env: Env) -> None:
    mon = env.monitor(backlog_min=5, backlog_window_min=30, no_video_min=1000)
    t = T0
    for step in range(8):
        for i in range(3):
            m = T0 - timedelta(hours=1) + timedelta(minutes=3 * step + i)
            env.store.register_minute("cam1", m, f"{step}-{i}.mp4", env.data_dir / f"{step}-{i}")
        t = T0 + timedelta(minutes=10 * step)
        alerts = mon.check(t)
        assert ("backlog" in _keys(alerts)) == (step >= 3)  # 30 min of samples and growth are needed
    # Work catches up: the backlog stops growing, the alert clears.
    for m in env.store.pending("scan"):
        assert env.store.claim(m.id, "scan", OWNER, "scan/1")
        env.store.complete(m.id, "scan", OWNER, {}, 1.0)
    assert "backlog" not in _keys(mon.check(t + timedelta(minutes=10)))


def test_low_disk_and_retention_shortfall(env: Env) -> None:
    mon = env.monitor()
    env.free = int(0.5 * GB)
    alerts = mon.check(T0)
    assert "disk" in _keys(alerts)
    env.free = 100 * GB
    assert "disk" not in _keys(mon.check(T0 + timedelta(minutes=1)))
    mon.note_retention(RetentionReport(used_bytes=10, free_bytes=100 * GB, need_bytes=5 * GB, freed_bytes=GB))
    disk = [a for a in mon.check(T0 + timedelta(minutes=2)) if a.key == "disk"]
    assert disk and "4.00 GB short" in disk[0].message


def test_unsynchronised_clock(env: Env) -> None:
    mon = env.monitor()
    env.synced = False
    assert "clock" in _keys(mon.check(T0))
    env.synced = None  # unknown: no alert
    assert "clock" not in _keys(mon.check(T0 + timedelta(minutes=1)))
    assert isinstance(kernel_clock_state().synced, bool | None)


def test_hooks_add_alerts_and_a_broken_hook_does_not_stop_the_others(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    mon = env.monitor()

    def calibration_health(now: datetime) -> list[Alert]:
        return [Alert("calibration:cam1", "calibration", "warning", "plate solution 9 arcmin off")]

    def broken(now: datetime) -> list[Alert]:
        raise RuntimeError("boom")

    mon.add_check(broken)
    mon.add_check(calibration_health)
    with caplog.at_level(logging.ERROR, logger="stationd.ops.health"):
        assert _keys(mon.check(T0)) == {"calibration:cam1"}
    assert "check broken failed" in caplog.text


def test_status_file_and_restart_do_not_log_twice(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    env.synced = False
    with caplog.at_level(logging.INFO, logger="stationd.ops.health"):
        env.monitor().check(T0)
        status = read_status(env.data_dir)
        assert status is not None and status["schema"] == "stationd.status/1" and status["daytime"] is False
        assert [a["key"] for a in active_alerts(env.data_dir)] == ["clock"]
        since = active_alerts(env.data_dir)[0]["since_utc"]
        # A restarted daemon: the alert still holds, so it is neither logged nor sent again.
        env.monitor().check(T0 + timedelta(minutes=5))
        assert active_alerts(env.data_dir)[0]["since_utc"] == since
        env.synced = True
        env.monitor().check(T0 + timedelta(minutes=6))
    clock_lines = [r.getMessage() for r in caplog.records if "clock" in r.getMessage()]
    assert [line.split()[1] for line in clock_lines] == ["RAISED", "cleared"]
    assert active_alerts(env.data_dir) == []
    assert active_alerts(env.data_dir / "nowhere") == []


def test_night_summary_is_logged_once_at_dawn(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    # Oxford, 12/13 July 2026: the sun is below -6 deg from about 21:05 to 03:25 UTC (sun.py, astropy).
    night = datetime(2026, 7, 12, 23, 0, tzinfo=UTC)
    for i in range(3):
        add_minute(env.store, env.layout, night + timedelta(minutes=i), NONE)
    add_minute(env.store, env.layout, night + timedelta(minutes=3), candidates(2))
    mon = env.monitor(no_video_min=1000)
    with caplog.at_level(logging.INFO, logger="stationd.ops.health"):
        mon.check(datetime(2026, 7, 13, 3, 0, tzinfo=UTC))
        env.day = True
        for minute in (0, 1):
            mon.check(datetime(2026, 7, 13, 3, 30 + minute, tzinfo=UTC))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("night ")]
    assert len(lines) == 1
    assert lines[0].startswith("night 2026-07-12 21:")
    assert "cam1: 4/" in lines[0] and "1 with candidates (2 candidates)" in lines[0]
    status = read_status(env.data_dir)
    assert status is not None and status["last_night"]["cameras"]["cam1"]["minutes"] == 4


def _put(folder: Path, name: str, t: datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"x")
    os.utime(folder / name, (t.timestamp(), t.timestamp()))


def test_a_camera_whose_incoming_videos_are_all_ignored_raises_an_alert(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10 (1): files named for camera 010001 while the configuration said 4097 (an unquoted id)
    were all ignored, and the station looked healthy: the new minutes even kept no-video quiet."""
    incoming = env.layout.incoming("cam1")
    wrong = [minute_name(T0 + timedelta(minutes=i), "010001") for i in range(3)]
    for i, name in enumerate(wrong):
        _put(incoming, name, T0 + timedelta(minutes=i))
    _put(incoming, "camera.log", T0)  # not a video: never counted
    mon = env.monitor(no_video_min=10)
    with caplog.at_level(logging.INFO, logger="stationd.ops.health"):
        assert "ignored:cam1" not in _keys(mon.check(T0 + timedelta(minutes=5)))  # not there for long yet
        alerts = [a for a in mon.check(T0 + timedelta(minutes=11)) if a.key == "ignored:cam1"]
        assert len(alerts) == 1 and alerts[0].severity == "error"
        assert "3 video files in" in alerts[0].message and wrong[0] in alerts[0].message
        assert "cameras[0].id" in alerts[0].message
        assert alerts[0].details["example"] == wrong[0]
        assert "ignored:cam1" in _keys(mon.check(T0 + timedelta(minutes=12)))
        # The operator fixes the camera's name: a file it matches arrives and the alert clears.
        _put(incoming, minute_name(T0 + timedelta(minutes=12)), T0 + timedelta(minutes=12))
        assert "ignored:cam1" not in _keys(mon.check(T0 + timedelta(minutes=13)))
    lines = [r.getMessage() for r in caplog.records if "ignored:cam1" in r.getMessage()]
    assert [line.split()[1] for line in lines] == ["RAISED", "cleared"]
    assert [a["key"] for a in active_alerts(env.data_dir) if a["key"].startswith("ignored")] == []


def test_stray_videos_beside_a_camera_that_works_are_no_alert(env: Env) -> None:
    """A camera that also drops a time-lapse into its folder: minutes of the camera keep arriving."""
    _put(env.layout.incoming("cam1"), "timelapse.mp4", T0)
    add_minute(env.store, env.layout, T0 + timedelta(minutes=15), NONE)
    assert "ignored:cam1" not in _keys(env.monitor(no_video_min=10).check(T0 + timedelta(minutes=20)))
