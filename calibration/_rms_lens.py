"""The image side of the RMS plate model: the distortion polynomials and the azimuthal equidistant projection.

RMS platepars describe the lens by two polynomials, a forward one (image -> undistorted focal plane) and a
separately fitted reverse one (focal plane -> image), and project the focal plane onto the sky about the field
centre with an azimuthal equidistant projection (Vida et al. 2021, MNRAS 506, 5046, sect. 2.4; the RMS
wiki's "platepar" page). Pixel offsets are measured from ``(X_res / 2, Y_res / 2)``, as RMS does.

Radial models (``radialN-odd``, ``radialN-all``) store, in ``x_poly``, the distortion centre (x0, y0, in
units of half the image width and height), the aspect term ``xy`` (absent when ``equal_aspect``), the
asymmetry amplitude and angle (a1; a2 in turns; absent without ``asymmetry_corr``) and the radial
coefficients k1.. of the radius normalised to half the image width; when ``force_distortion_centre`` the
centre is not stored and sits half a pixel from the image centre. ``poly3+radial`` (and ``+radial3``,
``+radial5``) store a full cubic in x and y plus radial terms, per axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Powers of the normalised radius in each radial model (the first power, 1, is implicit).
RADIAL_POWERS: dict[str, tuple[int, ...]] = {
    "radial3-all": (2, 3),
    "radial4-all": (2, 3, 4),
    "radial5-all": (2, 3, 4, 5),
    "radial3-odd": (3,),
    "radial5-odd": (3, 5),
    "radial7-odd": (3, 5, 7),
    "radial9-odd": (3, 5, 7, 9),
}
#: Number of coefficients per axis of the polynomial models.
POLY_LENGTHS: dict[str, int] = {"poly3+radial": 12, "poly3+radial3": 13, "poly3+radial5": 14}
DISTORTION_TYPES: tuple[str, ...] = tuple(sorted([*RADIAL_POWERS, *POLY_LENGTHS]))


@dataclass(frozen=True)
class _Radial:
    x0: float
    y0: float
    xy: float
    a1: float
    a2: float
    k: tuple[float, ...]
    powers: tuple[int, ...]


def radial_length(
    distortion_type: str, *, equal_aspect: bool, asymmetry_corr: bool, forced_centre: bool
) -> int:
    """Number of ``x_poly`` entries a radial model reads with these switches."""
    skipped = (1 if equal_aspect else 0) + (0 if asymmetry_corr else 2) + (2 if forced_centre else 0)
    return 5 + len(RADIAL_POWERS[distortion_type]) - skipped


def unpack_radial(
    poly: FloatArray,
    distortion_type: str,
    x_res: float,
    y_res: float,
    *,
    equal_aspect: bool,
    asymmetry_corr: bool,
    forced_centre: bool,
) -> _Radial:
    """The radial model's parameters, with the distortion centre in pixels (wrapped into the image)."""
    values = list(poly)
    if forced_centre:
        x0, y0 = 0.5 / (x_res / 2.0), 0.5 / (y_res / 2.0)
    else:
        x0, y0 = values.pop(0), values.pop(0)
    x0 = -x_res / 2.0 + np.mod(x0 * x_res / 2.0 + x_res / 2.0, x_res)
    y0 = -y_res / 2.0 + np.mod(y0 * y_res / 2.0 + y_res / 2.0, y_res)
    xy = 0.0 if equal_aspect else values.pop(0)
    a1, a2 = (values.pop(0), np.mod(values.pop(0) * 2 * np.pi, 2 * np.pi)) if asymmetry_corr else (0.0, 0.0)
    powers = RADIAL_POWERS[distortion_type]
    return _Radial(
        float(x0), float(y0), float(xy), float(a1), float(a2), tuple(values[: len(powers)]), powers
    )


def _radial_scale(r: FloatArray, model: _Radial) -> FloatArray:
    """r_corr / r - 1 for the normalised radius r (0 at r == 0)."""
    r_corr = r.copy()
    for k, power in zip(model.k, model.powers, strict=True):
        r_corr = r_corr + k * r**power
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r == 0, 0.0, r_corr / r - 1.0)


