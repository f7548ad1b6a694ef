"""Recalibration: a plate solution carried to a new image's stars from a previous good one, or none.

A meteor camera is fixed on the ground, so a solution holds its pointing in hour angle and stays right
through the night unless the mount creeps (thermal drift, wind) or is knocked. RMS recalibrates the pointing
on every FF file with detections from the night's plate and trusts a fit of at least 20 matched stars with
a median residual at most 0.33 px (Vida et al. 2021, MNRAS 506, 5046, sect. 2.4.2). :class:`Recalibrator`
does the same, more guardedly:

1. **Cloud and coverage gate**: at least ``min_stars`` detected stars with at least ``min_per_quadrant`` in
   each image quadrant; otherwise no fit is tried (a cloudy or sparse image gives no solution, never a
   wrong one).
2. **Matching** from the previous solution: catalogue stars projected through it, one-to-one mutual nearest
   neighbours (KD-trees) within a shrinking radius (``radii_px``).
3. **Pointing fit**: least squares (scipy's trust-region reflective solver) of the field centre and the
   position angle on the forward model's sky residuals (pixel -> sky, as RMS fits), scale and distortion
   kept; matches more than 3 robust sigmas off are dropped and the fit repeated.
4. **Verdict**: solved only with ``min_matches`` matches within ``match_radius_px``, most of the
   ``n_verdict_stars`` brightest unsaturated detections among them, matches in every quadrant and a
   median residual at most ``max_median_residual_px``.
5. **Photometry**: the zero point of the matched unsaturated stars down to ``photometry_max_mag``
   (:mod:`calibration.photometry`).

:func:`refit_distortion` refits scale and radial distortion (and the pointing) on the matched stars of
many images of one night pooled (each with its own time: one solution fixed in hour angle must fit them
all), only when enough stars reaching the field's edge support it. :func:`pointing_change` and
:func:`judge_pointing` say whether a new solution agrees with the previous ones: a jump without a reason
is rejected; several successive solutions agreeing on a new pointing mean the camera moved.

Example::

    >>> recal = Recalibrator(load_hipparcos(6.0))                                           # doctest: +SKIP
    >>> r = recal(stars.x_px, stars.y_px, stars.intensity, t_utc, previous, stars.saturated)  # doctest: +SKIP
    >>> r.solved, r.median_residual_px, r.zero_point.mag_lev                               # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares
from scipy.spatial import cKDTree

from calibration.catalog import StarCatalog, julian_epoch
from calibration.fit import _fit_reverse, _own_layout
from calibration.photometry import PhotometrySettings, ZeroPoint, fit_zero_point
from calibration.platepar import Platepar, TimeLike, _jd_of

__all__ = [
    "PointingChange",
    "Recalibration",
    "RecalibrationSettings",
    "Recalibrator",
    "judge_pointing",
    "pointing_change",
    "refit_distortion",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class RecalibrationSettings:
    """Settings of :class:`Recalibrator` and of the pointing checks (module docstring)."""

    max_mag: float = 6.0
    min_stars: int = 25
    min_per_quadrant: int = 3
    radii_px: tuple[float, ...] = (10.0, 5.0, 3.0)
    match_radius_px: float = 2.0
    min_matches: int = 20
    n_verdict_stars: int = 40
    min_match_fraction: float = 0.5
    max_median_residual_px: float = 0.7
    max_jump_deg: float = 0.3
    confirm_moved: int = 3
    # Faint stars near the detection limit bias the zero point (measured on synthetic nights through
    # H.264: 0.3 mag with stars to V 6, 0.05 to V 4.5; UK0006's real FF files: 0.06 either way).
    photometry_max_mag: float = 4.5
    photometry: PhotometrySettings = field(default_factory=PhotometrySettings)

    def __post_init__(self) -> None:
        checks = {
            "min_stars": self.min_stars >= 6,
            "min_matches": self.min_matches >= 6,
            "min_per_quadrant": self.min_per_quadrant >= 0,
            "n_verdict_stars": self.n_verdict_stars >= 1,
            "min_match_fraction": 0 < self.min_match_fraction <= 1,
            "match_radius_px": self.match_radius_px > 0,
            "radii_px": bool(self.radii_px) and min(self.radii_px) > 0,
            "max_jump_deg": self.max_jump_deg > 0,
            "max_median_residual_px": self.max_median_residual_px > 0,
            "confirm_moved": self.confirm_moved >= 2,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"RecalibrationSettings.{name}={getattr(self, name)!r}: out of range")


@dataclass(frozen=True)
class Recalibration:
    """The outcome of a recalibration: a solution when ``solved``, else ``reason`` says why not.

    ``cloudy`` is True when the gate refused the image (too few or badly spread stars). The ``matched_*``
    arrays hold the matched stars: image position, summed intensity, catalogue position (J2000 frame, moved
    to the image's date by proper motion) and V.
    """

    solved: bool
    reason: str
    cloudy: bool
    platepar: Platepar | None
    n_detected: int
    n_matched: int = 0
    match_fraction: float = 0.0
    quadrant_counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    median_residual_px: float = math.inf
    p90_residual_px: float = math.inf
    zero_point: ZeroPoint | None = None
    matched_x_px: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_y_px: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_intensity: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_ra_deg: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_dec_deg: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_mag_v: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def median_residual_arcmin(self) -> float:
        """The median residual in arcmin of the solution's scale (inf without a solution)."""
        if self.platepar is None:
            return math.inf
        return self.median_residual_px / self.platepar.f_scale_px_per_deg * 60.0


def _quadrants(x: FloatArray, y: FloatArray, w: int, h: int) -> tuple[int, int, int, int]:
    cx, cy = w / 2.0, h / 2.0
    return (
        int(np.count_nonzero((x < cx) & (y < cy))),
        int(np.count_nonzero((x >= cx) & (y < cy))),
        int(np.count_nonzero((x < cx) & (y >= cy))),
        int(np.count_nonzero((x >= cx) & (y >= cy))),
    )


def _sky_residual_px(pp: Platepar, x: FloatArray, y: FloatArray, jd: FloatArray, ra: FloatArray,
                     dec: FloatArray) -> FloatArray:  # fmt: skip
    """Forward-model residuals (2N: east, north) in pixels of the plate's scale."""
    ra_f, dec_f = pp._pixel_to_sky_jd(x, y, jd)
    d_ra = (ra_f - ra + 180.0) % 360.0 - 180.0
    return np.concatenate([d_ra * np.cos(np.radians(dec)), dec_f - dec]) * pp.f_scale_px_per_deg


def _with_pointing(pp: Platepar, p: FloatArray) -> Platepar:
    return replace(pp, ra_ref_deg=float(np.mod(p[0], 360.0)), dec_ref_deg=float(np.clip(p[1], -90.0, 90.0)),
                   pos_angle_ref_deg=float(np.mod(p[2], 360.0)))  # fmt: skip


def _fit_pointing(pp: Platepar, x: FloatArray, y: FloatArray, jd: FloatArray, ra: FloatArray,
                  dec: FloatArray) -> tuple[Platepar, FloatArray]:  # fmt: skip
    """Least squares of the field centre and position angle; the fitted plate and residual norms (px)."""
    p0 = np.array([pp.ra_ref_deg, pp.dec_ref_deg, pp.pos_angle_ref_deg])
    sol = least_squares(lambda p: _sky_residual_px(_with_pointing(pp, p), x, y, jd, ra, dec), p0,
                        x_scale=np.full(3, 0.1), diff_step=1e-7, method="trf")  # fmt: skip
    fitted = _with_pointing(pp, sol.x)
    n = len(x)
    return fitted, np.hypot(sol.fun[:n], sol.fun[n:])


def fit_pointing(
    pp: Platepar, x_px: FloatArray, y_px: FloatArray, jd: FloatArray, ra_deg: FloatArray, dec_deg: FloatArray
) -> tuple[Platepar, FloatArray]:
    """Refit only a plate's pointing (field centre and position angle) to matched stars, its scale and
    distortion kept (RMS's ``fit_only_pointing``); returns the plate and each star's residual (px).

    ``x_px``, ``y_px``: the stars' measured positions; ``jd``: their times (Julian dates, UTC);
    ``ra_deg``, ``dec_deg``: their catalogue positions (J2000).

    >>> plate, residual_px = fit_pointing(pp, x, y, jd, ra, dec)   # doctest: +SKIP
    """
    arrays = (np.asarray(v, dtype=np.float64) for v in (x_px, y_px, jd, ra_deg, dec_deg))
    return _fit_pointing(pp, *arrays)


def _mutual_nearest(xd: FloatArray, yd: FloatArray, xc: FloatArray, yc: FloatArray,
                    radius: float) -> tuple[IntArray, IntArray]:  # fmt: skip
    """One-to-one pairs (detected index, catalogue index), each the other's nearest within ``radius``."""
    if len(xd) == 0 or len(xc) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d = np.column_stack([xd, yd])
    c = np.column_stack([xc, yc])
    dist_dc, j = cKDTree(c).query(d, distance_upper_bound=radius)
    _, i_back = cKDTree(d).query(c)
    i = np.arange(len(xd))
    ok = np.isfinite(dist_dc)
    ok[ok] &= i_back[j[ok]] == i[ok]
    return i[ok].astype(np.int64), j[ok].astype(np.int64)


class Recalibrator:
    """Carry a plate solution to the stars of a new image (module docstring).

    Settings and catalogue in the constructor; stars, time and the previous solution in the call.
    """

    def __init__(self, catalog: StarCatalog, settings: RecalibrationSettings | None = None) -> None:
        self.settings = settings or RecalibrationSettings()
        self.catalog = catalog.brighter_than(self.settings.max_mag)

    def catalog_at(self, jd: float) -> StarCatalog:
        """The catalogue at the epoch of ``jd`` (proper motion applied; cached per 0.01 yr)."""
        return self.catalog.at_epoch(julian_epoch(jd))

    def project(self, pp: Platepar, jd: float) -> tuple[FloatArray, FloatArray, IntArray]:
        """Catalogue stars that ``pp`` puts inside its image at ``jd``: x, y (px) and catalogue index
        (into :meth:`catalog_at` of ``jd``)."""
        ra_c, dec_c = pp._pixel_to_sky_jd(pp.x_res_px / 2.0, pp.y_res_px / 2.0, np.array(jd))
        cat = self.catalog_at(jd)
        cos_sep = np.sin(np.radians(cat.dec_deg)) * np.sin(np.radians(dec_c)) + np.cos(
            np.radians(cat.dec_deg)
        ) * np.cos(np.radians(dec_c)) * np.cos(np.radians(cat.ra_deg - ra_c))
        # Only the field's own cone: far outside it the projection and the reverse polynomial fold stars
        # back into the image (fit.py measured it on UK0006).
        cone_deg = min(90.0, 1.2 * math.hypot(pp.x_res_px, pp.y_res_px) / 2.0 / pp.f_scale_px_per_deg)
        near = np.flatnonzero(cos_sep > math.cos(math.radians(cone_deg)))
        x, y = pp._sky_to_pixel_jd(cat.ra_deg[near], cat.dec_deg[near], np.array(jd))
        inside = np.isfinite(x) & (x >= 0) & (x <= pp.x_res_px - 1) & (y >= 0) & (y <= pp.y_res_px - 1)
        return x[inside], y[inside], near[inside].astype(np.int64)

    def __call__(
        self,
        x_px: ArrayLike,
        y_px: ArrayLike,
        intensity: ArrayLike,
        t_utc: datetime | TimeLike,
        previous: Platepar,
        saturated: ArrayLike | None = None,
    ) -> Recalibration:
        """Recalibrate ``previous`` on the stars at ``x_px``, ``y_px`` (brightest first) seen at ``t_utc``."""
        s = self.settings
        xd = np.asarray(x_px, dtype=np.float64).ravel()
        yd = np.asarray(y_px, dtype=np.float64).ravel()
        inten = np.asarray(intensity, dtype=np.float64).ravel()
        sat = np.zeros(len(xd), bool) if saturated is None else np.asarray(saturated, bool).ravel()
        jd = float(np.asarray(_jd_of(t_utc)).ravel()[0])
        w, h = previous.x_res_px, previous.y_res_px
        quads = _quadrants(xd, yd, w, h)
        if len(xd) < s.min_stars or min(quads) < s.min_per_quadrant:
            why = f"cloudy or sparse: {len(xd)} stars detected (quadrants {quads}); the gate needs " \
                  f"{s.min_stars} with {s.min_per_quadrant} per quadrant"  # fmt: skip
            return Recalibration(False, why, True, None, len(xd), quadrant_counts=quads)
        pp = previous
        jd_arr = np.full(1, jd)
        i = j = np.zeros(0, np.int64)
        res = np.zeros(0)
        cat = self.catalog_at(jd)
        for radius in (*s.radii_px, s.match_radius_px):
            xc, yc, idx = self.project(pp, jd)
            i, jj = _mutual_nearest(xd, yd, xc, yc, radius)
            j = idx[jj]
            if len(i) < 6:
                return Recalibration(False, f"only {len(i)} stars matched within {radius:g} px", False, None,
                                     len(xd), len(i), quadrant_counts=quads)  # fmt: skip
            ra, dec = cat.ra_deg[j], cat.dec_deg[j]
            pp, res = _fit_pointing(pp, xd[i], yd[i], jd_arr, ra, dec)
            robust = 1.4826 * np.median(np.abs(res - np.median(res)))
            keep = res <= max(float(np.median(res) + 3.0 * robust), 0.5)
            if np.count_nonzero(~keep) > 0 and np.count_nonzero(keep) >= 6:
                i, j = i[keep], j[keep]
                pp, res = _fit_pointing(pp, xd[i], yd[i], jd_arr, cat.ra_deg[j], cat.dec_deg[j])
        return self._verdict(pp, xd, yd, inten, sat, i, j, res, jd)

    def _verdict(self, pp: Platepar, xd: FloatArray, yd: FloatArray, inten: FloatArray,
                 sat: NDArray[np.bool_], i: IntArray, j: IntArray, res: FloatArray,
                 jd: float) -> Recalibration:  # fmt: skip
        s = self.settings
        unsat = np.flatnonzero(~sat)
        top = unsat[: s.n_verdict_stars]
        fraction = float(np.count_nonzero(np.isin(top, i)) / max(len(top), 1))
        quads = _quadrants(xd[i], yd[i], pp.x_res_px, pp.y_res_px)
        med = float(np.median(res)) if len(res) else math.inf
        reasons = []
        if len(i) < s.min_matches:
            reasons.append(f"{len(i)} stars matched, fewer than {s.min_matches}")
        if fraction < s.min_match_fraction:
            reasons.append(f"{fraction:.0%} of the {len(top)} brightest stars matched, "
                           f"fewer than {s.min_match_fraction:.0%}")  # fmt: skip
        if min(quads) < max(s.min_per_quadrant, 1):
            reasons.append(f"matches per quadrant {quads}: the field is not covered")
        if med > s.max_median_residual_px:
            reasons.append(f"median residual {med:.2f} px above {s.max_median_residual_px} px")
        us = round((jd - 2440587.5) * 86400e6)
        t = np.array([np.datetime64("1970-01-01T00:00:00", "us") + np.timedelta64(us, "us")])
        cat = self.catalog_at(jd)
        use = ~sat[i] & (cat.mag_v[j] <= s.photometry_max_mag)
        zp = fit_zero_point(pp, xd[i][use], yd[i][use], t, inten[i][use], cat.mag_v[j][use],
                            s.photometry)  # fmt: skip
        solved = not reasons
        return Recalibration(
            solved=solved, reason="; ".join(reasons) if reasons else "solved", cloudy=False,
            platepar=zp.apply(pp) if solved else None, n_detected=len(xd), n_matched=len(i),
            match_fraction=fraction, quadrant_counts=quads, median_residual_px=med,
            p90_residual_px=float(np.percentile(res, 90)) if len(res) else math.inf, zero_point=zp,
            matched_x_px=xd[i], matched_y_px=yd[i], matched_intensity=inten[i],
            matched_ra_deg=cat.ra_deg[j], matched_dec_deg=cat.dec_deg[j], matched_mag_v=cat.mag_v[j],
        )  # fmt: skip


# ---------------------------------------------------------------------------------------- night, checks


def refit_distortion(
    platepar: Platepar,
    x_px: ArrayLike,
    y_px: ArrayLike,
    t_utc: TimeLike,
    ra_deg: ArrayLike,
    dec_deg: ArrayLike,
    *,
    min_stars: int = 150,
    min_outer: int = 30,
) -> tuple[Platepar, FloatArray] | None:
    """Pointing, scale and radial distortion refitted on matched stars pooled over a night, or None.

    Each star has its own time (one solution, fixed in hour angle, must fit the whole night). Only a
    radial-odd plate laid out as :mod:`calibration.fit` makes them is refitted, and only with at least
    ``min_stars`` stars of which ``min_outer`` lie beyond 60 % of the half-width from the centre (the
    distortion terms act there); the reverse polynomial is refitted to the forward one. Returns the plate
    and the residual norms (px), or None when the stars do not support a refit.
    """
    x = np.asarray(x_px, dtype=np.float64).ravel()
    y = np.asarray(y_px, dtype=np.float64).ravel()
    ra, dec = np.asarray(ra_deg, dtype=np.float64).ravel(), np.asarray(dec_deg, dtype=np.float64).ravel()
    jd = np.asarray(_jd_of(t_utc), dtype=np.float64).ravel()
    jd = np.broadcast_to(jd, x.shape) if jd.size == 1 else jd
    w, h = platepar.x_res_px, platepar.y_res_px
    outer = np.hypot(x - w / 2.0, y - h / 2.0) / (w / 2.0) > 0.6
    if not _own_layout(platepar) or len(x) < min_stars or np.count_nonzero(outer) < min_outer:
        return None
    coeffs0 = np.asarray(platepar.x_poly_fwd, dtype=np.float64)

    def model(p: FloatArray) -> Platepar:
        pp = _with_pointing(platepar, p[:3])
        c = tuple(float(v) for v in p[4:])
        return replace(pp, f_scale_px_per_deg=float(math.exp(p[3])), x_poly_fwd=c, x_poly_rev=c)

    p0 = np.concatenate([[platepar.ra_ref_deg, platepar.dec_ref_deg, platepar.pos_angle_ref_deg,
                          math.log(platepar.f_scale_px_per_deg)], coeffs0])  # fmt: skip
    keep = np.ones(len(x), bool)
    for _ in range(2):
        args = (x[keep], y[keep], jd[keep], ra[keep], dec[keep])
        sol = least_squares(
            lambda p, a=args: _sky_residual_px(model(p), *a), p0, diff_step=1e-7, method="trf"
        )
        p0 = sol.x
        res_all = _sky_residual_px(model(p0), x, y, jd, ra, dec)
        norm = np.hypot(res_all[: len(x)], res_all[len(x) :])
        mad = float(np.median(np.abs(norm - np.median(norm))))
        keep = norm <= max(float(np.median(norm)) + 3.0 * 1.4826 * mad, 0.5)
    fitted = _fit_reverse(model(p0))
    return fitted, norm


@dataclass(frozen=True)
class PointingChange:
    """How far one solution's field is from another's at one time: the image centre's offset on the sky
    and the turn of the field about it (deg, az/alt of date)."""

    offset_deg: float
    rotation_deg: float

    @property
    def largest_deg(self) -> float:
        """The larger of the two: what a jump threshold is compared with."""
        return max(self.offset_deg, abs(self.rotation_deg))


def _separation_deg(az1: FloatArray, alt1: FloatArray, az2: FloatArray, alt2: FloatArray) -> FloatArray:
    a1, e1, a2, e2 = (np.radians(v) for v in (az1, alt1, az2, alt2))
    c = np.sin(e1) * np.sin(e2) + np.cos(e1) * np.cos(e2) * np.cos(a1 - a2)
    return np.asarray(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def _bearing_deg(az1: float, alt1: float, az2: float, alt2: float) -> float:
    a1, e1, a2, e2 = (math.radians(v) for v in (az1, alt1, az2, alt2))
    east = math.sin(a2 - a1) * math.cos(e2)
    north = math.cos(e1) * math.sin(e2) - math.sin(e1) * math.cos(e2) * math.cos(a2 - a1)
    return math.degrees(math.atan2(east, north))


def pointing_change(a: Platepar, b: Platepar, t_utc: datetime) -> PointingChange:
    """The change of pointing from solution ``a`` to ``b`` (same camera) at ``t_utc``."""
    w, h = a.x_res_px, a.y_res_px
    xs, ys = np.array([w / 2.0, w / 2.0 + w / 4.0]), np.array([h / 2.0, h / 2.0])
    az_a, alt_a = a.pixel_to_altaz(xs, ys, t_utc)
    az_b, alt_b = b.pixel_to_altaz(xs, ys, t_utc)
    offset = float(_separation_deg(az_a[0], alt_a[0], az_b[0], alt_b[0]))
    turn_a = _bearing_deg(az_a[0], alt_a[0], az_a[1], alt_a[1])
    turn_b = _bearing_deg(az_b[0], alt_b[0], az_b[1], alt_b[1])
    return PointingChange(offset, (turn_b - turn_a + 180.0) % 360.0 - 180.0)


def judge_pointing(
    new: Platepar,
    t_utc: datetime,
    accepted: Sequence[Platepar],
    unconfirmed: Sequence[Platepar],
    settings: RecalibrationSettings | None = None,
) -> tuple[str, PointingChange | None]:
    """Whether a new solution agrees with the previous ones: ``"accepted"``, ``"jump"`` or ``"moved"``.

    ``accepted`` are the accepted solutions before it (the nearest in time last), ``unconfirmed`` those
    rejected as jumps since then. A solution within ``max_jump_deg`` of the last accepted one is accepted;
    one that is not is a jump (rejected) unless ``confirm_moved - 1`` unconfirmed solutions agree with it:
    then the camera moved and the new pointing is accepted. The change from the last accepted solution is
    returned with the verdict (None for the first solution).
    """
    s = settings or RecalibrationSettings()
    if not accepted:
        return "accepted", None
    change = pointing_change(accepted[-1], new, t_utc)
    if change.largest_deg <= s.max_jump_deg:
        return "accepted", change
    agreeing = [u for u in unconfirmed if pointing_change(u, new, t_utc).largest_deg <= s.max_jump_deg]
    return ("moved" if len(agreeing) >= s.confirm_moved - 1 else "jump"), change
