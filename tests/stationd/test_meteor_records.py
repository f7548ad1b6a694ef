"""Meteor record folders: deterministic ids, atomic replacement, listing and removal by minute."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from detection.timing import VideoTime
from stationd.disk.layout import StationLayout
from stationd.disk.records import (
    build_record,
    iter_records,
    meteor_id,
    read_record,
    remove_minute_records,
    write_record,
)
from stationd.schemas import meteor_schema

START = datetime(2026, 8, 12, 22, 15, 0, tzinfo=UTC)


def _detection(first: int, n: int = 5) -> dict[str, Any]:
    return {
        "frames": [
            {"frame": first + i, "x_px": 10.0 + 3 * i, "y_px": 20.0, "intensity": 500.0} for i in range(n)
        ],
        "line": {
            "x_begin_px": 10.0,
            "y_begin_px": 20.0,
            "x_end_px": 10.0 + 3 * (n - 1),
            "y_end_px": 20.0,
            "frame_begin": first,
            "frame_end": first + n - 1,
            "speed_px_frame": 3.0,
            "speed_deg_s": 5.0,
            "length_px": 3.0 * (n - 1),
            "residual_px": 0.1,
        },
        "checks": {"frames": {"value": n, "limit": ">= 4", "passed": True}},
        "fireball": False,
    }


def _record(first: int, video: str = "2026_08_12_22_15_00_000_cam1.mp4") -> dict[str, Any]:
    return build_record(
        station="XX0001", camera="cam1", clock=VideoTime(START, 25.0), detection=_detection(first),
        source={"video": video, "ff_files": [], "hd_video": None},
        products={"clip": "clip.mp4", "stack": "stack.jpg", "clip_hd": None},
    )  # fmt: skip


def test_id_and_times_come_from_the_first_frame() -> None:
    record = _record(first=153)  # 153 / 25 = 6.12 s after the minute's start
    assert record["meteor_id"] == "XX0001_cam1_20260812_221506_120"
    assert record["meteor_id"] == meteor_id(
        "XX0001", "cam1", datetime(2026, 8, 12, 22, 15, 6, 120000, tzinfo=UTC)
    )
    assert record["start_utc"] == "2026-08-12T22:15:06.120000Z"
    assert record["end_utc"] == "2026-08-12T22:15:06.280000Z"
    assert record["duration_s"] == pytest.approx(0.16)
    assert [p["t_utc"] for p in record["frames"]][1] == "2026-08-12T22:15:06.160000Z"
    assert record["schema"] == "stationd.meteor/1" and record["calibration"] is None
    jsonschema.Draft202012Validator(meteor_schema()).validate(record)


def test_write_replaces_a_record_of_the_same_id(tmp_path: Path) -> None:
    layout = StationLayout(tmp_path)
    record = _record(first=10)

    def products(text: str) -> Any:
        return lambda folder: (folder / "clip.mp4").write_text(text)

    first = write_record(layout, "2026-08-12", record, products("old"))
    second = write_record(layout, "2026-08-12", record, products("new"))
    assert first == second == layout.meteor_dir("2026-08-12", "cam1", record["meteor_id"])
    assert (second / "clip.mp4").read_text() == "new"
    assert read_record(second) == record
    assert sorted(p.name for p in second.parent.iterdir()) == [record["meteor_id"]]  # no leftovers


def test_a_failing_product_writer_leaves_the_earlier_record(tmp_path: Path) -> None:
    layout = StationLayout(tmp_path)
    record = _record(first=10)
    write_record(layout, "2026-08-12", record, lambda folder: (folder / "clip.mp4").write_text("old"))

    def broken(folder: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_record(layout, "2026-08-12", record, broken)
    folder = layout.meteor_dir("2026-08-12", "cam1", record["meteor_id"])
    assert (folder / "clip.mp4").read_text() == "old"
    assert sorted(p.name for p in folder.parent.iterdir()) == [record["meteor_id"]]


def test_listing_sorts_by_time_and_removal_takes_one_minute(tmp_path: Path) -> None:
    layout = StationLayout(tmp_path)
    other = "2026_08_12_22_16_00_000_cam1.mp4"
    for record in (_record(first=500), _record(first=20), _record(first=300, video=other)):
        write_record(layout, "2026-08-12", record, lambda folder: None)
    assert [r["frames"][0]["frame"] for r in iter_records(layout, "2026-08-12")] == [20, 300, 500]
    assert list(iter_records(layout, "2026-08-13")) == []
    removed = remove_minute_records(layout, "2026-08-12", "cam1", "2026_08_12_22_15_00_000_cam1.mp4")
    assert len(removed) == 2
    assert [r["source"]["video"] for r in iter_records(layout, "2026-08-12", "cam1")] == [other]


def test_the_videos_clock_is_recorded_and_older_records_give_the_same() -> None:
    """A record names when its video starts (frame 0); one written before that field existed gives the
    same clock from its first point, to the millisecond of the minute file's name, and the same FF name."""
    from stationd.disk.exports import ff_name_of
    from stationd.disk.records import video_clock

    start = datetime(2026, 8, 12, 22, 15, 0, 120000, tzinfo=UTC)
    record = build_record(
        station="XX0001", camera="cam1", clock=VideoTime(start, 25.0), detection=_detection(300),
        source={"video": "v.mp4", "ff_files": [], "hd_video": None},
        products={"clip": None, "stack": "stack.jpg", "clip_hd": None},
    )  # fmt: skip
    assert record["source"]["video_start_utc"] == "2026-08-12T22:15:00.120000Z"
    jsonschema.validate(record, meteor_schema())
    older = {**record, "source": {k: v for k, v in record["source"].items() if k != "video_start_utc"}}
    assert video_clock(older) == video_clock(record) == VideoTime(start, 25.0)
    assert ff_name_of(older) == ff_name_of(record) == ("FF_XX0001_20260812_221510_360_0000256.fits", 256)
