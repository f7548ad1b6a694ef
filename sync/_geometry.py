"""Earth-fixed geometry for grouping observations: WGS84 sites, lines of sight, planes and heights.

Grouping needs only a coarse geometric test (do two stations' planes of sight meet at meteor heights?), so
it works in the Earth-fixed (ECEF) frame with directions of date: the stations of one event observe within
seconds, over which the Earth turns by less than 0.02 deg. The trajectory solver does the exact work.
Vectors are plain 3-tuples: grouping a network's night makes millions of these small products, where
numpy's per-call cost would dominate.

WGS84 constants and the geodetic conversions follow the standard closed forms (NIMA TR8350.2; Bowring
1976 for the inverse).
"""

from __future__ import annotations

import math

Vec = tuple[float, float, float]

_A_M = 6_378_137.0  # WGS84 semi-major axis
_F = 1.0 / 298.257223563
_B_M = _A_M * (1.0 - _F)
_E2 = _F * (2.0 - _F)
_EP2 = _E2 / (1.0 - _E2)


def dot(a: Vec, b: Vec) -> float:
    """Scalar product."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Vec, b: Vec) -> Vec:
    """Vector product."""
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Vec) -> float:
    """Length."""
    return math.sqrt(dot(a, a))


def sub(a: Vec, b: Vec) -> Vec:
    """a - b."""
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def site_ecef_m(lat_deg: float, lon_deg: float, elevation_m: float) -> Vec:
    """ECEF position (m) of a site from WGS84 latitude, longitude and height."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = _A_M / math.sqrt(1.0 - _E2 * math.sin(lat) ** 2)
    return (
        (n + elevation_m) * math.cos(lat) * math.cos(lon),
        (n + elevation_m) * math.cos(lat) * math.sin(lon),
        (n * (1.0 - _E2) + elevation_m) * math.sin(lat),
    )


def height_m(ecef_m: Vec) -> float:
    """WGS84 height (m) of an ECEF point (Bowring's closed form; sub-metre at meteor heights)."""
    x, y, z = ecef_m
    p = math.hypot(x, y)
    theta = math.atan2(z * _A_M, p * _B_M)
    lat = math.atan2(z + _EP2 * _B_M * math.sin(theta) ** 3, p - _E2 * _A_M * math.cos(theta) ** 3)
    n = _A_M / math.sqrt(1.0 - _E2 * math.sin(lat) ** 2)
    if abs(math.cos(lat)) > 1e-9:
        return p / math.cos(lat) - n
    return abs(z) - _B_M


def enu_basis(lat_deg: float, lon_deg: float) -> tuple[Vec, Vec, Vec]:
    """East, north and up unit vectors (ECEF) at a site."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    east = (-math.sin(lon), math.cos(lon), 0.0)
    north = (-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat))
    up = (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))
    return east, north, up


def direction_ecef(lat_deg: float, lon_deg: float, az_deg: float, alt_deg: float) -> Vec:
    """Unit ECEF vector of a direction given as azimuth (east of north) and altitude of date at a site."""
    az, alt = math.radians(az_deg), math.radians(alt_deg)
    de, dn, du = math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)
    e, n, u = enu_basis(lat_deg, lon_deg)
    return (
        de * e[0] + dn * n[0] + du * u[0],
        de * e[1] + dn * n[1] + du * u[1],
        de * e[2] + dn * n[2] + du * u[2],
    )


def plane_normal(begin: Vec, end: Vec) -> Vec | None:
    """Unit normal of the plane through a station holding two lines of sight (None if they coincide)."""
    normal = cross(begin, end)
    size = norm(normal)
    return (normal[0] / size, normal[1] / size, normal[2] / size) if size > 1e-9 else None


def convergence_deg(normal_a: Vec, normal_b: Vec) -> float:
    """Angle between two planes of sight (0..90 deg): how well two stations' views of a meteor cross."""
    return math.degrees(math.acos(min(1.0, abs(dot(normal_a, normal_b)))))


def ray_on_plane(origin: Vec, direction: Vec, plane_point: Vec, normal: Vec) -> Vec | None:
    """Where a line of sight meets another station's plane (None behind the observer or parallel)."""
    denom = dot(normal, direction)
    if abs(denom) < 1e-12:
        return None
    distance = dot(normal, sub(plane_point, origin)) / denom
    if distance <= 0:
        return None
    return (origin[0] + distance * direction[0], origin[1] + distance * direction[1],
            origin[2] + distance * direction[2])  # fmt: skip
