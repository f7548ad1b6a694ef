"""RMS plate solutions ("platepars"): read, evaluate and write them exactly as RMS does.

A platepar is the plate solution of one camera in the JSON format of RMS, the station software of the
Global Meteor Network: ``platepar_cmn2010.cal`` (one solution) and ``platepars_all_recalibrated.json``
(one per FF file, keyed by the FF name). :class:`Platepar` holds one, maps pixels to J2000 right ascension
and declination and back, gives azimuth and altitude of date, and computes magnitudes from its photometric
offset, vignetting and extinction.

The model (Vida et al. 2021, MNRAS 506, 5046, "The Global Meteor Network - Methodology and first results",
sect. 2.4; the RMS wiki, "Platepar"): the pointing ``RA_d``/``dec_d`` was measured at ``JD``, when the
Greenwich sidereal time was ``Ho``; the camera is fixed on the ground, so at another time the field centre
has the same hour angle. Image offsets from ``(X_res / 2, Y_res / 2)`` go through the forward distortion
polynomial (``x_poly_fwd``/``y_poly_fwd``, see ``_rms_lens``), are divided by ``F_scale`` (px/deg) and
projected onto the sky with an azimuthal equidistant projection about the centre, rotated by
``pos_angle_ref``; refraction (when ``refraction`` is true) lifts the centre and lowers the result.
Sky to pixel runs the other way with the separately fitted reverse polynomials (``x_poly_rev``/
``y_poly_rev``), so the two directions agree only as well as RMS fitted them (hundredths of a pixel).

Pointing conventions (``convention``), the ways RMS carried the centre to the time of an observation:

- ``"legacy"``: RMS before 2023-12-11: the centre of date is used as it is, the field is not precessed.
  Platepars fitted then (UK0006's of 2022) fit their stars only with it.
- ``"precessed"``: from 2023-12-11: the centre and position angle are precessed from the date to J2000.
- ``"precessed+nutation"`` (default, RMS today): as ``"precessed"``, plus RMS's low-accuracy nutation of
  the centre (about 8 arcsec of difference in 2024).

Pixels: 0-based, origin at the top-left pixel, pixel centres on integers, x right, y down (as RMS). Times
are UTC (``datetime`` with a time zone, or ``numpy.datetime64`` in UTC), used as UT1 and TT as RMS does.

Example::

    >>> pp = parse_platepar(open("platepar_cmn2010.cal", "rb"))        # doctest: +SKIP
    >>> ra_deg, dec_deg = pp.pixel_to_sky(640.0, 360.0, t_utc)         # doctest: +SKIP
    >>> x_px, y_px = pp.sky_to_pixel(ra_deg, dec_deg, t_utc)           # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration import _rms_lens as lens
from calibration import _rms_sky as rms_sky
from calibration._rms_sky import POINTING_CONVENTIONS, PointingConvention
from calibration.errors import PlateparError
from calibration.sky import J2000_JD, julian_date

__all__ = [
    "Platepar",
    "PointingConvention",
    "parse_platepar",
    "parse_recalibrated_platepars",
    "recalibrated_platepars_to_json",
]

FloatArray = NDArray[np.float64]
TimeLike = datetime | Sequence[datetime] | NDArray[Any]

_UNIX_EPOCH_JD = 2440587.5


def _jd_of(t_utc: TimeLike) -> FloatArray:
    """Julian dates of a datetime, a sequence of datetimes or a ``datetime64`` array (all UTC)."""
    if isinstance(t_utc, datetime):
        return np.array(julian_date(t_utc))
    arr = np.asarray(t_utc)
    if np.issubdtype(arr.dtype, np.datetime64):
        us = arr.astype("datetime64[us]").astype(np.int64).astype(np.float64)
        return np.asarray(_UNIX_EPOCH_JD + us / 86400e6)
    if arr.dtype == object:
        return np.array([julian_date(t) for t in arr.ravel()]).reshape(arr.shape)
    raise TypeError(f"t_utc: got {arr.dtype} values, expected datetimes or numpy datetime64 (UTC)")


def _broadcast(*values: ArrayLike) -> tuple[tuple[int, ...], list[FloatArray]]:
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in values])
    return arrays[0].shape, [np.ascontiguousarray(a).ravel() for a in arrays]


def _broadcast_time(t_utc: TimeLike, shape: tuple[int, ...]) -> TimeLike:
    """One time for every point, or the points' own times, flattened like the points."""
    if isinstance(t_utc, datetime):
        return t_utc
    arr = np.asarray(t_utc)
    return np.broadcast_to(arr, shape) if arr.size == 1 else arr.ravel()


