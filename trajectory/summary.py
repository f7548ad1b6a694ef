"""From a fitted line to a :class:`TrajectorySolution`: kinematics, begin and end points, radiant,
per-track residuals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trajectory.event import Event
from trajectory.geo import (
    ecef_to_geodetic,
    eci_to_ecef,
    j2000_to_date_matrix,
    unit_eci_to_altaz,
    unit_to_radec,
)
from trajectory.kinematics import Kinematics, fit_kinematics
from trajectory.sightlines import Line, SightGeometry
from trajectory.solution import Convergence, TrackFit, TrajectoryPoint, TrajectorySolution

if TYPE_CHECKING:
    from trajectory.solve import SolverSettings

__all__ = ["LineFit", "assemble_solution"]

_RAD_TO_ARCSEC = 180.0 / np.pi * 3600.0


@dataclass(frozen=True, eq=False)
class LineFit:
    """The result of the least squares: the line, the points kept, each track's sigma (rad), residuals."""

    line: Line
    used: np.ndarray
    sigma_rad: np.ndarray
    geometry: SightGeometry


def _point(event: Event, line: Line, s_m: float, t_s: float) -> TrajectoryPoint:
    t = event.utc(np.array([t_s]))
    eci = line.at(np.array([s_m]))
    lat, lon, h = ecef_to_geodetic(eci_to_ecef(eci, t))
    return TrajectoryPoint(t[0], float(lat[0]), float(lon[0]), float(h[0]), eci[0])


def _track_fits(
    event: Event, fit: LineFit, kin: Kinematics, m: np.ndarray, tc: np.ndarray, t_ref: float,
    s_begin: float, offsets: np.ndarray, rejected: dict[int, str],
) -> tuple[TrackFit, ...]:  # fmt: skip
    geom, line = fit.geometry, fit.line
    along = np.full(len(m), np.nan)
    along[m] = kin.along_residual_m
    heights = ecef_to_geodetic(eci_to_ecef(line.at(geom.s_m), event.utc(tc)))[2]
    out = []
    for k, track in enumerate(event.tracks):
        sel = event.track == k
        res = geom.residual_rad[sel] * _RAD_TO_ARCSEC
        used = fit.used[sel] & (k not in rejected)
        rms = float(np.sqrt(np.mean(res[used] ** 2))) if used.any() else float(np.sqrt(np.mean(res**2)))
        out.append(
            TrackFit(
                label=event.labels[k], station_id=track.station.station_id, time_offset_s=float(offsets[k]),
                sigma_arcsec=float(fit.sigma_rad[k] * _RAD_TO_ARCSEC),
                rms_arcsec=rms,
                used=used, residual_arcsec=res, residual_m=geom.miss_m[sel], along_residual_m=along[sel],
                height_m=heights[sel], range_m=geom.range_m[sel], length_m=geom.s_m[sel] - s_begin,
                t_s=tc[sel] - t_ref, rejected=k in rejected, reason=rejected.get(k),
            )
        )  # fmt: skip
    return tuple(out)


def assemble_solution(
    event: Event,
    fit: LineFit,
    settings: SolverSettings,
    convergence: tuple[Convergence, ...],
    *,
    best_pair: tuple[str, str],
    initial_direction: np.ndarray,
    rejected: dict[int, str],
    start_offsets: np.ndarray | None = None,
) -> TrajectorySolution:
    """The solution of a fitted line: fits the kinematics on the used points of the tracks kept
    (``start_offsets``: per-track timing offsets to refine from, instead of searching)."""
    active = np.array([k not in rejected for k in range(event.n_tracks)])
    m = fit.used & active[event.track]
    active_idx = np.flatnonzero(active)
    compact = np.searchsorted(active_idx, event.track[m])
    s = fit.geometry.s_m
    kin = fit_kinematics(
        event.t_s[m], s[m], compact, len(active_idx), max_offset_s=settings.max_time_offset_s,
        v_init_fraction=settings.v_init_fraction, fit_offsets=settings.fit_time_offsets,
        start_offsets=None if start_offsets is None else start_offsets[active_idx],
    )  # fmt: skip
    offsets = np.zeros(event.n_tracks)
    offsets[active_idx] = kin.time_offsets_s
    tc = event.t_s + offsets[event.track]
    first, last = np.flatnonzero(m)[np.argmin(tc[m])], np.flatnonzero(m)[np.argmax(tc[m])]
    begin = _point(event, fit.line, float(s[first]), float(tc[first]))
    end = _point(event, fit.line, float(s[last]), float(tc[last]))
    direction = fit.line.direction
    radiant = -direction
    ra_d, dec_d = unit_to_radec(radiant)
    ra_j, dec_j = unit_to_radec(radiant @ j2000_to_date_matrix(np.array([begin.t_utc])))
    az, alt = unit_eci_to_altaz(radiant, begin.lat_deg, begin.lon_deg, np.array([begin.t_utc]))
    ra0, dec0 = unit_to_radec(-initial_direction)
    return TrajectorySolution(
        t_ref_utc=begin.t_utc, state_eci_m=begin.state_eci_m, velocity_eci_m_s=direction * kin.v_init_m_s,
        radiant_ra_of_date_deg=float(ra_d), radiant_dec_of_date_deg=float(dec_d),
        radiant_ra_j2000_deg=float(ra_j), radiant_dec_j2000_deg=float(dec_j),
        radiant_az_deg=float(np.ravel(az)[0]), radiant_alt_deg=float(np.ravel(alt)[0]),
        v_init_m_s=kin.v_init_m_s, v_avg_m_s=kin.v_avg_m_s, v_init_n_points=kin.v_init_n_points,
        deceleration=kin.deceleration, begin=begin, end=end,
        tracks=_track_fits(event, fit, kin, m, tc, float(tc[first]), float(s[first]), offsets, rejected),
        convergence=convergence, best_pair=best_pair,
        initial_radiant_ra_of_date_deg=float(ra0), initial_radiant_dec_of_date_deg=float(dec0),
    )  # fmt: skip
