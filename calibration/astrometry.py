"""Meteor astrometry and photometry: a meteor's measured points through a plate solution.

:func:`meteor_sky` takes an RMS :class:`~calibration.platepar.Platepar`, the station's location and a meteor's
frame points (``x_px``, ``y_px``, ``t_utc``, ``intensity``) and returns, per point, the J2000 right ascension
and declination, the azimuth (east of north) and altitude of date without refraction, and the apparent
magnitude, as RMS writes them in its FTPdetectinfo files (RMS ``applyAstrometryFTPdetectinfo``:
``xyToRaDecPP`` then ``raDec2AltAz`` of the precessed direction; magnitudes from the platepar's photometric
offset ``mag_lev`` with vignetting and extinction, :meth:`Platepar.magnitude`). :func:`solution_summary`
gives what a meteor record's ``calibration`` block says of the solution: its id, residual and star count.

Known answers (tests/calibration/test_astrometry.py): the UK005U night's 3,046 points reproduce RMS's
columns to a fraction of an arcsecond; UK0006's two meteors of 2022 to about an arcminute (the legacy
convention, RMS's own plate of that night).

Example::

    >>> sky = meteor_sky(pp, x_px, y_px, t_utc, intensity,
    ...                  lat_deg=51.8831, lon_deg=-1.30616, elevation_m=80.0)  # doctest: +SKIP
    >>> sky.ra_deg[0], sky.mag[0]                                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration.platepar import Platepar, TimeLike

__all__ = ["MeteorSky", "SolutionSummary", "meteor_sky", "solution_summary", "star_residuals_px"]

FloatArray = NDArray[np.float64]

#: The station given and the plate's own may differ by this much (deg, about 1 km): a plate of another
#: site would put the sky in the wrong place, since its pointing is held in hour angle at its longitude.
SITE_TOLERANCE_DEG = 0.01


@dataclass(frozen=True)
class MeteorSky:
    """Per point: J2000 ``ra_deg``, ``dec_deg``; ``az_deg`` (east of north, [0, 360)) and ``alt_deg`` of
    date without refraction; apparent ``mag`` (NaN where the intensity is not positive)."""

    ra_deg: FloatArray
    dec_deg: FloatArray
    az_deg: FloatArray
    alt_deg: FloatArray
    mag: FloatArray


@dataclass(frozen=True)
class SolutionSummary:
    """What a calibrated meteor record says of its plate solution.

    ``residual_px`` / ``residual_arcmin`` are the median residual of the solution's matched stars and
    ``n_stars`` their number, or None when the solution does not carry them; ``mag_lev`` is the plate's
    photometric zero point and ``mag_scatter`` the scatter of its matched stars about it (mag), when known.
    """

    solution_id: str
    convention: str
    residual_px: float | None = None
    residual_arcmin: float | None = None
    n_stars: int | None = None
    mag_lev: float | None = None
    mag_scatter: float | None = None

    def to_json(self) -> dict[str, object]:
        """The record's ``calibration`` block (``stationd.meteor/1``)."""
        return {
            "solution_id": self.solution_id,
            "convention": self.convention,
            "residual_px": self.residual_px,
            "residual_arcmin": self.residual_arcmin,
            "n_stars": self.n_stars,
            **({"mag_lev": self.mag_lev} if self.mag_lev is not None else {}),
            **({"mag_scatter": self.mag_scatter} if self.mag_scatter is not None else {}),
        }


def _at_site(pp: Platepar, lat_deg: float, lon_deg: float, elevation_m: float) -> Platepar:
    """``pp`` at the station: refused when its own site is elsewhere; the elevation is the station's."""
    dlon = (lon_deg - pp.lon_deg + 180.0) % 360.0 - 180.0
    if abs(lat_deg - pp.lat_deg) > SITE_TOLERANCE_DEG or abs(dlon) > SITE_TOLERANCE_DEG:
        raise ValueError(
            f"the plate solution is of a site at lat {pp.lat_deg:.4f}, lon {pp.lon_deg:.4f}, not of the "
            f"station at lat {lat_deg:.4f}, lon {lon_deg:.4f} (tolerance {SITE_TOLERANCE_DEG} deg)"
        )
    return replace(pp, elevation_m=float(elevation_m))


