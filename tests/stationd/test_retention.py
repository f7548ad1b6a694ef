"""Retention against a small quota: the documented order, and the protected classes stay."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stationd.config import RetentionSection, StationConfig
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute, StateStore
from stationd.ops.retention import GB, _deletable, enforce_retention, tree_size
from tests.stationd.ops_helpers import NONE, TOO_MANY, add_minute, candidates, make_config, write

DAY1 = datetime(2026, 7, 10, 22, 0, tzinfo=UTC)
DAY2 = datetime(2026, 7, 11, 22, 0, tzinfo=UTC)
TODAY = datetime(2026, 7, 12, 1, 0, tzinfo=UTC)
PLENTY = 10**15


class Station:
    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "data"
        self.layout = StationLayout(self.data_dir)
        self.store = StateStore(self.layout.state_db)
        L, s = self.layout, self.store
        self.m1 = add_minute(s, L, DAY1, NONE)
        self.m2 = add_minute(s, L, DAY1 + timedelta(minutes=1), candidates(2))
        self.m3 = add_minute(s, L, DAY2, TOO_MANY)
        self.m4 = add_minute(s, L, DAY2 + timedelta(minutes=1), candidates(1))
        self.m5 = add_minute(s, L, TODAY, NONE)
        self.m6 = add_minute(s, L, TODAY + timedelta(minutes=1), None)  # scanned, detect pending
        self.m7 = add_minute(s, L, TODAY + timedelta(minutes=2), None, scanned=False)  # still in incoming/
        self.protected_other = [
            write(L.day_camera("2026-07-10", "cam1") / "meteors" / "m1" / "meteor.json"),
            write(L.day_camera("2026-07-10", "cam1") / "meteors" / "m1" / "clip.mp4"),
            write(L.quarantine / "bad.mp4"),
            write(self.data_dir / "calibration" / "cam1" / "platepar.json"),
            write(self.data_dir / "index" / "2026" / "2026-07-10.json"),
        ]

    def config(self, max_disk_gb: float | None, min_free_gb: float = 0.0) -> StationConfig:
        return make_config(self.data_dir, retention=RetentionSection(max_disk_gb, min_free_gb))

    def videos(self, m: Minute) -> list[Path]:
        return [self.layout.video(m.day, "cam1") / m.name]

    def minute_files(self, m: Minute) -> list[Path]:
        L = self.layout
        return [
            *self.videos(m),
            L.values(m.day, "cam1", m.stem),
            L.stack(m.day, "cam1", m.stem),
            L.preview(m.day, "cam1", m.stem),
        ]

    def ff(self, m: Minute) -> list[Path]:
        run = self.store.runs(m.id)["scan"]
        assert run.result is not None
        return [self.layout.ff_dir(m.day, "cam1") / n for n in run.result["ff_files"]]


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    st = Station(tmp_path)
    yield st
    st.store.close()


def _run(st: Station, cfg: StationConfig, free: int = PLENTY, caplog: pytest.LogCaptureFixture | None = None):
    return enforce_retention(cfg, st.store, now_utc=TODAY + timedelta(hours=1), disk_free=lambda p: free)


def test_nothing_happens_within_the_limits(station: Station) -> None:
    report = _run(station, station.config(max_disk_gb=None))
    assert report.need_bytes == 0 and not report.deleted and report.ok
    report = _run(station, station.config(max_disk_gb=1.0))
    assert report.used_bytes is not None and report.need_bytes == 0 and not report.deleted


def test_one_byte_over_deletes_the_oldest_minute_without_candidates(
    station: Station, caplog: pytest.LogCaptureFixture
) -> None:
    used = tree_size(station.data_dir)
    with caplog.at_level(logging.INFO, logger="stationd.ops.retention"):
        report = _run(station, station.config(max_disk_gb=(used - 1) / GB))
    assert [d.minute for d in report.deleted] == [station.m1.name]
    assert report.ok and report.freed_bytes == 4000
    assert not any(p.exists() for p in station.minute_files(station.m1))
    assert all(p.exists() for p in station.ff(station.m1))  # FF blocks are the next class
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and station.m1.name in lines[0] and "no candidates (none)" in lines[0]


def test_everything_deletable_goes_in_the_documented_order_and_protected_files_stay(station: Station) -> None:
    st = station
    report = _run(st, st.config(max_disk_gb=1e-9))  # a 1-byte quota: more than can ever be freed
    order = [(d.minute, d.reason.split(" ")[0]) for d in report.deleted]
    assert order == [
        (st.m1.name, "no"),
        (st.m3.name, "no"),
        (st.m5.name, "no"),  # no candidates, oldest first
        (st.m1.name, "FF"),
        (st.m2.name, "FF"),
        (st.m3.name, "FF"),
        (st.m4.name, "FF"),
        (st.m5.name, "FF"),
        (st.m2.name, "stack"),
        (st.m4.name, "stack"),  # stacks and previews of old days (not today's)
    ]
    assert "too-many" in report.deleted[1].reason
    assert not report.ok and report.short_bytes > 0
    protected = [
        *st.videos(st.m2),
        st.layout.values(st.m2.day, "cam1", st.m2.stem),  # candidates: video, values
        *st.videos(st.m4),
        st.layout.values(st.m4.day, "cam1", st.m4.stem),
        *st.minute_files(st.m6),
        *st.ff(st.m6),  # detect not done yet
        st.layout.incoming("cam1") / st.m7.name,  # not scanned yet
        st.layout.state_db,
        *st.protected_other,
    ]
    missing = [p for p in protected if not p.exists()]
    assert not missing
    # A second run finds nothing more to delete and says how much is missing again.
    again = _run(st, st.config(max_disk_gb=1e-9))
    assert not again.deleted and again.short_bytes > 0


def test_the_free_space_floor_is_kept_too(station: Station) -> None:
    floor_gb = 1.0
    report = _run(station, station.config(max_disk_gb=None, min_free_gb=floor_gb), free=int(GB) - 1500)
    assert report.need_bytes == 1500
    assert [d.minute for d in report.deleted] == [station.m1.name]  # 4000 bytes >= 1500
    assert report.ok


def test_only_files_in_the_deletable_folders_may_go(tmp_path: Path) -> None:
    L = StationLayout(tmp_path)
    day = L.day_camera("2026-07-10", "cam1")
    assert _deletable(day / "video" / "a.mp4", L)
    assert _deletable(day / "video" / "hd" / "a.mp4", L)
    assert _deletable(day / "ff" / "FF_x.fits", L)
    assert not _deletable(day / "meteors" / "m" / "clip.mp4", L)
    assert not _deletable(day / "rejected" / "x.json", L)
    assert not _deletable(L.quarantine / "a.mp4", L)
    assert not _deletable(L.incoming("cam1") / "a.mp4", L)
    assert not _deletable(tmp_path / "calibration" / "cam1" / "p.json", L)
    assert not _deletable(L.days_root() / ".." / "state.sqlite3", L)
