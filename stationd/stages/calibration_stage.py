"""The calibrate stage: a minute's stars recalibrate its camera; its meteors get sky columns and magnitudes.

It runs after verify on every minute, and does work on two kinds: minutes with meteors, and one minute in
every :data:`RECAL_EVERY_MIN` (the minutes whose start's minute of the day is a multiple of it: a fixed
grid, so a rerun picks the same ones). For those:

1. **Stars** from the minute's first FF file's average image (AVEPIXEL: 256 frames, stars trail less than
   a pixel; intensities as RMS measures them) when the FF policy kept one, else from its max-pixel stack
   (positions only: a maximum over noise is no photometry, the zero point is carried over), mask out.
2. **Previous solution**: the accepted solution of the camera's history nearest in time, else the plate
   given by the operator (``platepar_cmn2010.cal``), else a first calibration from the configured coarse
   pointing (:class:`calibration.PlateFitter`, off by up to 10 deg); with the scale and distortion of the
   newest night lens (:mod:`stationd.stages.night_refit`). When a clear sky does not match the previous
   solution (a camera moved beyond the matching radius), a first calibration from it is tried.
3. **Recalibration** (:class:`calibration.Recalibrator`: cloud gate, pointing fit, verdict, zero point) and
   the pointing check against the accepted solutions before it (:func:`calibration.judge_pointing`): a
   jump is kept in the history as rejected, a confirmed move is accepted (and the health monitor alerts).
4. **Meteors**: each of the minute's records is calibrated with the minute's own accepted solution (its
   pointing refined on its own stars), else the nearest accepted one in time, else the operator's plate;
   rewritten only if verify did not replace it meanwhile (read, compute, re-read and compare, then an
   atomic rename); then the day's FTPdetectinfo and the night's platepar are exported.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from calibration import (
    CameraModel,
    PlateFitter,
    Platepar,
    Recalibration,
    Recalibrator,
    StarFinder,
    StarList,
    judge_pointing,
    load_hipparcos,
)
from detection.formats.ff_file import read_ff
from detection.timing import iso_utc
from stationd.disk.exports import export_day, export_platepar
from stationd.disk.state import Minute, Status
from stationd.ops.logs import log_event
from stationd.publish.meteors import publish_meteors
from stationd.stages.calibrate import Observer, Plate, camera_plate, plate_of, recalibrate_records
from stationd.stages.calibration_history import CalibrationHistory, HistoryEntry
from stationd.stages.context import StageContext
from stationd.stages.night_refit import NightLens, night_lens, with_lens
from stationd.stages.results import CalibrateStageResult, ScanStageResult, VerifyStageResult, read_result
from stationd.stages.verify import camera_mask

RECAL_EVERY_MIN = 10
"""A minute in this many is recalibrated even without meteors (the history's cadence)."""

_CATALOG_MAX_MAG = 6.0


@cache
def _catalog_tools() -> tuple[Recalibrator, PlateFitter]:
    """The catalogue is parsed once per worker process (about half a second)."""
    catalog = load_hipparcos(_CATALOG_MAX_MAG)
    return Recalibrator(catalog), PlateFitter(catalog)


def is_due(minute: Minute) -> bool:
    """Whether the minute is on the recalibration grid."""
    t = minute.start_utc
    return (t.hour * 60 + t.minute) % RECAL_EVERY_MIN == 0


def _image(
    ctx: StageContext, minute: Minute, scan: ScanStageResult
) -> tuple[NDArray[Any], datetime, bool] | None:
    """The minute's star image, the time of its stars and whether its intensities are photometric."""
    ff_dir = ctx.layout.ff_dir(minute.day, minute.camera)
    for name in scan.ff_files:
        path = ff_dir / name
        if path.is_file():
            ff = read_ff(path)
            mid_s = ff.planes.nframes / 2.0 / ff.fps
            return ff.planes.avepixel, ff.start_utc + timedelta(seconds=mid_s), True
    stack = ctx.layout.stack(minute.day, minute.camera, minute.stem)
    if stack.is_file():
        image = cv2.imread(str(stack), cv2.IMREAD_GRAYSCALE)
        if image is not None and scan.fps > 0:
            return image, minute.start_utc + timedelta(seconds=scan.n_frames / scan.fps / 2.0), False
    return None


def _previous(
    ctx: StageContext, minute: Minute, history: CalibrationHistory, t: datetime, lens: NightLens | None
) -> Platepar | None:
    """The start of the fit: the nearest accepted solution's pointing (else the operator's plate) with the
    scale and distortion of the newest night lens when there is one."""
    entry = history.nearest_accepted(t, exclude=history.path_for(t))
    if entry is not None:
        pp: Platepar | None = entry.platepar
    else:
        plate = camera_plate(ctx.layout, minute.camera, include_latest=False)
        pp = plate.platepar if plate is not None else None
    return with_lens(pp, lens.platepar) if pp is not None and lens is not None else pp


def _first(ctx: StageContext, minute: Minute, stars: StarList, t: datetime) -> Platepar | None:
    """A first calibration from the configured coarse pointing, or None (logged)."""
    cam = ctx.camera(minute.camera)
    p = cam.pointing
    model = CameraModel(cam.width_px, cam.height_px, p.az_deg, p.alt_deg, p.rotation_deg, p.fov_h_deg,
                        p.projection)  # type: ignore[arg-type]  # fmt: skip
    obs = Observer.of(ctx.config)
    fit = _catalog_tools()[1](stars.x_px, stars.y_px, t, model, lat_deg=obs.lat_deg, lon_deg=obs.lon_deg,
                              elevation_m=obs.elevation_m)  # fmt: skip
    log_event(ctx.log, f"first calibration from the configured pointing: {fit.reason}", camera=minute.camera,
              stage="calibrate", file=minute.name)  # fmt: skip
    return fit.platepar if fit.solved else None


def _star_rows(recal: Recalibration, t: datetime) -> list[list[float]]:
    """RMS ``.cal`` star list rows: jd, x, y, intensity, ra, dec, mag."""
    jd = 2440587.5 + t.timestamp() / 86400.0
    cols = (recal.matched_x_px, recal.matched_y_px, recal.matched_intensity, recal.matched_ra_deg,
            recal.matched_dec_deg, recal.matched_mag_v)  # fmt: skip
    return [[jd, *(round(float(c[k]), 6) for c in cols)] for k in range(recal.n_matched)]


def _num(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None and math.isfinite(value) else None


def _recalibrate(
    ctx: StageContext, minute: Minute, scan: ScanStageResult, history: CalibrationHistory
) -> tuple[CalibrateStageResult, HistoryEntry | None]:
    """Fit the minute's stars; the result and the history entry written (None: no solution)."""
    found = _image(ctx, minute, scan)
    if found is None:
        return CalibrateStageResult("no-image", "neither an FF file nor a stack of the minute is kept"), None
    image, t, photometric = found
    lens = night_lens(history, t)
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()[:16]
    earlier = history.entry_at(t)
    if earlier is not None and (earlier.info.get("input_sha256"), earlier.info.get("lens")) == (
        digest,
        lens.fingerprint if lens else None,
    ):
        return _result_of(earlier), earlier  # a rerun: the same image and lens give the same solution
    stars = StarFinder()(image, camera_mask(ctx, minute.camera))
    recalibrator = _catalog_tools()[0]
    previous = _previous(ctx, minute, history, t, lens)
    if previous is None and len(stars) >= recalibrator.settings.min_stars:
        previous = _first(ctx, minute, stars, t)
    if previous is None and len(stars) < recalibrator.settings.min_stars:
        why = f"cloudy or sparse: {len(stars)} stars, too few for a first calibration"
        return CalibrateStageResult("cloudy", why, n_stars=len(stars)), None
    if previous is None:
        why = "no previous solution and no first calibration from the configured pointing"
        return CalibrateStageResult("failed", why, n_stars=len(stars)), None
    recal = recalibrator(stars.x_px, stars.y_px, stars.intensity, t, previous, stars.saturated)
    if not recal.solved and not recal.cloudy:
        # A clear sky that the previous pointing does not match: the camera may have moved further than the
        # matching radius. A first calibration from the previous solution (up to 10 deg off) finds it.
        fit = _catalog_tools()[1](stars.x_px, stars.y_px, t, previous)
        if fit.solved and fit.platepar is not None:
            again = recalibrator(stars.x_px, stars.y_px, stars.intensity, t, fit.platepar, stars.saturated)
            recal = again if again.solved else recal
    figures: dict[str, Any] = {"n_stars": len(stars), "n_matched": recal.n_matched,
                               "residual_px": _num(recal.median_residual_px)}  # fmt: skip
    if not recal.solved or recal.platepar is None:
        return CalibrateStageResult(
            _failure(recal.cloudy, len(stars), history, t), recal.reason, **figures
        ), None
    pp = recal.platepar
    zp = recal.zero_point
    if not photometric or zp is None or not zp.ok:
        pp = replace(pp, mag_lev=previous.mag_lev)  # no zero point from this image: keep the last one
    accepted, jumps = history.before(t)
    verdict, change = judge_pointing(pp, t, accepted, jumps, recalibrator.settings)
    change_deg = _num(change.largest_deg) if change is not None else None
    info = {
        "status": verdict, "minute": minute.name, "t_utc": iso_utc(t),
        "source": "ff" if photometric else "stack",
        **figures, "residual_arcmin": _num(recal.median_residual_arcmin), "change_deg": change_deg,
        "zero_point": zp.to_json() if zp is not None and photometric else None, "input_sha256": digest,
        "lens": lens.fingerprint if lens else None,
        "reason": "" if verdict == "accepted" else _why(verdict, change_deg),
    }  # fmt: skip
    path = history.write(t, pp, info, _star_rows(recal, t))
    entry = HistoryEntry(t, verdict, pp, path, info)
    return _result_of(entry), entry


def _result_of(entry: HistoryEntry) -> CalibrateStageResult:
    """The stage's result for a solution of the history."""
    info = entry.info
    zp = info.get("zero_point") or {}
    return CalibrateStageResult(
        entry.status, str(info.get("reason", "")), solution=entry.path.name,
        n_stars=int(info.get("n_stars", 0)), n_matched=int(info.get("n_matched", 0)),
        residual_px=info.get("residual_px"), mag_lev=_num(entry.platepar.mag_lev),
        scatter_mag=zp.get("scatter_mag"), change_deg=info.get("change_deg"),
    )  # fmt: skip


CLEAR_FRACTION = 0.7
"""A failed image with fewer stars than this fraction of the last accepted solution's counts as cloudy:
thin cloud dims the stars and its glow makes false ones, enough to pass the gate and fail the match."""


def _failure(cloudy: bool, n_stars: int, history: CalibrationHistory, t: datetime) -> str:
    """``cloudy`` or ``failed`` (a clear sky that could not be calibrated: what the health alert counts)."""
    if cloudy:
        return "cloudy"
    last = history.nearest_accepted(t, exclude=history.path_for(t))
    clear_level = int(last.info.get("n_stars", 0)) if last is not None else 0
    return "cloudy" if n_stars < CLEAR_FRACTION * clear_level else "failed"


def _why(verdict: str, change_deg: float | None) -> str:
    if verdict == "jump":
        return f"the pointing jumped {change_deg} deg from the previous solutions: rejected until confirmed"
    return f"the camera moved by {change_deg} deg: the new pointing is confirmed by successive solutions"


def run_calibrate(ctx: StageContext, minute: Minute) -> CalibrateStageResult:
    """Recalibrate the camera on the minute's stars when due or when it has meteors; calibrate them."""
    runs = ctx.store.runs(minute.id)
    verify_run = runs.get("verify")
    if verify_run is None or verify_run.status != Status.DONE:
        return CalibrateStageResult("not-due", "verify has not finished")  # pending again once it does
    verify = read_result(runs, VerifyStageResult)
    scan = read_result(runs, ScanStageResult)
    meteors = verify.meteors if verify else ()
    if not meteors and not is_due(minute):
        return CalibrateStageResult("not-due")
    history = CalibrationHistory(ctx.layout.calibration_dir(minute.camera))
    if scan is None or scan.skipped:
        result, entry = CalibrateStageResult("no-image", "the minute was not scanned"), None
    else:
        result, entry = _recalibrate(ctx, minute, scan, history)
    if not meteors:
        return result
    plate = _meteor_plate(ctx, minute, history, entry)
    if plate is None:
        return replace(
            result,
            reason=(result.reason + "; " if result.reason else "") + "meteors left uncalibrated: no solution",
        )
    done = recalibrate_records(
        ctx.layout, minute.day, minute.camera, minute.name, plate, Observer.of(ctx.config)
    )
    if done:  # the sky columns changed the records: publish them again (and live, once bright enough)
        publish_meteors(ctx.config, minute.day, minute.camera, done)
    _export(ctx, minute, history)
    return replace(result, meteors=tuple(done), meteors_solution=plate.summary.solution_id)


def _meteor_plate(
    ctx: StageContext, minute: Minute, history: CalibrationHistory, own: HistoryEntry | None
) -> Plate | None:
    """The minute's own accepted solution, else the nearest accepted one, else the operator's plate."""
    if own is not None and own.accepted:
        return plate_of(own.path)
    nearest = history.nearest_accepted(minute.start_utc)
    if nearest is not None:
        return plate_of(nearest.path)
    return camera_plate(ctx.layout, minute.camera, include_latest=False)


def _export(ctx: StageContext, minute: Minute, history: CalibrationHistory) -> None:
    """The day's FTPdetectinfo and the camera's platepar of the day; a failure is logged, not raised."""
    try:
        export_day(ctx.config, minute.day)
        day_start = datetime.strptime(minute.day, "%Y-%m-%d").replace(tzinfo=minute.start_utc.tzinfo)
        entries = [
            e for e in history.entries(day_start + timedelta(hours=12), timedelta(hours=12)) if e.accepted
        ]
        if entries:
            export_platepar(ctx.layout, minute.day, minute.camera, entries[-1].path.read_text())
    except (OSError, ValueError) as exc:
        log_event(ctx.log, f"export of {minute.day} failed: {exc}", level=logging.ERROR, camera=minute.camera,
                  stage="calibrate", file=minute.name)  # fmt: skip
