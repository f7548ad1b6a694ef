"""Partners' daily indexes: conditional GETs, the cache, and hostile indexes rejected with a logged reason."""

from __future__ import annotations

import gzip
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sync.index import CameraInfo, StationInfo, day_index, encode_index
from sync.keys import StationKeys
from sync.partners import PartnerIndexes, PartnerSettings, observations_of_index
from tests.sync.fakes import MemoryStore

DAY = "2026-07-12"
NOW = datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
PARTNER = "UK00A4"


def _record(i: int, calibrated: bool = True) -> dict[str, Any]:
    frame = {"frame": 0, "x_px": 1.0, "y_px": 2.0, "mag": 1.5}
    sky = {"az_deg": 120.0 + i, "alt_deg": 40.0, "ra_deg": 10.0, "dec_deg": 20.0} if calibrated else {}
    return {
        "meteor_id": f"{PARTNER}_01_20260712_2215{i:02d}_000",
        "camera": "01",
        "start_utc": f"2026-07-12T22:15:{i:02d}.000000Z",
        "end_utc": f"2026-07-12T22:15:{i:02d}.800000Z",
        "duration_s": 0.8,
        "frames": [{**frame, **sky}, {**frame, **sky, "frame": 20}],
    }


def _doc(n: int = 3, station: str = PARTNER) -> dict[str, Any]:
    info = StationInfo(station, 51.0, -1.0, 80.0)
    cams = [CameraInfo("01", 25.0, 1280, 720, None)]
    keys = StationKeys(station)
    return day_index(
        info,
        cams,
        DAY,
        [_record(i) for i in range(n)],
        lambda r: keys.meteor(DAY, r["meteor_id"], "meteor.json"),
    )


def _publish(store: MemoryStore, doc: dict[str, Any] | bytes, gzip_min_bytes: int = 32 * 1024) -> None:
    key = StationKeys(PARTNER).day_index(DAY)
    if isinstance(doc, bytes):
        store.put_bytes(key, doc, content_type="application/json")
        return
    data, encoding = encode_index(doc, gzip_min_bytes)
    store.put_bytes(key, data, content_type="application/json", content_encoding=encoding)


@pytest.fixture
def indexes(tmp_path: Path) -> PartnerIndexes:
    return PartnerIndexes(tmp_path / "partners", lambda: NOW, PartnerSettings(max_index_bytes=64 * 1024))


def test_an_index_is_fetched_cached_and_not_fetched_again_when_unchanged(indexes: PartnerIndexes) -> None:
    store = MemoryStore()
    _publish(store, _doc())
    first = indexes.fetch(store, PARTNER, DAY)
    assert first.status == "fetched" and first.doc is not None and first.doc["n_meteors"] == 3
    second = indexes.fetch(store, PARTNER, DAY)
    assert second.status == "not_modified" and second.doc == first.doc
    _publish(store, _doc(4))
    assert indexes.fetch(store, PARTNER, DAY).doc["n_meteors"] == 4  # type: ignore[index]
    assert indexes.fetch(MemoryStore(), PARTNER, "2026-07-11").status == "absent"


def test_a_gzipped_index_is_read(indexes: PartnerIndexes) -> None:
    store = MemoryStore()
    _publish(store, _doc(), gzip_min_bytes=0)
    fetched = indexes.fetch(store, PARTNER, DAY)
    assert fetched.status == "fetched"
    obs = observations_of_index(fetched.doc)  # type: ignore[arg-type]
    assert [o.station for o in obs] == [PARTNER] * 3 and obs[0].begin_az_deg == 120.0 and obs[0].calibrated


