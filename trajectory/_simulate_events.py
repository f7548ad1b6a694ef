"""The records of a simulated event: station sites, what each station recorded, the truth.

Plain frozen dataclasses of ``simulate.py`` (see there for how they are made); arrays are float64 numpy
arrays, times seconds after the event's reference time ``t_ref_utc``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from trajectory._simulate_geometry import Track
from trajectory.orbit import Orbit

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StationSite:
    """A real station position: WGS84 latitude and longitude (east), elevation above mean sea level."""

    station_id: str
    lat_deg: float
    lon_deg: float
    elevation_m: float


def read_station_sites(source: str | Path | IO[str]) -> list[StationSite]:
    """Station positions from a ``stations.json`` (``{"ID": {"lat": .., "lon": .., "elev_m": ..}, ...}``).

    Keys starting with ``_`` (notes) are skipped; the format of the correlator data's ``stations.json``.
    """
    text = Path(source).read_text(encoding="utf-8") if isinstance(source, str | Path) else source.read()
    data: dict[str, Any] = json.loads(text)
    return [
        StationSite(key, float(v["lat"]), float(v["lon"]), float(v["elev_m"]))
        for key, v in data.items()
        if not key.startswith("_")
    ]


@dataclass(frozen=True, eq=False)
class SimulatedStation:
    """What one station recorded: its position and, per point, time and direction (with noise).

    ``t_rel_s`` are seconds after the event's ``t_ref_utc`` as the station's clock gives them (the true
    time plus the station's clock offset, in the truth). Directions: ``ra_deg``/``dec_deg`` J2000,
    ``az_deg``/``alt_deg`` of date (azimuth east of north, no refraction), the same noisy sight line.
    """

    station_id: str
    lat_deg: float
    lon_deg: float
    elevation_m: float
    t_ref_utc: datetime
    t_rel_s: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    az_deg: FloatArray
    alt_deg: FloatArray
    noise_arcmin: float

    def t_utc(self) -> list[datetime]:
        """The points' times as aware datetimes (to the microsecond)."""
        return [self.t_ref_utc + timedelta(seconds=float(t)) for t in self.t_rel_s]

    def observation_record(self) -> dict[str, Any]:
        """The station's points in the field names of a calibrated meteor record (DESIGN 4, meteor.json).

        Only what a solver reads: ``station``, ``start_utc``, ``end_utc``, the ``observer`` block
        (``lat_deg``, ``lon_deg``, ``elevation_m``) and ``frames`` of ``{frame, t_utc, ra_deg, dec_deg,
        az_deg, alt_deg}`` (``frame`` counts the recorded points from 0; times as the station's clock gave
        them). Not a full ``stationd.meteor/1`` record: no pixels, checks, products or schema tag.
        """
        times = self.t_utc()
        return {
            "station": self.station_id,
            "start_utc": _iso_utc(times[0]),
            "end_utc": _iso_utc(times[-1]),
            "observer": {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "elevation_m": self.elevation_m},
            "frames": [
                {
                    "frame": k,
                    "t_utc": _iso_utc(t),
                    "ra_deg": float(self.ra_deg[k]),
                    "dec_deg": float(self.dec_deg[k]),
                    "az_deg": float(self.az_deg[k]),
                    "alt_deg": float(self.alt_deg[k]),
                }
                for k, t in enumerate(times)
            ],
        }


@dataclass(frozen=True, eq=False)
class SimulatedTruth:
    """The true event: the straight track in ECI of date, its velocities, heights and orbit.

    Position at ``t`` seconds after ``t_ref_utc``: ``begin_eci_m + (v_init_m_s t - decel_m_s3 t**3)
    direction_eci`` (ECI of date: mean equator and equinox of date, the Earth turned by GMST). ``begin_*`` and
    ``end_*`` are the track's ends (t = 0 and ``duration_s``); ``t_first_s``/``t_last_s`` bound the points
    that some station recorded. ``clock_offsets_s`` follow the event's station order.
    """

    source_trajectory_id: str
    t_ref_utc: datetime
    begin_eci_m: FloatArray
    direction_eci: FloatArray
    v_init_m_s: float
    v_avg_m_s: float
    decel_m_s3: float
    duration_s: float
    begin_lat_deg: float
    begin_lon_deg: float
    begin_ht_m: float
    end_lat_deg: float
    end_lon_deg: float
    end_ht_m: float
    t_first_s: float
    t_last_s: float
    max_convergence_deg: float
    clock_offsets_s: tuple[float, ...]
    orbit: Orbit
    gmst_ref_rad: float

    def _track(self) -> Track:
        return Track(
            self.gmst_ref_rad, self.begin_eci_m, self.direction_eci, self.v_init_m_s, self.decel_m_s3,
            self.duration_s,
        )  # fmt: skip

    def position_eci_m(self, t_s: FloatArray) -> FloatArray:
        """True positions (n, 3), ECI of date, at true times ``t_s`` (seconds after ``t_ref_utc``)."""
        return self._track().position_eci_m(np.atleast_1d(np.asarray(t_s, dtype=np.float64)))

    def geodetic(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """True WGS84 latitude, longitude (deg) and height (m) at true times ``t_s``."""
        return self._track().geodetic(np.asarray(t_s, dtype=np.float64))

    def speed_m_s(self, t_s: FloatArray) -> FloatArray:
        """True speed at times ``t_s``: ``v_init_m_s - 3 decel_m_s3 t**2``."""
        t = np.asarray(t_s, dtype=np.float64)
        return np.asarray(self.v_init_m_s - 3.0 * self.decel_m_s3 * t**2, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class SimulatedEvent:
    """One simulated event: what 2 to 8 stations recorded, and the truth."""

    event_id: str
    t_ref_utc: datetime
    stations: tuple[SimulatedStation, ...]
    truth: SimulatedTruth


def _iso_utc(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
