"""Night and day from the sun's altitude (astropy, offline, no warnings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from stationd.ops.sun import is_daytime, is_daytime_for, last_night, sun_altitude_deg
from tests.stationd.ops_helpers import make_config

OXFORD = (51.8831, -1.30616, 80.0)


def test_noon_altitude_at_the_june_solstice() -> None:
    # At the solstice the sun's declination is the obliquity, 23.44 deg (Astronomical Almanac), so its
    # noon altitude at latitude 51.5 N on the Greenwich meridian is 90 - 51.5 + 23.44 = 61.94 deg. Solar
    # noon falls at ~12:02 UTC (equation of time -1.8 min), which changes the altitude by < 0.01 deg.
    alt = sun_altitude_deg(datetime(2026, 6, 21, 12, 2, tzinfo=UTC), 51.5, 0.0)
    assert alt == pytest.approx(61.94, abs=0.1)


def test_day_and_night_at_oxford_in_july() -> None:
    assert is_daytime(datetime(2026, 7, 12, 12, 0, tzinfo=UTC), *OXFORD)
    assert not is_daytime(datetime(2026, 7, 12, 23, 30, tzinfo=UTC), *OXFORD)
    # 21:15 UTC: the sun has set (about 20:20 UTC) but is still above -6 deg until about 21:05 UTC,
    # below it after; with a -4 deg limit it is already night, with -12 not yet.
    t = datetime(2026, 7, 12, 21, 15, tzinfo=UTC)
    alt = sun_altitude_deg(t, *OXFORD)
    assert -12 < alt < -6
    assert not is_daytime(t, *OXFORD, sun_alt_limit_deg=-6)
    assert is_daytime(t, *OXFORD, sun_alt_limit_deg=-12)


def test_far_dates_work_offline_without_warnings() -> None:
    # Beyond the bundled IERS and leap-second tables: defaults are used, silently (warnings are errors).
    alts = sun_altitude_deg(
        [datetime(2045, 1, 1, 12, tzinfo=UTC), datetime(1995, 1, 1, 0, tzinfo=UTC)], *OXFORD
    )
    assert alts.shape == (2,)
    assert alts[0] > 0 > alts[1]


def test_naive_times_are_utc_and_arrays_match_scalars() -> None:
    t = datetime(2026, 3, 20, 6, 0)
    times = [t + timedelta(hours=h) for h in range(3)]
    many = sun_altitude_deg(times, *OXFORD)
    one = [sun_altitude_deg(x.replace(tzinfo=UTC), *OXFORD) for x in times]
    np.testing.assert_allclose(many, one, atol=1e-9)


def test_is_daytime_for_uses_the_configured_station_and_limit(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    assert cfg.processing.daytime_sun_alt_deg == -6.0
    assert is_daytime_for(cfg, datetime(2026, 7, 12, 12, 0, tzinfo=UTC))
    assert not is_daytime_for(cfg, datetime(2026, 7, 13, 0, 0, tzinfo=UTC))


def test_last_night_bounds_cross_the_limit() -> None:
    now = datetime(2026, 7, 13, 8, 0, tzinfo=UTC)
    bounds = last_night(now, *OXFORD)
    assert bounds is not None
    start, end = bounds
    assert start.date().isoformat() == "2026-07-12" and end.date().isoformat() == "2026-07-13"
    assert 5 < (end - start).total_seconds() / 3600 < 8  # short summer night at 52 N
    # Each bound lies on the 5-minute grid within one step of the -6 deg crossing.
    alt = sun_altitude_deg([start - timedelta(minutes=5), start, end - timedelta(minutes=5), end], *OXFORD)
    assert alt[0] > -6 >= alt[1]
    assert alt[2] <= -6 < alt[3]


def test_no_night_in_polar_summer() -> None:
    assert last_night(datetime(2026, 6, 21, 12, tzinfo=UTC), 78.2, 15.6) is None  # Svalbard