def _cubic(poly: FloatArray, x: FloatArray, y: FloatArray, r: FloatArray, *, y_axis: bool) -> FloatArray:
    """The ``poly3+radial`` offset of one axis (the cross radial term swaps its variable on the y axis)."""
    own, other = (y, x) if y_axis else (x, y)
    d = (
        poly[0]
        + poly[1] * x
        + poly[2] * y
        + poly[3] * x**2
        + poly[4] * x * y
        + poly[5] * y**2
        + poly[6] * x**3
        + poly[7] * x**2 * y
        + poly[8] * x * y**2
        + poly[9] * y**3
        + poly[10] * own * r
        + poly[11] * other * r
    )
    if len(poly) > 12:
        d = d + poly[12] * own * r**3
    if len(poly) > 13:
        d = d + poly[13] * own * r**5
    return np.asarray(d)


def undistort(
    x: FloatArray, y: FloatArray, x_poly: FloatArray, y_poly: FloatArray, radial: _Radial | None, x_res: float
) -> tuple[FloatArray, FloatArray]:
    """Image offsets from the image centre (px) -> undistorted focal-plane offsets (px): forward."""
    if radial is None:
        r = np.hypot(x - x_poly[0], y - y_poly[0])
        return x + _cubic(x_poly, x, y, r, y_axis=False), y + _cubic(y_poly, x, y, r, y_axis=True)
    m = radial
    sx, sy = x - m.x0, (1.0 + m.xy) * (y - m.y0)
    r = np.hypot(sx, sy) + m.a1 * sy * np.cos(m.a2) - m.a1 * sx * np.sin(m.a2)
    scale = _radial_scale(r / (x_res / 2.0), m)
    dx = sx * scale - m.x0
    dy = sy * scale - m.y0 * (1.0 + m.xy) + y * m.xy
    return x + dx, y + dy


def distort(
    x: FloatArray, y: FloatArray, x_poly: FloatArray, y_poly: FloatArray, radial: _Radial | None, x_res: float
) -> tuple[FloatArray, FloatArray]:
    """Undistorted focal-plane offsets (px) -> image offsets from the image centre (px): reverse."""
    if radial is None:
        r = np.hypot(x - x_poly[0], y - y_poly[0])
        return x - _cubic(x_poly, x, y, r, y_axis=False), y - _cubic(y_poly, x, y, r, y_axis=True)
    m = radial
    r = np.hypot(x, y) + m.a1 * y * np.cos(m.a2) - m.a1 * x * np.sin(m.a2)
    scale = _radial_scale(r / (x_res / 2.0), m)
    dx = x * scale - m.x0
    dy = y * scale / (1.0 + m.xy) - m.y0 + y * (1.0 - 1.0 / (1.0 + m.xy))
    return x - dx, y - dy


def plane_to_sky(
    x_deg: FloatArray, y_deg: FloatArray, ra_c: FloatArray, dec_c: FloatArray, pos_angle: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Azimuthal equidistant plane (deg from the centre, x right, y down) -> RA, Dec (rad)."""
    radius = np.radians(np.hypot(x_deg, y_deg))
    theta = np.mod(np.pi / 2 - pos_angle + np.arctan2(y_deg, x_deg), 2 * np.pi)
    sin_dec = np.sin(dec_c) * np.cos(radius) + np.cos(dec_c) * np.sin(radius) * np.cos(theta)
    dec = np.arctan2(sin_dec, np.sqrt(np.maximum(1.0 - sin_dec**2, 0.0)))
    sin_t = np.sin(theta) * np.sin(radius) / np.cos(dec)
    cos_t = (np.cos(radius) - np.sin(dec) * np.sin(dec_c)) / (np.cos(dec) * np.cos(dec_c))
    return np.mod(ra_c - np.arctan2(sin_t, cos_t) + 2 * np.pi, 2 * np.pi), dec


def sky_to_plane(
    ra: FloatArray, dec: FloatArray, ra_c: FloatArray, dec_c: FloatArray, pos_angle: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """RA, Dec (rad) -> azimuthal equidistant plane (deg from the centre, x right, y down)."""
    cos_r = np.sin(dec) * np.sin(dec_c) + np.cos(dec) * np.cos(dec_c) * np.cos(ra - ra_c)
    radius = np.arccos(np.clip(cos_r, -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_a = np.cos(dec) * np.sin(ra - ra_c) / np.sin(radius)
        cos_a = (np.sin(dec) - np.sin(dec_c) * np.cos(radius)) / (np.cos(dec_c) * np.sin(radius))
    theta = -np.arctan2(sin_a, cos_a) + pos_angle - np.pi / 2.0
    theta = np.where(radius == 0, 0.0, theta)
    r_deg = np.degrees(radius)
    return r_deg * np.cos(theta), r_deg * np.sin(theta)
