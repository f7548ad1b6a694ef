"""The Earth's state from DE421 and the time scales: checked against ERFA's own series and astropy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import erfa
import numpy as np
import pytest
from astropy.time import Time

from trajectory._ephemeris import (
    AU_M,
    earth_barycentric_state,
    earth_heliocentric_state,
    tdb_julian_date,
    tt_julian_date,
)
from trajectory._orbit_frames import ecef_to_geodetic, geodetic_to_ecef

_DAY_S = 86_400.0


@pytest.mark.parametrize(
    "t_utc",
    [
        datetime(2000, 1, 1, 12, tzinfo=UTC),
        datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC),  # a second before a leap second
        datetime(2023, 2, 13, 2, 59, 13, 554265, tzinfo=UTC),
        datetime(2014, 11, 26, 1, 21, 15, tzinfo=timezone(timedelta(hours=10))),
    ],
)
def test_time_scales_match_astropy(t_utc: datetime) -> None:
    # astropy's scale conversions run offline (ERFA underneath, no IERS table for UTC -> TT -> TDB).
    reference = Time(t_utc.astimezone(UTC).replace(tzinfo=None), scale="utc")
    # A single float JD resolves about 40 microseconds.
    assert abs(tt_julian_date(t_utc) - reference.tt.jd) * _DAY_S < 1e-4
    assert abs(tdb_julian_date(t_utc) - reference.tdb.jd) * _DAY_S < 1e-4


def test_tt_minus_utc_is_69_184_s_in_2023() -> None:
    # 37 leap seconds since 2017-01-01 (IERS Bulletin C) plus 32.184 s.
    t = datetime(2023, 6, 1, tzinfo=UTC)
    jd_utc = 2_440_587.5 + (t - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / _DAY_S
    assert (tt_julian_date(t) - jd_utc) * _DAY_S == pytest.approx(69.184, abs=1e-4)


@pytest.mark.parametrize("jd_tdb", [2_415_100.5, 2_451_545.0, 2_459_988.6, 2_470_000.1])
def test_earth_state_matches_erfa_epv00(jd_tdb: float) -> None:
    # erfa.epv00 (the SOFA series of the Earth's state, fitted to DE405): 4.6 km and 1.4 mm/s quoted
    # accuracy; DE421 agrees within 4.6 km and 3 mm/s over 1900-2050.
    helio, bary = erfa.epv00(jd_tdb, 0.0)
    for (position_m, velocity_m_s), pv in (
        (earth_heliocentric_state(jd_tdb), helio),
        (earth_barycentric_state(jd_tdb), bary),
    ):
        assert np.linalg.norm(position_m - pv["p"] * AU_M) < 20e3
        assert np.linalg.norm(velocity_m_s - pv["v"] * AU_M / _DAY_S) < 0.01


def test_perihelion_and_aphelion_distances() -> None:
    # The Earth's perihelion 2023-01-04 (0.98330 AU) and aphelion 2023-07-06 (1.01668 AU), USNO.
    near = np.linalg.norm(earth_heliocentric_state(tdb_julian_date(datetime(2023, 1, 4, 16, tzinfo=UTC)))[0])
    far = np.linalg.norm(earth_heliocentric_state(tdb_julian_date(datetime(2023, 7, 6, 20, tzinfo=UTC)))[0])
    assert near / AU_M == pytest.approx(0.98330, abs=2e-5)
    assert far / AU_M == pytest.approx(1.01668, abs=2e-5)


def test_refuses_dates_outside_de421_and_naive_times() -> None:
    with pytest.raises(ValueError, match="outside DE421"):
        earth_heliocentric_state(2_480_000.5)
    with pytest.raises(ValueError, match="naive"):
        tdb_julian_date(datetime(2023, 1, 1))


def test_geodetic_round_trip() -> None:
    lat, lon, height = np.array([51.88, -31.59, 0.0, 89.9]), np.array([-1.3, 133.8, 180.0, 10.0]), 1e5
    xyz = geodetic_to_ecef(lat, lon, np.full(4, height))
    lat2, lon2, h2 = ecef_to_geodetic(xyz)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    np.testing.assert_allclose((lon2 - lon + 180.0) % 360.0 - 180.0, 0.0, atol=1e-9)
    np.testing.assert_allclose(h2, height, atol=1e-4)
    # The equator at Greenwich, sea level: the WGS84 semi-major axis.
    np.testing.assert_allclose(geodetic_to_ecef(0.0, 0.0, 0.0), [6_378_137.0, 0.0, 0.0], atol=1e-6)
