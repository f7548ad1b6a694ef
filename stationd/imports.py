"""Meteor records from an RMS station's products, so RMS stations can take part in a network (issue 15).

An RMS station's night is its FTPdetectinfo file (points with frame, pixel, RA/Dec J2000, az/alt of date,
intensity and magnitude, already calibrated by RMS's per-FF plates) and its ``.config`` (station id and
site). Each detection becomes a ``stationd.meteor/1`` record, as our own verify and calibrate stages would
have written it: frame times from the FF name and the frame number (FF start + frame / fps, DESIGN 4), the
RMS sky columns kept as they are, the site as the ``observer`` block. What RMS does not give is said so:
no clip, no stack, no verification measurements of ours (the one check says RMS detected it).
"""

from __future__ import annotations

import configparser
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from detection import FTPDetectInfo, FTPDetection, iso_utc, read_ftpdetectinfo
from stationd.disk.layout import StationLayout
from stationd.disk.records import SCHEMA, meteor_id, unique_meteor_id, write_record
from stationd.errors import ConfigError, ConfigProblem
from stationd.stages.calibrate import Observer

#: A fireball is a meteor brighter than magnitude -4 (the IAU definition: brighter than Venus).
FIREBALL_MAG = -4.0


@dataclass(frozen=True)
class RmsStation:
    """What an RMS ``.config`` says of its station: id and site (elevation above mean sea level)."""

    station_id: str
    observer: Observer

    @classmethod
    def at(cls, station_id: str, lat_deg: float, lon_deg: float, elevation_m: float) -> RmsStation:
        """A station given on the command line rather than by its ``.config``."""
        return cls(station_id, Observer(lat_deg, lon_deg, elevation_m))


def read_rms_config(path: Path) -> RmsStation:
    """The ``[System]`` section of an RMS ``.config`` (INI with ``;`` comments): id, latitude, longitude,
    elevation. Raises ConfigError naming the file and every missing or bad key."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"), source=str(path))
    except (OSError, configparser.Error) as exc:
        raise ConfigError(
            str(path), [ConfigProblem("file", type(exc).__name__, "an RMS .config (INI)")]
        ) from exc
    system = parser["System"] if parser.has_section("System") else {}
    problems, values = [], {}
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180), ("elevation", -500, 9000)):
        raw = system.get(key)
        try:
            values[key] = float(raw) if raw is not None else math.nan
        except ValueError:
            values[key] = math.nan
        if not low <= values[key] <= high:
            problems.append(ConfigProblem(f"[System] {key}", raw, f"a number in {low}..{high}"))
    station = (system.get("stationID") or "").strip()
    if not station:
        problems.append(ConfigProblem("[System] stationID", system.get("stationID"), "the station id"))
    if problems:
        raise ConfigError(str(path), problems)
    return RmsStation(station, Observer(values["latitude"], values["longitude"], values["elevation"]))


def _separation_deg(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    r1, d1, r2, d2 = (math.radians(v) for v in (ra1, dec1, ra2, dec2))
    cos = math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(r1 - r2)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _line(d: FTPDetection) -> dict[str, Any]:
    """The record's ``line`` block from the first and last points (residual: RMS distance to that line)."""
    first, last = d.points[0], d.points[-1]
    dx, dy = last.x_px - first.x_px, last.y_px - first.y_px
    length = math.hypot(dx, dy)
    frames = max(last.frame - first.frame, 1e-9)
    residuals = [
        abs((p.x_px - first.x_px) * dy - (p.y_px - first.y_px) * dx) / length if length > 0 else 0.0
        for p in d.points
    ]
    speed_deg_s = 0.0
    if None not in (first.ra_deg, first.dec_deg, last.ra_deg, last.dec_deg):
        sep = _separation_deg(first.ra_deg, first.dec_deg, last.ra_deg, last.dec_deg)  # type: ignore[arg-type]
        speed_deg_s = sep / (frames / d.fps)
    return {
        "x_begin_px": round(first.x_px, 2),
        "y_begin_px": round(first.y_px, 2),
        "x_end_px": round(last.x_px, 2),
        "y_end_px": round(last.y_px, 2),
        "frame_begin": round(first.frame),
        "frame_end": round(last.frame),
        "speed_px_frame": round(length / frames, 3),
        "speed_deg_s": round(speed_deg_s, 2),
        "length_px": round(length, 2),
        "residual_px": round(math.sqrt(sum(r * r for r in residuals) / len(residuals)), 2),
    }


