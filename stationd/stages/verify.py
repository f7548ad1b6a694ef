"""The verify stage: full detection on the frames around each candidate; meteor records or rejections.

For each candidate of values detection (and each short run of whole-image change, where a fireball that
lights the sky hides from values detection), the frames around it are decoded and given to the meteor
detector. A detection that passes every check becomes a meteor record (``meteors/<meteor_id>/``:
meteor.json, stack.jpg with the track marked, clip.mp4 with margins, clip_hd.mp4 when the minute has an HD
twin); a candidate that yields none is written to ``rejected/<stem>.json`` with the reasons. The minute's
earlier records are removed first, so a rerun replaces them; the day's FTPdetectinfo is then remade.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np

from detection.clip import trim_clip
from detection.decode import Backend, open_video
from detection.errors import DetectionError
from detection.mask import load_mask
from detection.meteors import Detection, MeteorDetector, MeteorSettings
from detection.track_image import track_image
from detection.window import Window, read_window
from stationd.atomic import atomic_write_bytes, atomic_write_text
from stationd.exports import export_day
from stationd.logs import log_event
from stationd.meteor_records import build_record, remove_minute_records, write_record
from stationd.stages.context import StageContext
from stationd.stages.scan import locate_original
from stationd.state import Minute

_CANDIDATE_MARGIN_FRAMES = 10
"""Frames decoded beyond a candidate's (already padded) range: the detector's background needs them."""

_WIDESPREAD_MARGIN_FRAMES = 25
_MAX_WIDESPREAD_RUN_FRAMES = 200
"""Longer runs of whole-image change are clouds or rain, not a fireball: they are not verified."""

_EDGE_FRAMES = 2
_PERSIST_FRAMES = 100
"""A track at a window's edge is followed this many frames further (4 s at 25 fps: longer than meteors)."""

_MAX_WIDESPREAD_WINDOWS = 3
_MAX_WINDOW_FRAMES = 320
"""Memory bound of one decoded window (320 frames of 720p: 295 MB); longer ones are cut in pieces."""


@dataclass(frozen=True)
class _Window:
    first: int
    last: int
    sources: tuple[str, ...]  # what asked for it: "candidate 0", "widespread 12-40"


@dataclass
class _Found:
    detection: Detection
    stack: np.ndarray  # max of the meteor's frames


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
def _mask(path: Path, width_px: int, height_px: int) -> np.ndarray:
    return load_mask(path, width_px, height_px)


def run_verify(ctx: StageContext, minute: Minute) -> dict[str, Any]:
    """Verify one minute's candidates; returns the recorded result (meteor ids and rejections)."""
    runs = ctx.store.runs(minute.id)
    detect = (runs["detect"].result or {}) if "detect" in runs else {}
    scan = (runs["scan"].result or {}) if "scan" in runs else {}
    removed = remove_minute_records(ctx.layout, minute.day, minute.camera, minute.name)
    rejected_path = ctx.layout.rejected(minute.day, minute.camera, minute.stem)
    rejected_path.unlink(missing_ok=True)
    windows = _windows(detect, int(scan.get("n_frames") or 0))
    if not windows:
        if removed:
            export_day(ctx.config, minute.day)
        return {"status": "none", "meteors": [], "rejected": 0, "windows": 0, "replaced": len(removed)}

    camera = ctx.camera(minute.camera)
    video = locate_original(ctx, minute)
    verifier = _Verifier(
        video=video,
        detector=MeteorDetector(meteor_settings(ctx)),
        scale_px_per_deg=camera.scale_px_per_deg,
        mask=_mask(camera.mask, camera.width_px, camera.height_px) if camera.mask else None,
        backend=cast(Backend, ctx.config.processing.decoder),
        fps=float(scan.get("fps") or camera.fps),
        n_frames=int(scan.get("n_frames") or 0),
    )
    found: list[_Found] = []
    rejections: list[dict[str, Any]] = []
    for window in windows:
        w = verifier.read(window.first, window.last)
        detections = verifier.detect(w)
        passed = []
        for d in (d for d in detections if d.passed):
            persists = verifier.persists(d, w)
            if persists is not None:
                rejections.append(_rejection(window, [d], persists))
            else:
                passed.append(d)
        for d in passed:
            if not any(_same_meteor(d, f.detection) for f in found):
                lo, hi = d.frames[0].frame - w.first_frame, d.frames[-1].frame - w.first_frame
                found.append(_Found(d, w.frames[max(lo, 0) : hi + 1].max(axis=0)))
        if not passed and not any(window.sources == r["asked_by"] for r in rejections):
            rejections.append(_rejection(window, detections))
        del w
    fps = verifier.fps
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
        "replaced": len(removed),
    }