def _hostile() -> dict[str, tuple[bytes | dict[str, Any], str]]:
    wrong_schema = {**_doc(), "schema": "stationd.index/9"}
    missing = _doc()
    del missing["cameras"]
    outside = _doc()
    outside["meteors"][0]["key"] = "events/2026-07-12/x/y/solution.json"
    dotted = _doc()
    dotted["meteors"][1]["key"] = f"stations/{PARTNER}/../UK009M/meteors/x/meteor.json"
    future = _doc()
    future["meteors"][2]["start_utc"] = "2026-07-13T23:00:00.000000Z"
    future["meteors"][2]["end_utc"] = "2026-07-13T23:00:01.000000Z"
    huge = _doc(400)
    return {
        "malformed": (b'{"schema": "stationd.index/1", "station": ', "malformed JSON"),
        "not an object": (b"[1, 2, 3]", "expected an object"),
        "wrong schema": (wrong_schema, "schema 'stationd.index/9'"),
        "missing field": (missing, "not a stationd.index/1 document"),
        "other station": (_doc(station="UK009M"), "names station 'UK009M'"),
        "key outside": (outside, "outside stations/UK00A4/"),
        "dotted key": (dotted, "meteors/1/key"),
        "from the future": (future, "in the future"),
        "huge": (huge, "limit"),
        "gzip bomb": (gzip.compress(b" " * 10_000_000), "once decompressed"),
        "bad gzip": (b"\x1f\x8b\x08\x00garbage", "not valid gzip"),
    }


@pytest.mark.parametrize("case", sorted(_hostile()))
def test_hostile_indexes_are_rejected_and_logged(
    indexes: PartnerIndexes, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    payload, reason = _hostile()[case]
    if case == "huge":
        data, _ = encode_index(payload, gzip_min_bytes=10**9)  # type: ignore[arg-type]
        _publish(store, data)
    else:
        _publish(store, payload)
    with caplog.at_level(logging.WARNING, logger="sync.partners"):
        fetched = indexes.fetch(store, PARTNER, DAY)
    assert fetched.status == "rejected" and fetched.doc is None
    assert reason in (fetched.reason or ""), fetched.reason
    assert any("rejected" in r.getMessage() and PARTNER in r.getMessage() for r in caplog.records)


def test_a_rejected_update_keeps_the_good_cached_copy(indexes: PartnerIndexes) -> None:
    store = MemoryStore()
    _publish(store, _doc())
    assert indexes.fetch(store, PARTNER, DAY).status == "fetched"
    _publish(store, b"not json")
    again = indexes.fetch(store, PARTNER, DAY)
    assert again.status == "rejected" and again.doc is not None and again.doc["n_meteors"] == 3


def test_an_index_of_a_future_day_is_rejected(tmp_path: Path) -> None:
    store = MemoryStore()
    _publish(store, _doc())
    early = PartnerIndexes(tmp_path, lambda: datetime(2026, 7, 11, 12, tzinfo=UTC))
    fetched = early.fetch(store, PARTNER, DAY)
    assert fetched.status == "rejected" and "future" in (fetched.reason or "")


def test_a_store_that_does_not_answer_is_reported_not_raised(indexes: PartnerIndexes) -> None:
    store = MemoryStore()
    _publish(store, _doc())
    indexes.fetch(store, PARTNER, DAY)
    store.fail_next(1)
    fetched = indexes.fetch(store, PARTNER, DAY)
    assert fetched.status == "unavailable" and fetched.doc is not None


def test_a_tampered_cache_is_not_trusted(indexes: PartnerIndexes, tmp_path: Path) -> None:
    store = MemoryStore()
    _publish(store, _doc())
    indexes.fetch(store, PARTNER, DAY)
    cached = tmp_path / "partners" / PARTNER / f"{DAY}.json"
    doc = json.loads(cached.read_text())
    doc["meteors"][0]["key"] = "stations/OTHER/meteors/x/meteor.json"
    cached.write_text(json.dumps(doc))
    assert indexes.cached(PARTNER, DAY) == (None, None)
    assert indexes.fetch(store, PARTNER, DAY).status == "fetched"  # no ETag sent: a full GET
