"""The detect stage: values detection on a minute's values file; every minute gets a result.

The result (``none``, ``candidates`` with each candidate's frames and UTC times, or ``too-many``) is
recorded in the state store, with the runs of frames where the whole image changed (a flash, a cloud edge,
or a fireball lighting the sky: verification looks at the short ones). Under the FF policy ``candidates``
the FF files of a minute without candidates are removed here, once that is known.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from detection.candidates import CandidateFinder, CandidateSettings
from detection.meteors.verify import frame_runs
from detection.scan.values import load_values
from stationd.disk.layout import iso_utc
from stationd.disk.state import Minute
from stationd.stages.context import StageContext


def detect_settings(ctx: StageContext, camera_id: str, fps: float) -> CandidateSettings:
    """Speed limits in px/frame from the configured deg/s and the camera's plate scale."""
    camera = ctx.camera(camera_id)
    proc = ctx.config.processing
    px_per_frame = camera.scale_px_per_deg / fps
    return CandidateSettings(
        min_speed_px_frame=proc.min_speed_deg_s * px_per_frame,
        max_speed_px_frame=proc.max_speed_deg_s * px_per_frame,
        min_points=proc.min_points,
    )


def run_detect(ctx: StageContext, minute: Minute) -> dict[str, Any]:
    """Detect candidates in one minute's values; returns the recorded result."""
    values_path = ctx.layout.values(minute.day, minute.camera, minute.stem)
    with values_path.open("rb") as f:
        values = load_values(f)
    detection = CandidateFinder(detect_settings(ctx, minute.camera, values.fps))(values)
    fps = values.fps
    candidates = [
        {
            "frame_start": int(c.frame_start),
            "frame_end": int(c.frame_end),
            "start_utc": iso_utc(minute.start_utc + timedelta(seconds=c.frame_start / fps)),
            "end_utc": iso_utc(minute.start_utc + timedelta(seconds=c.frame_end / fps)),
            "n_points": len(c.points),
            "speed_px_frame": round(float(c.speed_px_frame), 3),
            "points": [
                {"frame": p.frame, "x_px": round(p.x_px, 2), "y_px": round(p.y_px, 2), "z": round(p.z, 2)}
                for p in c.points
            ],
        }
        for c in detection.candidates
    ]
    if detection.status != "candidates" and ctx.config.processing.ff_policy == "candidates":
        _drop_ff_files(ctx, minute)
    return {
        "status": detection.status,
        "reason": detection.reason,
        "candidates": candidates,
        "widespread_runs": [list(r) for r in frame_runs(detection.widespread_frames)],
    }


def _drop_ff_files(ctx: StageContext, minute: Minute) -> None:
    scan = ctx.store.runs(minute.id).get("scan")
    names = (scan.result or {}).get("ff_files", []) if scan else []
    ff_dir = ctx.layout.ff_dir(minute.day, minute.camera)
    for name in names:
        (ff_dir / name).unlink(missing_ok=True)
