"""The verify stage: full detection on the frames around each candidate; meteor records or rejections.

For each candidate of values detection (and each short run of whole-image change, where a fireball that
lights the sky hides from values detection), the frames around it are decoded and given to the meteor
detector (:mod:`detection.meteors.verify` does this; this module reads the stage's inputs and writes its
products). A detection that passes every check becomes a meteor record (``meteors/<meteor_id>/``:
meteor.json, stack.jpg with the track marked, clip.mp4 with margins, clip_hd.mp4 when the minute has an HD
twin); a candidate that yields none is written to ``rejected/<stem>.json`` with the reasons. Once the new
verification has succeeded the minute's earlier records are removed and the new ones written, so a rerun
replaces them; then the day's FTPdetectinfo is remade.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np

from detection.errors import DetectionError
from detection.formats.ff_file import parse_ff_filename
from detection.formats.mask import load_mask
from detection.meteors.detector import MeteorDetector
from detection.meteors.settings import MeteorSettings
from detection.meteors.track_image import track_image
from detection.meteors.verify import MinuteVerifier, Rejection, VerifiedMeteor, plan_windows
from detection.video.clip import ClipResult, trim_clip
from detection.video.decode import Backend, open_video
from stationd.disk.atomic import atomic_write_bytes, atomic_write_text
from stationd.disk.discover import minute_of
from stationd.disk.exports import FF_BLOCK_FRAMES, export_day
from stationd.disk.records import build_record, remove_minute_records, write_record
from stationd.disk.state import Minute
from stationd.ops.logs import log_event
from stationd.stages.context import StageContext
from stationd.stages.scan import locate_original


def meteor_settings(ctx: StageContext) -> MeteorSettings:
    """The detector's settings from the configuration (unset thresholds keep the detector's defaults)."""
    proc = ctx.config.processing
    settings = MeteorSettings(
        min_speed_deg_s=proc.min_speed_deg_s, max_speed_deg_s=proc.max_speed_deg_s, min_frames=proc.min_points
    )
    if proc.threshold_k is not None:
        settings = replace(settings, k_std=proc.threshold_k)
    if proc.threshold_j_dn is not None:
        settings = replace(settings, j_dn=proc.threshold_j_dn)
    return settings


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


def run_verify(ctx: StageContext, minute: Minute) -> dict[str, Any]:
    """Verify one minute's candidates; returns the recorded result (meteor ids and rejections)."""
    runs = ctx.store.runs(minute.id)
    detect = (runs["detect"].result or {}) if "detect" in runs else {}
    scan = (runs["scan"].result or {}) if "scan" in runs else {}
    n_frames = int(scan.get("n_frames") or 0)
    candidates = [(c["frame_start"], c["frame_end"]) for c in detect.get("candidates", [])]
    runs_wide = [(int(a), int(b)) for a, b in detect.get("widespread_runs", [])]
    windows = plan_windows(candidates, runs_wide, n_frames)
    camera = ctx.camera(minute.camera)
    fps = float(scan.get("fps") or camera.fps)
    meteors: list[VerifiedMeteor] = []
    rejections: list[dict[str, Any]] = []
    decoded = skipped = 0
    if windows:
        video = locate_original(ctx, minute)
        verifier = MinuteVerifier(
            MeteorDetector(meteor_settings(ctx)),
            scale_px_per_deg=camera.scale_px_per_deg,
            mask=camera_mask(ctx, minute.camera),
            backend=cast(Backend, ctx.config.processing.decoder),
        )
        result = verifier(video, windows, fps, n_frames)
        meteors, fps, decoded, skipped = (
            result.meteors,
            result.fps,
            result.frames_decoded,
            result.windows_skipped,
        )
        rejections = [_rejection(r) for r in result.rejections]

    rejected_path = ctx.layout.rejected(minute.day, minute.camera, minute.stem)
    rejected_path.unlink(missing_ok=True)
    removed = remove_minute_records(ctx.layout, minute.day, minute.camera, minute.name)
    ids: list[str] = []
    for m in meteors:
        ids.append(_write_meteor(ctx, minute, scan, fps, m, taken=ids))
    if rejections:
        doc = {"schema": "stationd.rejected/1", "video": minute.name, "candidates": rejections}
        atomic_write_text(rejected_path, json.dumps(doc, indent=1, allow_nan=False) + "\n")
    if ids or removed:
        _export(ctx, minute)
    return {
        "status": "meteors" if ids else "none",
        "meteors": ids,
        "fireballs": [i for i, m in zip(ids, meteors, strict=True) if m.detection.fireball],
        "rejected": len(rejections),
        "windows": len(windows) - skipped,
        "windows_skipped": skipped,
        "frames_decoded": decoded,
        "replaced": len(removed),
    }


