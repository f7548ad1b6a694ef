"""The geometry of a simulated event: the true straight track, station networks placed around it, sight lines.

Private helpers of ``simulate.py``. Frames as in ``_orbit_frames``: ECI of date (mean equator and equinox),
stations turned from ECEF by the Greenwich mean sidereal time, which advances at the Earth's rotation rate
during the second or two of a meteor. The meteor moves on a straight line in the inertial frame (gravity
bends it by metres over a second, less than the 1-arcmin noise at 100 km: 30 m) and decelerates as
``s(t) = v_init t - k t**3`` (velocity ``v_init - 3 k t**2``: constant at first, slowing towards the end, the
shape that the exponential models of Whipple 1938 and Jacchia 1955 take over a short track).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trajectory._orbit_frames import (
    EARTH_ROTATION_RAD_S,
    ecef_to_geodetic,
    enu_matrix,
    geodetic_to_ecef,
    rot_z,
)

FloatArray = NDArray[np.float64]

_MIN_V_AVG_FRACTION = 0.7  # keeps v(t) = v_init - 3 k t**2 above 0.1 v_init at the end of the track


@dataclass(frozen=True)
class Track:
    """A straight, decelerating meteor track in ECI of date; times in seconds after its beginning."""

    gmst_begin_rad: float
    begin_eci_m: FloatArray
    direction_eci: FloatArray  # unit vector, the way the meteor moves
    v_init_m_s: float
    decel_m_s3: float  # k of s(t) = v_init t - k t**3
    duration_s: float

    def distance_m(self, t_s: FloatArray) -> FloatArray:
        """Distance flown since the beginning."""
        t = np.asarray(t_s, dtype=np.float64)
        return np.asarray(self.v_init_m_s * t - self.decel_m_s3 * t**3, dtype=np.float64)

    def position_eci_m(self, t_s: FloatArray) -> FloatArray:
        """Positions (n, 3) at times ``t_s`` (n,)."""
        return self.begin_eci_m + np.multiply.outer(self.distance_m(t_s), self.direction_eci)

    def eci_to_ecef(self, t_s: FloatArray) -> FloatArray:
        """Matrices (n, 3, 3) turning ECI of date into ECEF at times ``t_s``."""
        return np.stack([rot_z(self.gmst_begin_rad + EARTH_ROTATION_RAD_S * float(t)) for t in np.ravel(t_s)])

    def geodetic(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """WGS84 latitude, longitude (deg) and height (m) of the meteor at times ``t_s``."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        ecef = np.einsum("nij,nj->ni", self.eci_to_ecef(t), self.position_eci_m(t))
        return ecef_to_geodetic(ecef)


def build_track(
    gmst_begin_rad: float,
    begin_geodetic: tuple[float, float, float],
    end_geodetic: tuple[float, float, float],
    v_init_m_s: float,
    v_avg_m_s: float,
) -> Track:
    """The track through a begin point (at t = 0) and an end point (at t = duration), both (lat, lon, h_m).

    The duration is the length over the average speed (held between 0.7 and 1 times ``v_init``); the end
    point is fixed to the Earth at the end time, so the length is found by a short iteration.
    """
    v_avg = float(np.clip(v_avg_m_s, _MIN_V_AVG_FRACTION * v_init_m_s, v_init_m_s))
    begin = rot_z(gmst_begin_rad).T @ geodetic_to_ecef(*begin_geodetic)
    end_ecef = geodetic_to_ecef(*end_geodetic)
    duration = 0.0
    for _ in range(4):
        end = rot_z(gmst_begin_rad + EARTH_ROTATION_RAD_S * duration).T @ end_ecef
        length = float(np.linalg.norm(end - begin))
        duration = length / v_avg
    decel = max(0.0, (v_init_m_s * duration - length) / duration**3)
    return Track(gmst_begin_rad, begin, (end - begin) / length, v_init_m_s, decel, duration)


def place_network(
    rng: np.random.Generator,
    template_en_m: FloatArray,
    n_stations: int,
    spacing_m: tuple[float, float],
) -> tuple[FloatArray, NDArray[np.int64]]:
    """East/north offsets (n, 2) of a station network centred on 0, and the template row each came from.

    Up to ``len(template)`` stations are a random subset of the template (real positions); more are added
    one by one at ``spacing_m`` (uniform) from a random member in a random direction, at least the smaller
    spacing from all others. The network is then turned by a random angle about its centre.
    """
    n_template = min(n_stations, len(template_en_m))
    chosen = rng.choice(len(template_en_m), size=n_template, replace=False)
    points = [template_en_m[i] for i in chosen]
    origin = list(chosen)
    while len(points) < n_stations:
        anchor = int(rng.integers(len(points)))
        distance = rng.uniform(*spacing_m)
        bearing = rng.uniform(0.0, 2 * np.pi)
        candidate = points[anchor] + distance * np.array([np.sin(bearing), np.cos(bearing)])
        if min(float(np.linalg.norm(candidate - p)) for p in points) >= spacing_m[0]:
            points.append(candidate)
            origin.append(origin[anchor])
    en = np.array(points) - np.mean(points, axis=0)
    angle = rng.uniform(0.0, 2 * np.pi)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return en @ turn.T, np.array(origin, dtype=np.int64)


def template_offsets_m(lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
    """East/north offsets (n, 2) in metres of stations from their centroid, on its tangent plane."""
    ecef = geodetic_to_ecef(lat_deg, lon_deg, np.zeros_like(lat_deg))
    centre_lat, centre_lon, _ = ecef_to_geodetic(ecef.mean(axis=0))
    enu = (ecef - ecef.mean(axis=0)) @ enu_matrix(float(centre_lat), float(centre_lon)).T
    return np.asarray(enu[:, :2], dtype=np.float64)


def offsets_to_geodetic(
    centre_lat_deg: float, centre_lon_deg: float, en_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude of points east/north of a centre (tangent plane dropped onto the ellipsoid)."""
    axes = enu_matrix(centre_lat_deg, centre_lon_deg)
    ecef = geodetic_to_ecef(centre_lat_deg, centre_lon_deg, 0.0) + en_m @ axes[:2]
    lat, lon, _ = ecef_to_geodetic(ecef)
    return lat, lon


def sight_lines(track: Track, station_ecef_m: FloatArray, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unit vectors from a station to the meteor at times ``t_s``: ECI of date (n, 3) and ECEF (n, 3)."""
    to_ecef = track.eci_to_ecef(t_s)
    station_eci = np.einsum("nji,j->ni", to_ecef, station_ecef_m)
    line = track.position_eci_m(t_s) - station_eci
    line /= np.linalg.norm(line, axis=1, keepdims=True)
    return line, np.einsum("nij,nj->ni", to_ecef, line)


def max_convergence_deg(track: Track, stations_ecef_m: FloatArray, t_mid_s: float) -> float:
    """The largest angle between the planes that contain the track and a station, over station pairs."""
    point = track.position_eci_m(np.array([t_mid_s]))[0]
    to_eci = track.eci_to_ecef(np.array([t_mid_s]))[0].T
    normals = [np.cross(track.direction_eci, point - to_eci @ s) for s in stations_ecef_m]
    normals = [n / np.linalg.norm(n) for n in normals]
    best = 0.0
    for a, b in itertools.combinations(normals, 2):
        best = max(best, float(np.rad2deg(np.arccos(min(1.0, abs(float(a @ b)))))))
    return best
