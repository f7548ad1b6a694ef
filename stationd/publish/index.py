"""The station's daily meteor index on disk and in the outbox, rebuilt one day at a time.

``<data_dir>/index/YYYY/YYYY-MM-DD.json`` is the day's index (canonical JSON; a large one also as
``.json.gz``, which is what is sent, with ``Content-Encoding: gzip``), ``<data_dir>/index/YYYY.json.gz``
the year's roll-up with only that day's part replaced. The day's FTPdetectinfo exports are queued with
it. A day is rebuilt when its meteors changed (:meth:`sync.outbox.Outbox.mark_day_dirty`): the uploader
thread rebuilds the days marked, one at a time, so two writers never race on one file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_bytes
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.publish.outbox import open_outbox
from stationd.stages.calibrate import camera_plate
from sync import StationKeys
from sync.index import (
    CameraInfo,
    StationInfo,
    canonical_json,
    day_index,
    decode_index,
    encode_index,
    update_year,
)
from sync.outbox import Outbox, Priority, Upload


@dataclass(frozen=True)
class IndexReport:
    """A rebuilt day: its document, local file and key, and the keys (re)queued."""

    day: str
    doc: dict[str, Any]
    path: Path
    key: str
    queued: tuple[str, ...]


def _station(config: StationConfig) -> StationInfo:
    s = config.station
    return StationInfo(s.id, s.latitude_deg, s.longitude_deg, s.elevation_m)


def _cameras(config: StationConfig) -> list[CameraInfo]:
    layout = StationLayout(config.station.data_dir)
    out = []
    for cam in config.cameras:
        plate = camera_plate(layout, cam.id)
        summary = plate.summary.to_json() if plate is not None else None
        out.append(CameraInfo(cam.id, cam.fps, cam.width_px, cam.height_px, summary))
    return out


def index_paths(config: StationConfig, day: str) -> tuple[Path, Path]:
    """The day's index file and the year's roll-up file."""
    root = StationLayout(config.station.data_dir).data_dir / "index"
    return root / day[:4] / f"{day}.json", root / f"{day[:4]}.json.gz"


def build_day_index(config: StationConfig, day: str) -> dict[str, Any]:
    """The ``stationd.index/1`` document of the day's records as they are on disk."""
    station = config.station.id
    records = iter_records(StationLayout(config.station.data_dir), day)
    return day_index(
        _station(config),
        _cameras(config),
        day,
        records,
        lambda r: StationKeys(station).meteor(day, r["meteor_id"], "meteor.json"),
    )


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


def _read_year(path: Path) -> dict[str, Any] | None:
    try:
        return decode_index(path.read_bytes(), "gzip")
    except (OSError, ValueError, EOFError):
        return None  # absent or damaged: rebuilt from this day on (other days come back as they change)


def rebuild_index(config: StationConfig, day: str, outbox: Outbox | None = None) -> IndexReport:
    """Rebuild the day's index and the year's roll-up on disk and queue them with the day's exports."""
    own = outbox is None
    box = open_outbox(config) if outbox is None else outbox
    try:
        return _rebuild(config, day, box)
    finally:
        if own:
            box.close()


def _rebuild(config: StationConfig, day: str, outbox: Outbox) -> IndexReport:
    station = config.station.id
    doc = build_day_index(config, day)
    day_path, year_path = index_paths(config, day)
    _write_if_changed(day_path, canonical_json(doc))
    data, encoding = encode_index(doc)
    sent_path = day_path.with_name(day_path.name + ".gz")
    if encoding is not None:
        _write_if_changed(sent_path, data)
    else:
        sent_path.unlink(missing_ok=True)
        sent_path = day_path
    key = StationKeys(station).day_index(day)
    records = tuple(m["key"] for m in doc["meteors"])
    uploads = [
        Upload(
            key,
            sent_path,
            "index",
            Priority.INDEX,
            day=day,
            content_type="application/json",
            content_encoding=encoding,
            depends_on=records,
        )
    ]
    year = update_year(_read_year(year_path), doc, key)
    year_data, _ = encode_index(year, gzip_min_bytes=0)
    _write_if_changed(year_path, year_data)
    uploads.append(
        Upload(
            StationKeys(station).year_index(int(day[:4])),
            year_path,
            "index",
            Priority.INDEX,
            content_type="application/json",
            content_encoding="gzip",
            depends_on=(key,),
        )
    )
    exports = StationLayout(config.station.data_dir).exports(day)
    files = (  # exports/<day>/<camera>/FTPdetectinfo_*.txt
        sorted(p for p in exports.rglob("*") if p.is_file() and not p.name.startswith("."))
        if exports.is_dir()
        else []
    )
    queued = outbox.enqueue(uploads)
    export_uploads = [
        Upload(
            StationKeys(station).export(day, p.relative_to(exports).as_posix()),
            p,
            "export",
            Priority.EXPORT,
            day=day,
            content_type="text/plain",
            depends_on=records,
        )
        for p in files
    ]
    queued += outbox.replace_group(StationKeys(station).export_prefix(day), export_uploads)[0]
    return IndexReport(day, doc, day_path, key, tuple(queued))


def rebuild_dirty(config: StationConfig, outbox: Outbox) -> list[IndexReport]:
    """Rebuild every day whose meteors changed since its index was built."""
    reports = []
    for day, change in outbox.dirty_days():
        reports.append(_rebuild(config, day, outbox))
        outbox.mark_day_built(day, change)
    return reports


def read_day_index(config: StationConfig, day: str) -> dict[str, Any] | None:
    """The day's index as last built on disk, or None."""
    try:
        doc = json.loads(index_paths(config, day)[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
