"""Photometry: the zero point of a plate from its matched stars, as RMS's magnitude model means it.

RMS gives a point of summed intensity ``I`` (background-subtracted DN over the point's pixels, in a single
frame or the FF average image) at image position ``(x, y)`` the magnitude (:meth:`Platepar.magnitude`)::

    m = -2.5 log10(I / cos(v r)^4) + mag_lev - s (E(alt) - E(90))

with ``v`` the vignetting coefficient, ``r`` the distance from the image centre, ``s`` the extinction
scale and ``E`` the extinction at a true altitude (Green 1992). ``mag_lev`` is the zero point: the
magnitude of a point of one DN at the centre, at the zenith. For a matched star of catalogue magnitude
``m_cat`` in the camera's band each star gives one estimate ``m_cat - (m - mag_lev)``; the zero point is
their sigma-clipped mean (outliers are blends, stars near the saturation level, variable stars and
mismatches), and the scatter of the kept estimates says how well the model fits (RMS reports the same
standard deviation of the photometric fit; a good night gives 0.1-0.2 mag).

Saturated stars are left out by the caller (their summed intensity only bounds their light from below).

Known answers (tests/calibration/test_photometry.py): RMS's own star lists of UK0006 (2022) and of the six
AU_perth cameras carry intensities and catalogue magnitudes, and their platepars RMS's fitted ``mag_lev``.

Example::

    >>> zp = fit_zero_point(pp, x_px, y_px, t_utc, intensity, mag_cat)   # doctest: +SKIP
    >>> pp = zp.apply(pp); zp.mag_lev, zp.scatter_mag, zp.n_used          # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration.platepar import Platepar, TimeLike

if TYPE_CHECKING:
    from calibration.fit import PlateFit
    from calibration.stars import StarList

__all__ = ["PhotometrySettings", "ZeroPoint", "fit_zero_point", "zero_point_of_fit"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PhotometrySettings:
    """Settings of :func:`fit_zero_point`: clipping at ``clip_sigma`` robust sigmas, at most ``max_iter``
    rounds; at least ``min_stars`` stars must remain for a zero point."""

    clip_sigma: float = 2.5
    max_iter: int = 10
    min_stars: int = 5

    def __post_init__(self) -> None:
        if not self.clip_sigma > 0:
            raise ValueError(f"PhotometrySettings.clip_sigma={self.clip_sigma!r}: expected > 0")
        if self.max_iter < 1:
            raise ValueError(f"PhotometrySettings.max_iter={self.max_iter!r}: expected an integer >= 1")
        if self.min_stars < 2:
            raise ValueError(f"PhotometrySettings.min_stars={self.min_stars!r}: expected an integer >= 2")


@dataclass(frozen=True)
class ZeroPoint:
    """A photometric zero point (``mag_lev``) with its scatter and the stars it rests on.

    ``ok`` is False (and ``mag_lev`` NaN) when fewer than the settings' ``min_stars`` usable stars remain;
    ``reason`` says why. ``residuals_mag`` (catalogue minus model, per input star; NaN where unusable) and
    ``used`` (the stars kept by the clipping) follow the input order.
    """

    ok: bool
    reason: str
    mag_lev: float
    scatter_mag: float
    n_stars: int
    n_used: int
    residuals_mag: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    used: NDArray[np.bool_] = field(repr=False, default_factory=lambda: np.zeros(0, bool))

    def apply(self, platepar: Platepar) -> Platepar:
        """``platepar`` with this zero point as its ``mag_lev`` (unchanged when not ``ok``)."""
        return replace(platepar, mag_lev=self.mag_lev) if self.ok else platepar

    def to_json(self) -> dict[str, object]:
        """``mag_lev``, ``scatter_mag``, ``n_stars`` and ``n_used`` (rounded; None where not known)."""
        return {
            "mag_lev": round(self.mag_lev, 4) if self.ok else None,
            "scatter_mag": round(self.scatter_mag, 4) if self.ok else None,
            "n_stars": self.n_stars,
            "n_used": self.n_used,
        }


def _clipped_mean(values: FloatArray, settings: PhotometrySettings) -> tuple[float, float, NDArray[np.bool_]]:
    """Mean and standard deviation of ``values`` after iterative clipping about the median (robust start)."""
    keep = np.isfinite(values)
    centre = float(np.median(values[keep]))
    for _ in range(settings.max_iter):
        kept = values[keep]
        sigma = max(1.4826 * float(np.median(np.abs(kept - centre))), float(np.std(kept)) * 0.5, 1e-3)
        new = np.isfinite(values) & (np.abs(values - centre) <= settings.clip_sigma * sigma)
        if np.count_nonzero(new) < settings.min_stars:
            break
        centre = float(np.mean(values[new]))
        if np.array_equal(new, keep):
            break
        keep = new
    kept = values[keep]
    return float(np.mean(kept)), float(np.std(kept, ddof=1)) if len(kept) > 1 else math.nan, keep


def fit_zero_point(
    platepar: Platepar,
    x_px: ArrayLike,
    y_px: ArrayLike,
    t_utc: TimeLike,
    intensity: ArrayLike,
    mag_cat: ArrayLike,
    settings: PhotometrySettings | None = None,
) -> ZeroPoint:
    """The zero point ``mag_lev`` that makes ``platepar`` give matched stars their catalogue magnitudes.

    Parameters
    ----------
    platepar : Platepar
        The plate solution (its vignetting and extinction scale are kept; its ``mag_lev`` is ignored).
    x_px, y_px : array_like
        Star centroids (0-based, centres on integers, x right, y down).
    t_utc : datetime, sequence of datetimes or datetime64 array
        When each star was seen (one for all or one per star), for its altitude (extinction).
    intensity : array_like
        Summed background-subtracted intensity of each star (DN), as RMS's star lists carry it.
    mag_cat : array_like
        Catalogue magnitude of each star in the camera's band.
    settings : PhotometrySettings, optional

    Returns
    -------
    ZeroPoint
        Stars without a positive intensity or a finite magnitude are not used.
    """
    s = settings or PhotometrySettings()
    inten = np.asarray(intensity, dtype=np.float64).ravel()
    cat = np.asarray(mag_cat, dtype=np.float64).ravel()
    x = np.asarray(x_px, dtype=np.float64).ravel()
    y = np.asarray(y_px, dtype=np.float64).ravel()
    n = len(inten)
    if not (len(cat) == len(x) == len(y) == n):
        raise ValueError(f"fit_zero_point: {len(x)} x, {len(y)} y, {n} intensities and {len(cat)} magnitudes")
    usable = np.isfinite(inten) & (inten > 0) & np.isfinite(cat)
    residuals = np.full(n, np.nan)
    if np.count_nonzero(usable) < s.min_stars:
        reason = f"{int(np.count_nonzero(usable))} usable stars, fewer than {s.min_stars}"
        return ZeroPoint(False, reason, math.nan, math.nan, n, 0, residuals, np.zeros(n, bool))
    t = t_utc if np.size(np.asarray(t_utc, dtype=object)) == 1 else np.asarray(t_utc)[usable]
    zero = replace(platepar, mag_lev=0.0)
    model = zero.magnitude(inten[usable], x[usable], y[usable], t)
    estimates = np.full(n, np.nan)
    estimates[usable] = cat[usable] - model
    mag_lev, scatter, used = _clipped_mean(estimates, s)
    residuals[usable] = estimates[usable] - mag_lev
    n_used = int(np.count_nonzero(used))
    if n_used < s.min_stars:
        reason = f"{n_used} stars left after clipping, fewer than {s.min_stars}"
        return ZeroPoint(False, reason, math.nan, math.nan, n, n_used, residuals, used)
    return ZeroPoint(True, "fitted", mag_lev, scatter, n, n_used, residuals, used)


#: Stars fainter than this are left out of a fit's zero point: near the detection limit they are measured
#: biased (0.3 mag on synthetic nights through H.264 with stars to V 6; 0.05 to V 4.5).
ZERO_POINT_MAX_MAG = 4.5


def zero_point_of_fit(
    fit: PlateFit, stars: StarList, t_utc: TimeLike, settings: PhotometrySettings | None = None
) -> ZeroPoint:
    """The zero point of a :class:`~calibration.fit.PlateFit`'s matched stars, their intensities taken
    from the :class:`~calibration.stars.StarList` it was fitted to (saturated stars and stars fainter than
    :data:`ZERO_POINT_MAX_MAG` left out). ``zp.apply(fit.platepar)`` is the plate with its ``mag_lev``.
    """
    if fit.platepar is None:
        return ZeroPoint(False, "no solution", math.nan, math.nan, 0, 0)
    index = {(float(x), float(y)): k for k, (x, y) in enumerate(zip(stars.x_px, stars.y_px, strict=True))}
    matched = zip(fit.matched_x_px, fit.matched_y_px, strict=True)
    k = np.array([index.get((float(x), float(y)), -1) for x, y in matched], dtype=np.int64)
    use = (k >= 0) & (fit.matched_mag_v <= ZERO_POINT_MAX_MAG)
    use[use] &= ~stars.saturated[k[use]]
    return fit_zero_point(fit.platepar, fit.matched_x_px[use], fit.matched_y_px[use], t_utc,
                          stars.intensity[k[use]], fit.matched_mag_v[use], settings)  # fmt: skip
