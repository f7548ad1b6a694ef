"""Earth-fixed geometry for grouping observations: WGS84 sites, lines of sight, planes and heights.

Grouping needs only a coarse geometric test (do two stations' planes of sight meet at meteor heights?), so
it works in the Earth-fixed (ECEF) frame with directions of date: the stations of one event observe within
seconds, over which the Earth turns by less than 0.02 deg. The trajectory solver does the exact work.

WGS84 constants and the geodetic conversions follow the standard closed forms (NIMA TR8350.2; Bowring
1976 for the inverse).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_A_M = 6_378_137.0  # WGS84 semi-major axis
_F = 1.0 / 298.257223563
_B_M = _A_M * (1.0 - _F)
_E2 = _F * (2.0 - _F)
_EP2 = _E2 / (1.0 - _E2)


def site_ecef_m(lat_deg: float, lon_deg: float, elevation_m: float) -> FloatArray:
    """ECEF position (m) of a site from WGS84 latitude, longitude and height."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = _A_M / math.sqrt(1.0 - _E2 * math.sin(lat) ** 2)
    return np.array(
        [
            (n + elevation_m) * math.cos(lat) * math.cos(lon),
            (n + elevation_m) * math.cos(lat) * math.sin(lon),
            (n * (1.0 - _E2) + elevation_m) * math.sin(lat),
        ]
    )


def height_m(ecef_m: FloatArray) -> float:
    """WGS84 height (m) of an ECEF point (Bowring's closed form; sub-metre at meteor heights)."""
    x, y, z = (float(v) for v in ecef_m)
    p = math.hypot(x, y)
    theta = math.atan2(z * _A_M, p * _B_M)
    lat = math.atan2(z + _EP2 * _B_M * math.sin(theta) ** 3, p - _E2 * _A_M * math.cos(theta) ** 3)
    n = _A_M / math.sqrt(1.0 - _E2 * math.sin(lat) ** 2)
    if abs(math.cos(lat)) > 1e-9:
        return p / math.cos(lat) - n
    return abs(z) - _B_M


def direction_ecef(lat_deg: float, lon_deg: float, az_deg: float, alt_deg: float) -> FloatArray:
    """Unit ECEF vector of a direction given as azimuth (east of north) and altitude of date at a site."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    az, alt = math.radians(az_deg), math.radians(alt_deg)
    east, north, up = math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)
    e = np.array([-math.sin(lon), math.cos(lon), 0.0])
    n = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)])
    u = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    return east * e + north * n + up * u


def plane_normal(begin: FloatArray, end: FloatArray) -> FloatArray | None:
    """Unit normal of the plane through a station holding two lines of sight (None if they coincide)."""
    normal = np.cross(begin, end)
    size = float(np.linalg.norm(normal))
    return normal / size if size > 1e-9 else None


def convergence_deg(normal_a: FloatArray, normal_b: FloatArray) -> float:
    """Angle between two planes of sight (0..90 deg): how well two stations' views of a meteor cross."""
    cos = min(1.0, abs(float(np.dot(normal_a, normal_b))))
    return math.degrees(math.acos(cos))


def ray_on_plane(
    origin: FloatArray, direction: FloatArray, plane_point: FloatArray, normal: FloatArray
) -> FloatArray | None:
    """Where a line of sight meets another station's plane (None behind the observer or parallel)."""
    denom = float(np.dot(normal, direction))
    if abs(denom) < 1e-12:
        return None
    distance = float(np.dot(normal, plane_point - origin)) / denom
    return origin + distance * direction if distance > 0 else None
