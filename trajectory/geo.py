"""Where things are on and around the Earth: WGS84 geodetic <-> ECEF, sidereal time, ECEF <-> ECI of date,
RA/Dec J2000 <-> of date, azimuth/altitude of date <-> RA/Dec of date.

Frames
------
ECEF
    Earth-fixed, metres (WGS84; polar motion ignored: < 15 m at the surface, the same for every station and
    point of an event, so it shifts nothing relative to the stations).
ECI of date
    Geocentric, axes on the true equator and equinox of date: RA/Dec of date are the spherical angles of its
    unit vectors; ECEF turns into it by the Greenwich apparent sidereal time (GAST). The trajectory solver
    works in this frame (Vida et al. 2020, MNRAS 491, 2688, section 2), where a meteor flies a straight line
    while the stations turn with the Earth.
J2000
    The GCRS (the J2000 mean equator and equinox within 0.02 arcsec); to ECI of date by the IAU 2006/2000A
    precession-nutation matrix.

Time scales: times come as UTC (``numpy.datetime64``). UT1 is taken equal to UTC (``|UT1 - UTC| < 0.9 s``,
at most 13.5 arcsec of Earth rotation, the same for every station); TT = UTC + 32.184 s + the leap seconds
of ERFA's table. The SOFA/ERFA routines (``pyerfa``, astropy's own engine) do the astronomy; nothing here
downloads anything.

Heights: the ellipsoid is WGS84. No geoid model ships with the package, so station elevations above mean
sea level are used as ellipsoidal heights; every height the solver reports is then above mean sea level to
within the change of the geoid undulation across the event (a few metres over 100 km; the undulation itself,
about +47 m in southern England and up to 110 m anywhere, cancels because stations and meteor are shifted
together). See :func:`geodetic_to_ecef`.

Example
-------
>>> import numpy as np
>>> xyz = geodetic_to_ecef(np.array([51.0]), np.array([-1.0]), np.array([100.0]))
>>> lat, lon, h = ecef_to_geodetic(xyz)
>>> round(float(lat[0]), 9), round(float(lon[0]), 9), round(float(h[0]), 6)
(51.0, -1.0, 100.0)
"""

from __future__ import annotations

import warnings

import erfa
import numpy as np

__all__ = [
    "altaz_to_unit_eci",
    "ecef_to_eci",
    "ecef_to_geodetic",
    "eci_to_ecef",
    "enu_basis",
    "geodetic_to_ecef",
    "j2000_to_date_matrix",
    "jd_utc",
    "radec_to_unit",
    "sidereal_angle_rad",
    "unit_eci_to_altaz",
    "unit_to_radec",
]

_WGS84 = 1  # ERFA's ellipsoid identifier
_UNIX_EPOCH_JD = 2440587.5


