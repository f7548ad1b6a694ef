"""The automatic first calibration: a plate solution from extracted stars and a coarse guess, or none.

:class:`PlateFitter` (settings and catalogue in the constructor, stars, time and guess in the call) returns
a :class:`PlateFit`: an RMS :class:`~calibration.platepar.Platepar` (``radialN-odd`` distortion, current
RMS pointing convention) with its matched stars and residuals, or ``solved=False`` and the reason. A wrong
solution is worse than none, so the verdict is strict; "no solution" is a normal result (STYLE 8). The
catalogue is taken at the epoch of the stars' time (:meth:`~calibration.catalog.StarCatalog.at_epoch`,
cached per 0.01 yr), so the matched RA/Dec are J2000-frame positions of that date, as RMS matches them.

Steps:

1. **Guess**: a :class:`~calibration.camera.CameraModel` (coarse az/alt/rotation/field of view) is turned
   into a distortion-free platepar by fitting its pointing to a grid of the camera model's directions; a
   :class:`Platepar` is used as it is.
2. **Alignment vote**: the brightest detected stars against the brightest catalogue stars projected
   through the guess; for each rotation and scale on a grid about the image centre (the guess may be off by
   10 deg and 15 %), every detected-catalogue pair votes for a translation; the fullest cell wins (the
   Hough transform of a similarity; Stetson's and astroalign's matching do the same with triangles).
3. **Iterative fit**: one-to-one matches (mutual nearest neighbours) within a shrinking radius, Levenberg-
   Marquardt least squares of the pointing (RA/Dec of the centre, position angle, scale) on the sky
   residuals of the forward model (pixel -> sky, as RMS fits), matches more than 3 robust sigmas off
   dropped; radial distortion terms (``radial3-odd``, then ``radial5-odd`` and ``radial7-odd`` with the
   distortion centre) only when enough stars reaching the field's edge support them; after every fit the
   reverse polynomial is refitted to the forward one on a grid (linear least squares), as RMS does, so
   that the catalogue stars projected for the next match land where the forward model puts them.
   With ``max_distortion="none"`` and a plate as the guess, the plate's lens is kept as it is and only the
   pointing and scale are refitted (the recalibration of a minute from a good solution).
4. **Verdict**: solved only when at least ``min_matches`` stars match within ``match_radius_px``, most of
   the brightest detected stars are among them (``min_match_fraction``), all four quadrants hold matches and
   the median residual is at most ``max_median_residual_px``.

Plain numpy: matching is a dense distance matrix (a few hundred by a few thousand stars, milliseconds) and
the least squares have at most nine parameters, so neither scipy's KD-tree nor its solvers would pay for a
new dependency here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration import _rms_lens as lens
from calibration.camera import CameraModel
from calibration.catalog import StarCatalog, julian_epoch
from calibration.platepar import Platepar, TimeLike, _jd_of
from calibration.sky import altaz_to_radec, gmst_deg

__all__ = ["FitSettings", "PlateFit", "PlateFitter", "platepar_from_camera"]

FloatArray = NDArray[np.float64]
_RADIAL_ORDERS = ("radial3-odd", "radial5-odd", "radial7-odd")


@dataclass(frozen=True)
class FitSettings:
    """Settings of :class:`PlateFitter` (module docstring)."""

    max_mag: float = 6.0
    n_vote_stars: int = 40
    rotation_range_deg: float = 12.0
    rotation_step_deg: float = 1.0
    scale_range: float = 0.2
    scale_step: float = 0.025
    vote_cell_px: float = 16.0
    n_candidates: int = 3
    radii_px: tuple[float, ...] = (30.0, 15.0, 8.0, 5.0, 3.0, 2.0)
    match_radius_px: float = 2.0
    max_distortion: str = "radial7-odd"
    min_matches: int = 20
    n_verdict_stars: int = 40
    min_match_fraction: float = 0.5
    min_per_quadrant: int = 2
    max_median_residual_px: float = 1.0

    def __post_init__(self) -> None:
        if self.max_distortion not in (*_RADIAL_ORDERS, "none"):
            raise ValueError(
                f"FitSettings.max_distortion={self.max_distortion!r}: "
                f"expected 'none' or one of {_RADIAL_ORDERS}"
            )
        for name in ("n_vote_stars", "min_matches", "n_verdict_stars", "n_candidates"):
            if getattr(self, name) < 1:
                raise ValueError(f"FitSettings.{name}={getattr(self, name)!r}: expected an integer >= 1")
        if not 0 < self.min_match_fraction <= 1:
            raise ValueError(f"FitSettings.min_match_fraction={self.min_match_fraction!r}: expected (0, 1]")
        if not self.radii_px or any(r <= 0 for r in self.radii_px):
            raise ValueError(f"FitSettings.radii_px={self.radii_px!r}: expected positive radii")


@dataclass(frozen=True)
class PlateFit:
    """The outcome of a fit: a solution when ``solved``, else ``reason`` says why not.

    The ``matched_*`` arrays hold the matched stars (image position, catalogue position of the date in the
    J2000 frame, and V); residuals are those of the forward model (pixel -> sky) in pixels of the plate
    scale and in arcmin.
    """

    solved: bool
    reason: str
    platepar: Platepar | None
    n_detected: int
    n_matched: int
    match_fraction: float
    quadrant_counts: tuple[int, int, int, int]
    median_residual_px: float
    p90_residual_px: float
    median_residual_arcmin: float
    matched_x_px: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_y_px: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_ra_deg: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_dec_deg: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    matched_mag_v: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))


# ------------------------------------------------------------------------------------------ parameters


def _radial_platepar(pp: Platepar, dist: str, coeffs: FloatArray) -> Platepar:
    """``pp`` with a radial-odd model of ``coeffs`` = [x0, y0, k1, ...] (equal aspect, no asymmetry)."""
    c = tuple(float(v) for v in coeffs)
    zeros = (0.0,) * len(c)
    return replace(
        pp,
        distortion_type=dist,
        x_poly_fwd=c,
        y_poly_fwd=zeros,
        x_poly_rev=c,
        y_poly_rev=zeros,
        equal_aspect=True,
        asymmetry_corr=False,
        force_distortion_centre=False,
    )


def _own_layout(pp: Platepar) -> bool:
    """Whether ``pp`` is a radial-odd model laid out as this module fits them: [x0, y0, k1, ...]."""
    return (
        pp.distortion_type in _RADIAL_ORDERS
        and pp.equal_aspect
        and not pp.asymmetry_corr
        and not pp.force_distortion_centre
    )


def _n_coeffs(dist: str) -> int:
    return 2 + len(lens.RADIAL_POWERS[dist])


def _apply(pp: Platepar, p: FloatArray, n_dist: int, base: FloatArray) -> Platepar:
    """Pointing parameters p[:4] = (ra, dec, pos angle, log scale) and the first n_dist distortion terms."""
    coeffs = base.copy()
    if n_dist:
        coeffs[2 : 2 + n_dist] = p[4 : 4 + n_dist]
        if len(p) > 4 + n_dist:
            coeffs[:2] = p[4 + n_dist :]
    pp = replace(
        pp,
        ra_ref_deg=float(np.mod(p[0], 360.0)),
        dec_ref_deg=float(np.clip(p[1], -90.0, 90.0)),
        pos_angle_ref_deg=float(np.mod(p[2], 360.0)),
        f_scale_px_per_deg=float(math.exp(min(max(p[3], -3.0), 8.0))),
    )
    return _radial_platepar(pp, pp.distortion_type, coeffs) if len(base) else pp


def _sky_residual_px(
    pp: Platepar, x: FloatArray, y: FloatArray, jd: float, ra: FloatArray, dec: FloatArray, scale: float
) -> FloatArray:
    """Forward-model residuals (2N: east, north) in pixels of ``scale`` px/deg."""
    ra_f, dec_f = pp._pixel_to_sky_jd(x, y, np.array(jd))
    d_ra = (ra_f - ra + 180.0) % 360.0 - 180.0
    return np.concatenate([d_ra * np.cos(np.radians(dec)), dec_f - dec]) * scale


def _levenberg_marquardt(
    fun: Callable[[FloatArray], FloatArray], p0: FloatArray, steps: FloatArray, n_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Minimise ``sum(fun(p) ** 2)``; numerical Jacobian with ``steps``. Returns (p, residuals)."""
    f = fun
    p = p0.astype(np.float64).copy()
    r = f(p)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(n_iter):
        jac = np.empty((len(r), len(p)))
        for k in range(len(p)):
            dp = p.copy()
            dp[k] += steps[k]
            jac[:, k] = (f(dp) - r) / steps[k]
        jtj, jtr = jac.T @ jac, jac.T @ r
        improved = False
        for _ in range(8):
            a = jtj + lam * np.diag(np.maximum(np.diag(jtj), 1e-12))
            try:
                delta = -np.linalg.solve(a, jtr)
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            r_new = f(p + delta)
            cost_new = float(r_new @ r_new)
            if np.isfinite(cost_new) and cost_new < cost:
                p, r, lam, improved = p + delta, r_new, max(lam / 10.0, 1e-9), True
                small = cost - cost_new < 1e-10 * max(cost, 1e-12)
                cost = cost_new
                break
            lam *= 10.0
        if not improved or small:
            break
    return p, r


