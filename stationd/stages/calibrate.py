"""Meteor astrometry on a station: a plate solution gives each meteor record its sky columns.

A camera's current plate is ``<data_dir>/calibration/<camera>/latest.cal`` (the newest accepted solution of
the calibrate stage, :mod:`stationd.stages.calibration_stage`), else ``platepar_cmn2010.cal`` (RMS format;
an RMS station's own file can be copied there, ``stationd calibrate FILE... --out`` writes one). Plates are
read with the current RMS pointing convention (``precessed+nutation``), the one of RMS today and of
stationd's own fits, unless the file's ``stationd_convention`` key names another (``"legacy"`` for an RMS
plate of before 2023-12-11). The verify stage calibrates every new record with the current plate; the
calibrate stage then gives it the solution of its own minute; ``stationd calibrate --night DAY`` runs that
stage again for a day. A calibrated record has ``ra_deg``, ``dec_deg`` (J2000), ``az_deg``, ``alt_deg`` (of
date) and ``mag`` in each frame, a ``calibration`` block (solution id, median star residual and star count
of the solution) and an ``observer`` block (the station).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from calibration import (
    CalibrationError,
    Platepar,
    PointingConvention,
    SolutionSummary,
    meteor_sky,
    parse_platepar,
    solution_summary,
)
from detection.timing import parse_iso_utc
from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_text
from stationd.disk.exports import export_day
from stationd.disk.layout import StationLayout
from stationd.disk.records import RECORD_NAME, iter_records
from stationd.publish.meteors import publish_meteors
from stationd.stages.calibration_history import INFO_KEY, CalibrationHistory
from stationd.stages.night_refit import refit_night
from stationd.stages.results import CalibrateStageResult

log = logging.getLogger("stationd.calibrate")

#: The key of a ``.cal`` file that names its pointing convention when it is not RMS's current one (an RMS
#: plate fitted before 2023-12-11 needs ``"legacy"``); RMS keeps and ignores keys it does not know.
CONVENTION_KEY = "stationd_convention"

_DECIMALS = {"ra_deg": 6, "dec_deg": 6, "az_deg": 6, "alt_deg": 6, "mag": 3}


@dataclass(frozen=True)
class Observer:
    """The station: latitude and longitude (deg, east positive) and elevation above mean sea level (m)."""

    lat_deg: float
    lon_deg: float
    elevation_m: float

    @classmethod
    def of(cls, config: StationConfig) -> Observer:
        """The configured station's location."""
        s = config.station
        return cls(s.latitude_deg, s.longitude_deg, s.elevation_m)

    def to_json(self) -> dict[str, float]:
        """The record's ``observer`` block."""
        return {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "elevation_m": self.elevation_m}


@dataclass(frozen=True)
class Plate:
    """A plate solution with what a record says of it."""

    platepar: Platepar
    summary: SolutionSummary


def calibrate_record(record: dict[str, Any], plate: Plate, observer: Observer) -> dict[str, Any]:
    """A copy of a meteor record with its frames' sky columns, ``calibration`` and ``observer`` blocks.

    Raises ValueError when the plate is of another site than ``observer``. A frame without a positive
    intensity has no magnitude (the key is left out).
    """
    out = copy.deepcopy(record)
    frames = out["frames"]
    t = np.array([parse_iso_utc(f["t_utc"]) for f in frames], dtype=object)
    sky = meteor_sky(
        plate.platepar, [f["x_px"] for f in frames], [f["y_px"] for f in frames], t,
        [f["intensity"] for f in frames], lat_deg=observer.lat_deg, lon_deg=observer.lon_deg,
        elevation_m=observer.elevation_m,
    )  # fmt: skip
    for i, frame in enumerate(frames):
        for key in _DECIMALS:
            frame.pop(key, None)
            value = float(getattr(sky, key)[i])
            if math.isfinite(value):
                frame[key] = round(value, _DECIMALS[key])
        if frame.get("ra_deg") == 360.0:  # rounding up to the schema's open end
            frame["ra_deg"] = 0.0
        if frame.get("az_deg") == 360.0:
            frame["az_deg"] = 0.0
    out["calibration"] = plate.summary.to_json()
    out["observer"] = observer.to_json()
    speed = _angular_speed_deg_s(out, plate.platepar, t[0])
    if speed is not None:
        out["line"]["speed_deg_s"] = speed
    return out