def jd_utc(t_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-part Julian dates (whole days, fraction) of UTC times given as ``numpy.datetime64``."""
    us = (np.asarray(t_utc).astype("datetime64[us]") - np.datetime64(0, "us")).astype(np.int64)
    days, rem_us = np.divmod(us, 86_400_000_000)
    return _UNIX_EPOCH_JD + days.astype(float), rem_us / 86_400_000_000.0


def _jd_tt(t_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u1, u2 = jd_utc(t_utc)
    with warnings.catch_warnings():  # "dubious year": a date past ERFA's leap-second table; harmless here
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        a1, a2 = erfa.utctai(u1, u2)
        return erfa.taitt(a1, a2)  # type: ignore[no-any-return]


_EARTH_RATE_RAD_S = 7.292115146706979e-5  # d(ERA)/dt: 1.00273781191135448 turns per UT1 day (IERS 2010)


def sidereal_angle_rad(t_utc: np.ndarray) -> np.ndarray:
    """Greenwich apparent sidereal time (rad) at UTC times (IAU 2006/2000A, UT1 = UTC).

    The full model is evaluated once per distinct UTC minute and carried to each time at the Earth's
    rotation rate: the equation of the equinoxes changes by less than 1e-9 rad in a minute.
    """
    t = np.asarray(t_utc).astype("datetime64[us]")
    minute = t.astype("datetime64[m]")
    anchors, index = np.unique(minute.ravel(), return_inverse=True)
    anchors_us = anchors.astype("datetime64[us]")
    u1, u2 = jd_utc(anchors_us)
    t1, t2 = _jd_tt(anchors_us)
    gast = np.asarray(erfa.gst06a(u1, u2, t1, t2), dtype=float)[index].reshape(t.shape)
    seconds = (t - minute.astype("datetime64[us]")) / np.timedelta64(1, "us") * 1e-6
    return np.asarray(gast + _EARTH_RATE_RAD_S * seconds)


def j2000_to_date_matrix(t_utc: np.ndarray) -> np.ndarray:
    """The (3, 3) rotation from J2000 (GCRS) to the true equator and equinox of date at the mean time.

    Precession and nutation change by less than 1e-9 rad in a minute, so one matrix serves a whole event.
    """
    t = np.asarray(t_utc).astype("datetime64[us]").ravel()
    mid = t[0] + (t - t[0]).mean().astype("timedelta64[us]")
    t1, t2 = _jd_tt(np.array([mid]))
    matrix: np.ndarray = np.asarray(erfa.pnm06a(t1, t2), dtype=float)[0]
    return matrix


def _rot_z(angle_rad: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.stack([c * x - s * y, s * x + c * y, np.broadcast_to(z, np.shape(c * x))], axis=-1)


def ecef_to_eci(xyz_m: np.ndarray, t_utc: np.ndarray) -> np.ndarray:
    """ECEF vectors (..., 3) to ECI of date at the given UTC times (broadcast), by GAST about the pole."""
    return _rot_z(sidereal_angle_rad(t_utc), np.asarray(xyz_m, dtype=float))


def eci_to_ecef(xyz_m: np.ndarray, t_utc: np.ndarray) -> np.ndarray:
    """ECI of date vectors (..., 3) to ECEF at the given UTC times (broadcast); inverse of ecef_to_eci."""
    return _rot_z(-sidereal_angle_rad(t_utc), np.asarray(xyz_m, dtype=float))


def geodetic_to_ecef(lat_deg: np.ndarray, lon_deg: np.ndarray, height_m: np.ndarray) -> np.ndarray:
    """WGS84 geodetic latitude, east longitude (deg) and height (m) to ECEF (m), shape (..., 3).

    A height above mean sea level is used as an ellipsoidal height (see the module docstring for why
    the geoid undulation cancels out of a trajectory).
    """
    lat, lon, h = np.broadcast_arrays(
        np.asarray(lat_deg, float), np.asarray(lon_deg, float), np.asarray(height_m, float)
    )
    return np.asarray(erfa.gd2gc(_WGS84, np.radians(lon), np.radians(lat), h), dtype=float)


def ecef_to_geodetic(xyz_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF (m, shape (..., 3)) to WGS84 latitude, east longitude in [-180, 180) (deg) and height (m)."""
    lon, lat, h = erfa.gc2gd(_WGS84, np.asarray(xyz_m, dtype=float))
    lon_deg = (np.degrees(lon) + 180.0) % 360.0 - 180.0
    return np.degrees(lat), lon_deg, np.asarray(h, dtype=float)


def radec_to_unit(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    """Unit vectors (..., 3) of right ascensions and declinations (deg)."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def unit_to_radec(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right ascension in [0, 360) and declination (deg) of vectors (..., 3) (any length)."""
    v = np.asarray(v, dtype=float)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return ra, dec


def enu_basis(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Rows: the east, north and up unit vectors (ECEF) of a place on the WGS84 ellipsoid."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.array(
        [
            [-np.sin(lo), np.cos(lo), 0.0],
            [-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)],
            [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)],
        ]
    )


def altaz_to_unit_eci(
    az_deg: np.ndarray, alt_deg: np.ndarray, lat_deg: float, lon_deg: float, t_utc: np.ndarray
) -> np.ndarray:
    """Unit vectors in ECI of date of azimuths (east of north) and altitudes of date (deg, no refraction)."""
    az, alt = np.radians(az_deg), np.radians(alt_deg)
    enu = np.stack([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)], axis=-1)
    return ecef_to_eci(enu @ enu_basis(lat_deg, lon_deg), t_utc)


def unit_eci_to_altaz(
    v_eci: np.ndarray, lat_deg: float, lon_deg: float, t_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth east of north in [0, 360) and altitude (deg) of ECI-of-date directions seen from a place."""
    enu = eci_to_ecef(v_eci, t_utc) @ enu_basis(lat_deg, lon_deg).T
    az = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
    alt = np.degrees(np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1])))
    return az, alt
