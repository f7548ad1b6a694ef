"""The trajectory solver: observations of several stations in, :class:`TrajectorySolution` out.

Steps (the approach of Vida et al. 2020, MNRAS 491, 2688, written from the papers it builds on):

1. Each track's lines of sight (ECI of date, each station where it was at the time of its point) give a
   plane; the pair of stations whose planes meet at the largest angle gives the initial line (Ceplecha
   1987, :mod:`trajectory.planes`).
2. Least squares on the lines of sight of all tracks (Borovička 1990, :mod:`trajectory.sightlines`), each
   weighted by its camera's uncertainty: given, or measured once as the rms residual of a first fit that
   weighs every point alike (two-step weighted least squares); then outlier points, farther than
   ``outlier_sigma`` times their track's rms residual, are dropped and the fit repeated until the set of
   points is stable. Step 5 rejects solutions whose lines of sight meet nowhere.
3. A track that disagrees with the others is left out, when two sites remain without it: the track whose
   rms residual is the largest multiple of its own scatter about its plane (the camera's random error) is
   rejected when that multiple exceeds ``track_reject_factor`` and the residual exceeds
   ``min_reject_arcsec`` (a systematic error: a wrong plate, site or meteor), and the fit repeated.
4. Along the line: timing offsets, initial and average velocities, deceleration
   (:mod:`trajectory.kinematics`); begin and end points, residuals, convergence angles.
5. A solution whose tracks miss the line by degrees, or whose begin or end point is under ground or in
   space, is no trajectory: :class:`~trajectory.errors.SolveError`.

Example
-------
>>> solver = TrajectorySolver(SolverSettings(v_init_fraction=0.25))   # doctest: +SKIP
>>> solution = solver(read_tracks(["a/meteor.json", "b/meteor.json"]))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trajectory.errors import SolveError
from trajectory.event import Event, prepare_event
from trajectory.planes import Plane, convergence_angle_deg, fit_plane, intersect_planes
from trajectory.sightlines import Line, fit_line, sight_geometry
from trajectory.solution import Convergence, TrajectorySolution
from trajectory.summary import LineFit, assemble_solution

__all__ = ["SolverSettings", "TrajectorySolver"]

_ARCSEC = np.pi / 180.0 / 3600.0


@dataclass(frozen=True)
class SolverSettings:
    """Settings of :class:`TrajectorySolver`.

    v_init_fraction : share of the flight time whose points give the initial velocity (0 < f <= 1).
    max_time_offset_s : largest timing offset fitted for a track (s); fit_time_offsets: fit them at all.
    outlier_sigma : points farther than this many times their track's scatter are left out.
    min_sigma_arcsec : floor of a track's measured scatter (a very clean track must not take all weight).
    reject_tracks : leave out a track that disagrees (step 3 of the module docstring), with
    track_reject_factor the ratio of its residuals to its own scatter, and min_reject_arcsec the rms
    residual, that condemn it together.
    min_convergence_deg : below this largest convergence angle the geometry gives no trajectory.
    max_iterations : fits of step 2 at most.
    """

    v_init_fraction: float = 0.25
    max_time_offset_s: float = 3.0
    fit_time_offsets: bool = True
    outlier_sigma: float = 3.0
    min_sigma_arcsec: float = 2.0
    reject_tracks: bool = True
    track_reject_factor: float = 5.0
    min_reject_arcsec: float = 600.0
    min_convergence_deg: float = 1.0
    max_iterations: int = 10

    def __post_init__(self) -> None:
        checks = {
            "v_init_fraction": (self.v_init_fraction, 0.0 < self.v_init_fraction <= 1.0, "0 < f <= 1"),
            "max_time_offset_s": (self.max_time_offset_s, self.max_time_offset_s >= 0, ">= 0"),
            "outlier_sigma": (self.outlier_sigma, self.outlier_sigma > 1.0, "> 1"),
            "min_sigma_arcsec": (self.min_sigma_arcsec, self.min_sigma_arcsec > 0, "> 0"),
            "track_reject_factor": (self.track_reject_factor, self.track_reject_factor > 1.0, "> 1"),
            "min_convergence_deg": (self.min_convergence_deg, 0 <= self.min_convergence_deg < 90, "0..90"),
            "min_reject_arcsec": (self.min_reject_arcsec, self.min_reject_arcsec >= 0, ">= 0"),
            "max_iterations": (self.max_iterations, self.max_iterations >= 1, ">= 1"),
        }
        for key, (value, ok, expected) in checks.items():
            if not ok:
                raise ValueError(f"solver setting {key}={value!r}: expected {expected}")


class TrajectorySolver:
    """Solves a meteor's straight-line trajectory from the tracks of two or more stations."""

    def __init__(self, settings: SolverSettings | None = None) -> None:
        self.settings = settings or SolverSettings()

    def __call__(self, tracks: Sequence[object]) -> TrajectorySolution:
        """Solve the tracks (:class:`~trajectory.observations.Track`) of one meteor.

        Raises
        ------
        SolveError
            Fewer than two stations with three points each, planes that do not converge, or lines of sight
            that meet nowhere (rms residual over 3 deg, a begin or end point under -10 km or over 1000 km).
        """
        event = prepare_event(tracks)
        planes = [fit_plane(event.los[event.track == k], event.station_m[event.track == k]) for k in
                  range(event.n_tracks)]  # fmt: skip
        convergence, best = self._convergence(event, planes)
        line0 = self._initial_line(event, planes, best)
        sigma0 = self._initial_sigma(event, planes)
        active = np.ones(event.n_tracks, dtype=bool)
        fit = self._fit_points(event, line0, sigma0, active)
        reasons: dict[int, str] = {}
        while self.settings.reject_tracks and (worst := self._disagreeing_track(event, fit, planes, active)):
            k, reason = worst
            active[k] = False
            reasons[k] = reason
            fit = self._fit_points(event, fit.line, sigma0, active)
        solution = assemble_solution(
            event, fit, self.settings, convergence, best_pair=(event.labels[best[0]], event.labels[best[1]]),
            initial_direction=line0.direction, rejected=reasons,
        )  # fmt: skip
        _check_physical(solution, n_sites=len(set(event.sites)))
        return solution

    def refit(self, event: Event, nominal: TrajectorySolution) -> TrajectorySolution:
        """Solve ``event`` (e.g. with perturbed lines of sight) keeping the nominal solution's choices:
        its starting line and timing offsets, track sigmas, outlier points and rejected tracks (for Monte
        Carlo runs)."""
        active = np.array([not t.rejected for t in nominal.tracks])
        used = np.concatenate([t.used for t in nominal.tracks])
        sigma = np.array([t.sigma_arcsec for t in nominal.tracks]) * _ARCSEC
        line0 = Line(nominal.state_eci_m, nominal.direction_eci)
        m = used & active[event.track]
        line = fit_line(line0, event.station_m[m], event.los[m], sigma[event.track[m]])
        fit = LineFit(
            line=line, used=used, sigma_rad=sigma, geometry=sight_geometry(line, event.station_m, event.los)
        )
        rejected = {k: t.reason or "rejected" for k, t in enumerate(nominal.tracks) if t.rejected}
        return assemble_solution(
            event, fit, self.settings, nominal.convergence, best_pair=nominal.best_pair,
            initial_direction=line0.direction, rejected=rejected,
            start_offsets=np.array([t.time_offset_s for t in nominal.tracks]),
        )  # fmt: skip

    def _convergence(
        self, event: Event, planes: list[Plane]
    ) -> tuple[tuple[Convergence, ...], tuple[int, int]]:
        pairs = []
        sites = event.sites
        for a in range(event.n_tracks):
            for b in range(a + 1, event.n_tracks):
                if sites[a] != sites[b]:
                    pairs.append((convergence_angle_deg(planes[a], planes[b]), a, b))
        angle, a, b = max(pairs)
        if angle < self.settings.min_convergence_deg:
            raise SolveError(
                f"the planes of the stations meet at {angle:.2f} deg at most "
                f"(min_convergence_deg={self.settings.min_convergence_deg})",
                n_stations=len(set(sites)),
            )
        convergence = tuple(Convergence(event.labels[i], event.labels[j], q) for q, i, j in pairs)
        return convergence, (a, b)

    def _initial_line(self, event: Event, planes: list[Plane], best: tuple[int, int]) -> Line:
        los_a = event.los[event.track == best[0]]
        point, direction = intersect_planes(planes[best[0]], planes[best[1]], los_a[-1] - los_a[0])
        return Line(point, direction)

    def _initial_sigma(self, event: Event, planes: list[Plane]) -> np.ndarray:
        """Given sigmas, and one common value for the others (their median scatter about their planes):
        the first fit weighs their points equally, and the weights then follow the residuals (two-step
        weighting; starting from each track's own scatter instead lets the sharpest camera take the fit)."""
        floor = self.settings.min_sigma_arcsec * _ARCSEC
        given = [t.sigma_arcsec for t in event.tracks]
        free = [p.scatter_rad for g, p in zip(given, planes, strict=True) if g is None]
        common = float(np.median(free)) if free else floor
        return np.array([g * _ARCSEC if g is not None else max(common, floor) for g in given])

    def _fit_points(self, event: Event, line: Line, sigma0: np.ndarray, active: np.ndarray) -> LineFit:
        """Step 2: fit, weigh, drop outliers, until the points stay the same.

        The weights of tracks without a given sigma are measured once, from the residuals of the first
        (equal-weight) fit: feasible weighted least squares in two steps. Iterating the weights to a
        fixed point lets one of three equally good stations drift to twice its true scatter (seen on
        synthetic meteors). Outliers are judged against each track's current rms residual.
        """
        sigma = sigma0.copy()
        used = active[event.track].copy()
        floor = self.settings.min_sigma_arcsec * _ARCSEC
        measured = np.array([t.sigma_arcsec is None for t in event.tracks])
        for iteration in range(self.settings.max_iterations):
            line = fit_line(line, event.station_m[used], event.los[used], sigma[event.track[used]])
            geom = sight_geometry(line, event.station_m, event.los)
            scatter = _track_rms(geom.residual_rad, used, event.track, event.n_tracks, floor)
            if iteration == 0:
                sigma = np.where(measured & active, scatter, sigma)
                continue
            keep = active[event.track] & (
                geom.residual_rad <= self.settings.outlier_sigma * scatter[event.track]
            )
            keep |= active[event.track] & _too_few_left(keep, event.track, event.n_tracks)
            if np.array_equal(keep, used):
                break
            used = keep
        return LineFit(line=line, used=used, sigma_rad=sigma, geometry=geom)

    def _disagreeing_track(
        self, event: Event, fit: LineFit, planes: list[Plane], active: np.ndarray
    ) -> tuple[int, str] | None:
        """Step 3: the track to leave out, with the reason, or None."""
        sites = event.sites
        candidates = [
            k
            for k in np.flatnonzero(active)
            if len({sites[j] for j in np.flatnonzero(active) if j != k}) >= 2
        ]
        if not candidates:
            return None
        floor = self.settings.min_sigma_arcsec * _ARCSEC
        rms = {}
        ratios = {}
        for k in candidates:
            mine = fit.used & (event.track == k)
            rms[k] = float(np.sqrt(np.mean(fit.geometry.residual_rad[mine] ** 2)))
            ratios[k] = rms[k] / max(planes[k].scatter_rad, floor)
        worst = max(ratios, key=ratios.__getitem__)
        rms_arcsec = rms[worst] / _ARCSEC
        if (
            ratios[worst] <= self.settings.track_reject_factor
            or rms_arcsec <= self.settings.min_reject_arcsec
        ):
            return None
        return int(worst), (
            f"rms residual {rms_arcsec:.0f} arcsec, {ratios[worst]:.1f} times its own scatter "
            f"(limits {self.settings.min_reject_arcsec:g} arcsec "
            f"and {self.settings.track_reject_factor:g} times)"
        )


