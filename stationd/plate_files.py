"""``stationd calibrate FILE...`` without a station: a plate solution from the stars of FF files.

Each file's stars (extracted from the FF average image, the station mask out) are fitted from the coarse
guess (a :class:`~calibration.camera.CameraModel`) or a starting plate (a
:class:`~calibration.platepar.Platepar`), each file on its own; the best solution (most matched stars) is the
command's. With no guess (``None``) each file is solved blind (:class:`~calibration.blind.BlindSolver`: star
patterns, then the same guided fit). Stars are dated at the middle of the FF block, as RMS dates them. Minute
videos and stack images are not read yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from calibration import (
    BlindSolver,
    CameraModel,
    PlateFit,
    PlateFitter,
    Platepar,
    StarFinder,
    load_hipparcos,
    zero_point_of_fit,
)
from detection import read_ff
from detection.errors import DetectionError

__all__ = ["FilePlate", "calibrate_files"]


@dataclass(frozen=True)
class FilePlate:
    """The fit of one file (``fit`` None, with ``reason``, when the file cannot be read)."""

    path: Path
    fit: PlateFit | None
    n_stars: int
    reason: str
    az_deg: float | None = None
    alt_deg: float | None = None
    blind: str | None = None
    mag_lev: float | None = None  # the photometric zero point of the matched stars (None: too few)
    mag_scatter: float | None = None  # its scatter (mag)
    n_photometric: int = 0  # stars it rests on

    @property
    def solved(self) -> bool:
        """A solution was found for this file."""
        return self.fit is not None and self.fit.solved


def calibrate_files(
    paths: list[Path],
    guess: CameraModel | Platepar | None,
    *,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float,
    mask: np.ndarray | None = None,
) -> list[FilePlate]:
    """Fit each FF file's stars from ``guess``, or blind when it is None (module docstring); unreadable
    files give ``fit=None``; ``blind`` names the lens hypothesis of a blind solution."""
    catalog = load_hipparcos(6.0)
    fitter = PlateFitter(catalog)
    solver = BlindSolver(catalog) if guess is None else None
    out = []
    for path in paths:
        try:
            ff = read_ff(path)
        except DetectionError as exc:
            out.append(FilePlate(path, None, 0, f"cannot read {path.name}: {getattr(exc, 'reason', exc)}"))
            continue
        if mask is not None and mask.shape != ff.planes.avepixel.shape:
            out.append(
                FilePlate(path, None, 0, f"the mask is {mask.shape}, the image {ff.planes.avepixel.shape}")
            )
            continue
        stars = StarFinder()(ff.planes.avepixel, mask)
        t = ff.start_utc + timedelta(seconds=ff.planes.nframes / 2 / ff.fps)
        site = {"lat_deg": lat_deg, "lon_deg": lon_deg, "elevation_m": elevation_m}
        hypothesis = None
        if solver is not None:
            h, w = ff.planes.avepixel.shape
            found = solver(stars.x_px, stars.y_px, int(w), int(h), t, **site)
            fit, hypothesis = found.fit, found.hypothesis
        else:
            assert guess is not None
            fit = fitter(stars.x_px, stars.y_px, t, guess, **site)
        az = alt = None
        zp = None
        if fit.platepar is not None:
            zp = zero_point_of_fit(fit, stars, t)
            if zp.ok:  # the plate's magnitude model (RMS mag_lev) from the matched stars
                fit = replace(fit, platepar=zp.apply(fit.platepar))
            pp = fit.platepar
            assert pp is not None
            a, b = pp.pixel_to_altaz(pp.x_res_px / 2.0, pp.y_res_px / 2.0, t)
            az, alt = float(a), float(b)
        photometry = (zp.mag_lev, zp.scatter_mag, zp.n_used) if zp is not None and zp.ok else (None, None, 0)
        out.append(FilePlate(path, fit, len(stars), fit.reason, az, alt, hypothesis, *photometry))
    return out
