"""The sky side of the RMS plate model: precession, refraction, hour angle and the reference pointing.

Vectorised numpy versions of the spherical astronomy that RMS (the Global Meteor Network's station
software) applies when it evaluates a platepar, written from the published formulas so that our numbers
agree with the network's to a small fraction of a pixel. Angles are in radians inside this module.

References
----------
- Meeus, J. (1998). *Astronomical Algorithms*, 2nd ed.: rigorous precession between two epochs (eq. 21.2
  and 21.4, IAU 1976), low-accuracy nutation (ch. 22), sidereal time (eq. 12.4), horizontal coordinates
  (eq. 13.5-13.6).
- Bennett, G. G. (1982), J. Navigation 35, 255: refraction from the apparent altitude.
- Saemundsson, T. (1986), Sky & Telescope 72, 70: refraction from the true altitude (with the 1.02 factor).
- Vida, D. et al. (2021), MNRAS 506, 5046, "The Global Meteor Network - Methodology and first results",
  sect. 2.4: the plate model, a pointing fixed in the horizontal frame, moved across the sky by the hour
  angle since the plate's reference time.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from calibration.sky import J2000_JD, gmst_deg

FloatArray = NDArray[np.float64]

#: How RMS carried the reference pointing to the time of an observation (see ``Platepar``).
PointingConvention = Literal["legacy", "precessed", "precessed+nutation"]
POINTING_CONVENTIONS: tuple[str, ...] = ("legacy", "precessed", "precessed+nutation")

_ARCSEC_RAD = np.pi / (180.0 * 3600.0)


def precession_angles(jd_start: FloatArray, jd_end: FloatArray) -> tuple[FloatArray, ...]:
    """IAU 1976 angles zeta, z, theta (rad) from epoch ``jd_start`` to ``jd_end`` (Meeus eq. 21.2)."""
    big_t = (jd_start - J2000_JD) / 36525.0
    t = (jd_end - jd_start) / 36525.0
    lin = 2306.2181 + 1.39656 * big_t - 0.000139 * big_t**2
    zeta = lin * t + (0.30188 - 0.000344 * big_t) * t**2 + 0.017998 * t**3
    z = lin * t + (1.09468 + 0.000066 * big_t) * t**2 + 0.018203 * t**3
    theta = (2004.3109 - 0.85330 * big_t - 0.000217 * big_t**2) * t
    theta = theta - (0.42665 + 0.000217 * big_t) * t**2 - 0.041833 * t**3
    return zeta * _ARCSEC_RAD, z * _ARCSEC_RAD, theta * _ARCSEC_RAD


def precess(
    ra: FloatArray, dec: FloatArray, jd_start: FloatArray, jd_end: FloatArray
) -> tuple[FloatArray, ...]:
    """Mean equatorial coordinates (rad) of epoch ``jd_start`` carried to ``jd_end`` (Meeus eq. 21.4)."""
    zeta, z, theta = precession_angles(jd_start, jd_end)
    a = np.cos(dec) * np.sin(ra + zeta)
    b = np.cos(theta) * np.cos(dec) * np.cos(ra + zeta) - np.sin(theta) * np.sin(dec)
    c = np.sin(theta) * np.cos(dec) * np.cos(ra + zeta) + np.cos(theta) * np.sin(dec)
    return np.mod(np.arctan2(a, b) + z, 2 * np.pi), np.arctan2(c, np.hypot(a, b))


def _precession_matrices(jd_start: FloatArray, jd_end: FloatArray) -> FloatArray:
    """Stack (n, 3, 3) of the rotations Rz(-z) Ry(theta) Rz(-zeta) of :func:`precession_angles`."""
    zeta, z, theta = precession_angles(jd_start, jd_end)
    cz, sz, ct, st, cs, ss = np.cos(z), np.sin(z), np.cos(theta), np.sin(theta), np.cos(zeta), np.sin(zeta)
    return np.stack(
        [
            np.stack([cs * ct * cz - ss * sz, -ss * ct * cz - cs * sz, -st * cz], axis=-1),
            np.stack([cs * ct * sz + ss * cz, -ss * ct * sz + cs * cz, -st * sz], axis=-1),
            np.stack([cs * st, -ss * st, ct], axis=-1),
        ],
        axis=-2,
    )


def _nutation_matrices(jd: FloatArray) -> FloatArray:
    """Low-accuracy nutation in obliquity, then in longitude (Meeus ch. 22), as RMS applies it."""
    t = (jd - J2000_JD) / 36525.0
    omega = np.radians(125.04452 - 1934.136261 * t)
    sun = np.radians(280.4665 + 36000.7698 * t)
    moon = np.radians(218.3165 + 481267.8813 * t)
    dpsi = -17.2 * np.sin(omega) - 1.32 * np.sin(2 * sun) - 0.23 * np.sin(2 * moon) + 0.21 * np.sin(2 * omega)
    deps = 9.2 * np.cos(omega) + 0.57 * np.cos(2 * sun) + 0.1 * np.cos(2 * moon) - 0.09 * np.cos(2 * omega)
    dpsi, deps = dpsi * _ARCSEC_RAD, deps * _ARCSEC_RAD
    one, zero = np.ones_like(t), np.zeros_like(t)
    ce, se, cp, sp = np.cos(deps), np.sin(deps), np.cos(dpsi), np.sin(dpsi)
    rot_eps = np.stack(
        [np.stack([one, zero, zero], -1), np.stack([zero, ce, se], -1), np.stack([zero, -se, ce], -1)], -2
    )
    rot_psi = np.stack(
        [np.stack([cp, -sp, zero], -1), np.stack([sp, cp, zero], -1), np.stack([zero, zero, one], -1)], -2
    )
    return np.asarray(rot_psi @ rot_eps)


def _unit(ra: FloatArray, dec: FloatArray) -> FloatArray:
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def _normalise(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True))


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(np.sum(a * b, axis=-1))


def precess_pointing_to_j2000(
    ra: FloatArray, dec: FloatArray, pos_angle: FloatArray, jd: FloatArray, *, nutation: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Carry a field centre and its position angle from the equator of ``jd`` to J2000.

    The position angle turns by the change of the angle between the image's normal direction (the plane
    through the old and new centre) and the local parallel of declination, measured before and after the
    precession, so that the field keeps its orientation on the sky (RMS since 2023-12). With ``nutation``,
    the new centre is also turned by the low-accuracy nutation, as RMS does since 2024.
    """
    p = _precession_matrices(jd, np.full_like(jd, J2000_JD))
    v0 = _unit(ra, dec)
    v1 = np.einsum("nij,nj->ni", p, v0)
    if nutation:
        v1 = np.einsum("nij,nj->ni", _nutation_matrices(jd), v1)
    n0 = np.cross(v0, v1)
    n1 = _normalise(np.einsum("nij,nj->ni", p, n0))
    n0 = _normalise(n0)
    v1 = _normalise(v1)
    ra1 = np.mod(np.arctan2(v1[:, 1], v1[:, 0]), 2 * np.pi)
    dec1 = np.arcsin(np.clip(v1[:, 2], -1.0, 1.0))

    def parallel(ra_: FloatArray, v: FloatArray) -> FloatArray:
        par = np.stack([-np.sin(ra_), np.cos(ra_), np.zeros_like(ra_)], axis=-1)
        return _normalise(par - _dot(par, v)[:, None] * v)

    p0, p1 = parallel(ra, v0), parallel(ra1, v1)
    angle0 = np.arctan2(_dot(np.cross(n0, p0), v0), _dot(n0, p0))
    angle1 = np.arctan2(_dot(np.cross(n1, p1), v1), _dot(n1, p1))
    pos_new = np.mod(pos_angle + (angle1 - angle0) + np.pi, 2 * np.pi) - np.pi
    same = jd == J2000_JD  # no precession at all: RMS keeps the input unchanged
    return (np.where(same, ra, ra1), np.where(same, dec, dec1), np.where(same, pos_angle, pos_new))