@dataclass
class _Verifier:
    """Decoding and detection on one minute video, with what every window needs."""

    video: Path
    detector: MeteorDetector
    scale_px_per_deg: float
    mask: np.ndarray | None
    backend: Backend
    fps: float
    n_frames: int

    def read(self, first: int, last: int) -> Window:
        w = read_window(self.video, first, last, backend=self.backend)
        self.fps = w.fps or self.fps
        return w

    def detect(self, w: Window) -> list[Detection]:
        return self.detector.detect_frames(
            w.frames, fps=self.fps, scale_px_per_deg=self.scale_px_per_deg, mask=self.mask,
            first_frame=w.first_frame,
        )  # fmt: skip

    def persists(self, d: Detection, w: Window) -> str | None:
        """Why ``d`` is a plane or satellite cut by the window, or None.

        A track that reaches an edge of its window inside the video may go on beyond it. The frames past
        that edge are searched: when the track continues there and the object was in view for at least
        ``_PERSIST_FRAMES`` frames in all, it is no meteor (the detector's satellite check cannot see that
        within one window).
        """
        last_video = self.n_frames - 1 if self.n_frames else None
        sides = []
        if d.frames[0].frame <= w.first_frame + _EDGE_FRAMES and w.first_frame > 0:
            sides.append((max(0, w.first_frame - _PERSIST_FRAMES), w.first_frame + _EDGE_FRAMES))
        at_end = last_video is None or w.last_frame < last_video
        if d.frames[-1].frame >= w.last_frame - _EDGE_FRAMES and at_end:
            far = w.last_frame + _PERSIST_FRAMES
            sides.append((w.last_frame - _EDGE_FRAMES, far if last_video is None else min(far, last_video)))
        for lo, hi in sides:
            ext = self.read(lo, hi)
            for e in self.detect(ext):
                first = min(d.frames[0].frame, e.frames[0].frame)
                last = max(d.frames[-1].frame, e.frames[-1].frame)
                if last - first >= _PERSIST_FRAMES and _continues(d, e):
                    return f"persists: in view over frames {first}-{last} (a plane or a satellite)"
        return None


def _continues(d: Detection, e: Detection) -> bool:
    """``e`` lies on the extension of ``d``'s line at ``d``'s pace (median distance < 5 px)."""
    line = d.line
    span = max(line.frame_end - line.frame_begin, 1)
    vx = (line.x_end_px - line.x_begin_px) / span
    vy = (line.y_end_px - line.y_begin_px) / span
    dist = [
        math.hypot(p.x_px - (line.x_begin_px + vx * (p.frame - line.frame_begin)),
                   p.y_px - (line.y_begin_px + vy * (p.frame - line.frame_begin)))
        for p in e.frames
    ]  # fmt: skip
    return bool(dist) and float(np.median(dist)) < 5.0


def _windows(detect: dict[str, Any], n_frames: int) -> list[_Window]:
    """Frame ranges to decode: every candidate, and the short runs of whole-image change; merged."""
    asked: list[_Window] = []
    for i, c in enumerate(detect.get("candidates", [])):
        m = _CANDIDATE_MARGIN_FRAMES
        asked.append(_Window(c["frame_start"] - m, c["frame_end"] + m, (f"candidate {i}",)))
    runs = [r for r in detect.get("widespread_runs", []) if r[1] - r[0] < _MAX_WIDESPREAD_RUN_FRAMES]
    for first, last in runs[:_MAX_WIDESPREAD_WINDOWS]:
        m = _WIDESPREAD_MARGIN_FRAMES
        asked.append(_Window(first - m, last + m, (f"widespread {first}-{last}",)))
    last_frame = n_frames - 1 if n_frames else 10**9
    merged: list[_Window] = []
    for w in sorted(asked, key=lambda w: w.first):
        w = replace(w, first=max(0, w.first), last=min(last_frame, w.last))
        if merged and w.first <= merged[-1].last:
            top = merged[-1]
            merged[-1] = _Window(top.first, max(top.last, w.last), top.sources + w.sources)
        else:
            merged.append(w)
    return [piece for w in merged for piece in _split(w)]


def _split(w: _Window) -> list[_Window]:
    """Cut a long window into overlapping pieces of at most ``_MAX_WINDOW_FRAMES`` frames."""
    n = w.last - w.first + 1
    if n <= _MAX_WINDOW_FRAMES:
        return [w]
    overlap = _MAX_WINDOW_FRAMES // 4
    step = _MAX_WINDOW_FRAMES - overlap
    count = math.ceil((n - overlap) / step)
    return [
        replace(w, first=w.first + i * step, last=min(w.last, w.first + i * step + _MAX_WINDOW_FRAMES - 1))
        for i in range(count)
    ]


def _same_meteor(a: Detection, b: Detection) -> bool:
    """Two detections of one meteor (from overlapping windows): common frames with nearby centroids."""
    pos_b = {p.frame: (p.x_px, p.y_px) for p in b.frames}
    common = [(p.x_px, p.y_px, *pos_b[p.frame]) for p in a.frames if p.frame in pos_b]
    if not common:
        return False
    return float(np.median([math.hypot(x - u, y - v) for x, y, u, v in common])) < 5.0


def _rejection(window: _Window, detections: list[Detection], reason: str | None = None) -> dict[str, Any]:
    """Why a window holds no meteor: the checks of its best detection, or that no line was found."""
    best = max(detections, key=lambda d: len(d.frames), default=None)
    reasons = best.reasons if best is not None else ["no moving object found in the frames"]
    return {
        "frame_start": window.first,
        "frame_end": window.last,
        "asked_by": list(window.sources),
        "reasons": [reason] if reason else reasons,
        "detection": best.to_json() if best is not None else None,
    }


def _write_meteor(
    ctx: StageContext, minute: Minute, video: Path, scan: dict[str, Any], fps: float, found: _Found
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
