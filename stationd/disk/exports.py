"""Exports of a day's meteors in the formats of the Global Meteor Network: FTPdetectinfo (12 columns).

``exports/YYYY-MM-DD/<camera>/FTPdetectinfo_<STATION>_<YYYYMMDD>_000000_000000.txt``, one file per camera
(an RMS station is one camera), remade from the day's meteor records whenever they change. Days are UTC
days, as everywhere on disk (an evening's and a morning's meteors of one night are in two files). Each
meteor is an entry of the FF block that holds its first frame, with frame numbers counted from that
block's first frame (time of a point = FF start + frame / fps, DESIGN 4); a meteor that runs into the
next block keeps counting past 255. The sky columns are zero until calibration exists; a calibrated record's
entry carries them, and its calibration line names the solution (``Calibrated with stationd: <solution_id>``).
The calibrate stage writes the camera's plate solution of the day beside it (``platepar_cmn2010.cal``).
"""

from __future__ import annotations

import fcntl
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detection.formats.ff_file import ff_filename, parse_ff_filename
from detection.formats.ftpdetectinfo import (
    FTPDetectInfo,
    FTPDetection,
    FTPPoint,
    format_ftpdetectinfo,
    ftpdetectinfo_filename,
    hough_rho_phi,
    track_speed_px_frame,
)
from detection.scan.ff import MAX_FRAMES
from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_text
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records, video_clock


def ff_name_of(record: dict[str, Any]) -> tuple[str, int]:
    """The FF file name of the block holding a record's first frame, and that block's first frame.

    The name the scan gave the file (``source.ff_files``) when it is listed; else it is made the same way
    from the clock of the record's video.
    """
    first = int(record["frames"][0]["frame"])
    block_first = first // MAX_FRAMES * MAX_FRAMES
    for name in record.get("source", {}).get("ff_files", []):
        if parse_ff_filename(name)[2] == block_first:
            return name, block_first
    block_start = video_clock(record).frame_utc(block_first)
    return ff_filename(record["station"], block_start, block_first), block_first


def ftp_detection(record: dict[str, Any], meteor_no: int, width_px: int, height_px: int) -> FTPDetection:
    """One meteor record as an FTPdetectinfo entry of the FF block holding its first frame."""
    frames = record["frames"]
    ff_name, block_first = ff_name_of(record)
    sky = ("ra_deg", "dec_deg", "az_deg", "alt_deg", "mag")
    points = tuple(
        FTPPoint(
            frame=float(p["frame"] - block_first),
            x_px=p["x_px"],
            y_px=p["y_px"],
            intensity=p["intensity"],
            **{k: p.get(k) for k in sky},
        )
        for p in frames
    )  # fmt: skip
    line = record["line"]
    rho, phi = 0.0, 0.0
    if (line["x_begin_px"], line["y_begin_px"]) != (line["x_end_px"], line["y_end_px"]):
        rho, phi = hough_rho_phi(line["x_begin_px"], line["y_begin_px"], line["x_end_px"], line["y_end_px"],
                                 width_px, height_px)  # fmt: skip
    cal = record.get("calibration")
    return FTPDetection(
        ff_name=ff_name,
        calibration=f"Calibrated with stationd: {cal['solution_id']}" if cal else "Uncalibrated",
        camera=record["station"],
        meteor_no=meteor_no,
        fps=float(record["fps"]),
        points=points,
        speed_px_frame=track_speed_px_frame(points),
        rho_px=rho,
        phi_deg=phi,
    )


def export_day(config: StationConfig, day: str) -> list[Path]:
    """Write the day's FTPdetectinfo files (one per camera with meteors); returns their paths.

    A camera whose meteors are all gone (reprocessed away) gets its file removed. A day without meteors
    and without earlier exports leaves nothing behind (no folder, no lock file).
    """
    layout = StationLayout(config.station.data_dir)
    night = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    written: list[Path] = []
    folder = layout.exports(day)
    if not folder.exists() and not any(_has_records(layout, day, c.id) for c in config.cameras):
        return written
    folder.mkdir(parents=True, exist_ok=True)
    # Workers verify minutes of one day at once: listing and writing under one lock, or a file written
    # from an older listing could replace one that has a newer meteor.
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for camera in config.cameras:
            path = folder / camera.id / ftpdetectinfo_filename(config.station.id, night)
            records = list(iter_records(layout, day, camera.id))
            if not records:
                path.unlink(missing_ok=True)
                continue
            per_ff: Counter[str] = Counter()
            detections = []
            for record in records:
                ff_name = ff_name_of(record)[0]
                per_ff[ff_name] += 1
                detections.append(ftp_detection(record, per_ff[ff_name], camera.width_px, camera.height_px))
            ff_folder = str(layout.ff_dir(day, camera.id))
            processed = f"Processed with stationd for {config.station.id}"
            info = FTPDetectInfo(
                tuple(detections), processed=processed, ff_folder=ff_folder, cal_folder=ff_folder
            )
            atomic_write_text(path, format_ftpdetectinfo(info))
            written.append(path)
    return written


def _has_records(layout: StationLayout, day: str, camera: str) -> bool:
    return next(iter_records(layout, day, camera), None) is not None


def export_platepar(layout: StationLayout, day: str, camera: str, text: str) -> Path:
    """Write a camera's plate solution of the day beside its FTPdetectinfo (RMS's ``platepar_cmn2010.cal``,
    which RMS tools look for in the same folder); returns its path."""
    path = layout.exports(day) / camera / "platepar_cmn2010.cal"
    atomic_write_text(path, text)
    return path