def lst_rad(jd: FloatArray, lon: float) -> FloatArray:
    """Local mean sidereal time (rad) at east longitude ``lon`` (rad)."""
    return np.asarray(np.radians(np.mod(gmst_deg(jd) + np.degrees(lon) + 360.0, 360.0)))


def radec_to_altaz_of_date(
    ra: FloatArray, dec: FloatArray, jd: FloatArray, lat: float, lon: float
) -> tuple[FloatArray, FloatArray]:
    """Azimuth (east of north) and altitude (rad) of equatorial coordinates of the same date (Meeus 13.5)."""
    ha = np.mod(lst_rad(jd, lon) - ra + np.pi, 2 * np.pi) - np.pi
    az = np.pi + np.arctan2(np.sin(ha), np.cos(ha) * np.sin(lat) - np.tan(dec) * np.cos(lat))
    alt = np.arcsin(np.clip(np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(ha), -1.0, 1.0))
    return az, alt


def altaz_to_radec_of_date(
    az: FloatArray, alt: FloatArray, jd: FloatArray, lat: float, lon: float
) -> tuple[FloatArray, FloatArray]:
    """Equatorial coordinates of date (rad) of a horizontal direction (Meeus 13.5, inverted)."""
    ha = np.arctan2(-np.sin(az), np.tan(alt) * np.cos(lat) - np.cos(az) * np.sin(lat))
    ra = np.mod(lst_rad(jd, lon) - ha + 2 * np.pi, 2 * np.pi)
    dec = np.arcsin(np.clip(np.sin(lat) * np.sin(alt) + np.cos(lat) * np.cos(alt) * np.cos(az), -1.0, 1.0))
    return ra, dec