def _extinction_mag(alt_deg: FloatArray, elevation_m: float) -> FloatArray:
    """Extinction (mag) at true altitude ``alt_deg`` for a site ``elevation_m`` high (Green 1992, visual)."""
    cos_z = np.cos(np.radians(90.0 - alt_deg))
    air_mass = 1.0 / (cos_z + 0.025 * np.exp(-11.0 * cos_z))
    h_km = elevation_m / 1000.0
    k = 0.1451 * np.exp(-h_km / 7.996) + 0.120 * np.exp(-h_km / 1.5) + 0.016
    return np.asarray(k * air_mass)


@dataclass(frozen=True)
class Platepar:
    """One RMS plate solution (see the module docstring). Build it with :func:`parse_platepar`.

    Attributes
    ----------
    lat_deg, lon_deg, elevation_m : float
        The station (``lat``, ``lon`` east positive, ``elev`` above mean sea level).
    x_res_px, y_res_px : int
        Image size (``X_res``, ``Y_res``).
    jd_ref, ha_ref_deg : float
        Reference time of the pointing (``JD``) and the Greenwich sidereal time then (``Ho``).
    ra_ref_deg, dec_ref_deg, pos_angle_ref_deg : float
        Field centre at ``jd_ref`` (``RA_d``, ``dec_d``) and the rotation of the field (``pos_angle_ref``).
    f_scale_px_per_deg : float
        Plate scale (``F_scale``).
    distortion_type : str
        One of ``radial3-odd``, ``radial5-odd``, ``radial7-odd``, ``radial9-odd``, ``radial3-all``,
        ``radial4-all``, ``radial5-all``, ``poly3+radial``, ``poly3+radial3``, ``poly3+radial5``.
    x_poly_fwd, y_poly_fwd, x_poly_rev, y_poly_rev : tuple of float
        Distortion coefficients, forward (image -> sky) and reverse (sky -> image).
    equal_aspect, asymmetry_corr, force_distortion_centre, refraction : bool
        The model's switches, as stored.
    mag_lev, vignetting_coeff_rad_per_px, extinction_scale : float
        Photometric offset, vignetting coefficient and extinction scale.
    convention : {"legacy", "precessed", "precessed+nutation"}
        How the pointing is carried to the time of an observation (module docstring).
    raw : Mapping
        Every key of the source JSON, written back unchanged except for the fields above.
    """

    lat_deg: float
    lon_deg: float
    elevation_m: float
    x_res_px: int
    y_res_px: int
    jd_ref: float
    ha_ref_deg: float
    ra_ref_deg: float
    dec_ref_deg: float
    pos_angle_ref_deg: float
    f_scale_px_per_deg: float
    distortion_type: str
    x_poly_fwd: tuple[float, ...]
    y_poly_fwd: tuple[float, ...]
    x_poly_rev: tuple[float, ...]
    y_poly_rev: tuple[float, ...]
    equal_aspect: bool = False
    asymmetry_corr: bool = False
    force_distortion_centre: bool = False
    refraction: bool = True
    mag_lev: float = 0.0
    vignetting_coeff_rad_per_px: float = 0.0
    extinction_scale: float = 0.6
    convention: PointingConvention = "precessed+nutation"
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.convention not in POINTING_CONVENTIONS:
            raise PlateparError("convention", self.convention, f"expected one of {POINTING_CONVENTIONS}")
        if self.distortion_type not in lens.DISTORTION_TYPES:
            raise PlateparError(
                "distortion_type", self.distortion_type, f"expected one of {lens.DISTORTION_TYPES}"
            )
        if not (self.x_res_px > 0 and self.y_res_px > 0):
            raise PlateparError("X_res/Y_res", (self.x_res_px, self.y_res_px), "expected positive sizes")
        if not (math.isfinite(self.f_scale_px_per_deg) and self.f_scale_px_per_deg > 0):
            raise PlateparError("F_scale", self.f_scale_px_per_deg, "expected a plate scale > 0 px/deg")
        for name in ("x_poly_fwd", "y_poly_fwd", "x_poly_rev", "y_poly_rev"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
            self._check_length(name)

    def _check_length(self, name: str) -> None:
        poly = getattr(self, name)
        if self.distortion_type in lens.POLY_LENGTHS:
            need = lens.POLY_LENGTHS[self.distortion_type]
        elif name.startswith("y_"):
            return  # radial models keep everything in x_poly
        else:
            need = lens.radial_length(
                self.distortion_type,
                equal_aspect=self.equal_aspect,
                asymmetry_corr=self.asymmetry_corr,
                forced_centre=self.force_distortion_centre,
            )
        if len(poly) < need:
            raise PlateparError(name, len(poly), f"{self.distortion_type} needs {need} coefficients")

    # ----------------------------------------------------------------------------------------- evaluation

    def _radial(self, poly: tuple[float, ...]) -> Any:
        if self.distortion_type in lens.POLY_LENGTHS:
            return None
        return lens.unpack_radial(
            np.asarray(poly),
            self.distortion_type,
            self.x_res_px,
            self.y_res_px,
            equal_aspect=self.equal_aspect,
            asymmetry_corr=self.asymmetry_corr,
            forced_centre=self.force_distortion_centre,
        )

    def _pointing(self, jd: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        unique, inverse = np.unique(jd, return_inverse=True)
        ra_c, dec_c, pos = rms_sky.reference_pointing(
            unique,
            ra_ref=math.radians(self.ra_ref_deg),
            dec_ref=math.radians(self.dec_ref_deg),
            ha_ref=math.radians(self.ha_ref_deg),
            pos_angle_ref=math.radians(self.pos_angle_ref_deg),
            lat=math.radians(self.lat_deg),
            lon=math.radians(self.lon_deg),
            refraction=self.refraction,
            convention=self.convention,
        )
        return ra_c[inverse], dec_c[inverse], pos[inverse]

    def pixel_to_sky(
        self, x_px: ArrayLike, y_px: ArrayLike, t_utc: TimeLike
    ) -> tuple[FloatArray, FloatArray]:
        """J2000 right ascension and declination (deg) of image points seen at ``t_utc``.

        ``x_px``, ``y_px`` and ``t_utc`` broadcast together (one time for all points, or one per point).
        """
        return self._pixel_to_sky_jd(x_px, y_px, _jd_of(t_utc))

    def _pixel_to_sky_jd(
        self, x_px: ArrayLike, y_px: ArrayLike, jd: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        shape, (x, y, jd_arr) = _broadcast(x_px, y_px, jd)
        xf, yf = np.asarray(self.x_poly_fwd), np.asarray(self.y_poly_fwd)
        xu, yu = lens.undistort(
            x - self.x_res_px / 2.0,
            y - self.y_res_px / 2.0,
            xf,
            yf,
            self._radial(self.x_poly_fwd),
            self.x_res_px,
        )
        ra_c, dec_c, pos = self._pointing(jd_arr)
        scale = self.f_scale_px_per_deg
        ra, dec = lens.plane_to_sky(xu / scale, yu / scale, ra_c, dec_c, pos)
        if self.refraction:
            ra, dec = self._refract(ra, dec, jd_arr, to_apparent=False)
        return np.degrees(ra).reshape(shape), np.degrees(dec).reshape(shape)

    def sky_to_pixel(
        self, ra_deg: ArrayLike, dec_deg: ArrayLike, t_utc: TimeLike
    ) -> tuple[FloatArray, FloatArray]:
        """Image position (px) of J2000 directions at ``t_utc`` (reverse polynomials, as RMS)."""
        return self._sky_to_pixel_jd(ra_deg, dec_deg, _jd_of(t_utc))

    def _sky_to_pixel_jd(
        self, ra_deg: ArrayLike, dec_deg: ArrayLike, jd: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        shape, (ra_d, dec_d, jd_arr) = _broadcast(ra_deg, dec_deg, jd)
        ra, dec = np.radians(ra_d), np.radians(dec_d)
        if self.refraction:
            ra, dec = self._refract(ra, dec, jd_arr, to_apparent=True)
        ra_c, dec_c, pos = self._pointing(jd_arr)
        x_deg, y_deg = lens.sky_to_plane(ra, dec, ra_c, dec_c, pos)
        scale = self.f_scale_px_per_deg
        xr, yr = np.asarray(self.x_poly_rev), np.asarray(self.y_poly_rev)
        x, y = lens.distort(
            x_deg * scale, y_deg * scale, xr, yr, self._radial(self.x_poly_rev), self.x_res_px
        )
        return (x + self.x_res_px / 2.0).reshape(shape), (y + self.y_res_px / 2.0).reshape(shape)

    def sky_to_pixel_inverse(
        self, ra_deg: ArrayLike, dec_deg: ArrayLike, t_utc: TimeLike
    ) -> tuple[FloatArray, FloatArray]:
        """Image position (px) of J2000 directions: the exact inverse of :meth:`pixel_to_sky`.

        RMS's reverse polynomials are a separate fit that agrees with the forward one only to its own
        quality (hundredths of a pixel on a good plate, pixels on a poor one; AU000G's of 2022 is off by
        up to 3 px in the corners). This solves ``pixel_to_sky(x, y) == (ra, dec)`` by Newton's method in
        the focal plane instead, to 1e-6 px, for code that needs both directions to agree.
        """
        return self._sky_to_pixel_inverse_jd(ra_deg, dec_deg, _jd_of(t_utc))

    def _sky_to_pixel_inverse_jd(
        self, ra_deg: ArrayLike, dec_deg: ArrayLike, jd: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        shape, (ra_t, dec_t, jd_arr) = _broadcast(ra_deg, dec_deg, jd)
        ra_c, dec_c, pos = self._pointing(jd_arr)
        scale = self.f_scale_px_per_deg

        def chart(ra_d: FloatArray, dec_d: FloatArray) -> FloatArray:
            u, v = lens.sky_to_plane(np.radians(ra_d), np.radians(dec_d), ra_c, dec_c, pos)
            return np.stack([u * scale, v * scale])

        target = chart(ra_t, dec_t)
        guess = target + np.array([[self.x_res_px / 2.0], [self.y_res_px / 2.0]])
        step_px = 1e-3
        for _ in range(30):
            here = chart(*self._pixel_to_sky_jd(guess[0], guess[1], jd_arr))
            dx = chart(*self._pixel_to_sky_jd(guess[0] + step_px, guess[1], jd_arr))
            dy = chart(*self._pixel_to_sky_jd(guess[0], guess[1] + step_px, jd_arr))
            a, c = (dx - here) / step_px
            b, d = (dy - here) / step_px
            ex, ey = target - here
            det = a * d - b * c
            delta = np.stack([(d * ex - b * ey) / det, (a * ey - c * ex) / det])
            guess = guess + delta
            if np.all(np.abs(delta) < 1e-7):
                break
        return guess[0].reshape(shape), guess[1].reshape(shape)

    def _refract(self, ra: FloatArray, dec: FloatArray, jd: FloatArray, *, to_apparent: bool) -> Any:
        lat, lon = math.radians(self.lat_deg), math.radians(self.lon_deg)
        return rms_sky.refract_equatorial(ra, dec, jd, lat, lon, to_apparent=to_apparent)

    def pixel_to_altaz(
        self, x_px: ArrayLike, y_px: ArrayLike, t_utc: TimeLike
    ) -> tuple[FloatArray, FloatArray]:
        """Azimuth (east of north, [0, 360)) and altitude (deg) of date of image points, without refraction.

        As RMS writes them in FTPdetectinfo files: the J2000 direction precessed to the date, then turned to
        the horizon of the station (true altitude: refraction, when the platepar models it, is already out).
        """
        jd = _jd_of(t_utc)
        ra, dec = self._pixel_to_sky_jd(x_px, y_px, jd)
        shape, (ra_f, dec_f, jd_f) = _broadcast(ra, dec, jd)
        ra_date, dec_date = rms_sky.precess(
            np.radians(ra_f), np.radians(dec_f), np.full_like(jd_f, J2000_JD), jd_f
        )
        lat, lon = math.radians(self.lat_deg), math.radians(self.lon_deg)
        az, alt = rms_sky.radec_to_altaz_of_date(ra_date, dec_date, jd_f, lat, lon)
        return np.mod(np.degrees(az), 360.0).reshape(shape), np.degrees(alt).reshape(shape)

    def magnitude(
        self, intensity: ArrayLike, x_px: ArrayLike, y_px: ArrayLike, t_utc: TimeLike
    ) -> FloatArray:
        """Apparent magnitude of summed pixel intensities at image points seen at ``t_utc``, as in RMS.

        ``-2.5 log10(I / cos(v r)^4) + mag_lev`` with ``r`` the distance (px) from the image centre and ``v``
        the vignetting coefficient (rad/px), then corrected for extinction at the point's true altitude:
        minus ``extinction_scale`` times the extinction above the zenith's (Green 1992, "Magnitude
        corrections for atmospheric extinction", ICQ 14, 55: air mass ``1 / (cos z + 0.025 e^(-11 cos z))``,
        Rayleigh, aerosol and ozone terms for the station's elevation). RMS evaluates the altitude at the
        first point's time for a whole track; here each point has its own (a difference of thousandths of
        a magnitude over a meteor).
        """
        shape, (inten, x, y) = _broadcast(intensity, x_px, y_px)
        radius_px = np.hypot(x - self.x_res_px / 2.0, y - self.y_res_px / 2.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            corrected = inten / np.cos(self.vignetting_coeff_rad_per_px * radius_px) ** 4
            mag = -2.5 * np.log10(corrected) + self.mag_lev
        _, alt_deg = self.pixel_to_altaz(x, y, _broadcast_time(t_utc, x.shape))
        loss = _extinction_mag(np.maximum(alt_deg, 0.0), self.elevation_m) - _extinction_mag(
            np.array(90.0), self.elevation_m
        )
        return np.asarray(mag - self.extinction_scale * loss).reshape(shape)

    # ------------------------------------------------------------------------------------------- format

    def to_dict(self) -> dict[str, Any]:
        """The RMS JSON object of this solution: the source's keys, with this object's values."""
        out = dict(self.raw)
        out.update(
            {
                "lat": self.lat_deg,
                "lon": self.lon_deg,
                "elev": self.elevation_m,
                "X_res": self.x_res_px,
                "Y_res": self.y_res_px,
                "JD": self.jd_ref,
                "Ho": self.ha_ref_deg,
                "RA_d": self.ra_ref_deg,
                "dec_d": self.dec_ref_deg,
                "pos_angle_ref": self.pos_angle_ref_deg,
                "F_scale": self.f_scale_px_per_deg,
                "distortion_type": self.distortion_type,
                "x_poly_fwd": list(self.x_poly_fwd),
                "y_poly_fwd": list(self.y_poly_fwd),
                "x_poly_rev": list(self.x_poly_rev),
                "y_poly_rev": list(self.y_poly_rev),
                "x_poly": list(self.x_poly_fwd),
                "y_poly": list(self.y_poly_fwd),
                "poly_length": len(self.x_poly_fwd),
                "equal_aspect": self.equal_aspect,
                "asymmetry_corr": self.asymmetry_corr,
                "force_distortion_centre": self.force_distortion_centre,
                "refraction": self.refraction,
                "mag_lev": self.mag_lev,
                "vignetting_coeff": self.vignetting_coeff_rad_per_px,
                "extinction_scale": self.extinction_scale,
            }
        )
        return out

    def to_json(self) -> str:
        """The solution as RMS writes it (``json.dumps``, indent 4, sorted keys): a ``.cal`` file's text."""
        return json.dumps(self.to_dict(), indent=4, sort_keys=True)

    def with_convention(self, convention: PointingConvention) -> Platepar:
        """The same solution evaluated with another pointing convention."""
        return replace(self, convention=convention)

    @property
    def star_list(self) -> FloatArray:
        """The matched stars as stored: rows of 7 (``.cal``: jd, x, y, ...; recalibrated: jd, y, x, ...)."""
        rows = self.raw.get("star_list") or []
        return np.asarray(rows, dtype=np.float64).reshape(-1, 7) if rows else np.zeros((0, 7))


# --------------------------------------------------------------------------------------------- parsing

_REQUIRED = ("lat", "lon", "X_res", "Y_res", "JD", "Ho", "RA_d", "dec_d", "pos_angle_ref", "F_scale")


def _from_dict(data: Mapping[str, Any], source: str, convention: PointingConvention) -> Platepar:
    if not isinstance(data, Mapping):
        raise PlateparError("<root>", type(data).__name__, "expected a JSON object", source=source)
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise PlateparError(missing[0], None, "missing key", source=source)

    def poly(key: str, fallback: str) -> tuple[float, ...]:
        value = data.get(key, data.get(fallback))
        if value is None:
            raise PlateparError(key, None, f"missing key (and no {fallback!r})", source=source)
        return tuple(float(v) for v in value)

    dist = data.get("distortion_type", "poly3+radial")
    try:
        return Platepar(
            lat_deg=float(data["lat"]),
            lon_deg=float(data["lon"]),
            elevation_m=float(data.get("elev", 0.0)),
            x_res_px=int(data["X_res"]),
            y_res_px=int(data["Y_res"]),
            jd_ref=float(data["JD"]),
            ha_ref_deg=float(data["Ho"]),
            ra_ref_deg=float(data["RA_d"]),
            dec_ref_deg=float(data["dec_d"]),
            pos_angle_ref_deg=float(data["pos_angle_ref"]),
            f_scale_px_per_deg=float(data["F_scale"]),
            distortion_type=str(dist),
            x_poly_fwd=poly("x_poly_fwd", "x_poly"),
            y_poly_fwd=poly("y_poly_fwd", "y_poly"),
            x_poly_rev=poly("x_poly_rev", "x_poly"),
            y_poly_rev=poly("y_poly_rev", "y_poly"),
            equal_aspect=bool(data.get("equal_aspect", False)),
            asymmetry_corr=bool(data.get("asymmetry_corr", False)),
            force_distortion_centre=bool(data.get("force_distortion_centre", False)),
            refraction=bool(data.get("refraction", True)),
            mag_lev=float(data.get("mag_lev", 0.0)),
            vignetting_coeff_rad_per_px=float(data.get("vignetting_coeff") or 0.0),
            extinction_scale=float(data.get("extinction_scale", 0.6)),
            convention=convention,
            raw=dict(data),
        )
    except PlateparError as exc:
        raise PlateparError(exc.key, exc.value, exc.reason, source=source) from None
    except (TypeError, ValueError) as exc:
        raise PlateparError("<value>", None, str(exc), source=source) from None


def _load_json(src: bytes | str | IO[bytes] | IO[str], source: str | None) -> tuple[Any, str]:
    label = source or str(getattr(src, "name", "<platepar>"))
    text = src if isinstance(src, bytes | str) else src.read()
    try:
        return json.loads(text), label
    except ValueError as exc:
        raise PlateparError("<json>", None, f"not JSON: {exc}", source=label) from None


def parse_platepar(
    src: bytes | str | IO[bytes] | IO[str],
    *,
    convention: PointingConvention = "precessed+nutation",
    source: str | None = None,
) -> Platepar:
    """Read one RMS platepar (``platepar_cmn2010.cal``, JSON) from bytes, text or a file object.

    ``convention`` says how to evaluate it: ``"legacy"`` for solutions fitted with RMS before 2023-12-11.
    Raises :class:`~calibration.errors.PlateparError` naming the key that is missing or wrong.
    """
    data, label = _load_json(src, source)
    return _from_dict(data, label, convention)


def parse_recalibrated_platepars(
    src: bytes | str | IO[bytes] | IO[str],
    *,
    convention: PointingConvention = "precessed+nutation",
    source: str | None = None,
) -> dict[str, Platepar]:
    """Read RMS's ``platepars_all_recalibrated.json``: one solution per FF file name, in file order."""
    data, label = _load_json(src, source)
    if not isinstance(data, Mapping):
        raise PlateparError(
            "<root>", type(data).__name__, "expected an object keyed by FF name", source=label
        )
    return {str(name): _from_dict(pp, f"{label}[{name}]", convention) for name, pp in data.items()}


def recalibrated_platepars_to_json(platepars: Mapping[str, Platepar]) -> str:
    """The text of a ``platepars_all_recalibrated.json`` holding these solutions (RMS's layout)."""
    return json.dumps({name: pp.to_dict() for name, pp in platepars.items()}, indent=4, sort_keys=True)
