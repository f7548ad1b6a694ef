"""``stationd scan FILE...`` without a station: scan videos into a folder of products.

For each file: ``<out>/<stem>.values.npz``, the FF blocks, ``<stem>_stack.jpg`` and ``<stem>_preview.jpg``.
The start time comes from an AllSkyCams name when the file has one, otherwise from the file's mtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calibration import PointingConvention
from detection.errors import VideoError
from detection.scan.minute import ScanSettings, scan_video
from detection.timing import VideoTime, iso_utc, parse_iso_utc
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern, parse_minute_name
from stationd.disk.products import ProductPaths, write_scan_products
from stationd.errors import UsageError
from stationd.stages.calibrate import Observer, calibrate_record, read_plate


@dataclass(frozen=True)
class StandaloneScan:
    path: Path
    ok: bool
    reason: str | None = None
    n_frames: int = 0
    width_px: int = 0
    height_px: int = 0
    fps: float = 0.0
    ff_files: tuple[str, ...] = ()
    seconds: float = 0.0


def _start_time(path: Path) -> datetime:
    pattern = compile_pattern(DEFAULT_PATTERN)
    match = pattern.match(path.name)
    name = parse_minute_name(path.name, pattern, match.group("camera")) if match else None
    if name is not None:
        return name.start_utc
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def scan_file(path: Path, out_dir: Path, station: str = "XX0001", decoder: str = "auto") -> StandaloneScan:
    """Scan one video into ``out_dir``; a file that cannot be read gives ``ok=False`` with the reason."""
    try:
        result = scan_video(path, ScanSettings(expected_size=None, backend=decoder))  # type: ignore[arg-type]
    except VideoError as exc:
        return StandaloneScan(path, ok=False, reason=exc.reason)
    stem = path.stem
    paths = ProductPaths(
        values=out_dir / f"{stem}.values.npz",
        ff_dir=out_dir,
        stack=out_dir / f"{stem}_stack.jpg",
        preview=out_dir / f"{stem}_preview.jpg",
    )
    clock = VideoTime(_start_time(path), result.fps, result.n_frames)
    names = write_scan_products(result, paths, station, clock)
    return StandaloneScan(
        path, True, None, result.n_frames, result.width, result.height, result.fps, tuple(names),
        result.decode_s + result.compute_s,
    )  # fmt: skip


def sky_columns(
    file_json: dict[str, Any], plate_path: Path, convention: PointingConvention | None = None
) -> dict[str, Any]:
    """``stationd detect --platepar``: a file's detections (``stationd detect --json`` form) with each
    frame's ``t_utc``, RA/Dec (J2000), az/alt (of date) and magnitude from an RMS plate, and each
    detection's ``calibration`` and ``observer`` blocks (the station: the plate's own site).

    Frame times are the file's start (its name: an FF block's first frame, a minute's first frame) + frame
    / fps. ``convention`` overrides the plate's pointing convention (``legacy`` for an RMS plate fitted
    before 2023-12). Raises UsageError when the file's name gives no start time.
    """
    plate = read_plate(plate_path, convention)
    pp = plate.platepar
    observer = Observer(pp.lat_deg, pp.lon_deg, pp.elevation_m)
    if not file_json.get("start_utc"):
        raise UsageError(f"{file_json['path']}: its name gives no start time, which the sky columns need")
    start, fps = parse_iso_utc(file_json["start_utc"]), float(file_json["fps"])
    out = {**file_json, "detections": []}
    for detection in file_json["detections"]:
        frames = [
            {**f, "t_utc": iso_utc(start + timedelta(seconds=f["frame"] / fps))} for f in detection["frames"]
        ]
        calibrated = calibrate_record({"frames": frames}, plate, observer)
        out["detections"].append(
            {**detection, "frames": calibrated["frames"], "calibration": calibrated["calibration"],
             "observer": calibrated["observer"]}
        )  # fmt: skip
    return out
