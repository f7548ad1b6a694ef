"""The night's lens: scale and distortion refitted on the stars of all the night's accepted solutions.

One recalibration fits only the pointing (a minute's few hundred stars, most near the centre, cannot pin
the distortion down); a night's solutions together hold thousands of matched stars reaching every corner.
At dawn (the daemon, after the night's summary) and on ``stationd calibrate --night DAY``, their star lists
are pooled and :func:`calibration.refit_distortion` fits one plate to them all; when the stars support it
and the pooled residual improves clearly on the night's own solutions (:data:`IMPROVEMENT`), it is
written as
``calibration/<camera>/nights/<YYYY-MM-DD>.cal`` (the UTC date of the night's evening). Later
recalibrations take their scale and distortion from the newest such plate (their pointing from the
nearest solution in time), and the night's minutes are calibrated again with it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from calibration import Platepar, parse_platepar, refit_distortion
from calibration.errors import CalibrationError
from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_text
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.stages.calibration_history import CONVENTION_KEY, INFO_KEY, CalibrationHistory

log = logging.getLogger("stationd.calibrate")

IMPROVEMENT = 0.8
"""A night lens is kept only when its pooled residual is below this fraction of the night's solutions'
median: on a synthetic night without distortion, a lens 16 % better on the stars (0.170 px against 0.202)
made the meteors 0.05 arcmin worse; a wrong lens improves far more (2 px -> 0.03 px in the tests)."""

_LENS_FIELDS = (
    "f_scale_px_per_deg", "distortion_type", "x_poly_fwd", "y_poly_fwd", "x_poly_rev", "y_poly_rev",
    "equal_aspect", "asymmetry_corr", "force_distortion_centre",
)  # fmt: skip


@dataclass(frozen=True)
class NightLens:
    """A night's refitted plate: its file, the plate, and the figures of the refit."""

    path: Path
    platepar: Platepar
    n_stars: int
    residual_px: float
    before_px: float

    @property
    def fingerprint(self) -> str:
        """Names the lens (the file name and the start of its content's SHA-256)."""
        return f"{self.path.name}#{hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]}"


def nights_dir(history: CalibrationHistory) -> Path:
    """The folder of a camera's night plates."""
    return history.folder / "nights"


def with_lens(pp: Platepar, lens: Platepar) -> Platepar:
    """``pp`` (a pointing) with the scale and distortion of ``lens``."""
    return replace(pp, **{name: getattr(lens, name) for name in _LENS_FIELDS})


def night_lens(history: CalibrationHistory, t_utc: datetime) -> NightLens | None:
    """The newest night plate of a night that began before ``t_utc``, or None."""
    folder = nights_dir(history)
    if not folder.is_dir():
        return None
    day = f"{t_utc.astimezone(UTC):%Y-%m-%d}"
    for path in sorted(folder.glob("*.cal"), reverse=True):
        if path.stem <= day:
            try:
                data = json.loads(path.read_bytes())
                convention = data.get(CONVENTION_KEY, "precessed+nutation")
                pp = parse_platepar(json.dumps(data), convention=convention, source=str(path))
            except (OSError, ValueError, CalibrationError) as exc:
                log.warning("the night plate %s cannot be used: %s", path, exc)
                continue
            info = data.get(INFO_KEY) or {}
            return NightLens(path, pp, int(info.get("n_stars", 0)), float(info.get("residual_px", 0.0)),
                             float(info.get("before_px", 0.0)))  # fmt: skip
    return None


def refit_night(
    history: CalibrationHistory, night: str, start_utc: datetime, end_utc: datetime
) -> NightLens | None:
    """Pool the accepted solutions between ``start_utc`` and ``end_utc`` and refit the lens; the plate
    written, or None when the stars do not support a refit or it does not improve the residual."""
    middle = start_utc + (end_utc - start_utc) / 2
    span = (end_utc - start_utc) / 2 + timedelta(seconds=1)
    entries = [e for e in history.entries(middle, span) if e.accepted and start_utc <= e.t_utc <= end_utc]
    rows = [(e, np.asarray(e.platepar.raw.get("star_list") or [], dtype=np.float64)) for e in entries]
    rows = [(e, r) for e, r in rows if r.ndim == 2 and r.shape[1] == 7 and len(r)]
    if not rows:
        return None
    stars = np.concatenate([r for _, r in rows])
    before = float(np.median([e.info.get("residual_px") or np.inf for e, _ in rows]))
    base = rows[-1][0].platepar
    times = np.datetime64("1970-01-01T00:00:00", "us") + ((stars[:, 0] - 2440587.5) * 86400e6).astype(
        "timedelta64[us]"
    )
    got = refit_distortion(base, stars[:, 1], stars[:, 2], times, stars[:, 4], stars[:, 5])
    if got is None:
        return None
    pp, res = got
    residual = float(np.median(res))
    if not residual < IMPROVEMENT * before:
        log.info("night %s: the pooled lens (%.3f px) is not enough better than the solutions (%.3f px)",
                 night, residual, before)  # fmt: skip
        return None
    data = pp.to_dict()
    data["star_list"] = []
    data[CONVENTION_KEY] = pp.convention
    data[INFO_KEY] = {"status": "night", "night": night, "n_stars": len(stars), "n_solutions": len(rows),
                      "residual_px": round(residual, 4), "before_px": round(before, 4)}  # fmt: skip
    path = nights_dir(history) / f"{night}.cal"
    atomic_write_text(path, json.dumps(data, indent=4, sort_keys=True) + "\n")
    return NightLens(path, pp, len(stars), residual, before)


def refit_nights(
    config: StationConfig, store: StateStore, start_utc: datetime, end_utc: datetime
) -> list[str]:
    """At dawn: prune every camera's history (:meth:`CalibrationHistory.prune`), refit its lens on the night
    that ended, and make the calibrate stage of the night's minutes pending again so that its meteors get
    the new lens; returns the plates written."""
    layout = StationLayout(config.station.data_dir)
    written = []
    for camera in config.cameras:
        history = CalibrationHistory(layout.calibration_dir(camera.id))
        history.prune(end_utc)
        lens = refit_night(history, f"{start_utc:%Y-%m-%d}", start_utc, end_utc)
        if lens is None:
            continue
        written.append(str(lens.path))
        log.info("%s: the lens refitted on %d stars of the night: %.3f px (the night's solutions: %.3f px)",
                 camera.id, lens.n_stars, lens.residual_px, lens.before_px)  # fmt: skip
        for day in sorted({f"{start_utc:%Y-%m-%d}", f"{end_utc:%Y-%m-%d}"}):
            store.reset("calibrate", day, camera.id)
    return written
