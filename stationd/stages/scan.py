"""The scan stage: one decode pass over a minute file gives its values, FF blocks, stack and preview.

Outputs (all written atomically, to paths that depend only on the minute, so a rerun replaces them):
``values/<stem>.values.npz``, ``ff/FF_*.fits`` (unless the FF policy is ``none``), ``stacks/<stem>_stack.jpg``
and ``stacks/<stem>_preview.jpg``. Then the original moves into the day's ``video/`` folder (and the HD
file of the same minute into ``video/hd/``). A file that cannot be read goes to ``quarantine/``.
"""

from __future__ import annotations

from pathlib import Path

from detection.scan.minute import ScanSettings, scan_video
from detection.timing import VideoTime
from stationd.disk.atomic import atomic_move
from stationd.disk.discover import find_hd
from stationd.disk.products import ProductPaths, write_scan_products
from stationd.disk.state import Minute
from stationd.stages.context import StageContext
from stationd.stages.results import ScanStageResult


def locate_original(ctx: StageContext, minute: Minute) -> Path:
    """Where the minute's original is now: its recorded path, or the day's video folder after a crash
    that struck between the move and the state update."""
    if minute.path.exists():
        return minute.path
    moved = ctx.layout.video(minute.day, minute.camera) / minute.name
    if moved.exists():
        ctx.store.set_paths(minute.id, moved)
        return moved
    raise FileNotFoundError(f"{minute.name}: neither at {minute.path} nor in {moved.parent}")


def run_scan(ctx: StageContext, minute: Minute) -> ScanStageResult:
    """Scan one minute; returns the result recorded in the state store. Raises VideoError for bad input."""
    camera = ctx.camera(minute.camera)
    layout = ctx.layout
    source = locate_original(ctx, minute)
    settings = ScanSettings(
        expected_size=(camera.width_px, camera.height_px),
        backend=ctx.config.processing.decoder,  # type: ignore[arg-type]
    )
    result = scan_video(source, settings)

    policy = ctx.config.processing.ff_policy
    paths = ProductPaths(
        values=layout.values(minute.day, minute.camera, minute.stem),
        ff_dir=None if policy == "none" else layout.ff_dir(minute.day, minute.camera),
        stack=layout.stack(minute.day, minute.camera, minute.stem),
        preview=layout.preview(minute.day, minute.camera, minute.stem),
    )
    clock = VideoTime(minute.start_utc, result.fps, result.n_frames)
    ff_names = write_scan_products(
        result, paths, ctx.config.station.id, clock, ctx.camera_number(minute.camera)
    )

    video_path, hd_path = _file_original(ctx, minute, source)
    return ScanStageResult(
        file=video_path.name, width_px=result.width, height_px=result.height, fps=result.fps,
        n_frames=result.n_frames, ff_files=tuple(ff_names), values_file=paths.values.name,
        hd_file=hd_path.name if hd_path else None, decode_s=round(result.decode_s, 3),
        compute_s=round(result.compute_s, 3),
    )  # fmt: skip


def _file_original(ctx: StageContext, minute: Minute, source: Path) -> tuple[Path, Path | None]:
    """Move the original (and its HD twin) into the day's video folder, once its outputs are safe."""
    video_dir = ctx.layout.video(minute.day, minute.camera)
    target = video_dir / minute.name
    if source != target:
        atomic_move(source, target)
    hd_target = minute.hd_path
    hd_source = find_hd(ctx.camera(minute.camera), minute.start_utc)
    if hd_source is not None:
        hd_target = ctx.layout.video_hd(minute.day, minute.camera) / hd_source.name
        atomic_move(hd_source, hd_target)
    ctx.store.set_paths(minute.id, target, hd_target)
    return target, hd_target
