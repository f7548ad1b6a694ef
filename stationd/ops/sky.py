"""``stationd sky``: what the cameras see, as JPEG files an operator can open.

For each camera (or the one asked for) two images under ``<data_dir>/sky/``:

- ``<camera>_latest.jpg``: a copy of the camera's newest minute stack (``days/<day>/<camera>/stacks/``);
- ``<camera>_<night>_night.jpg``: the night's max-pixel stack, the per-pixel maximum over the minute stacks of
  the night (which spans two UTC days), with the night's meteors marked: each track drawn in colour beside
  the meteor (yellow, fireballs orange-red), an arrow in its direction, labelled with its UTC start time.

A night is ~700 minute stacks of 1280x720: they are read one at a time into one accumulator, never held
together. Writes are atomic; retention never touches ``sky/`` (each run replaces the files it writes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detection.timing import iso_utc, parse_iso_utc
from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_bytes
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.disk.state import StateStore
from stationd.errors import UsageError
from stationd.ops.night import NightSpan, find_night

Colour = tuple[int, int, int]
_METEOR_BGR: Colour = (0, 255, 255)  # yellow
_FIREBALL_BGR: Colour = (0, 80, 255)  # orange-red
_JPEG_QUALITY = 90


@dataclass(frozen=True)
class SkyImage:
    """One image written: which camera, what it shows, where it is."""

    camera: str
    kind: str  # "latest" or "night"
    path: Path
    minute_utc: str | None = None  # latest: the start of the minute it shows
    stacks: int = 0  # night: minute stacks combined
    skipped: int = 0  # night: stacks unreadable or of another size than the first
    meteors: int = 0  # night: meteors marked

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (``stationd sky --json``)."""
        return {"camera": self.camera, "kind": self.kind, "path": str(self.path),
                "minute_utc": self.minute_utc, "stacks": self.stacks, "skipped": self.skipped,
                "meteors": self.meteors}  # fmt: skip


@dataclass
class SkyReport:
    """What ``stationd sky`` wrote, and what it could not (a camera without stacks)."""

    span: NightSpan
    images: list[SkyImage] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (``stationd sky --json``)."""
        return {
            "night": self.span.night,
            "start_utc": iso_utc(self.span.start_utc),
            "end_utc": iso_utc(self.span.end_utc),
            "until_utc": iso_utc(self.span.until_utc),
            "finished": self.span.finished,
            "images": [i.to_dict() for i in self.images],
            "missing": self.missing,
        }


def write_sky(
    config: StationConfig,
    store: StateStore,
    camera: str | None = None,
    night: str | None = None,
    now_utc: datetime | None = None,
) -> SkyReport:
    """Write the latest stack and the night's stack of each camera (or of ``camera``) under ``sky/``.

    ``night`` names the night (``YYYY-MM-DD``, the UTC date of its evening; default: the last finished one).
    :class:`UsageError` for a camera the configuration does not list or a night that does not exist.
    """
    known = [c.id for c in config.cameras]
    if camera is not None and camera not in known:
        raise UsageError(f"unknown camera {camera!r}: the configuration lists {', '.join(known)}")
    layout = StationLayout(config.station.data_dir)
    report = SkyReport(find_night(config, night, now_utc))
    for cam in [camera] if camera is not None else known:
        latest = write_latest(layout, store, cam)
        if latest is None:
            report.missing.append(f"{cam}: no minute stack yet")
        else:
            report.images.append(latest)
        night_image = write_night_stack(layout, store, cam, report.span)
        if night_image is None:
            report.missing.append(f"{cam}: no minute stack in the night of {report.span.night}")
        else:
            report.images.append(night_image)
    return report


def write_latest(layout: StationLayout, store: StateStore, camera: str) -> SkyImage | None:
    """Copy the camera's newest minute stack to ``sky/<camera>_latest.jpg``; None when it has none."""
    for day in reversed(store.days()):
        for minute in reversed(store.minutes(day=day, camera=camera)):
            source = layout.stack(day, camera, minute.stem)
            try:
                data = source.read_bytes()
            except FileNotFoundError:
                continue  # not scanned yet, or its stack went to retention
            target = layout.sky_latest(camera)
            atomic_write_bytes(target, data)
            return SkyImage(camera, "latest", target, minute_utc=iso_utc(minute.start_utc))
    return None


