"""Synthetic multi-station meteors with known truth, for the solver's tests.

A meteor flies a straight line in ECI of date from a begin point (geodetic, at ``t0``) away from a radiant
given in the local azimuth/altitude at the begin point, with ``s(t) = v t - a (exp(b t) - 1)`` along it;
each station sees it at its frame rate while it is above 10 deg altitude, records its times with its own
clock error, and measures directions with Gaussian noise across the line of sight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from trajectory.geo import (
    ecef_to_eci,
    ecef_to_geodetic,
    eci_to_ecef,
    enu_basis,
    geodetic_to_ecef,
    j2000_to_date_matrix,
    unit_eci_to_altaz,
    unit_to_radec,
)
from trajectory.observations import AltAzOfDate, RaDecJ2000, RaDecOfDate, Station, Track
from trajectory.sightlines import perpendicular_axes

UK_STATIONS = (
    Station("UK0006", 51.8831, -1.30616, 80.0),
    Station("UK0045", 51.2364, -0.1626, 112.0),
    Station("UK008T", 50.9152, -0.4538, 48.0),
    Station("UK0079", 50.7844, 0.0804, 16.0),
)


@dataclass(frozen=True)
class Truth:
    """What the synthetic meteor was."""

    t0_utc: np.datetime64
    begin_eci_m: np.ndarray
    direction_eci: np.ndarray
    v_m_s: float
    radiant_ra_of_date_deg: float
    radiant_dec_of_date_deg: float
    begin_height_m: float
    end_height_m: float
    clock_errors_s: tuple[float, ...] = field(default=())


def synthetic_event(
    stations: Sequence[Station] = UK_STATIONS[:3],
    *,
    begin: tuple[float, float, float] = (51.3, -0.6, 100_000.0),
    radiant_az_deg: float = 250.0,
    radiant_alt_deg: float = 45.0,
    v_m_s: float = 30_000.0,
    decel: tuple[float, float] = (0.0, 0.0),
    duration_s: float = 1.2,
    fps: float = 25.0,
    noise_arcsec: float = 0.0,
    clock_errors_s: Sequence[float] | None = None,
    representations: Sequence[str] = ("j2000", "of_date", "altaz"),
    t0: str = "2023-02-13T02:59:13.000000",
    seed: int = 0,
) -> tuple[list[Track], Truth]:
    """Tracks of the stations and the truth (see the module docstring)."""
    rng = np.random.default_rng(seed)
    t0_utc = np.datetime64(t0, "us")
    lat, lon, h = begin
    x0 = ecef_to_eci(geodetic_to_ecef(np.array(lat), np.array(lon), np.array(h)), np.array([t0_utc]))[0]
    az, alt = np.radians(radiant_az_deg), np.radians(radiant_alt_deg)
    enu = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])
    radiant = ecef_to_eci(enu @ enu_basis(lat, lon), np.array([t0_utc]))[0]
    u = -radiant
    a, b = decel
    t = np.arange(0.0, duration_s + 1e-9, 1.0 / fps)
    s = v_m_s * t - a * (np.exp(b * t) - 1.0)
    errors = tuple(clock_errors_s) if clock_errors_s is not None else (0.0,) * len(stations)
    tracks = []
    for k, st in enumerate(stations):
        true_t = t0_utc + (t * 1e6).astype(np.int64).astype("timedelta64[us]")
        x = x0 + s[:, None] * u
        los = x - st.eci_m(true_t)
        los /= np.linalg.norm(los, axis=1, keepdims=True)
        _, alt_deg = unit_eci_to_altaz(los, st.lat_deg, st.lon_deg, true_t)
        keep = alt_deg > 10.0
        if noise_arcsec > 0:
            a1, a2 = perpendicular_axes(los)
            g = rng.standard_normal((2, len(los))) * np.radians(noise_arcsec / 3600.0)
            los = los + g[0][:, None] * a1 + g[1][:, None] * a2
            los /= np.linalg.norm(los, axis=1, keepdims=True)
        recorded = true_t + np.int64(round(errors[k] * 1e6)).astype("timedelta64[us]")
        los, recorded, true_t = los[keep], recorded[keep], true_t[keep]
        kind = representations[k % len(representations)]
        if kind == "of_date":
            directions: RaDecJ2000 | RaDecOfDate | AltAzOfDate = RaDecOfDate(*unit_to_radec(los))
        elif kind == "j2000":
            directions = RaDecJ2000(*unit_to_radec(los @ j2000_to_date_matrix(recorded)))
        else:
            directions = AltAzOfDate(*unit_eci_to_altaz(los, st.lat_deg, st.lon_deg, true_t))
        tracks.append(Track(st, recorded, directions, camera=f"cam{k}"))
    ra, dec = unit_to_radec(radiant)
    end_x = x0 + s[-1] * u
    end_h = ecef_to_geodetic(eci_to_ecef(end_x, np.array([t0_utc + np.timedelta64(int(t[-1] * 1e6), "us")])))[
        2
    ]
    truth = Truth(t0_utc, x0, u, v_m_s, float(ra), float(dec), h, float(np.ravel(end_h)[0]), errors)
    return tracks, truth
