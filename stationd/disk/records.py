"""Meteor records on disk: ``days/<day>/<camera>/meteors/<meteor_id>/meteor.json`` and its products.

A record is the ``stationd.meteor/1`` JSON of DESIGN 4 (schema: ``stationd/schemas/meteor.schema.json``).
Meteor ids are deterministic, ``<station>_<camera>_<YYYYMMDD>_<HHMMSS>_<mmm>`` of the UTC time of the first
frame, so reprocessing a minute gives the same ids; the verify stage first removes the records that came from
the minute, then writes the new ones, so a rerun replaces and never duplicates.

A record's folder is assembled under a temporary name beside its final one and renamed into place, so a
reader never sees half a record.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from stationd.disk.atomic import atomic_write_text, fsync_dir
from stationd.disk.layout import StationLayout, iso_utc

log = logging.getLogger("stationd.records")

SCHEMA = "stationd.meteor/1"
RECORD_NAME = "meteor.json"


def meteor_id(station: str, camera: str, t_utc: datetime) -> str:
    """``XX0001_cam1_20260812_221506_120``: station, camera and the UTC time of the meteor's first frame.

    >>> from datetime import UTC
    >>> meteor_id("XX0001", "cam1", datetime(2026, 8, 12, 22, 15, 6, 120999, tzinfo=UTC))
    'XX0001_cam1_20260812_221506_120'
    """
    return f"{station}_{camera}_{t_utc:%Y%m%d_%H%M%S}_{t_utc.microsecond // 1000:03d}"


def frame_time(start_utc: datetime, frame: int, fps: float) -> datetime:
    """UTC time of ``frame`` of a video that starts at ``start_utc``: start + frame / fps (DESIGN 4)."""
    return start_utc + timedelta(seconds=frame / fps)


def build_record(
    *,
    station: str,
    camera: str,
    minute_start_utc: datetime,
    fps: float,
    detection: dict[str, Any],
    source: dict[str, Any],
    products: dict[str, Any],
) -> dict[str, Any]:
    """The meteor.json of one verified detection.

    ``detection`` is the detector's JSON (``frames``, ``line``, ``checks``, ``fireball``) with frame numbers
    counted from the first frame of the minute video; ``source`` names the video, FF files and HD video.
    """
    frames = detection["frames"]
    first, last = frames[0]["frame"], frames[-1]["frame"]
    t_first = frame_time(minute_start_utc, first, fps)
    t_last = frame_time(minute_start_utc, last, fps)
    return {
        "schema": SCHEMA,
        "meteor_id": meteor_id(station, camera, t_first),
        "station": station,
        "camera": camera,
        "start_utc": iso_utc(t_first),
        "end_utc": iso_utc(t_last),
        "duration_s": round((last - first) / fps, 6),
        "fps": fps,
        "source": source,
        "frames": [{**p, "t_utc": iso_utc(frame_time(minute_start_utc, p["frame"], fps))} for p in frames],
        "line": detection["line"],
        "checks": detection["checks"],
        "fireball": bool(detection["fireball"]),
        "calibration": None,
        "products": products,
    }


def write_record(
    layout: StationLayout,
    day: str,
    record: dict[str, Any],
    write_products: Callable[[Path], dict[str, Any]],
) -> Path:
    """Write a record's folder: ``write_products(tmp_dir)`` writes clip and stack and returns the record's
    ``products``; then meteor.json; the folder replaces any earlier one of the same id in one rename."""
    final = layout.meteor_dir(day, record["camera"], record["meteor_id"])
    tmp, old = final.with_name(f".{final.name}.tmp"), final.with_name(f".{final.name}.old")
    if old.exists() and not final.exists():  # a crash between the two renames below: the old one stands
        old.rename(final)
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        record["products"] = write_products(tmp)
        atomic_write_text(tmp / RECORD_NAME, json.dumps(record, indent=1, allow_nan=False) + "\n")
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        fsync_dir(final.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return final


def read_record(path: Path) -> dict[str, Any]:
    """A meteor.json (the file, or the record's folder)."""
    if path.is_dir():
        path = path / RECORD_NAME
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def iter_records(layout: StationLayout, day: str, camera: str | None = None) -> Iterator[dict[str, Any]]:
    """Every meteor record of a day (of one camera, or all), ordered by start time then id."""
    day_dir = layout.days_root() / day
    if camera is not None:
        cameras = [camera]
    else:
        cameras = sorted(p.name for p in day_dir.iterdir() if p.is_dir()) if day_dir.is_dir() else []
    records = []
    for cam in cameras:
        for path in sorted(layout.meteors_dir(day, cam).glob(f"*/{RECORD_NAME}")):
            if path.parent.name.startswith("."):
                continue
            try:
                records.append(read_record(path))
            except FileNotFoundError:  # replaced or removed meanwhile
                continue
            except (OSError, ValueError) as exc:  # one damaged record must not hide the day's others
                log.warning("skipping the meteor record %s: %s", path, exc)
    yield from sorted(records, key=lambda r: (r["start_utc"], r["meteor_id"]))


def remove_minute_records(layout: StationLayout, day: str, camera: str, video_name: str) -> list[str]:
    """Remove the records that came from one minute video (before it is verified again); returns their ids."""
    removed = []
    for record in list(iter_records(layout, day, camera)):
        if record.get("source", {}).get("video") == video_name:
            folder = layout.meteor_dir(day, camera, record["meteor_id"])
            gone = folder.with_name(f".{folder.name}.del")  # out of sight at once, then deleted
            shutil.rmtree(gone, ignore_errors=True)
            folder.rename(gone)
            shutil.rmtree(gone, ignore_errors=True)
            removed.append(record["meteor_id"])
    return removed
