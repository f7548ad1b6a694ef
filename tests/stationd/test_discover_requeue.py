"""Discovery takes a quarantined minute's file back in incoming/ as new (issue 10, defect 2)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from stationd.config import parse_config
from stationd.disk.discover import discover_camera
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore, Status
from tests.stationd.station_fixtures import T0, minute_name


def _setup(tmp_path: Path) -> tuple[StateStore, StationLayout, Path]:
    data_dir = tmp_path / "data"
    incoming = data_dir / "incoming" / "cam1"
    incoming.mkdir(parents=True)
    (data_dir / "quarantine").mkdir()
    return StateStore(data_dir / "state.sqlite3"), StationLayout(data_dir), incoming


def _settled(path: Path, data: bytes = b"video") -> Path:
    path.write_bytes(data)
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def test_a_quarantined_minute_whose_file_is_back_in_incoming_is_pending_again(tmp_path: Path) -> None:
    store, layout, incoming = _setup(tmp_path)
    station = {"id": "XX0001", "latitude_deg": 45.0, "longitude_deg": 7.0, "data_dir": str(layout.data_dir)}
    camera = parse_config({"station": station, "cameras": [{"id": "cam1"}]}).cameras[0]
    path = _settled(incoming / minute_name(0))
    with store:
        (minute,) = discover_camera(store, layout, camera, settle_s=10).registered
        assert store.claim(minute.id, "scan", "me:1:1", "scan/1")
        store.fail(minute.id, "scan", "me:1:1", "not a video", 0.1, quarantined=True)
        quarantined = layout.quarantine / path.name
        path.rename(quarantined)
        store.set_paths(minute.id, quarantined)

        again = discover_camera(store, layout, camera, settle_s=10)
        assert again.requeued == [] and again.known == 0  # nothing in incoming/: it stays quarantined

        _settled(incoming / minute_name(0), b"a new file of that name")
        again = discover_camera(store, layout, camera, settle_s=10)
        assert [m.id for m in again.requeued] == [minute.id]
        runs = store.runs(minute.id)
        assert list(runs) == ["scan"] and runs["scan"].status is Status.PENDING and runs["scan"].attempts == 0
        assert store.minute(minute.id).path == incoming / minute_name(0)
        assert store.quarantined() == []

        # Taken once: the next discovery knows it (pending), and a running stage is never requeued.
        assert discover_camera(store, layout, camera, settle_s=10).requeued == []
        assert store.claim(minute.id, "scan", "me:1:1", "scan/1")
        assert not store.requeue_quarantined(minute.id, incoming / minute_name(0), layout.quarantine)


def test_quarantined_lists_the_minutes_of_a_day(tmp_path: Path) -> None:
    store, _, incoming = _setup(tmp_path)
    with store:
        a, _ = store.register_minute("cam1", T0, minute_name(0), incoming / minute_name(0))
        b, _ = store.register_minute("cam1", T0.replace(minute=1), minute_name(1), incoming / minute_name(1))
        assert store.claim(a.id, "scan", "me:1:1", "scan/1")
        store.fail(a.id, "scan", "me:1:1", "empty", 0.0, quarantined=True)
        assert [m.id for m in store.quarantined(a.day)] == [a.id]
        assert store.quarantined("2026-08-13") == []
        assert [m.id for m in store.minutes_named(minute_name(1))] == [b.id]
