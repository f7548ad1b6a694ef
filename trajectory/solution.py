"""The solution of one meteor's trajectory, as the solver returns it and the orbit code takes it.

Frames and units: positions and velocities in ECI of date (metres, m/s; see :mod:`trajectory.geo`); the
velocity is the meteor's inertial velocity in that frame, so it includes nothing of the stations' motion
and is what the orbit code turns into a geocentric velocity (Earth's rotation and zenith attraction are the
orbit's business). Heights are above mean sea level as :mod:`trajectory.geo` explains.

An orbit is attached with :meth:`TrajectorySolution.with_orbit` (``trajectory.orbit.compute_orbit`` takes
``state_eci_m``, ``velocity_eci_m_s`` and :meth:`TrajectorySolution.t_ref_datetime`); its fields go into
the JSON (:func:`trajectory.report.numeric_fields`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from trajectory.kinematics import Deceleration

__all__ = ["Convergence", "TrackFit", "TrajectoryPoint", "TrajectorySolution"]


@dataclass(frozen=True, eq=False)
class TrajectoryPoint:
    """A point of the trajectory: UTC time, WGS84 latitude/longitude (deg), height (m, MSL), ECI position."""

    t_utc: np.datetime64
    lat_deg: float
    lon_deg: float
    height_m: float
    state_eci_m: np.ndarray


@dataclass(frozen=True)
class Convergence:
    """The angle (deg, 0..90) between the planes of two tracks (Ceplecha's Q): 90 is the best geometry."""

    label_a: str
    label_b: str
    angle_deg: float


@dataclass(frozen=True, eq=False)
class TrackFit:
    """How one track fits the solution.

    Per point (arrays of the track's length): ``used`` (False: rejected as an outlier), ``residual_arcsec``
    (angle between the line of sight and the trajectory), ``residual_m`` (distance between them),
    ``along_residual_m`` (distance along the track minus the distance-time model), ``height_m``,
    ``range_m`` (station to meteor), ``length_m`` (along the trajectory from the begin point) and ``t_s``
    (time after ``t_ref_utc``, with the track's offset). ``rejected`` is True when the whole track was left
    out, with ``reason``; its residuals are then against the solution of the others.
    """

    label: str
    station_id: str
    time_offset_s: float
    sigma_arcsec: float
    rms_arcsec: float
    used: np.ndarray
    residual_arcsec: np.ndarray
    residual_m: np.ndarray
    along_residual_m: np.ndarray
    height_m: np.ndarray
    range_m: np.ndarray
    length_m: np.ndarray
    t_s: np.ndarray
    rejected: bool = False
    reason: str | None = None

    @property
    def n_points(self) -> int:
        """Points of the track."""
        return int(self.used.size)

    @property
    def n_rejected_points(self) -> int:
        """Points left out as outliers (all of them when the track is rejected)."""
        return self.n_points if self.rejected else int(np.sum(~self.used))


@dataclass(frozen=True, eq=False)
class TrajectorySolution:
    """A meteor's straight-line trajectory from several stations.

    Attributes
    ----------
    t_ref_utc : numpy.datetime64
        Time of the first point (the begin point), to which ``t_s`` and the state refer.
    state_eci_m, velocity_eci_m_s : numpy.ndarray
        Position at ``t_ref_utc`` and velocity (``v_init_m_s`` along the direction of motion), ECI of date.
    radiant_ra_of_date_deg, radiant_dec_of_date_deg, radiant_ra_j2000_deg, radiant_dec_j2000_deg : float
        The apparent radiant (where the meteor came from, opposite the motion), of date and J2000.
    radiant_az_deg, radiant_alt_deg : float
        The apparent radiant seen from under the begin point (azimuth east of north, altitude).
    v_init_m_s, v_avg_m_s : float
        Initial velocity (first part of the flight) and average velocity; ``deceleration`` or None.
    begin, end : TrajectoryPoint
    tracks : tuple of TrackFit
    convergence : tuple of Convergence
        Every pair of tracks of different stations; ``best_pair`` started the fit.
    initial_radiant_ra_of_date_deg, initial_radiant_dec_of_date_deg : float
        The radiant of the plane intersection of ``best_pair``, before the least squares.
    orbit : object or None
        What ``trajectory.orbit`` computed, attached by :meth:`with_orbit`.
    """

    t_ref_utc: np.datetime64
    state_eci_m: np.ndarray
    velocity_eci_m_s: np.ndarray
    radiant_ra_of_date_deg: float
    radiant_dec_of_date_deg: float
    radiant_ra_j2000_deg: float
    radiant_dec_j2000_deg: float
    radiant_az_deg: float
    radiant_alt_deg: float
    v_init_m_s: float
    v_avg_m_s: float
    v_init_n_points: int
    deceleration: Deceleration | None
    begin: TrajectoryPoint
    end: TrajectoryPoint
    tracks: tuple[TrackFit, ...]
    convergence: tuple[Convergence, ...]
    best_pair: tuple[str, str]
    initial_radiant_ra_of_date_deg: float
    initial_radiant_dec_of_date_deg: float
    orbit: Any = None

    @property
    def direction_eci(self) -> np.ndarray:
        """Unit vector of the direction of motion, ECI of date."""
        return np.asarray(self.velocity_eci_m_s / np.linalg.norm(self.velocity_eci_m_s))

    @property
    def max_convergence_deg(self) -> float:
        """The largest convergence angle among the pairs of stations (deg)."""
        return max((c.angle_deg for c in self.convergence), default=0.0)

    @property
    def rejected_tracks(self) -> tuple[str, ...]:
        """Labels of the tracks left out."""
        return tuple(t.label for t in self.tracks if t.rejected)

    def t_ref_datetime(self) -> datetime:
        """``t_ref_utc`` as a timezone-aware ``datetime`` (microseconds), as orbit code takes times."""
        us = int((self.t_ref_utc - np.datetime64(0, "us")) / np.timedelta64(1, "us"))
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)

    def with_orbit(self, orbit: Any) -> TrajectorySolution:
        """A copy of the solution with an orbit attached."""
        return dataclasses.replace(self, orbit=orbit)
