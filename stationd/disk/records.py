"""Meteor records on disk: ``days/<day>/<camera>/meteors/<meteor_id>/meteor.json`` and its products.

A record is the ``stationd.meteor/1`` JSON of DESIGN 4 (schema: ``stationd/schemas/meteor.schema.json``).
Meteor ids are deterministic, ``<station>_<camera>_<YYYYMMDD>_<HHMMSS>_<mmm>`` of the UTC time of the first
frame, so reprocessing a minute gives the same ids; the verify stage first removes the records that came from
the minute, then writes the new ones, so a rerun replaces and never duplicates.

A record's folder is assembled under a temporary name beside its final one (the scheme of
:mod:`stationd.disk.atomic`) and renamed into place, so a reader never sees half a record; every file in it
has the products' one mode (:data:`stationd.disk.atomic.FILE_MODE`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Collection, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from detection.timing import VideoTime, iso_utc, parse_iso_utc
from stationd.disk.atomic import (
    FILE_MODE,
    atomic_write_text,
    fsync_dir,
    parse_temporary,
    pid_alive,
    remove_temporaries,
    temporary_path,
)
from stationd.disk.layout import StationLayout

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


def unique_meteor_id(meteor_id: str, taken: Collection[str]) -> str:
    """``meteor_id``, or with ``_2``, ``_3``... when an earlier meteor of the same minute starts in the same
    frame (ids are given in the detector's order, which is deterministic).

    >>> unique_meteor_id("XX0001_cam1_20260812_221506_120", ["XX0001_cam1_20260812_221506_120"])
    'XX0001_cam1_20260812_221506_120_2'
    """
    candidate, k = meteor_id, 1
    while candidate in taken:
        k += 1
        candidate = f"{meteor_id}_{k}"
    return candidate


def build_record(
    *,
    station: str,
    camera: str,
    clock: VideoTime,
    detection: dict[str, Any],
    source: dict[str, Any],
    products: dict[str, Any],
    taken: Collection[str] = (),
) -> dict[str, Any]:
    """The meteor.json of one verified detection.

    ``detection`` is the detector's JSON (``frames``, ``line``, ``checks``, ``fireball``) with frame numbers
    counted from the first frame of the video whose clock is ``clock``; ``source`` names the video, FF
    files and HD video (the video's start time is added to it); ``taken`` are the ids of the minute's
    meteors written before this one.
    """
    frames = detection["frames"]
    first, last = frames[0]["frame"], frames[-1]["frame"]
    t_first = clock.frame_utc(first)
    return {
        "schema": SCHEMA,
        "meteor_id": unique_meteor_id(meteor_id(station, camera, t_first), taken),
        "station": station,
        "camera": camera,
        "start_utc": iso_utc(t_first),
        "end_utc": clock.frame_iso(last),
        "duration_s": round((last - first) / clock.fps, 6),
        "fps": clock.fps,
        "source": {**source, "video_start_utc": iso_utc(clock.start_utc)},
        "frames": [{**p, "t_utc": clock.frame_iso(p["frame"])} for p in frames],
        "line": detection["line"],
        "checks": detection["checks"],
        "fireball": bool(detection["fireball"]),
        "calibration": None,
        "products": products,
    }


def video_clock(record: dict[str, Any]) -> VideoTime:
    """The clock of the video a record's frame numbers count: from ``source.video_start_utc``; records
    written before that field existed give it from their first point (start - frame / fps, to the ms)."""
    fps = float(record["fps"])
    start = record.get("source", {}).get("video_start_utc")
    if start is not None:
        return VideoTime(parse_iso_utc(start), fps)
    first = record["frames"][0]
    t = VideoTime(parse_iso_utc(first["t_utc"]), fps).frame_utc(-first["frame"])
    ms = round(t.microsecond / 1000)  # minute files start on whole milliseconds (their names say so)
    return VideoTime(t.replace(microsecond=0) + timedelta(milliseconds=ms), fps)


def write_record(
    layout: StationLayout,
    day: str,
    record: dict[str, Any],
    write_products: Callable[[Path], dict[str, Any]],
) -> Path:
    """Write a record's folder: ``write_products(tmp_dir)`` writes clip and stack and returns the record's
    ``products``; then meteor.json; the folder replaces any earlier one of the same id in one rename."""
    final = layout.meteor_dir(day, record["camera"], record["meteor_id"])
    recover_records(final.parent)
    tmp, old = temporary_path(final), temporary_path(final.with_name(_OLD + final.name))
    tmp.mkdir(parents=True)
    try:
        record["products"] = write_products(tmp)
        atomic_write_text(tmp / RECORD_NAME, json.dumps(record, indent=1, allow_nan=False) + "\n")
        for product in tmp.iterdir():  # clips come from an encoder that left them to the umask
            if product.is_file():
                os.chmod(product, FILE_MODE)
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        fsync_dir(final.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return final


def recover_records(meteors_dir: Path) -> int:
    """Put back a record whose replacement a crash interrupted between its two renames (the old folder
    stands), then remove the temporaries of dead writers; returns how many were removed."""
    if not meteors_dir.is_dir():
        return 0
    for leftover in meteors_dir.iterdir():
        parsed = parse_temporary(leftover.name)
        if parsed is None or not parsed[1].startswith(_OLD):
            continue
        final = meteors_dir / parsed[1].removeprefix(_OLD)
        if not final.exists() and not pid_alive(parsed[0]):
            leftover.rename(final)
    return remove_temporaries(meteors_dir)


_OLD = "old-"  # a replaced record's folder, between the two renames of write_record


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
            gone = temporary_path(folder)  # out of sight at once, then deleted
            shutil.rmtree(gone, ignore_errors=True)
            folder.rename(gone)
            shutil.rmtree(gone, ignore_errors=True)
            removed.append(record["meteor_id"])
    return removed
