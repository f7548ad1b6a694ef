"""Geodesy and time: WGS84 round trips, sidereal time against Meeus, RA/Dec <-> az/alt against RMS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory.geo import (
    ecef_to_eci,
    ecef_to_geodetic,
    eci_to_ecef,
    geodetic_to_ecef,
    j2000_to_date_matrix,
    radec_to_unit,
    sidereal_angle_rad,
    unit_to_radec,
)
from trajectory.observations import AltAzOfDate, RaDecJ2000, RaDecOfDate, Station


def test_the_equator_at_greenwich_is_one_semi_major_axis_out() -> None:
    xyz = geodetic_to_ecef(np.array(0.0), np.array(0.0), np.array(0.0))
    np.testing.assert_allclose(xyz, [6378137.0, 0.0, 0.0], atol=1e-6)  # WGS84 a


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-89.9, 89.9), st.floats(-179.9, 179.9), st.floats(-500.0, 200_000.0)
)  # fmt: skip
def test_geodetic_ecef_round_trip(lat: float, lon: float, h: float) -> None:
    back = ecef_to_geodetic(geodetic_to_ecef(np.array(lat), np.array(lon), np.array(h)))
    assert float(back[0]) == pytest.approx(lat, abs=1e-9)
    assert float(back[1]) == pytest.approx(lon, abs=1e-9)
    assert float(back[2]) == pytest.approx(h, abs=1e-5)


def test_apparent_sidereal_time_matches_meeus_example_12b() -> None:
    # Meeus, Astronomical Algorithms (2nd ed.), example 12.b: 1987 April 10, 0h UT,
    # apparent sidereal time 13h10m46.1351s (IAU 1982 expressions; ours are IAU 2006/2000A, UT1 = UTC).
    gast = sidereal_angle_rad(np.array(["1987-04-10T00:00:00"], dtype="datetime64[us]"))[0]
    seconds = np.degrees(gast) / 15.0 * 3600.0
    assert seconds == pytest.approx(13 * 3600 + 10 * 60 + 46.1351, abs=0.01)


def test_eci_and_ecef_are_inverse_rotations() -> None:
    t = np.array(["2024-08-12T22:00:00", "2024-08-12T22:00:05"], dtype="datetime64[us]")
    xyz = np.array([[4e6, 1e6, 4.8e6], [-3e6, 2e6, 5e6]])
    np.testing.assert_allclose(eci_to_ecef(ecef_to_eci(xyz, t), t), xyz, atol=1e-6)
    # The Earth turns 360.9856 deg per day: 5 s later the same ECEF point is 0.02089 deg further east.
    a, b = ecef_to_eci(np.repeat(xyz[:1], 2, axis=0), t)
    angle = np.degrees(np.arctan2(b[1], b[0]) - np.arctan2(a[1], a[0]))
    assert angle == pytest.approx(5 * 360.985647 / 86400, rel=1e-5)


def test_the_j2000_matrix_precesses_by_the_general_precession() -> None:
    """From J2000 to 2026 the equinox moves 50.29 arcsec a year along the ecliptic (IAU 2006),
    plus nutation (< 20 arcsec): the J2000 vernal equinox sits at that longitude of date."""
    m = j2000_to_date_matrix(np.array(["2026-01-01T12:00"], dtype="datetime64[us]"))
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
    ra, dec = unit_to_radec(m @ radec_to_unit(np.array(0.0), np.array(0.0)))
    eps = np.radians(23.4393)
    lon = np.degrees(np.arctan2(np.sin(np.radians(ra)) * np.cos(eps) + np.tan(np.radians(dec)) * np.sin(eps),
                                np.cos(np.radians(ra))))  # fmt: skip
    assert lon * 3600 == pytest.approx(26.0 * 50.29, abs=25.0)


@pytest.mark.realdata
def test_altaz_of_j2000_points_agrees_with_rms_ftpdetectinfo(shared_data: Path) -> None:
    """UK0006's FTPdetectinfo gives each point's RA/Dec J2000 and its az/alt of date (RMS, no refraction)."""
    path = shared_data / "rms/UK0006_20220914/FTPdetectinfo_UK0006_20220914_185543_087124.txt"
    rows = np.array([line.split() for line in path.read_text().splitlines()[15:36]], dtype=float)
    t = np.datetime64("2022-09-14T19:49:11.205", "us") + (rows[:, 0] / 25.0 * 1e6).astype("timedelta64[us]")
    station = Station("UK0006", 51.8831, -1.30616, 80.0)
    az, alt = RaDecJ2000(rows[:, 3], rows[:, 4]).altaz_deg(station, t)
    # RMS prints 1e-4 deg and precesses without nutation: agreement to 15 arcsec.
    assert np.max(np.abs((az - rows[:, 5]) * np.cos(np.radians(alt)))) * 3600 < 15.0
    assert np.max(np.abs(alt - rows[:, 6])) * 3600 < 15.0


def test_directions_give_every_representation_back() -> None:
    station = Station("XX0001", 45.0, 16.0, 200.0)
    t = np.array(["2017-03-05T22:50:04", "2017-03-05T22:50:06"], dtype="datetime64[us]")
    j2000 = RaDecJ2000(np.array([82.0, 83.5]), np.array([33.9, 34.6]))
    az, alt = j2000.altaz_deg(station, t)
    ra_d, dec_d = j2000.radec_of_date_deg(station, t)
    for other in (AltAzOfDate(az, alt), RaDecOfDate(ra_d, dec_d)):
        ra, dec = other.radec_j2000_deg(station, t)
        np.testing.assert_allclose(ra, j2000.ra_deg, atol=1e-8)
        np.testing.assert_allclose(dec, j2000.dec_deg, atol=1e-8)
        np.testing.assert_allclose(other.unit_eci(station, t), j2000.unit_eci(station, t), atol=1e-10)