def meteor_sky(
    platepar: Platepar,
    x_px: ArrayLike,
    y_px: ArrayLike,
    t_utc: TimeLike,
    intensity: ArrayLike,
    *,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float,
) -> MeteorSky:
    """Sky positions and magnitudes of a meteor's points (see the module docstring).

    Parameters
    ----------
    platepar : Platepar
        The plate solution of the camera, with the pointing convention it was fitted with.
    x_px, y_px : array_like
        Centroids (0-based, pixel centres on integers, x right, y down).
    t_utc : datetime, sequence of datetimes or datetime64 array
        UTC time of each point (one for all, or one per point).
    intensity : array_like
        Summed background-subtracted level of each point (DN), as RMS's ``Inten`` column.
    lat_deg, lon_deg, elevation_m : float
        The station (east longitude positive, metres above mean sea level). The plate must be of the same
        site (within :data:`SITE_TOLERANCE_DEG`); the station's elevation is used for extinction.

    Returns
    -------
    MeteorSky
    """
    pp = _at_site(platepar, lat_deg, lon_deg, elevation_m)
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    inten = np.asarray(intensity, dtype=np.float64)
    ra, dec = pp.pixel_to_sky(x, y, t_utc)
    az, alt = pp.pixel_to_altaz(x, y, t_utc)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = pp.magnitude(np.where(inten > 0, inten, np.nan), x, y, t_utc)
    return MeteorSky(
        ra_deg=np.mod(ra, 360.0), dec_deg=dec, az_deg=az, alt_deg=alt, mag=np.where(inten > 0, mag, np.nan)
    )


def star_residuals_px(
    platepar: Platepar,
    x_px: ArrayLike,
    y_px: ArrayLike,
    t_utc: TimeLike,
    ra_deg: ArrayLike,
    dec_deg: ArrayLike,
) -> FloatArray:
    """Angular distance (in pixels of the plate scale) between matched stars' catalogue positions and where
    the plate puts their image positions: the residuals RMS reports for a fit."""
    ra, dec = platepar.pixel_to_sky(x_px, y_px, t_utc)
    a, b = np.radians(ra), np.radians(dec)
    c, d = np.radians(np.asarray(ra_deg, dtype=np.float64)), np.radians(np.asarray(dec_deg, dtype=np.float64))
    cos_sep = np.sin(b) * np.sin(d) + np.cos(b) * np.cos(d) * np.cos(a - c)
    return np.asarray(np.degrees(np.arccos(np.clip(cos_sep, -1.0, 1.0))) * platepar.f_scale_px_per_deg)


def solution_summary(
    platepar: Platepar,
    solution_id: str,
    *,
    star_x_px: ArrayLike | None = None,
    star_y_px: ArrayLike | None = None,
    star_t_utc: TimeLike | None = None,
    star_ra_deg: ArrayLike | None = None,
    star_dec_deg: ArrayLike | None = None,
) -> SolutionSummary:
    """The summary of a solution for a meteor record; with its matched stars, their median residual.

    Without stars (or with none) the residual and star count are None: not known, rather than made up.
    """
    stars = (star_x_px, star_y_px, star_t_utc, star_ra_deg, star_dec_deg)
    if any(s is None for s in stars) or np.size(np.asarray(star_x_px)) == 0:
        return SolutionSummary(solution_id, platepar.convention)
    res = star_residuals_px(platepar, *stars)  # type: ignore[arg-type]
    med = float(np.median(res))
    return SolutionSummary(
        solution_id=solution_id,
        convention=platepar.convention,
        residual_px=round(med, 4),
        residual_arcmin=round(med / platepar.f_scale_px_per_deg * 60.0, 4),
        n_stars=len(res),
    )