def _angular_speed_deg_s(record: dict[str, Any], pp: Platepar, t_utc: Any) -> float | None:
    """The line's angular speed through the plate: the arc between its begin and end points over their
    frames (both at the first point's time: the sky turns 0.004 deg/s, nothing beside a meteor)."""
    line = record.get("line") or {}
    try:
        frames = float(line["frame_end"]) - float(line["frame_begin"])
        xs, ys = [line["x_begin_px"], line["x_end_px"]], [line["y_begin_px"], line["y_end_px"]]
        ra, dec = pp.pixel_to_sky(xs, ys, t_utc)
    except KeyError:
        return None
    if frames <= 0:
        return None
    a, d = np.radians(ra), np.radians(dec)
    cos_arc = np.sin(d[0]) * np.sin(d[1]) + np.cos(d[0]) * np.cos(d[1]) * np.cos(a[0] - a[1])
    arc_deg = math.degrees(math.acos(min(1.0, max(-1.0, float(cos_arc)))))
    return round(arc_deg / (frames / float(record["fps"])), 4)


def read_plate(path: Path, convention: PointingConvention | None = None) -> Plate:
    """A ``.cal`` file as a :class:`Plate`: solution id ``<file name>#<first 12 hex of its SHA-256>``, the
    median residual and count of its star list (RMS rows ``jd, x, y, intensity, ra, dec, mag``).
    ``convention``: the plate's pointing convention when the file does not name it (``CONVENTION_KEY``) or
    names another (``legacy`` for an RMS plate fitted before 2023-12)."""
    return _read_plate(path, path.stat().st_mtime_ns, convention)


@cache
def _read_plate(path: Path, mtime_ns: int, given: PointingConvention | None = None) -> Plate:
    """Read again when the file changes (workers live for months)."""
    data = path.read_bytes()
    try:
        convention = given or json.loads(data).get(CONVENTION_KEY, "precessed+nutation")
    except (ValueError, AttributeError):
        convention = "precessed+nutation"  # parse_platepar says what is wrong with the file
    pp = parse_platepar(data, convention=convention, source=str(path))
    stars = pp.star_list  # .cal rows: jd, x, y, intensity, ra, dec, mag
    summary_id = f"{path.name}#{hashlib.sha256(data).hexdigest()[:12]}"  # names this very solution
    if len(stars):
        t = np.datetime64("1970-01-01T00:00:00", "us") + ((stars[:, 0] - 2440587.5) * 86400e6).astype(
            "timedelta64[us]"
        )
        summary = solution_summary(
            pp, summary_id, star_x_px=stars[:, 1], star_y_px=stars[:, 2], star_t_utc=t,
            star_ra_deg=stars[:, 4], star_dec_deg=stars[:, 5],
        )  # fmt: skip
    else:
        summary = solution_summary(pp, summary_id)
    return Plate(pp, replace(summary, mag_lev=pp.mag_lev, mag_scatter=_zero_point_scatter(data)))


def _zero_point_scatter(data: bytes) -> float | None:
    """The scatter of the zero point our calibrate stage wrote into a solution file (None for RMS's own)."""
    try:
        zp = (json.loads(data).get(INFO_KEY) or {}).get("zero_point") or {}
        scatter = zp.get("scatter_mag")
    except (ValueError, AttributeError):
        return None
    return float(scatter) if isinstance(scatter, int | float) and math.isfinite(scatter) else None


def plate_of(path: Path) -> Plate | None:
    """The plate of a ``.cal`` file, or None when it is missing or cannot be read (logged)."""
    if not path.is_file():
        return None
    try:
        return read_plate(path)
    except (OSError, ValueError, CalibrationError) as exc:
        log.warning("the plate solution %s cannot be used: %s", path, exc)
        return None


def camera_plate(layout: StationLayout, camera: str, *, include_latest: bool = True) -> Plate | None:
    """The camera's current plate: its newest accepted solution (``latest.cal``) unless
    ``include_latest`` is False, else the operator's ``platepar_cmn2010.cal``; None when it has none."""
    if include_latest:
        latest = plate_of(layout.calibration_dir(camera) / "latest.cal")
        if latest is not None:
            return latest
    return plate_of(layout.platepar(camera))


class RecordChanged(RuntimeError):
    """A meteor record was replaced (by the verify stage) while it was being calibrated: not overwritten."""


