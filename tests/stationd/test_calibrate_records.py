"""Calibrating meteor records on a station: sky columns, calibration and observer blocks, exports.

Known answer (``../shared/data/README.md``, rms/UK0006_20220914): the 19:49:11 meteor of the night's
FTPdetectinfo (21 points), written by RMS in 2022 with the per-FF recalibrated plate of its FF file (legacy
convention). Made into a record and calibrated with that plate placed as the camera's solution, its RA/Dec
and az/alt match the file's columns to 0.003 arcmin (measured; rounding to 1e-6 deg adds nothing visible).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from detection import read_ftpdetectinfo
from detection.timing import VideoTime, iso_utc
from stationd import parse_config
from stationd.disk.layout import StationLayout
from stationd.disk.records import build_record, read_record, write_record
from stationd.schemas import meteor_schema
from stationd.stages.calibrate import CONVENTION_KEY, Observer, calibrate_day, calibrate_record, read_plate

_FF = "FF_UK0006_20220914_194911_205_0079616.fits"
_DAY = "2022-09-14"


def _sep_arcmin(a1, d1, a2, d2):
    a1, d1, a2, d2 = (np.radians(np.asarray(v, dtype=float)) for v in (a1, d1, a2, d2))
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(a1 - a2)
    return np.degrees(np.arccos(np.clip(c, -1, 1))) * 60.0


@pytest.fixture
def uk0006(shared_data: Path, tmp_path: Path) -> tuple[Any, Any, Path]:
    night = shared_data / "rms" / "UK0006_20220914"
    det = next(d for d in read_ftpdetectinfo(next(night.glob("FTPdetectinfo_*.txt"))).detections
               if d.ff_name == _FF)  # fmt: skip
    data_dir = tmp_path / "data"
    raw = {
        "station": {"id": "UK0006", "latitude_deg": 51.8831, "longitude_deg": -1.30616, "elevation_m": 80,
                    "data_dir": str(data_dir)},
        "cameras": [{"id": "cam1", "width_px": 1280, "height_px": 720, "fps": 25,
                     "pointing": {"az_deg": 237.7, "alt_deg": 41.3, "fov_h_deg": 88.7}}],
        "processing": {"workers": 1},
    }  # fmt: skip
    config = parse_config(raw)
    plates = json.loads((night / "platepars_all_recalibrated.json").read_bytes())
    plate_path = StationLayout(data_dir).platepar("cam1")
    plate_path.parent.mkdir(parents=True)
    plate_path.write_text(json.dumps({**plates[_FF], CONVENTION_KEY: "legacy"}))
    return config, det, plate_path


def _record(det: Any) -> dict[str, Any]:
    detection = {
        "frames": [{"frame": round(p.frame), "x_px": p.x_px, "y_px": p.y_px, "intensity": p.intensity}
                   for p in det.points],
        "line": {"x_begin_px": det.points[0].x_px, "y_begin_px": det.points[0].y_px,
                 "x_end_px": det.points[-1].x_px, "y_end_px": det.points[-1].y_px,
                 "frame_begin": round(det.points[0].frame), "frame_end": round(det.points[-1].frame),
                 "speed_px_frame": 15.0, "speed_deg_s": 24.0, "length_px": 320.0, "residual_px": 0.3},
        "checks": {"frames": {"value": len(det.points), "limit": ">= 4", "passed": True}},
        "fireball": False,
    }  # fmt: skip
    record = build_record(
        station="UK0006", camera="cam1", clock=VideoTime(det.start_utc, 25.0), detection=detection,
        source={"video": None, "ff_files": [_FF], "hd_video": None}, products={},
    )  # fmt: skip
    for frame, p in zip(record["frames"], det.points, strict=True):  # the file's own fractional frame times
        frame["t_utc"] = iso_utc(det.start_utc + timedelta(seconds=p.frame / det.fps))
    record["products"] = {"clip": None, "stack": None, "clip_hd": None}
    return record


@pytest.mark.realdata
def test_record_calibrated_with_the_plate_that_wrote_the_file(uk0006) -> None:
    config, det, plate_path = uk0006
    plate = read_plate(plate_path)
    assert plate.platepar.convention == "legacy"
    assert plate.summary.n_stars is not None and plate.summary.n_stars > 20
    assert plate.summary.solution_id.startswith("platepar_cmn2010.cal#")
    record = calibrate_record(_record(det), plate, Observer.of(config))
    Draft202012Validator(meteor_schema()).validate(record)
    frames = record["frames"]
    pts = det.points
    radec = _sep_arcmin([f["ra_deg"] for f in frames], [f["dec_deg"] for f in frames],
                        [p.ra_deg for p in pts], [p.dec_deg for p in pts])  # fmt: skip
    altaz = _sep_arcmin([f["az_deg"] for f in frames], [f["alt_deg"] for f in frames],
                        [p.az_deg for p in pts], [p.alt_deg for p in pts])  # fmt: skip
    assert np.max(radec) < 0.01 and np.max(altaz) < 0.01
    assert np.max(np.abs(np.array([f["mag"] for f in frames]) - [p.mag for p in pts])) < 0.006
    assert record["observer"] == {"lat_deg": 51.8831, "lon_deg": -1.30616, "elevation_m": 80.0}
    assert record["calibration"]["convention"] == "legacy"
    # Angular speed from the plate: the arc between the line's ends (the first and last points) over their
    # frames, against the file's own RA/Dec of those points (frames rounded to integers in the line).
    arc_deg = _sep_arcmin(pts[0].ra_deg, pts[0].dec_deg, pts[-1].ra_deg, pts[-1].dec_deg) / 60.0
    expected = arc_deg / ((round(pts[-1].frame) - round(pts[0].frame)) / 25.0)
    assert abs(record["line"]["speed_deg_s"] - expected) < 0.002 * expected


@pytest.mark.realdata
def test_calibrate_day_rewrites_records_and_exports_sky_columns(uk0006) -> None:
    config, det, _ = uk0006
    layout = StationLayout(config.station.data_dir)
    record = _record(det)
    write_record(layout, _DAY, record, lambda folder: {"clip": None, "stack": None, "clip_hd": None})
    report = calibrate_day(config, _DAY)
    assert report.calibrated == {"cam1": 1} and not report.failed and not report.without_plate
    again = read_record(layout.meteor_dir(_DAY, "cam1", record["meteor_id"]))
    Draft202012Validator(meteor_schema()).validate(again)
    assert again["calibration"] is not None and "ra_deg" in again["frames"][0]
    (path,) = report.exported
    text = path.read_text()
    assert "Calibrated with stationd: platepar_cmn2010.cal#" in text
    exported = read_ftpdetectinfo(path).detections[0]
    assert exported.calibrated
    assert abs(exported.points[0].ra_deg - again["frames"][0]["ra_deg"]) < 1e-5
    assert abs(exported.points[0].ra_deg - det.points[0].ra_deg) < 1e-3


def test_record_of_a_camera_without_plate_stays_uncalibrated(tmp_path: Path) -> None:
    raw = {
        "station": {"id": "XX0001", "latitude_deg": 51.0, "longitude_deg": 0.0, "data_dir": str(tmp_path)},
        "cameras": [{"id": "cam1", "width_px": 320, "height_px": 180, "fps": 25,
                     "pointing": {"az_deg": 240, "alt_deg": 40, "fov_h_deg": 88}}],
        "processing": {"workers": 1},
    }  # fmt: skip
    report = calibrate_day(parse_config(raw), _DAY)
    assert report.without_plate == ("cam1",) and report.calibrated == {} and report.exported == ()