def refraction_true_to_apparent(alt: FloatArray) -> FloatArray:
    """Apparent altitude (rad) of a true one (Saemundsson 1986), frozen below -0.5 deg."""
    h = np.maximum(np.degrees(alt), -0.5)
    return np.asarray(alt + np.radians(1.02 / (60.0 * np.tan(np.radians(h + 10.3 / (h + 5.11))))))


def refraction_apparent_to_true(alt: FloatArray) -> FloatArray:
    """True altitude (rad) of an apparent one (Bennett 1982), frozen below -0.5 deg."""
    h = np.maximum(np.degrees(alt), -0.5)
    return np.asarray(alt - np.radians(1.0 / (60.0 * np.tan(np.radians(h + 7.31 / (h + 4.4))))))


def refract_equatorial(
    ra: FloatArray, dec: FloatArray, jd: FloatArray, lat: float, lon: float, *, to_apparent: bool
) -> tuple[FloatArray, FloatArray]:
    """J2000 coordinates (rad) moved by refraction at ``jd``: precessed to date, refracted, back."""
    j2000 = np.full_like(jd, J2000_JD)
    ra_d, dec_d = precess(ra, dec, j2000, jd)
    az, alt = radec_to_altaz_of_date(ra_d, dec_d, jd, lat, lon)
    alt = refraction_true_to_apparent(alt) if to_apparent else refraction_apparent_to_true(alt)
    ra_d, dec_d = altaz_to_radec_of_date(az, alt, jd, lat, lon)
    ra_j, dec_j = precess(ra_d, dec_d, jd, j2000)
    return ra_j, dec_j


def reference_pointing(
    jd: FloatArray,
    *,
    ra_ref: float,
    dec_ref: float,
    ha_ref: float,
    pos_angle_ref: float,
    lat: float,
    lon: float,
    refraction: bool,
    convention: PointingConvention,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Field centre (RA, Dec) and position angle (rad) at each ``jd``, as RMS computes them.

    The centre keeps its hour angle: its right ascension grows with the Greenwich sidereal time since the
    reference (``ha_ref`` is the GMST of the plate's reference time). With refraction on, the true centre is
    lifted to where the camera sees it. ``"legacy"`` stops there (RMS before 2023-12-11); the other
    conventions then precess the centre and its position angle from the date to J2000 (and nutate it).
    """
    ra_now = np.mod(ra_ref + np.radians(gmst_deg(jd)) - ha_ref + 2 * np.pi, 2 * np.pi)
    dec_now = np.full_like(jd, dec_ref)
    if refraction:
        ra_now, dec_now = refract_equatorial(ra_now, dec_now, jd, lat, lon, to_apparent=True)
    pos = np.full_like(jd, pos_angle_ref)
    if convention == "legacy":
        return ra_now, dec_now, pos
    return precess_pointing_to_j2000(ra_now, dec_now, pos, jd, nutation=convention == "precessed+nutation")
