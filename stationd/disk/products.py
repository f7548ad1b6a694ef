"""Writing what a scan produced, the same way for a station's minute and a standalone ``stationd scan``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2

from detection.formats.ff_file import FFFile, ff_filename, write_ff
from detection.scan.minute import ScanResult
from detection.scan.values import save_values
from detection.timing import VideoTime
from stationd.disk.atomic import atomic_write_bytes, atomic_write_with


@dataclass(frozen=True)
class ProductPaths:
    values: Path
    ff_dir: Path | None  # None: FF files are not kept
    stack: Path
    preview: Path


def write_scan_products(
    result: ScanResult, paths: ProductPaths, station: str, clock: VideoTime, camno: int = 0
) -> list[str]:
    """Write values, FF blocks, stack and preview atomically; returns the FF file names."""
    atomic_write_with(paths.values, lambda f: save_values(f, result.values))
    names: list[str] = []
    if paths.ff_dir is not None:
        for first_frame, planes in result.ff_blocks:
            t0 = clock.frame_utc(first_frame)
            ff = FFFile(planes=planes, station=station, start_utc=t0, first_frame=first_frame, fps=result.fps,
                        camno=camno)  # fmt: skip
            name = ff_filename(station, t0, first_frame)
            atomic_write_with(paths.ff_dir / name, partial(write_ff, ff=ff))
            names.append(name)
    ok, jpg = cv2.imencode(".jpg", result.stack, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if ok:
        atomic_write_bytes(paths.stack, jpg.tobytes())
    atomic_write_bytes(paths.preview, result.preview)
    return names
