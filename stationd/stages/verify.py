"""The verify stage: full detection on the frames around each candidate; meteor records or rejections.

For each candidate of values detection (and each short run of whole-image change, where a fireball that
lights the sky hides from values detection), the frames around it are decoded and given to the meteor
detector (:mod:`detection.meteors.verify` does this; this module reads the stage's inputs and writes its
products). A detection that passes every check becomes a meteor record (``meteors/<meteor_id>/``:
meteor.json, stack.jpg with the track marked, clip.mp4 with margins, clip_hd.mp4 when the minute has an HD
twin); a candidate that yields none is written to ``rejected/<stem>.json`` with the reasons. Once the new
verification has succeeded the minute's earlier records are removed and the new ones written, so a rerun
replaces them; then the day's FTPdetectinfo is remade and the meteors are queued for publishing
(:mod:`stationd.publish.meteors`: bright ones under ``live/`` first, removed ones withdrawn).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np

from detection.errors import DetectionError
from detection.formats.ff_file import parse_ff_filename
from detection.formats.mask import load_mask
from detection.meteors.detector import MeteorDetector
from detection.meteors.track_image import track_image
from detection.meteors.verify import (
    MinuteVerifier,
    Rejection,
    VerifiedMeteor,
    VerifyResult,
    VerifyWindow,
    plan_windows,
)
from detection.scan.ff import MAX_FRAMES
from detection.timing import VideoTime
from detection.video.clip import ClipResult
from detection.video.decode import Backend
from stationd.disk.atomic import atomic_write_bytes, atomic_write_text
from stationd.disk.discover import minute_of
from stationd.disk.exports import export_day
from stationd.disk.records import build_record, recover_records, remove_minute_records, write_record
from stationd.disk.state import Minute
from stationd.ops.logs import log_event
from stationd.publish.meteors import publish_meteors
from stationd.stages.calibrate import Observer, calibrate_record, camera_plate
from stationd.stages.clips import ClipSpan, hd_clip, sd_clip
from stationd.stages.context import StageContext
from stationd.stages.results import (
    CandidatesStageResult,
    RejectedCandidate,
    ScanStageResult,
    VerifyStageResult,
    read_result,
)
from stationd.stages.scan import locate_original
from stationd.stages.settings import meteor_settings, sky_projection


def run_verify(ctx: StageContext, minute: Minute) -> VerifyStageResult:
    """Verify one minute's candidates; returns the recorded result (meteor ids and rejections)."""
    runs = ctx.store.runs(minute.id)
    scan = read_result(runs, ScanStageResult)
    found = read_result(runs, CandidatesStageResult)
    n_frames = scan.n_frames if scan else 0
    clock = VideoTime(minute.start_utc, scan.fps if scan else ctx.camera(minute.camera).fps, n_frames)
    candidates = [(c.frame_start, c.frame_end) for c in found.candidates] if found else []
    windows = plan_windows(candidates, list(found.widespread_runs) if found else [], n_frames)
    verified = _verify(ctx, minute, windows, clock) if windows else None
    if verified is not None:
        clock = VideoTime(minute.start_utc, verified.fps, n_frames)
    meteors = verified.meteors if verified else []
    rejections = [_rejection(r) for r in verified.rejections] if verified else []

    recover_records(ctx.layout.meteors_dir(minute.day, minute.camera))  # a replaced record a crash left aside
    removed = remove_minute_records(ctx.layout, minute.day, minute.camera, minute.name)
    ids: list[str] = []
    for m in meteors:
        ids.append(_write_meteor(ctx, minute, scan, clock, m, taken=ids))
    _write_rejections(ctx, minute, rejections)
    if ids or removed:
        _export(ctx, minute)
        publish_meteors(ctx.config, minute.day, minute.camera, ids, removed)  # the outbox, live events
    skipped = verified.windows_skipped if verified else 0
    return VerifyStageResult(
        meteors=tuple(ids),
        fireballs=tuple(i for i, m in zip(ids, meteors, strict=True) if m.detection.fireball),
        rejected=len(rejections),
        windows=len(windows) - skipped,
        windows_skipped=skipped,
        frames_decoded=verified.frames_decoded if verified else 0,
        replaced=len(removed),
    )


def _verify(ctx: StageContext, minute: Minute, windows: list[VerifyWindow], clock: VideoTime) -> VerifyResult:
    """Decode the windows of the minute's video and search them for meteors."""
    camera = ctx.camera(minute.camera)
    verifier = MinuteVerifier(
        MeteorDetector(meteor_settings(ctx.config.processing)),
        scale_px_per_deg=camera.scale_px_per_deg,
        mask=camera_mask(ctx, minute.camera),
        backend=cast(Backend, ctx.config.processing.decoder),
        sky=sky_projection(camera) if ctx.config.processing.sky_tracks else None,
    )
    return verifier(locate_original(ctx, minute), windows, clock.fps, clock.n_frames or 0)


def camera_mask(ctx: StageContext, camera_id: str) -> np.ndarray | None:
    """The camera's station mask, or None when it has none."""
    camera = ctx.camera(camera_id)
    if camera.mask is None:
        return None
    return _mask(camera.mask, camera.mask.stat().st_mtime_ns, camera.width_px, camera.height_px)


