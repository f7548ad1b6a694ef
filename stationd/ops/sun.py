"""Night and day at the station: the sun's altitude, computed offline with astropy.

The station never downloads anything at run time: astropy is told not to fetch IERS tables
(``iers.conf.auto_download = False``, ``auto_max_age = None``) and to accept degraded accuracy outside the
bundled tables (``iers_degraded_accuracy = "ignore"``). Outside those tables UT1-UTC and polar motion fall
back to defaults, which moves the sun by arcseconds, far below what deciding "is it night" needs; the warnings
astropy and ERFA give about that (and about years beyond the leap-second table) are silenced inside these
functions only.

Day is "the sun above ``sun_alt_limit_deg``", by default -6 degrees (the end of civil twilight: the sky
is too bright for meteor work above it).

Example::

    >>> is_daytime(datetime(2026, 7, 12, 12, 0, tzinfo=UTC), 51.88, -1.31)
    True
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    from stationd.config import StationConfig

DEFAULT_SUN_ALT_LIMIT_DEG = -6.0
"""Civil twilight: with the sun higher than this the station treats the sky as day."""

_lock = threading.Lock()  # astropy's configuration and warnings filters are process-global


def _configure_astropy_offline() -> None:
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None  # the bundled tables may be old; never ask for fresh ones
    iers.conf.iers_degraded_accuracy = "ignore"


@overload
def sun_altitude_deg(t_utc: datetime, lat_deg: float, lon_deg: float, elevation_m: float = 0.0) -> float: ...
@overload
def sun_altitude_deg(
    t_utc: Sequence[datetime], lat_deg: float, lon_deg: float, elevation_m: float = 0.0
) -> np.ndarray: ...
def sun_altitude_deg(
    t_utc: datetime | Sequence[datetime], lat_deg: float, lon_deg: float, elevation_m: float = 0.0
) -> float | np.ndarray:
    """Geometric altitude of the sun's centre (no refraction), degrees, for one time or a sequence.

    Parameters
    ----------
    t_utc : datetime or sequence of datetime
        Timezone-aware times (naive times are taken as UTC).
    lat_deg, lon_deg : float
        WGS84 latitude (north positive) and longitude (east positive), degrees.
    elevation_m : float
        Height above the ellipsoid, metres.
    """
    import astropy.units as u
    import erfa
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time
    from astropy.utils.exceptions import AstropyWarning

    single = isinstance(t_utc, datetime)
    times = [t_utc] if isinstance(t_utc, datetime) else list(t_utc)
    stamps = [(t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None) for t in times]
    with _lock, warnings.catch_warnings():
        _configure_astropy_offline()
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        t = Time(stamps, scale="utc")
        where = EarthLocation.from_geodetic(lon_deg * u.deg, lat_deg * u.deg, elevation_m * u.m)
        alt = get_sun(t).transform_to(AltAz(obstime=t, location=where)).alt.deg
    alt = np.asarray(alt, dtype=np.float64)
    return float(alt[0]) if single else alt


@lru_cache(maxsize=4096)
def _altitude_of_minute(minute_utc: datetime, lat_deg: float, lon_deg: float, elevation_m: float) -> float:
    return sun_altitude_deg(minute_utc, lat_deg, lon_deg, elevation_m)


def is_daytime(
    t_utc: datetime,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float = 0.0,
    sun_alt_limit_deg: float = DEFAULT_SUN_ALT_LIMIT_DEG,
) -> bool:
    """Whether the sun is above ``sun_alt_limit_deg`` at ``t_utc`` (evaluated at the start of its minute).

    Results are cached per minute, so the daemon can ask for every file cheaply.
    """
    aware = t_utc if t_utc.tzinfo else t_utc.replace(tzinfo=UTC)
    minute = aware.astimezone(UTC).replace(second=0, microsecond=0)
    return _altitude_of_minute(minute, lat_deg, lon_deg, elevation_m) > sun_alt_limit_deg


def is_daytime_for(config: StationConfig, t_utc: datetime) -> bool:
    """:func:`is_daytime` at the configured station, with the configured sun altitude limit."""
    s = config.station
    return is_daytime(
        t_utc, s.latitude_deg, s.longitude_deg, s.elevation_m, config.processing.daytime_sun_alt_deg
    )


def last_night(
    t_utc: datetime,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float = 0.0,
    sun_alt_limit_deg: float = DEFAULT_SUN_ALT_LIMIT_DEG,
    step_s: float = 300.0,
) -> tuple[datetime, datetime] | None:
    """Start and end (UTC) of the most recent night that ended at or before ``t_utc``, within 36 hours.

    Found on a ``step_s`` grid, so each bound is good to ``step_s`` (5 minutes by default); None when no
    night ended in that span (polar day, or a night still going on since more than 36 hours).
    """
    n = int(36 * 3600 / step_s)
    end = t_utc.astimezone(UTC)
    grid = [end - timedelta(seconds=step_s * i) for i in range(n, -1, -1)]
    day = sun_altitude_deg(grid, lat_deg, lon_deg, elevation_m) > sun_alt_limit_deg
    # The last night->day transition, then the day->night transition before it.
    dawns = np.flatnonzero(~day[:-1] & day[1:])
    if dawns.size == 0:
        return None
    dawn = int(dawns[-1]) + 1
    dusks = np.flatnonzero(day[: dawn - 1] & ~day[1:dawn])
    if dusks.size == 0:
        return None
    return grid[int(dusks[-1]) + 1], grid[dawn]
