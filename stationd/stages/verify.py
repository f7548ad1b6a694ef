"""The verify stage: full detection on the frames around each candidate; meteor records or rejections.

For each candidate of values detection (and each short run of whole-image change, where a fireball that
lights the sky hides from values detection), the frames around it are decoded and given to the meteor
detector (:mod:`detection.verify` does this; this module reads the stage's inputs and writes its
products). A detection that passes every check becomes a meteor record (``meteors/<meteor_id>/``:
meteor.json, stack.jpg with the track marked, clip.mp4 with margins, clip_hd.mp4 when the minute has an HD
twin); a candidate that yields none is written to ``rejected/<stem>.json`` with the reasons. The minute's
earlier records are removed first, so a rerun replaces them; the day's FTPdetectinfo is then remade.
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

from detection.clip import trim_clip
from detection.decode import Backend, open_video
from detection.errors import DetectionError
from detection.mask import load_mask
from detection.meteors import MeteorDetector, MeteorSettings
from detection.track_image import track_image
from detection.verify import MinuteVerifier, Rejection, VerifiedMeteor, plan_windows
from stationd.atomic import atomic_write_bytes, atomic_write_text
from stationd.exports import export_day
from stationd.logs import log_event
from stationd.meteor_records import build_record, remove_minute_records, write_record
from stationd.stages.context import StageContext
from stationd.stages.scan import locate_original
from stationd.state import Minute


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


@cache
def _mask(path: Path, mtime_ns: int, width_px: int, height_px: int) -> np.ndarray:
    """The camera's mask, read again when the file changes (workers live for months)."""
    return load_mask(path, width_px, height_px)


def _remove_earlier(ctx: StageContext, minute: Minute, rejected_path: Path) -> list[str]:
    """Remove what an earlier verification of the minute wrote; returns the meteor ids removed."""
    rejected_path.unlink(missing_ok=True)
    return remove_minute_records(ctx.layout, minute.day, minute.camera, minute.name)


def run_verify(ctx: StageContext, minute: Minute) -> dict[str, Any]:
    """Verify one minute's candidates; returns the recorded result (meteor ids and rejections)."""
    runs = ctx.store.runs(minute.id)
    detect = (runs["detect"].result or {}) if "detect" in runs else {}
    scan = (runs["scan"].result or {}) if "scan" in runs else {}
    rejected_path = ctx.layout.rejected(minute.day, minute.camera, minute.stem)
    n_frames = int(scan.get("n_frames") or 0)
    candidates = [(c["frame_start"], c["frame_end"]) for c in detect.get("candidates", [])]
    windows = plan_windows(candidates, [tuple(r) for r in detect.get("widespread_runs", [])], n_frames)
    if not windows:
        removed = _remove_earlier(ctx, minute, rejected_path)
        if removed:
            export_day(ctx.config, minute.day)
        return {"status": "none", "meteors": [], "rejected": 0, "windows": 0, "replaced": len(removed)}

    camera = ctx.camera(minute.camera)
    video = locate_original(ctx, minute)
    verifier = MinuteVerifier(
        MeteorDetector(meteor_settings(ctx)),
        scale_px_per_deg=camera.scale_px_per_deg,
        mask=_mask(camera.mask, camera.mask.stat().st_mtime_ns, camera.width_px, camera.height_px)
        if camera.mask
        else None,
        backend=cast(Backend, ctx.config.processing.decoder),
    )
    result = verifier(video, windows, float(scan.get("fps") or camera.fps), n_frames)
    found, fps = result.meteors, result.fps
    rejections = [_rejection(r) for r in result.rejections]
    removed = _remove_earlier(ctx, minute, rejected_path)  # only now: a failed run keeps the old ones
    ids = [_write_meteor(ctx, minute, video, scan, fps, f) for f in found]
    if rejections:
        doc = {"schema": "stationd.rejected/1", "video": minute.name, "candidates": rejections}
        atomic_write_text(rejected_path, json.dumps(doc, indent=1) + "\n")
    if ids or removed:
        export_day(ctx.config, minute.day)
    return {
        "status": "meteors" if ids else "none",
        "meteors": ids,
        "fireballs": [i for i, f in zip(ids, found, strict=True) if f.detection.fireball],
        "rejected": len(rejections),
        "windows": len(windows),
        "frames_decoded": result.frames_decoded,
        "replaced": len(removed),
    }


def _rejection(r: Rejection) -> dict[str, Any]:
    return {
        "frame_start": r.window.first,
        "frame_end": r.window.last,
        "asked_by": list(r.window.sources),
        "reasons": list(r.reasons),
        "detection": r.detection.to_json() if r.detection is not None else None,
    }


def _write_meteor(
    ctx: StageContext, minute: Minute, video: Path, scan: dict[str, Any], fps: float, found: VerifiedMeteor
) -> str:
    """One meteor's folder: clip (and HD clip), stack image, meteor.json."""
    d = found.detection
    first, last = d.frames[0].frame, d.frames[-1].frame
    margin = round(ctx.config.processing.clip_margin_s * fps)
    hd = minute.hd_path if minute.hd_path is not None and minute.hd_path.exists() else None
    block = 256
    ff_names = [n for n in scan.get("ff_files", []) if first // block <= _ff_block(n) <= last // block]
    source = {"video": minute.name, "ff_files": ff_names, "hd_video": hd.name if hd else None}
    products: dict[str, Any] = {"clip": "clip.mp4", "stack": "stack.jpg", "clip_hd": None}
    if hd is not None:
        products["clip_hd"] = "clip_hd.mp4"
    record = build_record(
        station=ctx.config.station.id, camera=minute.camera, minute_start_utc=minute.start_utc, fps=fps,
        detection=d.to_json(), source=source, products=products,
    )  # fmt: skip

    def write_products(folder: Path) -> None:
        clip = trim_clip(video, folder / "clip.mp4", max(0, first - margin), last + margin, fps=fps)
        products["clip_first_frame"] = clip.first_frame  # a stream copy starts at a keyframe
        atomic_write_bytes(folder / "stack.jpg", track_image(found.stack, d))
        if hd is not None:
            try:
                hd_fps = _fps_of(hd) or fps
                lo = max(0, math.floor((first - margin) / fps * hd_fps))
                hi = math.ceil((last + margin) / fps * hd_fps)
                trim_clip(hd, folder / "clip_hd.mp4", lo, hi, fps=hd_fps)
            except DetectionError as exc:  # a damaged HD twin costs the HD clip, not the meteor
                products["clip_hd"] = None
                log_event(ctx.log, f"no HD clip for {record['meteor_id']}: {exc}", level=logging.WARNING,
                          camera=minute.camera, stage="verify", file=hd.name)  # fmt: skip

    write_record(ctx.layout, minute.day, record, write_products)
    return str(record["meteor_id"])


def _ff_block(name: str) -> int:
    """Block number of one of the minute's FF files (its frame counter / 256)."""
    return int(Path(name).stem.rsplit("_", 1)[1]) // 256


def _fps_of(path: Path) -> float:
    with open_video(path) as reader:
        return float(reader.fps)
