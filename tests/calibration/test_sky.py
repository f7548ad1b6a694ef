"""calibration.sky against published examples, the real station's FTPdetectinfo and astropy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from calibration.sky import altaz_to_radec, gmst_deg, julian_date, precession_matrix, radec_to_altaz

ARCMIN_DEG = 1.0 / 60.0


def test_julian_date_known_answers() -> None:
    # Meeus, Astronomical Algorithms, ex. 7.a: 1957 Oct 4.81 = JD 2436116.31; J2000.0 = JD 2451545.0.
    assert julian_date(datetime(2000, 1, 1, 12, tzinfo=UTC)) == 2451545.0
    sputnik = datetime(1957, 10, 4, tzinfo=UTC) + timedelta(days=0.81)
    assert julian_date(sputnik) == pytest.approx(2436116.31, abs=1e-6)
    cest = timezone(timedelta(hours=2))
    assert julian_date(datetime(2000, 1, 1, 14, tzinfo=cest)) == 2451545.0


def test_julian_date_rejects_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        julian_date(datetime(2000, 1, 1))


def test_gmst_known_answers() -> None:
    # Meeus ex. 12.a and 12.b: 1987 Apr 10 0h UT -> 13h10m46.3668s; 19:21:00 UT -> 8h34m57.0896s.
    jd0 = julian_date(datetime(1987, 4, 10, tzinfo=UTC))
    assert float(gmst_deg(jd0)) == pytest.approx((13 + 10 / 60 + 46.3668 / 3600) * 15, abs=1e-5)
    jd1 = julian_date(datetime(1987, 4, 10, 19, 21, tzinfo=UTC))
    assert float(gmst_deg(jd1)) == pytest.approx((8 + 34 / 60 + 57.0896 / 3600) * 15, abs=1e-5)


def test_precession_known_answer() -> None:
    # Meeus ex. 21.b: theta Persei, J2000 (41.054063, +49.227750)
    # -> 2028 Nov 13.19 TD (41.547214, +49.348483).
    ra, dec = np.radians(41.054063), np.radians(49.227750)
    v = precession_matrix(2462088.69) @ np.array(
        [np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)]
    )
    assert np.degrees(np.arctan2(v[1], v[0])) == pytest.approx(41.547214, abs=2e-6)
    assert np.degrees(np.arcsin(v[2])) == pytest.approx(49.348483, abs=2e-6)


def _ftpdetect_points(path: Path) -> tuple[datetime, np.ndarray]:
    lines = path.read_text().splitlines()
    i = lines.index("FF_UK0006_20220914_194911_205_0079616.fits")
    rows = np.array([[float(v) for v in line.split()] for line in lines[i + 3 : i + 24]])
    return datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC), rows


@pytest.mark.realdata
def test_radec_to_altaz_matches_rms_ftpdetectinfo(shared_data: Path) -> None:
    # UK0006 (lat 51.8831, lon -1.30616): RA/Dec J2000 and Azim/Elev of date without refraction, both
    # printed by RMS to 1e-4 deg (0.006 arcmin): the conventions agree to that rounding.
    t0, rows = _ftpdetect_points(
        shared_data / "rms/UK0006_20220914/FTPdetectinfo_UK0006_20220914_185543_087124.txt"
    )
    assert len(rows) == 21
    for frame, _, _, ra, dec, az_ref, alt_ref, *_ in rows:
        jd = julian_date(t0 + timedelta(seconds=frame / 25.0))
        az, alt = radec_to_altaz(ra, dec, jd, 51.8831, -1.30616)
        assert (float(az) - az_ref) * np.cos(np.radians(alt_ref)) == pytest.approx(0.0, abs=0.01 * ARCMIN_DEG)
        assert float(alt) == pytest.approx(alt_ref, abs=0.01 * ARCMIN_DEG)


def test_round_trip_altaz_radec() -> None:
    rng = np.random.default_rng(7)
    ra = rng.uniform(0, 360, 500)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 500)))
    jd = julian_date(datetime(2031, 3, 1, 2, 30, tzinfo=UTC))
    az, alt = radec_to_altaz(ra, dec, jd, -33.9, 18.4)
    ra2, dec2 = altaz_to_radec(az, alt, jd, -33.9, 18.4)
    dra = (ra2 - ra + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(dra * np.cos(np.radians(dec)))) < 1e-8
    assert np.max(np.abs(dec2 - dec)) < 1e-8


def test_scalar_and_shape() -> None:
    az, alt = radec_to_altaz(np.zeros((2, 3)), 10.0, 2459000.5, 45.0, 7.0)
    assert az.shape == alt.shape == (2, 3)
    az0, _ = radec_to_altaz(0.0, 10.0, 2459000.5, 45.0, 7.0)
    assert az0.shape == () and float(az0) == pytest.approx(float(az[0, 0]))


def test_against_astropy() -> None:
    # astropy applies nutation and annual aberration that this module leaves out (< 40 arcsec together);
    # without pressure it applies no refraction. Agreement within 1 arcmin is the design target.
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers

    rng = np.random.default_rng(3)
    ra = rng.uniform(0, 360, 200)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 200)))
    when = datetime(2022, 9, 14, 20, 0, tzinfo=UTC)
    lat, lon = 51.8831, -1.30616
    with iers.conf.set_temp("auto_download", False), iers.conf.set_temp("iers_degraded_accuracy", "ignore"):
        frame = AltAz(
            obstime=Time(when), location=EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, 80 * u.m)
        )
        ref = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").transform_to(frame)
        az_ref, alt_ref = ref.az.deg, ref.alt.deg
    az, alt = radec_to_altaz(ra, dec, julian_date(when), lat, lon)
    daz = (az - az_ref + 180.0) % 360.0 - 180.0
    sep = np.hypot(daz * np.cos(np.radians(alt_ref)), alt - alt_ref)
    assert np.max(sep) < 1.0 * ARCMIN_DEG