def _frame(d: FTPDetection, index: int) -> dict[str, Any]:
    p = d.points[index]
    frame: dict[str, Any] = {
        "frame": round(p.frame),
        "x_px": round(p.x_px, 2),
        "y_px": round(p.y_px, 2),
        "intensity": float(p.intensity),
        "t_utc": iso_utc(d.time_utc(p.frame)),  # the fractional frame's time: RMS's own time of the point
    }
    if d.calibrated:
        sky = {
            "ra_deg": p.ra_deg,
            "dec_deg": p.dec_deg,
            "az_deg": p.az_deg,
            "alt_deg": p.alt_deg,
            "mag": p.mag,
        }
        frame.update({k: round(float(v), 6) % 360.0 if k in ("ra_deg", "az_deg") else round(float(v), 6)
                      for k, v in sky.items() if v is not None})  # fmt: skip
    return frame


def record_of_detection(
    d: FTPDetection, station: RmsStation, source_name: str, taken: Iterable[str] = ()
) -> dict[str, Any]:
    """The ``stationd.meteor/1`` record of one FTPdetectinfo detection (see the module docstring)."""
    if not d.points:
        raise ValueError(f"{source_name}: {d.ff_name} meteor {d.meteor_no} has no points")
    camera = d.camera
    start: datetime = d.time_utc(d.points[0].frame)
    end: datetime = d.time_utc(d.points[-1].frame)
    frames = [_frame(d, i) for i in range(len(d.points))]
    peak = min((f["mag"] for f in frames if "mag" in f), default=None)
    return {
        "schema": SCHEMA,
        "meteor_id": unique_meteor_id(meteor_id(station.station_id, camera, start), list(taken)),
        "station": station.station_id,
        "camera": camera,
        "start_utc": iso_utc(start),
        "end_utc": iso_utc(end),
        "duration_s": round((end - start).total_seconds(), 6),
        "fps": d.fps,
        "source": {"video": None, "ff_files": [d.ff_name], "hd_video": None},
        "frames": frames,
        "line": _line(d),
        "checks": {"rms_detection": {"value": True, "limit": f"in {source_name}", "passed": True}},
        "fireball": peak is not None and peak <= FIREBALL_MAG,
        "calibration": {"solution_id": f"rms:{d.ff_name}", "residual_px": None} if d.calibrated else None,
        "observer": station.observer.to_json(),
        "products": {"clip": None, "stack": None, "clip_hd": None},
    }


def records_of_ftpdetectinfo(
    info: FTPDetectInfo, station: RmsStation, source_name: str
) -> list[dict[str, Any]]:
    """Every detection of a file as a record, ids made unique in the file's order."""
    records: list[dict[str, Any]] = []
    for d in info.detections:
        if d.points:
            records.append(record_of_detection(d, station, source_name, (r["meteor_id"] for r in records)))
    return records


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: records per file, and the days they fall on."""

    files: tuple[str, ...]
    meteor_ids: tuple[str, ...]
    days: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as ``stationd import --json`` prints it."""
        return {"files": list(self.files), "meteor_ids": list(self.meteor_ids), "days": list(self.days)}


def _no_products(_folder: Path) -> dict[str, Any]:
    """An imported record's products: RMS gives no clip or stack, only meteor.json is written."""
    return {"clip": None, "stack": None, "clip_hd": None}


def import_ftpdetectinfo(paths: Iterable[Path], station: RmsStation, layout: StationLayout) -> ImportReport:
    """Write the records of RMS FTPdetectinfo files into a station's layout (``days/<day>/<camera>/
    meteors/<meteor_id>/meteor.json``, each atomically; importing again replaces them, never duplicates).

    Raises DetectionError for a file that is not an FTPdetectinfo.
    """
    files, ids, days = [], [], set()
    for path in paths:
        info = read_ftpdetectinfo(path)
        for record in records_of_ftpdetectinfo(info, station, path.name):
            day = record["start_utc"][:10]
            write_record(layout, day, record, _no_products)
            ids.append(record["meteor_id"])
            days.add(day)
        files.append(str(path))
    return ImportReport(tuple(files), tuple(ids), tuple(sorted(days)))
