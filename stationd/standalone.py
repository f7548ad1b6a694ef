"""``stationd scan FILE...`` without a station: scan videos into a folder of products.

For each file: ``<out>/<stem>.values.npz``, the FF blocks, ``<stem>_stack.jpg`` and ``<stem>_preview.jpg``.
The start time comes from an AllSkyCams name when the file has one, otherwise from the file's mtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from detection.errors import VideoError
from detection.scan.minute import ScanSettings, scan_video
from detection.timing import VideoTime
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern, parse_minute_name
from stationd.disk.products import ProductPaths, write_scan_products


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
