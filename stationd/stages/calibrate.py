"""Meteor astrometry on a station: the camera's plate solution gives each meteor record its sky columns.

The plate solution of a camera is ``<data_dir>/calibration/<camera>/platepar_cmn2010.cal`` (RMS format; an
RMS station's own file can be copied there, ``stationd calibrate FILE... --out`` writes one). It is read with
the current RMS pointing convention (``precessed+nutation``), the one of RMS today and of stationd's own
fits, unless the file's ``stationd_convention`` key names another (``"legacy"`` for an RMS plate of before
2023-12-11). When it exists, the verify stage calibrates every new record; ``stationd calibrate --night DAY``
calibrates a day's records again (after a new solution). A calibrated record has ``ra_deg``, ``dec_deg``
(J2000), ``az_deg``, ``alt_deg`` (of date) and ``mag`` in each frame, a ``calibration`` block (solution id,
median star residual and star count of the solution) and an ``observer`` block (the station).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from calibration import (
    CalibrationError,
    Platepar,
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
    return out


def read_plate(path: Path) -> Plate:
    """A ``.cal`` file as a :class:`Plate`: solution id ``<file name>#<first 12 hex of its SHA-256>``, the
    median residual and count of its star list (RMS rows ``jd, x, y, intensity, ra, dec, mag``)."""
    return _read_plate(path, path.stat().st_mtime_ns)


@cache
def _read_plate(path: Path, mtime_ns: int) -> Plate:
    """Read again when the file changes (workers live for months)."""
    data = path.read_bytes()
    try:
        convention = json.loads(data).get(CONVENTION_KEY, "precessed+nutation")
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
    return Plate(pp, summary)


def camera_plate(layout: StationLayout, camera: str) -> Plate | None:
    """The camera's plate solution, or None when it has none or it cannot be read (logged)."""
    path = layout.platepar(camera)
    if not path.is_file():
        return None
    try:
        return read_plate(path)
    except (OSError, CalibrationError) as exc:
        log.warning("the plate solution %s cannot be used: %s", path, exc)
        return None


@dataclass(frozen=True)
class CalibrateDayReport:
    """What ``calibrate_day`` did: records calibrated per camera, cameras without a plate, failures."""

    calibrated: dict[str, int]
    without_plate: tuple[str, ...]
    failed: tuple[str, ...]
    exported: tuple[Path, ...]


def calibrate_day(config: StationConfig, day: str, camera: str | None = None) -> CalibrateDayReport:
    """Calibrate a day's meteor records (of one camera, or all) with their cameras' plate solutions,
    rewrite them and remake the day's FTPdetectinfo."""
    layout = StationLayout(config.station.data_dir)
    observer = Observer.of(config)
    calibrated: dict[str, int] = {}
    without, failed = [], []
    for cam in config.cameras:
        if camera is not None and cam.id != camera:
            continue
        plate = camera_plate(layout, cam.id)
        if plate is None:
            without.append(cam.id)
            continue
        rewritten: list[str] = []
        for record in iter_records(layout, day, cam.id):
            try:
                new = calibrate_record(record, plate, observer)
            except ValueError as exc:
                log.error("meteor %s not calibrated: %s", record["meteor_id"], exc)
                failed.append(record["meteor_id"])
                continue
            path = layout.meteor_dir(day, cam.id, record["meteor_id"]) / RECORD_NAME
            atomic_write_text(path, json.dumps(new, indent=1, allow_nan=False) + "\n")
            rewritten.append(record["meteor_id"])
        calibrated[cam.id] = len(rewritten)
        if rewritten:  # the sky columns changed the records: publish them again
            publish_meteors(config, day, cam.id, rewritten)
    exported = export_day(config, day) if any(calibrated.values()) else []
    return CalibrateDayReport(calibrated, tuple(without), tuple(failed), tuple(exported))
