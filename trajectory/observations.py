"""The observations of one meteor: stations, and per station the times and directions of its points.

One object per physical thing (STYLE 4): a :class:`Station` is a place; a :class:`Track` is what one camera
of a station measured (UTC times, directions, optional magnitudes and measurement uncertainty); the
directions are one object, :class:`Directions`, made from whichever representation the camera measured
(:class:`RaDecJ2000`, :class:`RaDecOfDate`, :class:`AltAzOfDate`) and giving every other one as a method.

Example
-------
>>> import numpy as np
>>> station = Station("UK0006", lat_deg=51.8831, lon_deg=-1.30616, elevation_m=80.0)
>>> t = np.array(["2022-09-14T19:49:13.5", "2022-09-14T19:49:13.54"], dtype="datetime64[us]")
>>> track = Track(station, t, RaDecJ2000(np.array([280.0, 280.5]), np.array([40.0, 39.6])))
>>> track.unit_eci().shape
(2, 3)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from trajectory.geo import (
    altaz_to_unit_eci,
    ecef_to_eci,
    geodetic_to_ecef,
    j2000_to_date_matrix,
    radec_to_unit,
    unit_eci_to_altaz,
    unit_to_radec,
)

__all__ = ["AltAzOfDate", "Directions", "RaDecJ2000", "RaDecOfDate", "Station", "Track"]


@dataclass(frozen=True)
class Station:
    """A place that observes: WGS84 latitude, east longitude (deg) and elevation above mean sea level (m)."""

    station_id: str
    lat_deg: float
    lon_deg: float
    elevation_m: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat_deg <= 90.0:
            raise ValueError(f"station {self.station_id}: lat_deg={self.lat_deg}: expected -90..90")
        if not -180.0 <= self.lon_deg <= 360.0:
            raise ValueError(f"station {self.station_id}: lon_deg={self.lon_deg}: expected -180..360")

    def ecef_m(self) -> np.ndarray:
        """The station's Earth-fixed position (m), shape (3,)."""
        return geodetic_to_ecef(np.array(self.lat_deg), np.array(self.lon_deg), np.array(self.elevation_m))

    def eci_m(self, t_utc: np.ndarray) -> np.ndarray:
        """The station's positions in ECI of date (m) at UTC times, shape (n, 3)."""
        return ecef_to_eci(self.ecef_m(), np.asarray(t_utc))


