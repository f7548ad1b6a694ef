"""Time and sky coordinates: Julian dates, sidereal time, precession, RA/Dec <-> alt/az.

Pure numpy functions, arrays in and arrays out, angles in degrees at the boundary. The accuracy target is
about 1 arcmin, the size of a pixel of a wide-field meteor camera: nutation (< 20 arcsec), annual
aberration (< 21 arcsec), polar motion and UT1 - UTC (< 0.9 s of time, 14 arcsec) are ignored, and so is
atmospheric refraction (alt/az "of date, no refraction", as the RMS FTPdetectinfo files give them).

References
----------
- Meeus, J. (1998). *Astronomical Algorithms*, 2nd ed., Willmann-Bell: Julian day (ch. 7), mean sidereal
  time (eq. 12.4, the IAU 1982 expression of Aoki et al. 1982), precession (eq. 21.2-21.4, the IAU 1976
  angles of Lieske et al. 1977), horizontal coordinates (eq. 13.5-13.6).

Azimuth is measured from north through east (north 0, east 90). Example::

    >>> from datetime import datetime, timezone
    >>> jd = julian_date(datetime(2000, 1, 1, 12, tzinfo=timezone.utc))
    >>> float(jd)
    2451545.0
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "J2000_JD",
    "altaz_to_radec",
    "gmst_deg",
    "julian_date",
    "precession_matrix",
    "radec_to_altaz",
]

J2000_JD = 2451545.0
_UNIX_EPOCH_JD = 2440587.5
_ARCSEC_DEG = 1.0 / 3600.0

FloatArray = NDArray[np.float64]


def julian_date(dt: datetime) -> float:
    """Julian date (UTC scale, used as UT1) of a timezone-aware datetime.

    Naive datetimes are rejected: a station's clock is UTC and the code must say so.
    """
    if dt.tzinfo is None:
        raise ValueError(f"julian_date: dt={dt!r} is naive; expected a timezone-aware datetime (UTC)")
    delta = dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return _UNIX_EPOCH_JD + delta.days + (delta.seconds + delta.microseconds * 1e-6) / 86400.0


def gmst_deg(jd_ut1: ArrayLike) -> FloatArray:
    """Greenwich mean sidereal time in degrees [0, 360) (Meeus eq. 12.4, IAU 1982)."""
    jd = np.asarray(jd_ut1, dtype=np.float64)
    d = jd - J2000_JD
    t = d / 36525.0
    theta = 280.46061837 + 360.98564736629 * d + 0.000387933 * t * t - t * t * t / 38710000.0
    return np.asarray(np.mod(theta, 360.0))


def precession_matrix(jd_tt: float) -> FloatArray:
    """Rotation matrix taking J2000 equatorial unit vectors to the mean equator and equinox of ``jd_tt``.

    IAU 1976 precession angles zeta, z, theta (Lieske et al. 1977; Meeus eq. 21.3), starting at J2000.
    """
    t = (jd_tt - J2000_JD) / 36525.0
    zeta = np.radians((2306.2181 * t + 0.30188 * t**2 + 0.017998 * t**3) * _ARCSEC_DEG)
    z = np.radians((2306.2181 * t + 1.09468 * t**2 + 0.018203 * t**3) * _ARCSEC_DEG)
    theta = np.radians((2004.3109 * t - 0.42665 * t**2 - 0.041833 * t**3) * _ARCSEC_DEG)
    return _rot_z(-z) @ _rot_y(theta) @ _rot_z(-zeta)


def _rot_z(angle_rad: float) -> FloatArray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_y(angle_rad: float) -> FloatArray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


def _unit(ra_deg: FloatArray, dec_deg: FloatArray) -> FloatArray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def _angles(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    lon = np.mod(np.degrees(np.arctan2(v[1], v[0])), 360.0)
    lat = np.degrees(np.arcsin(np.clip(v[2], -1.0, 1.0)))
    return lon, lat


def radec_to_altaz(
    ra_deg: ArrayLike, dec_deg: ArrayLike, jd: float, lat_deg: float, lon_deg: float
) -> tuple[FloatArray, FloatArray]:
    """Horizontal coordinates of date for J2000 equatorial coordinates.

    Parameters
    ----------
    ra_deg, dec_deg : array_like
        Right ascension and declination, J2000, degrees.
    jd : float
        Julian date (UTC, used as both UT1 and TT: the 69 s difference moves precession by 0.1 mas).
    lat_deg, lon_deg : float
        Geodetic latitude and longitude (east positive) of the observer, degrees.

    Returns
    -------
    az_deg, alt_deg : ndarray
        Azimuth east of north in [0, 360) and altitude, degrees, of date, without refraction.
    """
    ra = np.asarray(ra_deg, dtype=np.float64)
    dec = np.asarray(dec_deg, dtype=np.float64)
    shape = np.broadcast(ra, dec).shape
    v = precession_matrix(jd) @ _unit(*np.broadcast_arrays(ra.ravel(), dec.ravel()))
    ra_date, dec_date = _angles(v)
    ha = np.radians(float(gmst_deg(jd)) + lon_deg - ra_date)
    dec_r, lat = np.radians(dec_date), np.radians(lat_deg)
    # Local frame: x to the south, y to the west, z to the zenith (Meeus ch. 13, azimuth from the south).
    x = np.cos(ha) * np.cos(dec_r) * np.sin(lat) - np.sin(dec_r) * np.cos(lat)
    y = np.sin(ha) * np.cos(dec_r)
    z = np.cos(ha) * np.cos(dec_r) * np.cos(lat) + np.sin(dec_r) * np.sin(lat)
    az = np.mod(np.degrees(np.arctan2(y, x)) + 180.0, 360.0)
    alt = np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))
    return az.reshape(shape), alt.reshape(shape)


def altaz_to_radec(
    az_deg: ArrayLike, alt_deg: ArrayLike, jd: float, lat_deg: float, lon_deg: float
) -> tuple[FloatArray, FloatArray]:
    """J2000 right ascension and declination (degrees) of horizontal coordinates of date.

    The inverse of :func:`radec_to_altaz`; same conventions and parameters.
    """
    az = np.asarray(az_deg, dtype=np.float64)
    alt = np.asarray(alt_deg, dtype=np.float64)
    shape = np.broadcast(az, alt).shape
    az_s, alt_r = np.broadcast_arrays(np.radians(az.ravel() - 180.0), np.radians(alt.ravel()))
    lat = np.radians(lat_deg)
    x, y, z = np.cos(alt_r) * np.cos(az_s), np.cos(alt_r) * np.sin(az_s), np.sin(alt_r)
    # Rotate the south/west/zenith frame back to hour angle and declination.
    xe = x * np.sin(lat) + z * np.cos(lat)
    ze = -x * np.cos(lat) + z * np.sin(lat)
    ha = np.degrees(np.arctan2(y, xe))
    dec_date = np.degrees(np.arcsin(np.clip(ze, -1.0, 1.0)))
    ra_date = np.mod(float(gmst_deg(jd)) + lon_deg - ha, 360.0)
    v = precession_matrix(jd).T @ _unit(ra_date, dec_date)
    ra, dec = _angles(v)
    return ra.reshape(shape), dec.reshape(shape)
