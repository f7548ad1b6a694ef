"""Frames for orbits and simulations: geodetic <-> ECEF, ECEF <-> ECI of date, of date <-> J2000, ecliptic.

The ECI frame "of date" of this package is the one a trajectory solver gets by turning a station's
Earth-fixed position with the Greenwich mean sidereal time: x to the mean equinox of date, z to the
mean pole of date (IAU 1976 precession, Lieske et al. 1977, ``erfa.pmat76``; mean sidereal time IAU 1982,
Aoki et al. 1982, ``erfa.gmst82``). Nutation (< 20 arcsec), polar motion and UT1 - UTC (< 0.9 s of
rotation, < 14 arcsec) are left out, as in the calibration package (``calibration/sky.py``) whose RA/Dec and
az/alt the stations publish: UT1 is taken equal to UTC. Geodetic coordinates are WGS84 (``erfa.gd2gc``).
The ecliptic is the J2000 mean ecliptic, obliquity 84381.448 arcsec (IAU 1976).

Private helpers of ``orbit.py`` and ``simulate.py``: angles in degrees, vectors as arrays of shape (3,) or
(n, 3) in metres.
"""

from __future__ import annotations

from datetime import datetime

import erfa
import numpy as np
from numpy.typing import ArrayLike, NDArray

from trajectory._ephemeris import julian_date_ut, tt_julian_date

FloatArray = NDArray[np.float64]

EARTH_ROTATION_RAD_S = 7.292115e-5  # IERS Conventions 2010, nominal mean angular velocity
OBLIQUITY_J2000_RAD = np.deg2rad(84381.448 / 3600.0)
_WGS84 = 1


def gmst_rad(t_utc: datetime) -> float:
    """Greenwich mean sidereal time (rad) of a UTC instant, UT1 = UTC (IAU 1982)."""
    day, fraction = julian_date_ut(t_utc)
    return float(erfa.gmst82(day, fraction))


def rot_z(angle_rad: float) -> FloatArray:
    """The matrix that turns a frame by ``angle_rad`` about z (vectors expressed in the turned frame)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_x(angle_rad: float) -> FloatArray:
    """The matrix that turns a frame by ``angle_rad`` about x."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def ecef_to_eci_matrix(t_utc: datetime) -> FloatArray:
    """ECEF -> ECI of date at ``t_utc``: a turn by -GMST about the pole."""
    return rot_z(-gmst_rad(t_utc))


def j2000_to_of_date_matrix(t_utc: datetime) -> FloatArray:
    """J2000 mean equator and equinox -> mean equator and equinox of date (IAU 1976 precession)."""
    return np.asarray(erfa.pmat76(tt_julian_date(t_utc), 0.0), dtype=np.float64)


def equatorial_to_ecliptic_matrix() -> FloatArray:
    """J2000 equatorial -> J2000 ecliptic axes."""
    return rot_x(float(OBLIQUITY_J2000_RAD))


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, height_m: ArrayLike) -> FloatArray:
    """WGS84 geodetic latitude, longitude (east) and ellipsoidal height -> ECEF metres, shape (..., 3)."""
    return np.asarray(
        erfa.gd2gc(_WGS84, np.deg2rad(lon_deg), np.deg2rad(lat_deg), np.asarray(height_m, dtype=np.float64)),
        dtype=np.float64,
    )


def ecef_to_geodetic(xyz_m: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF metres -> WGS84 (lat_deg, lon_deg in (-180, 180], height_m)."""
    lon_rad, lat_rad, height_m = erfa.gc2gd(_WGS84, np.asarray(xyz_m, dtype=np.float64))
    return np.rad2deg(lat_rad), np.rad2deg(lon_rad), np.asarray(height_m, dtype=np.float64)


def enu_matrix(lat_deg: float, lon_deg: float) -> FloatArray:
    """ECEF -> local east, north, up axes at a geodetic position (rows are the unit vectors)."""
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return np.vstack([east, north, up])


def unit_vector(ra_deg: ArrayLike, dec_deg: ArrayLike) -> FloatArray:
    """Unit vectors (..., 3) of spherical angles in degrees (RA/Dec, or longitude/latitude)."""
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def angles_deg(vectors: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Spherical angles (longitude in [0, 360), latitude) in degrees of vectors (..., 3), any length."""
    v = np.asarray(vectors, dtype=np.float64)
    norm = np.linalg.norm(v, axis=-1)
    lon = np.rad2deg(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    lat = np.rad2deg(np.arcsin(np.clip(v[..., 2] / norm, -1.0, 1.0)))
    return lon, lat


def angle_between_deg(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Angle between vectors (..., 3) in degrees, accurate at small angles (atan2 of cross and dot)."""
    u, v = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.asarray(np.rad2deg(np.arctan2(cross, np.sum(u * v, axis=-1))), dtype=np.float64)