# -------------------------------------------------------------------------------------------- matching


def _mutual_nearest(
    xd: FloatArray, yd: FloatArray, xc: FloatArray, yc: FloatArray, radius: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One-to-one pairs (detected index, catalogue index) that are each other's nearest within ``radius``."""
    if len(xd) == 0 or len(xc) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d2 = (xd[:, None] - xc[None, :]) ** 2 + (yd[:, None] - yc[None, :]) ** 2
    jd = np.argmin(d2, axis=1)
    id_ = np.argmin(d2, axis=0)
    i = np.arange(len(xd))
    ok = (id_[jd] == i) & (d2[i, jd] <= radius**2)
    return i[ok], jd[ok]


def _vote(
    xd: FloatArray, yd: FloatArray, xc: FloatArray, yc: FloatArray, cx: float, cy: float, s: FitSettings
) -> list[tuple[int, float, float, float, float]]:
    """Best (votes, rotation deg, scale, tx, ty) similarities mapping catalogue onto detected positions."""
    rots = np.arange(-s.rotation_range_deg, s.rotation_range_deg + 1e-9, s.rotation_step_deg)
    scales = np.exp(np.arange(-s.scale_range, s.scale_range + 1e-9, s.scale_step))
    cell = s.vote_cell_px
    results: list[tuple[int, float, float, float, float]] = []
    for rot in rots:
        c, sn = math.cos(math.radians(rot)), math.sin(math.radians(rot))
        for sc in scales:
            xt = cx + sc * (c * (xc - cx) - sn * (yc - cy))
            yt = cy + sc * (sn * (xc - cx) + c * (yc - cy))
            dx = (xd[:, None] - xt[None, :]).ravel()
            dy = (yd[:, None] - yt[None, :]).ravel()
            # Two grids offset by half a cell, so that a cluster on a cell edge is not split.
            for off in (0.0, 0.5):
                kx = np.floor(dx / cell + off).astype(np.int64)
                ky = np.floor(dy / cell + off).astype(np.int64)
                key = (kx + 4096) * 8192 + (ky + 4096)
                uniq, counts = np.unique(key, return_counts=True)
                best = int(np.argmax(counts))
                sel = key == uniq[best]
                results.append(
                    (
                        int(counts[best]),
                        float(rot),
                        float(sc),
                        float(np.median(dx[sel])),
                        float(np.median(dy[sel])),
                    )
                )
    results.sort(key=lambda t: -t[0])
    distinct: list[tuple[int, float, float, float, float]] = []
    for cand in results:
        if all(
            abs(cand[1] - d[1]) > 2 * s.rotation_step_deg
            or abs(math.log(cand[2] / d[2])) > 2 * s.scale_step
            or math.hypot(cand[3] - d[3], cand[4] - d[4]) > 2 * cell
            for d in distinct
        ):
            distinct.append(cand)
        if len(distinct) >= s.n_candidates:
            break
    return distinct


# ---------------------------------------------------------------------------------------------- fitter


class PlateFitter:
    """Fit a plate solution to extracted stars from a coarse guess (module docstring).

    >>> fitter = PlateFitter(load_hipparcos(6.0))                                     # doctest: +SKIP
    >>> fit = fitter(stars.x_px, stars.y_px, t_utc, camera, lat_deg=51.9, lon_deg=-1.3)  # doctest: +SKIP
    >>> fit.solved, fit.median_residual_px                                           # doctest: +SKIP
    """

    def __init__(self, catalog: StarCatalog, settings: FitSettings | None = None) -> None:
        self.settings = settings or FitSettings()
        self.catalog = catalog.brighter_than(self.settings.max_mag)

    def __call__(
        self,
        x_px: ArrayLike,
        y_px: ArrayLike,
        t_utc: datetime | TimeLike,
        guess: CameraModel | Platepar,
        *,
        lat_deg: float | None = None,
        lon_deg: float | None = None,
        elevation_m: float = 0.0,
    ) -> PlateFit:
        """Solve the plate of stars at ``x_px``, ``y_px`` (brightest first) seen at ``t_utc``.

        A :class:`CameraModel` guess needs the station's ``lat_deg``, ``lon_deg`` (east positive) and
        ``elevation_m``; a :class:`Platepar` guess carries them.
        """
        xd = np.asarray(x_px, dtype=np.float64).ravel()
        yd = np.asarray(y_px, dtype=np.float64).ravel()
        jd = float(np.asarray(_jd_of(t_utc)).ravel()[0])
        if isinstance(guess, CameraModel):
            if lat_deg is None or lon_deg is None:
                raise ValueError("a CameraModel guess needs lat_deg and lon_deg (the station)")
            start = platepar_from_camera(guess, jd, lat_deg, lon_deg, elevation_m)
        else:
            start = guess
        if len(xd) < self.settings.min_matches:
            return self._no_solution(f"{len(xd)} stars detected, fewer than {self.settings.min_matches}", xd)
        best: PlateFit | None = None
        cat = self.catalog.at_epoch(julian_epoch(jd))  # the stars where they are that night
        for cand in self._candidates(xd, yd, jd, start, cat):
            fit = self._refine(xd, yd, jd, start, cand, cat)
            if best is None or (fit.solved, fit.n_matched) > (best.solved, best.n_matched):
                best = fit
            if fit.solved:
                break
        return best if best is not None else self._no_solution("no alignment candidate", xd)

    # ---------------------------------------------------------------------------------------- steps

    @staticmethod
    def _project(
        pp: Platepar, jd: float, cat: StarCatalog
    ) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
        """Catalogue stars inside the image (with a 10 % margin) through ``pp``: x, y, catalogue index."""
        x, y = pp._sky_to_pixel_jd(cat.ra_deg, cat.dec_deg, np.array(jd))
        mx, my = 0.1 * pp.x_res_px, 0.1 * pp.y_res_px
        # Stars well outside the field fold back into the image (the projection beyond ~100 deg, and a
        # radial reverse polynomial beyond its turning radius: measured on UK0006 at 20:00:17, a star
        # ~60 deg out landed in a corner and dragged the fit off): keep the field's own cone.
        ra_c, dec_c = pp._pixel_to_sky_jd(pp.x_res_px / 2.0, pp.y_res_px / 2.0, np.array(jd))
        cos_sep = np.sin(np.radians(cat.dec_deg)) * np.sin(np.radians(dec_c)) + np.cos(
            np.radians(cat.dec_deg)
        ) * np.cos(np.radians(dec_c)) * np.cos(np.radians(cat.ra_deg - ra_c))
        cone_deg = min(
            90.0, 1.3 * math.hypot(pp.x_res_px / 2.0 + mx, pp.y_res_px / 2.0 + my) / pp.f_scale_px_per_deg
        )
        inside = (
            np.isfinite(x) & (x > -mx) & (x < pp.x_res_px + mx) & (y > -my) & (y < pp.y_res_px + my)
            & (cos_sep > math.cos(math.radians(cone_deg)))
        )  # fmt: skip
        idx = np.flatnonzero(inside)
        return x[idx], y[idx], idx

    def _candidates(
        self, xd: FloatArray, yd: FloatArray, jd: float, start: Platepar, cat: StarCatalog
    ) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """Initial matches (detected index, catalogue index) from the alignment vote, best first."""
        s = self.settings
        xc, yc, idx = self._project(start, jd, cat)
        n_d = min(s.n_vote_stars, len(xd))
        order = np.argsort(cat.mag_v[idx], kind="stable")[: 2 * n_d]
        xc, yc, idx = xc[order], yc[order], idx[order]
        cx, cy = start.x_res_px / 2.0, start.y_res_px / 2.0
        out = []
        for _votes, rot, sc, tx, ty in _vote(xd[:n_d], yd[:n_d], xc, yc, cx, cy, s):
            c, sn = math.cos(math.radians(rot)), math.sin(math.radians(rot))
            xt = cx + sc * (c * (xc - cx) - sn * (yc - cy)) + tx
            yt = cy + sc * (sn * (xc - cx) + c * (yc - cy)) + ty
            i, j = _mutual_nearest(xd[:n_d], yd[:n_d], xt, yt, s.vote_cell_px * 1.5)
            out.append((i, idx[j]))
        return out

    def _fit(
        self, pp: Platepar, xd: FloatArray, yd: FloatArray, jd: float, stars: tuple[FloatArray, FloatArray],
        dist: str | None, fit_centre: bool,
    ) -> tuple[Platepar, FloatArray]:  # fmt: skip
        """Least squares of the pointing (and distortion terms) on matched stars (their RA, Dec in
        ``stars``); residual norms (px)."""
        ra, dec = stars
        scale = pp.f_scale_px_per_deg
        if dist is None:
            base = np.zeros(0)
            n_dist = 0
        else:
            n = _n_coeffs(dist)
            base = np.zeros(n)
            old = np.asarray(pp.x_poly_fwd) if _own_layout(pp) else np.zeros(0)
            base[: min(n, len(old))] = old[: min(n, len(old))]
            pp = _radial_platepar(pp, dist, base)
            n_dist = n - 2
        p0 = [pp.ra_ref_deg, pp.dec_ref_deg, pp.pos_angle_ref_deg, math.log(pp.f_scale_px_per_deg)]
        steps = [1e-4, 1e-4, 1e-4, 1e-6]
        if n_dist:
            p0 += list(base[2:])
            steps += [1e-5] * n_dist
            if fit_centre:
                p0 += list(base[:2])
                steps += [1e-5, 1e-5]
        pvec = np.array(p0)

        def residual(p: FloatArray) -> FloatArray:
            return _sky_residual_px(_apply(pp, p, n_dist, base), xd, yd, jd, ra, dec, scale)

        p, r = _levenberg_marquardt(residual, pvec, np.array(steps))
        n = len(xd)
        fitted = _apply(pp, p, n_dist, base)
        if n_dist:
            fitted = _fit_reverse(fitted)
        return fitted, np.hypot(r[:n], r[n:])

    def _refine(
        self, xd: FloatArray, yd: FloatArray, jd: float, start: Platepar,
        cand: tuple[NDArray[np.int64], NDArray[np.int64]], cat: StarCatalog,
    ) -> PlateFit:  # fmt: skip
        s = self.settings
        i, j = cand
        if len(i) < 6:
            return self._no_solution(f"alignment found only {len(i)} star pairs", xd)
        pp = start
        # With max_distortion "none" the guess's lens is kept as it is: a pointing-only refit.
        dist: str | None = (
            start.distortion_type if _own_layout(start) and s.max_distortion != "none" else None
        )
        fit_centre = False
        pp, _ = self._fit(pp, xd[i], yd[i], jd, (cat.ra_deg[j], cat.dec_deg[j]), dist, fit_centre)
        for radius in (*s.radii_px, s.match_radius_px):
            xc, yc, idx = self._project(pp, jd, cat)
            i, jj = _mutual_nearest(xd, yd, xc, yc, radius)
            j = idx[jj]
            if len(i) < 6:
                return self._no_solution(f"only {len(i)} stars matched within {radius:g} px", xd)
            if radius <= 5.0:
                dist, fit_centre = self._distortion_for(xd[i], yd[i], pp, dist)
            pp, res = self._fit(pp, xd[i], yd[i], jd, (cat.ra_deg[j], cat.dec_deg[j]), dist, fit_centre)
            robust = 1.4826 * np.median(np.abs(res - np.median(res)))
            keep = res <= max(np.median(res) + 3.0 * robust, 0.5)
            if np.count_nonzero(~keep) and np.count_nonzero(keep) >= 6:
                i, j = i[keep], j[keep]
                pp, res = self._fit(pp, xd[i], yd[i], jd, (cat.ra_deg[j], cat.dec_deg[j]), dist, fit_centre)
        return self._verdict(pp, xd, yd, i, j, res, cat)

    def _distortion_for(
        self, x: FloatArray, y: FloatArray, pp: Platepar, current: str | None
    ) -> tuple[str | None, bool]:
        """The richest radial model the matched stars support: enough of them, reaching the field's edge."""
        s = self.settings
        if s.max_distortion == "none":
            return None, False
        half_w = pp.x_res_px / 2.0
        r = np.hypot(x - pp.x_res_px / 2.0, y - pp.y_res_px / 2.0) / half_w
        n, n_outer = len(x), int(np.count_nonzero(r > 0.6))
        allowed = _RADIAL_ORDERS[: _RADIAL_ORDERS.index(s.max_distortion) + 1]
        choice: str | None = current
        if n >= 20 and n_outer >= 4:
            choice = "radial3-odd"
        if n >= 50 and n_outer >= 10 and "radial5-odd" in allowed:
            choice = "radial5-odd"
        if n >= 90 and n_outer >= 20 and "radial7-odd" in allowed:
            choice = "radial7-odd"
        if choice is not None and choice not in allowed:
            choice = allowed[-1]
        return choice, choice in ("radial5-odd", "radial7-odd")

    def _verdict(
        self, pp: Platepar, xd: FloatArray, yd: FloatArray, i: NDArray[np.int64], j: NDArray[np.int64],
        res: FloatArray, cat: StarCatalog,
    ) -> PlateFit:  # fmt: skip
        s = self.settings
        n_top = min(s.n_verdict_stars, len(xd))
        fraction = float(np.count_nonzero(i < n_top) / n_top)
        cx, cy = pp.x_res_px / 2.0, pp.y_res_px / 2.0
        xm, ym = xd[i], yd[i]
        quads = (
            int(np.count_nonzero((xm < cx) & (ym < cy))),
            int(np.count_nonzero((xm >= cx) & (ym < cy))),
            int(np.count_nonzero((xm < cx) & (ym >= cy))),
            int(np.count_nonzero((xm >= cx) & (ym >= cy))),
        )
        med = float(np.median(res)) if len(res) else math.inf
        reasons = []
        if len(i) < s.min_matches:
            reasons.append(f"{len(i)} stars matched, fewer than {s.min_matches}")
        if fraction < s.min_match_fraction:
            reasons.append(
                f"{fraction:.0%} of the {n_top} brightest stars matched, "
                f"fewer than {s.min_match_fraction:.0%}"
            )
        if min(quads) < s.min_per_quadrant:
            reasons.append(f"matches per quadrant {quads}, fewer than {s.min_per_quadrant} in one")
        if med > s.max_median_residual_px:
            reasons.append(f"median residual {med:.2f} px above {s.max_median_residual_px} px")
        return PlateFit(
            solved=not reasons,
            reason="; ".join(reasons) if reasons else "solved",
            platepar=pp if not reasons else None,
            n_detected=len(xd),
            n_matched=len(i),
            match_fraction=fraction,
            quadrant_counts=quads,
            median_residual_px=med,
            p90_residual_px=float(np.percentile(res, 90)) if len(res) else math.inf,
            median_residual_arcmin=med / pp.f_scale_px_per_deg * 60.0,
            matched_x_px=xm,
            matched_y_px=ym,
            matched_ra_deg=cat.ra_deg[j],
            matched_dec_deg=cat.dec_deg[j],
            matched_mag_v=cat.mag_v[j],
        )

    @staticmethod
    def _no_solution(reason: str, xd: FloatArray) -> PlateFit:
        inf = math.inf
        return PlateFit(False, reason, None, len(xd), 0, 0.0, (0, 0, 0, 0), inf, inf, inf)


# ------------------------------------------------------------------------------------- guess, reverse


def platepar_from_camera(
    camera: CameraModel, jd: float, lat_deg: float, lon_deg: float, elevation_m: float = 0.0
) -> Platepar:
    """A distortion-free RMS platepar (reference time ``jd``) that best matches a coarse camera model.

    The pointing, position angle and scale are fitted to the camera model's directions on a grid of the
    image (exact for an equidistant camera up to refraction; the best similar one for a rectilinear one).
    """
    w, h = camera.width_px, camera.height_px
    gx, gy = np.meshgrid(np.linspace(0, w - 1, 9), np.linspace(0, h - 1, 7))
    az, alt = camera.pixel_to_altaz(gx.ravel(), gy.ravel())
    ra, dec = altaz_to_radec(az, alt, jd, lat_deg, lon_deg)
    ra0, dec0 = altaz_to_radec(camera.az_deg, camera.alt_deg, jd, lat_deg, lon_deg)
    pp = Platepar(
        lat_deg=lat_deg, lon_deg=lon_deg, elevation_m=elevation_m, x_res_px=w, y_res_px=h, jd_ref=jd,
        ha_ref_deg=float(gmst_deg(jd)), ra_ref_deg=float(ra0), dec_ref_deg=float(dec0), pos_angle_ref_deg=0.0,
        f_scale_px_per_deg=camera.scale_px_per_deg, distortion_type="radial3-odd",
        x_poly_fwd=(0.0, 0.0, 0.0), y_poly_fwd=(0.0, 0.0, 0.0), x_poly_rev=(0.0, 0.0, 0.0),
        y_poly_rev=(0.0, 0.0, 0.0), equal_aspect=True, refraction=True, convention="precessed+nutation",
    )  # fmt: skip
    # Position angle: turn the plate until the camera's "up" direction lands straight up.
    up_ra, up_dec = altaz_to_radec(
        *camera.pixel_to_altaz((w - 1) / 2.0, (h - 1) / 2.0 - h / 4.0), jd, lat_deg, lon_deg
    )
    ux, uy = pp._sky_to_pixel_jd(up_ra, up_dec, np.array(jd))
    got = math.degrees(math.atan2(float(uy) - h / 2.0, float(ux) - w / 2.0))
    pp = replace(pp, pos_angle_ref_deg=float(np.mod(-90.0 - got, 360.0)))
    xs, ys = gx.ravel() + 0.5, gy.ravel() + 0.5  # CameraModel centres on (w - 1) / 2, RMS on w / 2
    best: tuple[float, Platepar] | None = None
    for turn in (0.0, 180.0):  # the sign of the position angle is checked rather than derived
        p0 = np.array(
            [pp.ra_ref_deg, pp.dec_ref_deg, pp.pos_angle_ref_deg + turn, math.log(pp.f_scale_px_per_deg)]
        )

        def residual(p: FloatArray) -> FloatArray:
            return _sky_residual_px(_apply(pp, p, 0, np.zeros(0)), xs, ys, jd, ra, dec, pp.f_scale_px_per_deg)

        p, r = _levenberg_marquardt(residual, p0, np.array([1e-4, 1e-4, 1e-4, 1e-6]))
        cost = float(r @ r)
        if best is None or cost < best[0]:
            best = (cost, _apply(pp, p, 0, np.zeros(0)))
    assert best is not None
    return best[1]


def _fit_reverse(pp: Platepar) -> Platepar:
    """Fit the reverse (sky -> pixel) radial polynomial to the forward one on a grid, as RMS does.

    The reverse model maps the undistorted focal-plane offset u to u - (u S(|u|) - c) with
    S(r) = sum k_i r^(p_i - 1), which is linear in the centre c and the k_i: one linear least-squares
    solve. It is refitted after every forward fit, not only at the end: with the forward coefficients
    standing in for the reverse ones (a first-order inverse) a 0.2 radial3 term put the corners of
    UK0006 ~90 px off and folded stars from outside the field into them.
    """
    w, h = pp.x_res_px, pp.y_res_px
    gx, gy = np.meshgrid(np.linspace(0, w - 1, 25), np.linspace(0, h - 1, 15))
    xi, yi = gx.ravel() - w / 2.0, gy.ravel() - h / 2.0
    fwd = np.asarray(pp.x_poly_fwd)
    xu, yu = lens.undistort(xi, yi, fwd, np.asarray(pp.y_poly_fwd), pp._radial(pp.x_poly_fwd), w)
    r = np.hypot(xu, yu) / (w / 2.0)
    powers = lens.RADIAL_POWERS[pp.distortion_type]
    n = len(xi)
    a = np.zeros((2 * n, 2 + len(powers)))
    a[:n, 0] = -1.0
    a[n:, 1] = -1.0
    for k, power in enumerate(powers):
        a[:n, 2 + k] = xu * r ** (power - 1)
        a[n:, 2 + k] = yu * r ** (power - 1)
    sol = np.linalg.lstsq(a, np.concatenate([xu - xi, yu - yi]), rcond=None)[0]
    rev = (float(sol[0] / (w / 2.0)), float(sol[1] / (h / 2.0)), *(float(v) for v in sol[2:]))
    return replace(pp, x_poly_rev=rev)