def _export(ctx: StageContext, minute: Minute) -> None:
    """Remake the day's FTPdetectinfo; a failure there is logged, it does not undo the meteors."""
    try:
        export_day(ctx.config, minute.day)
    except (OSError, ValueError) as exc:
        log_event(ctx.log, f"FTPdetectinfo export of {minute.day} failed: {exc}", level=logging.ERROR,
                  camera=minute.camera, stage="verify", file=minute.name)  # fmt: skip


def _rejection(r: Rejection) -> dict[str, Any]:
    return {
        "frame_start": r.window.first,
        "frame_end": r.window.last,
        "asked_by": list(r.window.sources),
        "reasons": list(r.reasons),
        "detection": r.detection.to_json() if r.detection is not None else None,
    }


def _write_meteor(
    ctx: StageContext,
    minute: Minute,
    scan: dict[str, Any],
    fps: float,
    meteor: VerifiedMeteor,
    taken: list[str],
) -> str:
    """One meteor's folder: clip (and HD clip), stack image, meteor.json; returns its id.

    Two meteors of one minute that start in the same frame get ``_2``, ``_3``... after the second one's
    id (in the detector's order, which is deterministic).
    """
    d = meteor.detection
    first, last = d.frames[0].frame, d.frames[-1].frame
    hd = minute.hd_path if minute.hd_path is not None and minute.hd_path.exists() else None
    ff_dir = ctx.layout.ff_dir(minute.day, minute.camera)
    ff_names = [n for n in scan.get("ff_files", []) if _ff_holds(n, first, last) and (ff_dir / n).exists()]
    source = {"video": minute.name, "ff_files": ff_names, "hd_video": hd.name if hd else None}
    record = build_record(
        station=ctx.config.station.id, camera=minute.camera, minute_start_utc=minute.start_utc, fps=fps,
        detection=d.to_json(), source=source, products={},
    )  # fmt: skip
    base, k = record["meteor_id"], 1
    while record["meteor_id"] in taken:
        k += 1
        record["meteor_id"] = f"{base}_{k}"
    margin = round(ctx.config.processing.clip_margin_s * fps)
    lo, hi = first - margin, last + margin

    def write_products(folder: Path) -> dict[str, Any]:
        clip = _clip(ctx, minute, locate_original(ctx, minute), folder / "clip.mp4", lo, hi, fps)
        hd_clip = _clip(ctx, minute, hd, folder / "clip_hd.mp4", lo, hi, fps, hd=True) if hd else None
        atomic_write_bytes(folder / "stack.jpg", track_image(meteor.stack, d))
        products: dict[str, Any] = {
            "clip": "clip.mp4" if clip is not None else None,
            "stack": "stack.jpg",
            "clip_hd": "clip_hd.mp4" if hd_clip is not None else None,
        }
        if clip is not None:
            products["clip_first_frame"] = clip.first_frame  # a stream copy starts at a keyframe
        return products

    write_record(ctx.layout, minute.day, record, write_products)
    return str(record["meteor_id"])


def _clip(
    ctx: StageContext, minute: Minute, src: Path, dst: Path, lo: int, hi: int, fps: float, hd: bool = False
) -> ClipResult | None:
    """Trim frames ``lo..hi`` of the minute's video (of its HD twin: the same times) into ``dst``.

    A clip that cannot be made costs the clip, not the meteor: it is logged and the record says null.
    """
    try:
        if hd:
            hd_fps = _fps_of(src) or fps
            offset_s = _start_offset_s(ctx, minute, src)
            lo = math.floor((lo / fps - offset_s) * hd_fps)
            hi = math.ceil((hi / fps - offset_s) * hd_fps)
            fps = hd_fps
        return trim_clip(src, dst, max(0, lo), hi, fps=fps)
    except DetectionError as exc:
        log_event(ctx.log, f"no clip {dst.name}: {exc}", level=logging.WARNING, camera=minute.camera,
                  stage="verify", file=src.name)  # fmt: skip
        return None


def _start_offset_s(ctx: StageContext, minute: Minute, hd: Path) -> float:
    """How much later the HD file starts than the SD minute, by their names (0 when unknown)."""
    name = minute_of(hd, ctx.camera(minute.camera))
    return (name.start_utc - minute.start_utc).total_seconds() if name is not None else 0.0


def _ff_holds(name: str, first: int, last: int) -> bool:
    """The FF file ``name`` of the minute covers some of the frames ``first..last``."""
    try:
        counter = parse_ff_filename(name)[2]
    except ValueError:
        return False
    return counter <= last and first < counter + FF_BLOCK_FRAMES


def _fps_of(path: Path) -> float:
    with open_video(path) as reader:
        return float(reader.fps)
