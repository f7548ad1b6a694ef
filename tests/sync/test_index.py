"""The daily index and its yearly roll-up: content, schema, determinism, gzip, one day at a time."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from sync.index import (
    CameraInfo,
    StationInfo,
    canonical_json,
    day_index,
    decode_index,
    encode_index,
    index_schema,
    update_year,
    year_schema,
)

STATION = StationInfo("XX0001", 51.8831, -1.30616, 80.0)
CAMERAS = [
    CameraInfo(
        "cam1", 25.0, 1280, 720, {"solution_id": "platepar_cmn2010.cal#0123456789ab", "residual_px": 0.4}
    )
]


def _record(
    second: int, calibrated: bool = False, fireball: bool = False, camera: str = "cam1"
) -> dict[str, Any]:
    frames = []
    for i in range(5):
        frame: dict[str, Any] = {
            "frame": 100 + i,
            "t_utc": f"2026-08-12T22:15:{second:02d}.{i * 40:03d}000Z",
            "x_px": 10.0 + i,
            "y_px": 20.0,
            "intensity": 500.0,
        }
        if calibrated:
            frame.update(az_deg=120.0 + i, alt_deg=40.0 - i, ra_deg=300.0 + i, dec_deg=10.0, mag=1.5 - i)
        frames.append(frame)
    return {
        "schema": "stationd.meteor/1",
        "meteor_id": f"XX0001_{camera}_20260812_2215{second:02d}_000",
        "station": "XX0001",
        "camera": camera,
        "start_utc": frames[0]["t_utc"],
        "end_utc": frames[-1]["t_utc"],
        "duration_s": 0.16,
        "fps": 25.0,
        "frames": frames,
        "fireball": fireball,
        "calibration": {"solution_id": "platepar_cmn2010.cal#0123456789ab", "residual_px": 0.4}
        if calibrated
        else None,
    }


def _key(record: dict[str, Any]) -> str:
    return f"stations/XX0001/meteors/2026-08-12/{record['meteor_id']}/meteor.json"


def test_the_index_lists_every_meteor_and_validates() -> None:
    records = [_record(30, calibrated=True, fireball=True), _record(6)]
    doc = day_index(STATION, CAMERAS, "2026-08-12", records, _key)
    jsonschema.Draft202012Validator(index_schema()).validate(doc)
    assert doc["schema"] == "stationd.index/1" and doc["station"]["id"] == "XX0001"
    assert [m["meteor_id"] for m in doc["meteors"]] == [
        "XX0001_cam1_20260812_221506_000",
        "XX0001_cam1_20260812_221530_000",
    ]
    plain, bright = doc["meteors"]
    assert plain["begin"] is None and plain["peak_mag"] is None and plain["calibration"] is None
    assert bright["begin"] == {"az_deg": 120.0, "alt_deg": 40.0, "ra_deg": 300.0, "dec_deg": 10.0}
    assert bright["end"]["az_deg"] == 124.0 and bright["peak_mag"] == -2.5 and bright["fireball"]
    assert bright["key"] == _key(records[0]) and (doc["n_meteors"], doc["n_fireballs"]) == (2, 1)
    assert doc["cameras"][0]["calibration"]["solution_id"].startswith("platepar")


def test_the_schema_refuses_what_is_wrong() -> None:
    doc = day_index(STATION, CAMERAS, "2026-08-12", [_record(6)], _key)
    validator = jsonschema.Draft202012Validator(index_schema())
    for change in (
        lambda d: d["meteors"][0].pop("key"),
        lambda d: d["station"].update(lat_deg=91),
        lambda d: d["meteors"][0].update(key="/abs/key"),
        lambda d: d.update(extra=1),
    ):
        bad = copy.deepcopy(doc)
        change(bad)
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def test_same_records_same_bytes_and_large_indexes_are_gzipped() -> None:
    records = [_record(s) for s in range(0, 60)]
    doc = day_index(STATION, CAMERAS, "2026-08-12", records, _key)
    again = day_index(STATION, CAMERAS, "2026-08-12", list(reversed(records)), _key)
    assert canonical_json(doc) == canonical_json(again)
    data, encoding = encode_index(doc, gzip_min_bytes=1000)
    assert encoding == "gzip" and data == encode_index(again, gzip_min_bytes=1000)[0]  # mtime 0: same bytes
    assert len(data) < len(canonical_json(doc)) and decode_index(data, encoding) == doc
    small, none = encode_index(doc, gzip_min_bytes=10**9)
    assert none is None and decode_index(small, None) == doc


def test_the_year_rollup_replaces_only_the_changed_day() -> None:
    d12 = day_index(STATION, CAMERAS, "2026-08-12", [_record(6), _record(30)], _key)
    d13 = {**day_index(STATION, CAMERAS, "2026-08-13", [_record(7)], _key), "day": "2026-08-13"}
    year = update_year(None, d12, "k12")
    year = update_year(year, d13, "k13")
    jsonschema.Draft202012Validator(year_schema()).validate(year)
    assert (year["n_meteors"], list(year["days"])) == (3, ["2026-08-12", "2026-08-13"])
    fewer = day_index(STATION, CAMERAS, "2026-08-12", [_record(30)], _key)  # a meteor removed on the 12th
    after = update_year(year, fewer, "k12")
    assert after["days"]["2026-08-13"] == year["days"]["2026-08-13"] and after["n_meteors"] == 2
    empty = day_index(STATION, CAMERAS, "2026-08-12", [], _key)
    assert list(update_year(after, empty, "k12")["days"]) == ["2026-08-13"]
