"""Publishing on the station: meteors and live events in the outbox, the index day by day, the heartbeat,
the upload alert, retention's guard and the uploader thread."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from detection.timing import VideoTime
from stationd.config import RetentionSection, StationConfig
from stationd.daemon.uploader import Uploader
from stationd.disk.layout import StationLayout
from stationd.disk.records import build_record, write_record
from stationd.disk.state import StateStore
from stationd.ops.health import upload_alerts
from stationd.ops.retention import GB, enforce_retention
from stationd.publish.heartbeat import publish_heartbeat
from stationd.publish.index import index_paths, rebuild_dirty, rebuild_index
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox
from sync.index import decode_index, index_schema, year_schema
from sync.outbox import Priority
from tests.stationd.ops_helpers import NONE, add_minute, make_config
from tests.sync.fakes import FakeClock, MemoryStore

S = "XX0001"
D12, D13 = "2026-08-12", "2026-08-13"


def _meteor(
    cfg: StationConfig, day: str, second: int, fireball: bool = False, mag: float | None = None
) -> str:
    """A meteor folder on disk (meteor.json, stack.jpg, clip.mp4) at ``second`` past 22:15 of ``day``."""
    start = datetime.fromisoformat(day).replace(hour=22, minute=15, tzinfo=UTC)
    detection: dict[str, Any] = {
        "frames": [
            {"frame": second * 25 + i, "x_px": 10.0 + i, "y_px": 20.0, "intensity": 500.0} for i in range(5)
        ],
        "line": {
            "x_begin_px": 10.0,
            "y_begin_px": 20.0,
            "x_end_px": 14.0,
            "y_end_px": 20.0,
            "frame_begin": 0,
            "frame_end": 4,
            "speed_px_frame": 1.0,
            "speed_deg_s": 5.0,
            "length_px": 4.0,
            "residual_px": 0.1,
        },
        "checks": {},
        "fireball": fireball,
    }
    record = build_record(
        station=S,
        camera="cam1",
        clock=VideoTime(start, 25.0),
        detection=detection,
        source={"video": "v.mp4", "ff_files": [], "hd_video": None},
        products={},
    )
    if mag is not None:
        for f in record["frames"]:
            f.update(az_deg=100.0, alt_deg=40.0, ra_deg=200.0, dec_deg=10.0, mag=mag)

    def products(folder: Path) -> dict[str, Any]:
        (folder / "stack.jpg").write_bytes(b"jpeg" + day.encode() + bytes([second]))
        (folder / "clip.mp4").write_bytes(b"mp4" * 100 + bytes([second]))
        return {"clip": "clip.mp4", "stack": "stack.jpg", "clip_hd": None}

    write_record(StationLayout(cfg.station.data_dir), day, record, products)
    return str(record["meteor_id"])


@pytest.fixture
def cfg(tmp_path: Path) -> StationConfig:
    config = make_config(tmp_path / "data")
    StateStore(StationLayout(config.station.data_dir).state_db).close()  # schema v4: the outbox tables
    return config


def _keys(cfg: StationConfig, states: tuple[str, ...] = ("pending",)) -> list[str]:
    with open_outbox(cfg) as outbox:
        return [i.key for i in outbox.items(states)]


def test_a_verified_meteor_is_queued_and_a_fireball_goes_live_first(cfg: StationConfig) -> None:
    quiet = _meteor(cfg, D12, 6)
    bright = _meteor(cfg, D12, 30, fireball=True)
    report = publish_meteors(cfg, D12, "cam1", [quiet, bright])
    assert report.live == [bright]
    keys = _keys(cfg)
    assert keys[:3] == [
        f"live/{S}/{D12}/{bright}/meteor.json",
        f"live/{S}/{D12}/{bright}/stack.jpg",
        f"live/{S}/{D12}/{bright}/clip.mp4",
    ]
    assert f"stations/{S}/meteors/{D12}/{quiet}/meteor.json" in keys
    assert not any(k.startswith(f"live/{S}/{D12}/{quiet}") for k in keys)
    assert publish_meteors(cfg, D12, "cam1", [quiet, bright]).queued == []  # the same records: nothing new
    with open_outbox(cfg) as outbox:
        assert outbox.dirty_days() == [(D12, 2)]


def test_a_calibrated_meteor_brighter_than_the_limit_goes_live(cfg: StationConfig) -> None:
    cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, live_max_mag=-3.0))
    dim, bright = _meteor(cfg, D12, 6, mag=1.0), _meteor(cfg, D12, 30, mag=-3.5)
    assert publish_meteors(cfg, D12, "cam1", [dim, bright]).live == [bright]


def test_a_removed_meteor_is_withdrawn_and_deleted_from_the_store(cfg: StationConfig) -> None:
    m = _meteor(cfg, D12, 6, fireball=True)
    publish_meteors(cfg, D12, "cam1", [m])
    store, clock = MemoryStore(), FakeClock()
    with open_outbox(cfg) as outbox:
        rebuild_dirty(cfg, outbox)
        _send_all(outbox, store, clock)
        assert f"stations/{S}/meteors/{D12}/{m}/clip.mp4" in store.objects
        shutil.rmtree(StationLayout(cfg.station.data_dir).meteor_dir(D12, "cam1", m))  # reprocessing found
        publish_meteors(cfg, D12, "cam1", [], removed=[m], outbox=outbox)  # nothing there any more
        rebuild_dirty(cfg, outbox)
        _send_all(outbox, store, clock)
    assert not [k for k in store.objects if m in k]
    index = json.loads(store.objects[f"stations/{S}/index/2026/{D12}.json"].data)
    assert index["meteors"] == []


def _send_all(outbox: Any, store: MemoryStore, clock: FakeClock) -> None:
    from sync.sender import Sender

    Sender(outbox, store, "me", clock).run()


def test_the_index_is_rebuilt_for_the_changed_day_only(cfg: StationConfig) -> None:
    a, b = _meteor(cfg, D12, 6), _meteor(cfg, D13, 7, fireball=True)
    first = rebuild_index(cfg, D12)
    rebuild_index(cfg, D13)
    jsonschema.Draft202012Validator(index_schema()).validate(first.doc)
    assert [m["meteor_id"] for m in first.doc["meteors"]] == [a]
    assert first.doc["meteors"][0]["key"] == f"stations/{S}/meteors/{D12}/{a}/meteor.json"
    p13, year_path = index_paths(cfg, D13)
    before = p13.stat().st_mtime_ns
    time.sleep(0.01)
    c = _meteor(cfg, D12, 40)
    again = rebuild_index(cfg, D12)
    assert [m["meteor_id"] for m in again.doc["meteors"]] == [a, c]
    assert p13.stat().st_mtime_ns == before  # the other day's file was not touched
    year = decode_index(year_path.read_bytes(), "gzip")
    jsonschema.Draft202012Validator(year_schema()).validate(year)
    assert year["n_meteors"] == 3 and [m["meteor_id"] for m in year["days"][D13]["meteors"]] == [b]
    assert rebuild_index(cfg, D12).queued == ()  # nothing changed: nothing queued


def test_the_index_waits_for_the_records_it_lists(cfg: StationConfig) -> None:
    m = _meteor(cfg, D12, 6)
    publish_meteors(cfg, D12, "cam1", [m])
    store = MemoryStore()
    with open_outbox(cfg) as outbox:
        rebuild_dirty(cfg, outbox)
        order = []
        while (item := outbox.claim_next("me")) is not None:
            order.append(item.key)
            outbox.mark_done(item.key, item.gen, None)
    assert order.index(f"stations/{S}/meteors/{D12}/{m}/meteor.json") < order.index(
        f"stations/{S}/index/2026/{D12}.json"
    )
    assert order.index(f"stations/{S}/index/2026/{D12}.json") < order.index(
        f"stations/{S}/index/2026.json.gz"
    )
    assert not store.objects


def test_the_heartbeat(cfg: StationConfig) -> None:
    with StateStore(StationLayout(cfg.station.data_dir).state_db) as store, open_outbox(cfg) as outbox:
        doc = publish_heartbeat(cfg, store, outbox, started_s=1_786_000_000.0, now_s=1_786_000_600.0)
        (item,) = outbox.items()
    assert doc["schema"] == "stationd.heartbeat/1" and doc["uptime_s"] == 600.0
    assert {"cameras", "backlog", "outbox", "alerts", "disk", "clock", "software_version"} <= set(doc)
    assert item.key == f"stations/{S}/status.json" and item.priority == Priority.STATUS
    assert "data_dir" not in doc["disk"]


def test_the_upload_alert_is_raised_after_the_configured_time_and_cleared() -> None:
    now = datetime(2026, 8, 12, 23, 0, tzinfo=UTC)
    meta = {"failing_since_utc": "2026-08-12T22:30:00.000000Z", "last_error": "StoreUnavailable: 503"}
    assert upload_alerts(meta, now, failing_min=60) == []
    (alert,) = upload_alerts(meta, now + timedelta(minutes=31), failing_min=60)
    assert alert.key == "upload" and alert.severity == "error" and "503" in alert.message
    assert upload_alerts({"last_success_utc": "2026-08-12T23:30:00.000000Z"}, now, failing_min=60) == []


def test_retention_keeps_a_file_whose_upload_is_pending(cfg: StationConfig) -> None:
    cfg = dataclasses.replace(cfg, retention=RetentionSection(max_disk_gb=None, min_free_gb=1.0))
    layout = StationLayout(cfg.station.data_dir)
    t = datetime(2026, 8, 12, 22, 0, tzinfo=UTC)
    with StateStore(layout.state_db) as store:
        m = add_minute(store, layout, t, NONE)
        video = layout.video(m.day, "cam1") / m.name
        from sync.outbox import Upload

        with open_outbox(cfg) as outbox:
            outbox.enqueue(
                [Upload(f"stations/{S}/exports/{m.day}/{m.name}", video, "export", Priority.EXPORT)]
            )
        report = enforce_retention(
            cfg, store, now_utc=t + timedelta(days=2), disk_free=lambda p: int(0.5 * GB)
        )
    assert video.exists()  # pending upload: kept
    assert report.deleted and all(video not in d.paths for d in report.deleted)


def test_the_uploader_thread_sends_and_stops(cfg: StationConfig) -> None:
    m = _meteor(cfg, D12, 6, fireball=True)
    publish_meteors(cfg, D12, "cam1", [m])
    store = MemoryStore()
    uploader = Uploader(cfg, poll_s=0.05, store_opener=lambda c: store)
    uploader.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and f"stations/{S}/index/2026.json.gz" not in store.objects:
            time.sleep(0.05)
    finally:
        assert uploader.stop(timeout_s=10)
    assert not uploader.alive
    assert (
        f"live/{S}/{D12}/{m}/clip.mp4" in store.objects
        and f"stations/{S}/index/2026/{D12}.json" in store.objects
    )
    assert set(store.puts.values()) == {1}
    assert store.calls[0] == ("put_file", f"live/{S}/{D12}/{m}/meteor.json")  # live first


def test_a_calibrated_meteor_waits_for_its_plate_solution(cfg: StationConfig) -> None:
    layout = StationLayout(cfg.station.data_dir)
    plate = layout.calibration_dir("cam1") / "platepar_cmn2010.cal"
    plate.parent.mkdir(parents=True)
    plate.write_text('{"station_code": "XX0001"}')
    sha12 = hashlib.sha256(plate.read_bytes()).hexdigest()[:12]
    m = _meteor(cfg, D12, 6, mag=1.0)
    path = layout.meteor_dir(D12, "cam1", m) / "meteor.json"
    record = json.loads(path.read_text())
    record["calibration"] = {"solution_id": f"platepar_cmn2010.cal#{sha12}", "residual_px": 0.3}
    path.write_text(json.dumps(record))
    publish_meteors(cfg, D12, "cam1", [m])
    with open_outbox(cfg) as outbox:
        order = []
        while (item := outbox.claim_next("me")) is not None:
            order.append(item.key)
            outbox.mark_done(item.key, item.gen, None)
    cal = f"stations/{S}/calibration/cam1/{sha12}/platepar_cmn2010.cal"
    assert order.index(cal) < order.index(f"stations/{S}/meteors/{D12}/{m}/meteor.json")


def test_status_asks_an_unanswering_store_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``stationd status`` waits on a store that accepts connections and never answers for one request's
    short timeout, not for the sender's retries (five tries of a minute each)."""
    import socket
    import threading

    from stationd.publish.outbox import store_check

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)  # held open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stationd-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stationd-test-secret")
    cfg = make_config(tmp_path / "d")
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    storage = dataclasses.replace(cfg.storage, backend="s3", endpoint_url=endpoint, bucket="b")
    try:
        check = store_check(dataclasses.replace(cfg, storage=storage))
    finally:
        done.set()
        thread.join()
        listener.close()
        for conn in accepted:
            conn.close()
    assert check["answers"] is False and "StoreUnavailable" in check["error"]
    assert len(accepted) == 1
