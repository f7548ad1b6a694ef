"""Simulated multi-station meteor events with known truth, drawn from the Global Meteor Network's.

For the solver's simulation check (issue 14): each event re-flies a real GMN trajectory (a row of a
``traj_summary_*.txt`` file: its begin and end points, time, initial and average velocity; so radiants,
velocities, heights and durations follow the network's distributions), seen by as many stations as the row
had (kept within 2..8). The stations keep the real geometry of a network: a random subset of the template
stations (for example the four UK stations of the correlator data, 80-260 km apart), turned by a random
angle, its centre placed up to ``track_offset_km`` (250 km: this reproduces the spread of the file's
convergence angles) from the point under the track's middle; further stations come 20-200 km from a
member in a random direction. Each station records the meteor at 25 frames per second with its own frame
phase while it stands ``min_elevation_deg`` above the horizon; one station (drawn) sees the beginning, one
the end, the others start up to ``late_start_max`` of the duration late and stop up to ``early_end_max``
early (less on short tracks, to keep ``min_points`` frames). Each station's clock is off by a Gaussian
``clock_offset_sigma_s`` (10 ms), and each direction carries Gaussian noise of ``noise_arcmin`` (1 arcmin)
along two perpendicular axes. A network in which a station records fewer than ``min_points`` points, or
whose station planes all meet within ``min_convergence_deg``, is placed again (20 times), then another
trajectory is drawn.

Frames: RA/Dec J2000 and az/alt of date (east of north, no refraction) as the stations publish them
(DESIGN 4); heights of the summary, above mean sea level, are used as WGS84 heights (the geoid is within
about 100 m of it), and so are the station elevations: a solver's heights compare with the truth to that.
Light travel time (1 ms, up to 70 m along the track) is left out.

Example::

    >>> simulator = EventSimulator(read_gmn_summary(summary_path), read_station_sites(stations_path))
    ... # doctest: +SKIP
    >>> event = simulator.simulate(seed=1)  # doctest: +SKIP
    >>> event.stations[0].ra_deg[:3], event.truth.orbit.v_geo_m_s  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from trajectory._orbit_frames import (
    angles_deg,
    enu_matrix,
    geodetic_to_ecef,
    gmst_rad,
    j2000_to_of_date_matrix,
)
from trajectory._simulate_events import (
    SimulatedEvent,
    SimulatedStation,
    SimulatedTruth,
    StationSite,
    read_station_sites,
)
from trajectory._simulate_geometry import (
    Track,
    build_track,
    max_convergence_deg,
    offsets_to_geodetic,
    place_network,
    sight_lines,
    template_offsets_m,
)
from trajectory._simulate_summary import GmnSummaryError, GmnTrajectory, is_finite_row, read_gmn_summary
from trajectory.orbit import GM_EARTH_M3_S2, compute_orbit

__all__ = [
    "EventSimulator",
    "GmnSummaryError",
    "GmnTrajectory",
    "SimulatedEvent",
    "SimulatedStation",
    "SimulatedTruth",
    "SimulationSettings",
    "StationSite",
    "read_gmn_summary",
    "read_station_sites",
]

FloatArray = NDArray[np.float64]
_ARCMIN_RAD = np.deg2rad(1.0 / 60.0)


@dataclass(frozen=True)
class SimulationSettings:
    """How simulated stations observe (see the module docstring); validated where made."""

    noise_arcmin: float = 1.0
    fps: float = 25.0
    min_stations: int = 2
    max_stations: int = 8
    clock_offset_sigma_s: float = 0.01
    min_elevation_deg: float = 15.0
    min_points: int = 4
    min_convergence_deg: float = 5.0
    station_spacing_km: tuple[float, float] = (20.0, 200.0)
    track_offset_km: float = 250.0
    late_start_max: float = 0.25
    early_end_max: float = 0.25
    max_attempts: int = 200

    def __post_init__(self) -> None:
        checks = {
            "noise_arcmin": (self.noise_arcmin >= 0, ">= 0"),
            "fps": (self.fps > 0, "> 0"),
            "min_stations": (2 <= self.min_stations <= self.max_stations, "2 to max_stations"),
            "clock_offset_sigma_s": (self.clock_offset_sigma_s >= 0, ">= 0"),
            "min_elevation_deg": (0 <= self.min_elevation_deg < 90, "0 to 90 (excluded)"),
            "min_points": (self.min_points >= 2, ">= 2"),
            "min_convergence_deg": (0 <= self.min_convergence_deg < 90, "0 to 90 (excluded)"),
            "station_spacing_km": (
                0 < self.station_spacing_km[0] <= self.station_spacing_km[1],
                "(smallest > 0, largest >= smallest)",
            ),
            "track_offset_km": (self.track_offset_km >= 0, ">= 0"),
            "late_start_max": (0 <= self.late_start_max < 0.5, "0 to 0.5 (excluded)"),
            "early_end_max": (0 <= self.early_end_max < 0.5, "0 to 0.5 (excluded)"),
            "max_attempts": (self.max_attempts >= 1, ">= 1"),
        }
        for key, (ok, expected) in checks.items():
            if not ok:
                raise ValueError(f"SimulationSettings.{key}={getattr(self, key)!r}; expected {expected}")


def _add_noise(rng: np.random.Generator, lines: FloatArray, sigma_rad: float) -> FloatArray:
    """Unit vectors moved by Gaussian offsets of ``sigma_rad`` along two axes perpendicular to each."""
    if sigma_rad == 0.0:
        return lines
    reference = np.where(np.abs(lines[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    axis1 = np.cross(reference, lines)
    axis1 /= np.linalg.norm(axis1, axis=1, keepdims=True)
    axis2 = np.cross(lines, axis1)
    offsets = rng.normal(scale=sigma_rad, size=(len(lines), 2))
    moved = lines + offsets[:, :1] * axis1 + offsets[:, 1:] * axis2
    return np.asarray(moved / np.linalg.norm(moved, axis=1, keepdims=True), dtype=np.float64)


class EventSimulator:
    """Draws simulated events from GMN trajectories and a template of real station positions.

    Parameters
    ----------
    trajectories : sequence of GmnTrajectory
        The rows to re-fly (see :func:`read_gmn_summary`); rows without finite begin/end points and
        velocities, or slower than the Earth's escape speed, are not used.
    sites : sequence of StationSite
        Real station positions whose relative geometry the simulated networks reuse.
    settings : SimulationSettings, optional
        Noise, frame rate, station counts and the rules of visibility.
    """

    def __init__(
        self,
        trajectories: Sequence[GmnTrajectory],
        sites: Sequence[StationSite],
        settings: SimulationSettings | None = None,
    ) -> None:
        self.settings = settings or SimulationSettings()
        escape_km_s = np.sqrt(2 * GM_EARTH_M3_S2 / 6_471_000.0) / 1e3
        self._rows = [r for r in trajectories if is_finite_row(r) and r.v_init_km_s > escape_km_s + 0.05]
        if not self._rows:
            raise ValueError(f"none of the {len(trajectories)} trajectories can be simulated")
        if not sites:
            raise ValueError("sites is empty; expected at least one real station position")
        self._sites = list(sites)
        self._template_en_m = template_offsets_m(
            np.array([s.lat_deg for s in sites]), np.array([s.lon_deg for s in sites])
        )

    def simulate_many(self, n_events: int, seed: int) -> list[SimulatedEvent]:
        """``n_events`` independent events from one seed (ids ``sim<seed>-<k>``)."""
        children = np.random.SeedSequence(seed).spawn(n_events)
        return [
            self.simulate(np.random.default_rng(child), event_id=f"sim{seed}-{k:04d}")
            for k, child in enumerate(children)
        ]

    def simulate(self, seed: int | np.random.Generator, event_id: str | None = None) -> SimulatedEvent:
        """One event: a GMN trajectory drawn at random, seen by its number of simulated stations.

        Raises
        ------
        RuntimeError
            When ``max_attempts`` trajectories in a row found no network that sees them (settings that
            ask for the impossible, such as a very high ``min_elevation_deg``).
        """
        rng = np.random.default_rng(seed)
        for _ in range(self.settings.max_attempts):
            row = self._rows[int(rng.integers(len(self._rows)))]
            for _ in range(20):  # placements of a network around this track before drawing another
                event = self._observe(row, rng, event_id or f"sim-{row.trajectory_id}")
                if event is not None:
                    return event
        raise RuntimeError(
            f"no visible network found in {self.settings.max_attempts} attempts: {self.settings}"
        )

    def _network(self, track: Track, n_stations: int, rng: np.random.Generator) -> list[StationSite]:
        s = self.settings
        spacing_m = (s.station_spacing_km[0] * 1e3, s.station_spacing_km[1] * 1e3)
        en, origin = place_network(rng, self._template_en_m, n_stations, spacing_m)
        mid_lat, mid_lon, _ = track.geodetic(np.array([track.duration_s / 2]))
        radius = s.track_offset_km * 1e3 * np.sqrt(rng.uniform())
        angle = rng.uniform(0.0, 2 * np.pi)
        lat, lon = offsets_to_geodetic(
            float(mid_lat[0]), float(mid_lon[0]), en + radius * np.array([np.cos(angle), np.sin(angle)])
        )
        return [
            StationSite(f"SIM{k + 1:02d}", float(lat[k]), float(lon[k]), self._sites[origin[k]].elevation_m)
            for k in range(n_stations)
        ]

    def _station(
        self,
        track: Track,
        site: StationSite,
        t_ref_utc: datetime,
        rng: np.random.Generator,
        whole: tuple[bool, bool],
    ) -> tuple[SimulatedStation, FloatArray, float] | None:
        """One station's record, its true times and clock offset; None when it sees too little.

        ``whole`` says whether the station's window opens at the track's beginning and closes at its end.
        """
        s = self.settings
        late = 0.0 if whole[0] else rng.uniform(0.0, s.late_start_max)
        early = 0.0 if whole[1] else rng.uniform(0.0, s.early_end_max)
        # Short tracks are cut less: the window keeps at least min_points frames where the track has them.
        keep = min(1.0, (s.min_points + 0.5) / s.fps / track.duration_s)
        scale = min(1.0, (1.0 - keep) / (late + early)) if late + early > 0 else 1.0
        start, end = track.duration_s * late * scale, track.duration_s * (1.0 - early * scale)
        phase = rng.uniform(0.0, 1.0 / s.fps)
        t = phase + np.arange(np.ceil((start - phase) * s.fps), np.floor((end - phase) * s.fps) + 1) / s.fps
        ecef = geodetic_to_ecef(site.lat_deg, site.lon_deg, site.elevation_m)
        to_enu = enu_matrix(site.lat_deg, site.lon_deg)
        if len(t) == 0:
            return None
        lines_eci, lines_ecef = sight_lines(track, ecef, t)
        seen = (lines_ecef @ to_enu.T)[:, 2] >= np.sin(np.deg2rad(s.min_elevation_deg))
        if np.count_nonzero(seen) < s.min_points:
            return None
        t, lines_eci = t[seen], _add_noise(rng, lines_eci[seen], s.noise_arcmin * _ARCMIN_RAD)
        ra, dec = angles_deg(lines_eci @ j2000_to_of_date_matrix(t_ref_utc))
        enu = np.einsum("nij,nj->ni", track.eci_to_ecef(t), lines_eci) @ to_enu.T
        az, alt = angles_deg(enu[:, [1, 0, 2]])  # (north, east, up): the longitude is the azimuth
        clock_offset = float(rng.normal(scale=s.clock_offset_sigma_s))
        station = SimulatedStation(
            site.station_id, site.lat_deg, site.lon_deg, site.elevation_m, t_ref_utc,
            t + clock_offset, ra, dec, az, alt, s.noise_arcmin,
        )  # fmt: skip
        return station, t, clock_offset

    def _observe(self, row: GmnTrajectory, rng: np.random.Generator, event_id: str) -> SimulatedEvent | None:
        s = self.settings
        t_ref = row.begin_utc
        gmst = gmst_rad(t_ref)
        track = build_track(
            gmst,
            (row.begin_lat_deg, row.begin_lon_deg, row.begin_ht_km * 1e3),
            (row.end_lat_deg, row.end_lon_deg, row.end_ht_km * 1e3),
            row.v_init_km_s * 1e3,
            row.v_avg_km_s * 1e3,
        )
        sites = self._network(track, int(np.clip(row.n_stations, s.min_stations, s.max_stations)), rng)
        first, last = rng.integers(len(sites), size=2)  # the stations that see the track's ends
        records = [
            self._station(track, site, t_ref, rng, (k == first, k == last)) for k, site in enumerate(sites)
        ]
        if any(r is None for r in records):
            return None
        seen = [r for r in records if r is not None]
        stations_ecef = np.array([geodetic_to_ecef(x.lat_deg, x.lon_deg, x.elevation_m) for x in sites])
        convergence = max_convergence_deg(track, stations_ecef, track.duration_s / 2)
        if convergence < s.min_convergence_deg:
            return None
        return SimulatedEvent(
            event_id, t_ref, tuple(r[0] for r in seen), self._truth(row, track, seen, convergence)
        )

    @staticmethod
    def _truth(
        row: GmnTrajectory,
        track: Track,
        seen: list[tuple[SimulatedStation, FloatArray, float]],
        convergence: float,
    ) -> SimulatedTruth:
        lat, lon, height = track.geodetic(np.array([0.0, track.duration_s]))
        return SimulatedTruth(
            source_trajectory_id=row.trajectory_id,
            t_ref_utc=row.begin_utc,
            begin_eci_m=track.begin_eci_m,
            direction_eci=track.direction_eci,
            v_init_m_s=track.v_init_m_s,
            v_avg_m_s=float(track.distance_m(np.array(track.duration_s))) / track.duration_s,
            decel_m_s3=track.decel_m_s3,
            duration_s=track.duration_s,
            begin_lat_deg=float(lat[0]),
            begin_lon_deg=float(lon[0]),
            begin_ht_m=float(height[0]),
            end_lat_deg=float(lat[1]),
            end_lon_deg=float(lon[1]),
            end_ht_m=float(height[1]),
            t_first_s=float(min(t[0] for _, t, _ in seen)),
            t_last_s=float(max(t[-1] for _, t, _ in seen)),
            max_convergence_deg=convergence,
            clock_offsets_s=tuple(offset for _, _, offset in seen),
            orbit=compute_orbit(track.begin_eci_m, track.v_init_m_s * track.direction_eci, row.begin_utc),
            gmst_ref_rad=track.gmst_begin_rad,
        )