_MAX_RMS_ARCSEC = 3.0 * 3600.0
_HEIGHT_RANGE_M = (-10_000.0, 1_000_000.0)


def _check_physical(solution: TrajectorySolution, n_sites: int) -> None:
    """Lines of sight that meet nowhere (tracks of different meteors, a station at a wrong place) give a
    line with degrees of residuals or beneath the ground: that is no trajectory."""
    worst = max(t.rms_arcsec for t in solution.tracks if not t.rejected)
    if worst > _MAX_RMS_ARCSEC:
        raise SolveError(
            f"the lines of sight miss the best line by {worst / 3600:.1f} deg rms", n_stations=n_sites
        )
    low, high = _HEIGHT_RANGE_M
    for name, point in (("begin", solution.begin), ("end", solution.end)):
        if not low <= point.height_m <= high:
            raise SolveError(f"the {name} point is {point.height_m / 1000:.0f} km high", n_stations=n_sites)


def _track_rms(
    residual_rad: np.ndarray, used: np.ndarray, track: np.ndarray, n_tracks: int, floor: float
) -> np.ndarray:
    """Each track's rms residual over its used points (its floor when it has none)."""
    sums = np.bincount(track[used], weights=residual_rad[used] ** 2, minlength=n_tracks)
    counts = np.bincount(track[used], minlength=n_tracks)
    rms = np.sqrt(sums / np.maximum(counts, 1))
    return np.asarray(np.where(counts > 0, np.maximum(rms, floor), floor))


def _too_few_left(keep: np.ndarray, track: np.ndarray, n_tracks: int) -> np.ndarray:
    """Points of tracks that would keep fewer than 3 points: they stay (outliers never empty a track)."""
    counts = np.bincount(track[keep], minlength=n_tracks)
    return np.asarray((counts < 3)[track])
