"""The candidates stage: values detection on a minute's values file; every minute gets a result.

The result (``none``, ``candidates`` with each candidate's frames and UTC times, or ``too-many``) is
recorded in the state store, with the runs of frames where the whole image changed (a flash, a cloud edge,
or a fireball lighting the sky: verification looks at the short ones). Under the FF policy ``candidates``
the FF files of a minute without candidates are removed here, once that is known.
"""

from __future__ import annotations

from detection.candidates import CandidateFinder
from detection.meteors.verify import frame_runs
from detection.scan.values import load_values
from detection.timing import VideoTime
from stationd.disk.state import Minute
from stationd.stages.context import StageContext
from stationd.stages.results import CandidateEntry, CandidatesStageResult, ScanStageResult, read_result
from stationd.stages.settings import candidate_settings


def run_candidates(ctx: StageContext, minute: Minute) -> CandidatesStageResult:
    """Find the candidates of one minute's values; returns the recorded result."""
    values_path = ctx.layout.values(minute.day, minute.camera, minute.stem)
    with values_path.open("rb") as f:
        values = load_values(f)
    settings = candidate_settings(ctx.config.processing, ctx.camera(minute.camera), values.fps)
    found = CandidateFinder(settings)(values)
    clock = VideoTime(minute.start_utc, values.fps)
    candidates = tuple(
        CandidateEntry(
            frame_start=int(c.frame_start),
            frame_end=int(c.frame_end),
            start_utc=clock.frame_iso(c.frame_start),
            end_utc=clock.frame_iso(c.frame_end),
            speed_px_frame=round(float(c.speed_px_frame), 3),
            points=c.points,
        )
        for c in found.candidates
    )
    if found.status != "candidates" and ctx.config.processing.ff_policy == "candidates":
        _drop_ff_files(ctx, minute)
    return CandidatesStageResult(
        status=found.status,
        reason=found.reason,
        candidates=candidates,
        widespread_runs=tuple(frame_runs(found.widespread_frames)),
    )


def _drop_ff_files(ctx: StageContext, minute: Minute) -> None:
    """FF files are kept only for minutes with candidates under this policy."""
    scan = read_result(ctx.store.runs(minute.id), ScanStageResult)
    ff_dir = ctx.layout.ff_dir(minute.day, minute.camera)
    for name in scan.ff_files if scan else ():
        (ff_dir / name).unlink(missing_ok=True)