class Directions(ABC):
    """Directions of the points of one track, in the representation they were measured in.

    Every representation is available as a method; each needs the station and the UTC times, because
    a direction of date depends on when and where it was seen.
    """

    @abstractmethod
    def unit_eci(self, station: Station, t_utc: np.ndarray) -> np.ndarray:
        """Unit vectors (n, 3) in ECI of date (the true equator and equinox of date)."""

    def __len__(self) -> int:
        return len(self._angles()[0])

    @abstractmethod
    def _angles(self) -> tuple[np.ndarray, np.ndarray]: ...

    def radec_of_date_deg(self, station: Station, t_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Right ascension and declination of date (deg)."""
        return unit_to_radec(self.unit_eci(station, t_utc))

    def radec_j2000_deg(self, station: Station, t_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Right ascension and declination, J2000 (deg)."""
        return unit_to_radec(self.unit_eci(station, t_utc) @ j2000_to_date_matrix(t_utc))

    def altaz_deg(self, station: Station, t_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth east of north and altitude of date (deg, no refraction)."""
        return unit_eci_to_altaz(self.unit_eci(station, t_utc), station.lat_deg, station.lon_deg, t_utc)


def _angles_array(name: str, values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=float)
    if out.ndim != 1 or not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: expected a 1-d array of finite angles (deg)")
    return out


@dataclass(frozen=True, eq=False)
class _RaDec(Directions):
    """Right ascensions and declinations (deg), on the equator and equinox each subclass names."""

    ra_deg: np.ndarray
    dec_deg: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "ra_deg", _angles_array("ra_deg", self.ra_deg))
        object.__setattr__(self, "dec_deg", _angles_array("dec_deg", self.dec_deg))

    def _angles(self) -> tuple[np.ndarray, np.ndarray]:
        return self.ra_deg, self.dec_deg


@dataclass(frozen=True, eq=False)
class RaDecJ2000(_RaDec):
    """Right ascensions and declinations (deg) on the J2000 equator and equinox (catalogue frame)."""

    def unit_eci(self, station: Station, t_utc: np.ndarray) -> np.ndarray:
        """Unit vectors (n, 3) in ECI of date: J2000 directions through precession and nutation."""
        return np.asarray(radec_to_unit(self.ra_deg, self.dec_deg) @ j2000_to_date_matrix(t_utc).T)


@dataclass(frozen=True, eq=False)
class RaDecOfDate(_RaDec):
    """Right ascensions and declinations (deg) on the true equator and equinox of date."""

    def unit_eci(self, station: Station, t_utc: np.ndarray) -> np.ndarray:
        """Unit vectors (n, 3) in ECI of date."""
        return radec_to_unit(self.ra_deg, self.dec_deg)


@dataclass(frozen=True, eq=False)
class AltAzOfDate(Directions):
    """Azimuths east of north and altitudes of date (deg), as seen, without refraction."""

    az_deg: np.ndarray
    alt_deg: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "az_deg", _angles_array("az_deg", self.az_deg))
        object.__setattr__(self, "alt_deg", _angles_array("alt_deg", self.alt_deg))

    def _angles(self) -> tuple[np.ndarray, np.ndarray]:
        return self.az_deg, self.alt_deg

    def unit_eci(self, station: Station, t_utc: np.ndarray) -> np.ndarray:
        """Unit vectors (n, 3) in ECI of date, turned with the Earth at each point's time."""
        return altaz_to_unit_eci(self.az_deg, self.alt_deg, station.lat_deg, station.lon_deg, t_utc)


@dataclass(frozen=True, eq=False)
class Track:
    """What one camera of a station measured of a meteor.

    Attributes
    ----------
    station : Station
    t_utc : numpy.ndarray
        UTC times of the points (``datetime64``, stored as microseconds), increasing.
    directions : Directions
        One direction per point.
    camera : str
        The camera (or meteor record) the points come from; two cameras of one station are two tracks.
    sigma_arcsec : float or None
        The camera's measurement uncertainty per point; None: estimated from the scatter of the points.
    mag : numpy.ndarray or None
        Apparent magnitude per point, when measured.
    """

    station: Station
    t_utc: np.ndarray
    directions: Directions
    camera: str = ""
    sigma_arcsec: float | None = None
    mag: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        t = np.asarray(self.t_utc).astype("datetime64[us]")
        object.__setattr__(self, "t_utc", t)
        if t.ndim != 1 or len(t) != len(self.directions):
            raise ValueError(f"track {self.label}: {t.size} times for {len(self.directions)} directions")
        if len(t) > 1 and np.any(np.diff(t) < np.timedelta64(0, "us")):
            raise ValueError(f"track {self.label}: t_utc must not decrease")
        if self.sigma_arcsec is not None and not self.sigma_arcsec > 0:
            raise ValueError(f"track {self.label}: sigma_arcsec={self.sigma_arcsec}: expected > 0 or None")
        if self.mag is not None:
            mag = np.asarray(self.mag, dtype=float)
            if mag.shape != t.shape:
                raise ValueError(f"track {self.label}: {mag.size} magnitudes for {t.size} points")
            object.__setattr__(self, "mag", mag)

    @property
    def label(self) -> str:
        """``station`` or ``station/camera``: how reports name the track."""
        return f"{self.station.station_id}/{self.camera}" if self.camera else self.station.station_id

    def __len__(self) -> int:
        return int(self.t_utc.size)

    def unit_eci(self) -> np.ndarray:
        """The lines of sight as unit vectors in ECI of date, shape (n, 3)."""
        return self.directions.unit_eci(self.station, self.t_utc)

    def station_eci_m(self) -> np.ndarray:
        """The station's ECI-of-date position at each point's time (m), shape (n, 3)."""
        return self.station.eci_m(self.t_utc)