@cache
def _mask(path: Path, mtime_ns: int, width_px: int, height_px: int) -> np.ndarray:
    """Read again when the file changes (workers live for months)."""
    return load_mask(path, width_px, height_px)


def _rejection(r: Rejection) -> RejectedCandidate:
    return RejectedCandidate(
        frame_start=r.window.first,
        frame_end=r.window.last,
        asked_by=tuple(r.window.sources),
        reasons=tuple(r.reasons),
        detection=r.detection.to_json() if r.detection is not None else None,
    )


def _write_rejections(ctx: StageContext, minute: Minute, rejections: list[RejectedCandidate]) -> None:
    """``rejected/<stem>.json`` lists the minute's rejections (none: no file)."""
    path = ctx.layout.rejected(minute.day, minute.camera, minute.stem)
    path.unlink(missing_ok=True)
    if rejections:
        doc = {"schema": "stationd.rejected/1", "video": minute.name,
               "candidates": [r.to_json() for r in rejections]}  # fmt: skip
        atomic_write_text(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


def _export(ctx: StageContext, minute: Minute) -> None:
    """Remake the day's FTPdetectinfo; a failure there is logged, it does not undo the meteors."""
    try:
        export_day(ctx.config, minute.day)
    except (OSError, ValueError) as exc:
        log_event(ctx.log, f"FTPdetectinfo export of {minute.day} failed: {exc}", level=logging.ERROR,
                  camera=minute.camera, stage="verify", file=minute.name)  # fmt: skip


def _write_meteor(
    ctx: StageContext,
    minute: Minute,
    scan: ScanStageResult | None,
    clock: VideoTime,
    meteor: VerifiedMeteor,
    taken: list[str],
) -> str:
    """One meteor's folder: clip (and HD clip), stack image, meteor.json; returns its id."""
    d = meteor.detection
    first, last = d.frames[0].frame, d.frames[-1].frame
    hd = minute.hd_path if minute.hd_path is not None and minute.hd_path.exists() else None
    ff_dir = ctx.layout.ff_dir(minute.day, minute.camera)
    ff_names = [
        n for n in (scan.ff_files if scan else ()) if _ff_holds(n, first, last) and (ff_dir / n).exists()
    ]
    source = {"video": minute.name, "ff_files": ff_names, "hd_video": hd.name if hd else None}
    record = build_record(
        station=ctx.config.station.id, camera=minute.camera, clock=clock, detection=d.to_json(),
        source=source, products={}, taken=taken,
    )  # fmt: skip
    record = _calibrated(ctx, minute, record)
    span = ClipSpan.around(first, last, clock.fps, ctx.config.processing.clip_margin_s)
    video = locate_original(ctx, minute)

    def write_products(folder: Path) -> dict[str, Any]:
        clip = _clip(ctx, minute, video, lambda: sd_clip(video, folder / "clip.mp4", span, clock))
        hd_made = None
        if hd is not None:
            hd_start = _hd_start_utc(ctx, minute, hd)
            hd_made = _clip(
                ctx, minute, hd, lambda: hd_clip(hd, folder / "clip_hd.mp4", span, clock, hd_start)
            )
        atomic_write_bytes(folder / "stack.jpg", track_image(meteor.stack, d))
        products: dict[str, Any] = {
            "clip": "clip.mp4" if clip is not None else None,
            "stack": "stack.jpg",
            "clip_hd": "clip_hd.mp4" if hd_made is not None else None,
        }
        if clip is not None:
            products["clip_first_frame"] = clip.first_frame  # a stream copy starts at a keyframe
        return products

    write_record(ctx.layout, minute.day, record, write_products)
    return str(record["meteor_id"])


def _calibrated(ctx: StageContext, minute: Minute, record: dict[str, Any]) -> dict[str, Any]:
    """The record with its sky columns when the camera has a plate solution; a plate that does not fit
    the station costs the sky columns, not the meteor (logged)."""
    plate = camera_plate(ctx.layout, minute.camera)
    if plate is None:
        return record
    try:
        return calibrate_record(record, plate, Observer.of(ctx.config))
    except ValueError as exc:
        log_event(ctx.log, f"meteor {record['meteor_id']} not calibrated: {exc}", level=logging.WARNING,
                  camera=minute.camera, stage="verify", file=minute.name)  # fmt: skip
        return record


def _clip(ctx: StageContext, minute: Minute, src: Path, make: Callable[[], ClipResult]) -> ClipResult | None:
    """A clip that cannot be made costs the clip, not the meteor: it is logged and the record says null."""
    try:
        return make()
    except DetectionError as exc:
        log_event(ctx.log, f"no clip from {src.name}: {exc}", level=logging.WARNING, camera=minute.camera,
                  stage="verify", file=src.name)  # fmt: skip
        return None


def _hd_start_utc(ctx: StageContext, minute: Minute, hd: Path) -> datetime | None:
    """When the HD twin starts, by its name (None when its name says nothing)."""
    name = minute_of(hd, ctx.camera(minute.camera))
    return name.start_utc if name is not None else None


def _ff_holds(name: str, first: int, last: int) -> bool:
    """The FF file ``name`` of the minute covers some of the frames ``first..last``."""
    try:
        counter = parse_ff_filename(name)[2]
    except ValueError:
        return False
    return counter <= last and first < counter + MAX_FRAMES
