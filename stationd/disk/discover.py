"""Finding minute files: in the cameras' incoming folders, and in a day's video folders on reprocess.

A file is taken only once it is complete: its last change is at least ``settle_s`` old (the watcher of the
daemon also hears close-after-write events). Names that do not match the camera's pattern are left where
they are and reported once as ignored: cameras drop other files (logs, snapshots) next to their videos.

A file in incoming/ that stands for a quarantined minute (put back by hand after fixing the cause, or a new
file of the same name) is taken as new: the minute's stage runs start again from scan (:func:`take_file`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from stationd.config import CameraSection
from stationd.disk.atomic import TMP_PREFIX
from stationd.disk.layout import MinuteName, StationLayout, compile_pattern, parse_minute_name
from stationd.disk.state import Minute, StateStore

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".flv", ".h264", ".ts")


@dataclass
class DiscoverReport:
    registered: list[Minute] = field(default_factory=list)
    requeued: list[Minute] = field(default_factory=list)  # quarantined minutes whose file came back
    known: int = 0
    ignored: list[Path] = field(default_factory=list)
    unsettled: list[Path] = field(default_factory=list)


def _candidates(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((TMP_PREFIX, ".")))


def minute_of(path: Path, camera: CameraSection) -> MinuteName | None:
    """The minute a file of ``camera`` stands for, by its name; None when the name does not match."""
    return parse_minute_name(path.name, compile_pattern(camera.filename_pattern), camera.id)


def discover_camera(
    store: StateStore,
    layout: StationLayout,
    camera: CameraSection,
    settle_s: float,
    day: str | None = None,
    now_s: float | None = None,
) -> DiscoverReport:
    """Register the complete minute files of ``camera`` in incoming/ (and the day's video/ when ``day``)."""
    report = DiscoverReport()
    now = time.time() if now_s is None else now_s
    folders = [camera.incoming_sd]
    if day is not None:
        folders.append(layout.video(day, camera.id))
    for path in (p for folder in folders for p in _candidates(folder)):
        name = minute_of(path, camera)
        if name is None:
            report.ignored.append(path)
            continue
        if day is not None and name.day != day:
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # taken meanwhile (by the daemon, when reprocess runs beside it)
            continue
        if now - stat.st_mtime < settle_s:
            report.unsettled.append(path)
            continue
        minute, how = take_file(store, layout, camera, path, name, stat.st_size)
        if how == "new":
            report.registered.append(minute)
        elif how == "requeued":
            report.requeued.append(minute)
        else:
            report.known += 1
            if not minute.path.exists() and path.exists():
                store.set_paths(minute.id, path)
    return report


def take_file(
    store: StateStore,
    layout: StationLayout,
    camera: CameraSection,
    path: Path,
    name: MinuteName,
    size_bytes: int | None,
) -> tuple[Minute, str]:
    """Register a complete minute file; returns the minute and ``new``, ``requeued`` or ``known``.

    ``requeued``: the minute was quarantined and this file lies in the camera's incoming folder (put back
    by hand, or a new file of that name), so it is processed again from scan.
    """
    minute, new = store.register_minute(camera.id, name.start_utc, path.name, path, size_bytes)
    if new:
        return minute, "new"
    requeue = path != minute.path and _in_incoming(path, camera)
    if requeue and store.requeue_quarantined(minute.id, path, layout.quarantine):
        return store.minute(minute.id), "requeued"
    return minute, "known"


def _in_incoming(path: Path, camera: CameraSection) -> bool:
    try:
        return path.resolve().parent == camera.incoming_sd.resolve()
    except OSError:
        return False


def find_hd(camera: CameraSection, start_utc: datetime, tolerance_s: float = 2.0) -> Path | None:
    """The HD file of the same camera and minute in the camera's HD incoming folder, if there is one."""
    for path in _candidates(camera.incoming_hd):
        name = minute_of(path, camera)
        if name is not None and abs(name.start_utc - start_utc) <= timedelta(seconds=tolerance_s):
            return path
    return None