def recalibrate_records(
    layout: StationLayout, day: str, camera: str, video: str | None, plate: Plate, observer: Observer,
    meteor_id: str | None = None,
) -> list[str]:  # fmt: skip
    """Calibrate the records of one minute video (or only ``meteor_id``) with ``plate``; returns the ids
    rewritten.

    Each record is read, calibrated, and written back (atomic rename) only if its file still holds what was
    read: the verify stage may replace a minute's records meanwhile (``stationd reprocess`` beside the
    daemon), and a calibrated copy of the old record must not overwrite the new one. Raises
    :class:`RecordChanged` then (the stage fails and is retried on the new records). A plate of another
    site leaves the record as it is (logged).
    """
    done = []
    for record in list(iter_records(layout, day, camera)):
        if record.get("source", {}).get("video") != video or meteor_id not in (None, record["meteor_id"]):
            continue
        path = layout.meteor_dir(day, camera, record["meteor_id"]) / RECORD_NAME
        try:
            before = path.read_text()
            new = calibrate_record(json.loads(before), plate, observer)
        except FileNotFoundError:
            raise RecordChanged(f"{path} was removed while it was being calibrated") from None
        except ValueError as exc:
            log.error("meteor %s not calibrated: %s", record["meteor_id"], exc)
            continue
        try:
            unchanged = path.read_text() == before
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            raise RecordChanged(f"{path} was replaced while it was being calibrated")
        atomic_write_text(path, json.dumps(new, indent=1, allow_nan=False) + "\n")
        done.append(str(record["meteor_id"]))
    return done


@dataclass(frozen=True)
class CalibrateDayReport:
    """What ``calibrate_day`` did: records calibrated per camera, cameras without a solution, minutes whose
    calibration failed (with the reason), exports written."""

    calibrated: dict[str, int]
    without_plate: tuple[str, ...]
    failed: tuple[str, ...]
    exported: tuple[Path, ...]
    lenses: dict[str, str] = field(default_factory=dict)  # camera -> the night lens refitted for the day


def calibrate_day(config: StationConfig, day: str, camera: str | None = None) -> CalibrateDayReport:
    """Refit each camera's lens on the day's solutions (:mod:`stationd.stages.night_refit`), then run the
    calibrate stage again for the day's minutes (of one camera, or all) through the state store's claims,
    so that the daemon and this command never calibrate one minute at once; records whose minute the store
    does not know (imported, or their video gone) get the camera's solution nearest in time; then the
    exports are remade."""
    from stationd.station import Station  # the station opens the stages: imported here, not at the top

    layout = StationLayout(config.station.data_dir)
    counts: dict[str, int] = {c.id: 0 for c in config.cameras if camera in (None, c.id)}
    failed: list[str] = []
    lenses = {}
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    for cam in counts:
        lens = refit_night(
            CalibrationHistory(layout.calibration_dir(cam)), day, start, start + timedelta(days=1)
        )
        if lens is not None:
            lenses[cam] = lens.path.name
            log.info("%s: the lens refitted on %d stars of %s: %.3f px (was %.3f)", cam, lens.n_stars, day,
                     lens.residual_px, lens.before_px)  # fmt: skip
    with Station(config) as station:
        station.runner.reset_day(day, ("calibrate",), camera)
        for outcome in station.runner.run_pending(("calibrate",), day=day):
            if outcome.minute.camera not in counts:
                continue
            if outcome.status == "failed":
                failed.append(f"{outcome.minute.name}: {outcome.error}")
            elif isinstance(outcome.result, CalibrateStageResult):
                counts[outcome.minute.camera] += len(outcome.result.meteors)
        known = {m.name for m in station.store.minutes(day=day)}
    for cam in counts:
        counts[cam] += _calibrate_orphans(config, layout, day, cam, known, failed)
    without = tuple(c for c in counts if _solution_at(layout, c, None) is None)
    calibrated = {c: n for c, n in counts.items() if c not in without}
    exported = export_day(config, day) if any(calibrated.values()) else []
    return CalibrateDayReport(calibrated, without, tuple(failed), tuple(exported), lenses)


def _solution_at(layout: StationLayout, camera: str, t_utc: datetime | None) -> Plate | None:
    """The camera's accepted solution nearest in time to ``t_utc`` (else its current plate)."""
    if t_utc is not None:
        entry = CalibrationHistory(layout.calibration_dir(camera)).nearest_accepted(t_utc)
        if entry is not None:
            return plate_of(entry.path)
    return camera_plate(layout, camera)


def _calibrate_orphans(config: StationConfig, layout: StationLayout, day: str, camera: str, known: set[str],
                       failed: list[str]) -> int:  # fmt: skip
    """Calibrate the records of a camera-day whose minute the state store does not know; returns how many."""
    observer = Observer.of(config)
    n = 0
    for record in list(iter_records(layout, day, camera)):
        video = record.get("source", {}).get("video")
        if video in known:
            continue
        plate = _solution_at(layout, camera, parse_iso_utc(record["start_utc"]))
        if plate is None:
            continue
        try:
            done = recalibrate_records(layout, day, camera, video, plate, observer, record["meteor_id"])
        except RecordChanged as exc:
            failed.append(str(exc))
            continue
        if done:  # the sky columns changed the records: publish them again
            publish_meteors(config, day, camera, done)
        n += len(done)
    return n