def write_night_stack(
    layout: StationLayout, store: StateStore, camera: str, span: NightSpan
) -> SkyImage | None:
    """Max-pixel stack of the camera's minute stacks of the night, meteors marked, written to
    ``sky/<camera>_<night>_night.jpg``; None when the night has no readable stack."""
    image: np.ndarray | None = None
    stacks = skipped = 0
    for path in _night_stacks(layout, store, camera, span):
        frame = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if frame is None or (image is not None and frame.shape != image.shape):
            skipped += 1
            continue
        if image is None:
            image = frame
        else:
            np.maximum(image, frame, out=image)
        stacks += 1
    if image is None:
        return None
    marked = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    meteors = 0
    for record in _night_records(layout, camera, span):
        meteors += _mark(marked, record)
    ok, jpg = cv2.imencode(".jpg", marked, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:  # pragma: no cover - encoding an 8-bit image does not fail
        raise RuntimeError("could not encode the night's stack as JPEG")
    target = layout.sky_night(camera, span.night)
    atomic_write_bytes(target, jpg.tobytes())
    return SkyImage(camera, "night", target, stacks=stacks, skipped=skipped, meteors=meteors)


def _night_days(span: NightSpan) -> list[str]:
    return sorted({(span.start_utc + timedelta(days=i)).strftime("%Y-%m-%d") for i in (0, 1)})


def _night_stacks(layout: StationLayout, store: StateStore, camera: str, span: NightSpan) -> Iterator[Path]:
    """The paths of the night's minute stacks that exist, in time order (one at a time)."""
    for day in _night_days(span):
        for minute in store.minutes(day=day, camera=camera):
            if span.start_utc <= minute.start_utc < span.until_utc:
                path = layout.stack(day, camera, minute.stem)
                if path.exists():
                    yield path


def _night_records(layout: StationLayout, camera: str, span: NightSpan) -> Iterator[dict[str, Any]]:
    for day in _night_days(span):
        for record in iter_records(layout, day, camera):
            try:
                start = parse_iso_utc(record["start_utc"])
            except (KeyError, ValueError):
                continue
            if span.start_utc <= start < span.until_utc:
                yield record


def _mark(image: np.ndarray, record: dict[str, Any]) -> int:
    """Draw a meteor's track beside it (so its own pixels stay visible): an arrow from its first to its
    last point, shifted across the track, and its UTC start time; 1 when drawn, 0 for a record without
    points."""
    points = [(float(p["x_px"]), float(p["y_px"])) for p in record.get("frames", ())
              if p.get("x_px") is not None and p.get("y_px") is not None]  # fmt: skip
    line = record.get("line") or {}
    if all(k in line for k in ("x_begin_px", "y_begin_px", "x_end_px", "y_end_px")):
        begin = np.array([line["x_begin_px"], line["y_begin_px"]], float)
        end = np.array([line["x_end_px"], line["y_end_px"]], float)
    elif points:
        begin, end = np.array(points[0], float), np.array(points[-1], float)
    else:
        return 0
    colour = _FIREBALL_BGR if record.get("fireball") else _METEOR_BGR
    width_px = image.shape[1]
    thickness = max(1, round(width_px / 640))
    along = end - begin
    length = float(np.hypot(*along)) or 1.0
    offset = np.array([-along[1], along[0]]) / length * (6 + 3 * thickness)  # across the track
    a, b = begin + offset, end + offset
    shift = 4  # sub-pixel drawing: coordinates in 1/16 px (pixel centres on integers, as the records)
    cv2.arrowedLine(image, _fixed(a, shift), _fixed(b, shift), colour, thickness, cv2.LINE_AA, shift,
                    tipLength=min(0.3, 12.0 / length))  # fmt: skip
    label = str(record.get("start_utc", ""))[11:19] + (" fireball" if record.get("fireball") else "")
    _label(image, label, a, offset / float(np.hypot(*offset)), colour, thickness)
    return 1


def _label(
    image: np.ndarray, text: str, at: np.ndarray, away: np.ndarray, colour: Colour, thickness: int
) -> None:
    """Write ``text`` beside the point ``at``, its box moved along the unit vector ``away`` clear of the arrow
    and kept inside the image."""
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    centre = at + away * (abs(away[0]) * w / 2 + abs(away[1]) * h / 2 + 3 + thickness)
    x = min(max(0.0, centre[0] - w / 2), float(image.shape[1] - w))
    y = min(max(float(h), centre[1] + h / 2), image.shape[0] - 1.0)
    cv2.putText(image, text, (round(x), round(y)), font, scale, colour, thickness, cv2.LINE_AA)


def _fixed(point: np.ndarray, shift: int) -> tuple[int, int]:
    return round(float(point[0]) * (1 << shift)), round(float(point[1]) * (1 << shift))
