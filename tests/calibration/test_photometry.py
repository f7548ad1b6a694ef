"""calibration.photometry: the zero point of a plate from matched stars, against RMS's own fits.

Known answers (``../shared/data/README.md``): RMS's star lists carry each matched star's summed intensity
and catalogue magnitude in the camera's band, and their platepars RMS's fitted ``mag_lev``. Measured with
this code: UK0006's 45 recalibrated plates of 2022-09-14 differ from RMS's ``mag_lev`` by 0.006 mag
(median), 0.03 at the 90th percentile; UK005U's 174 by 0.001 (median), 0.05 at the 90th percentile; the
night plates of UK0006 and of the six AU_perth cameras by -0.13 to +0.03 (their star lists are not those
of the fit that set ``mag_lev``: README caveat).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from calibration import CameraModel, parse_platepar, parse_recalibrated_platepars, platepar_from_camera
from calibration.photometry import PhotometrySettings, fit_zero_point


def _times(jd: np.ndarray) -> np.ndarray:
    return np.datetime64("1970-01-01T00:00:00", "us") + ((jd - 2440587.5) * 86400e6).astype("timedelta64[us]")


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("night", "convention", "median_max", "p90_max"),
    [("UK0006_20220914", "legacy", 0.02, 0.06), ("UK005U_20240809", "precessed+nutation", 0.02, 0.1)],
)
def test_recalibrated_zero_points_match_rms(
    shared_data: Path, night: str, convention: str, median_max: float, p90_max: float
) -> None:
    data = (shared_data / "rms" / night / "platepars_all_recalibrated.json").read_bytes()
    diffs, scatters = [], []
    for pp in parse_recalibrated_platepars(data, convention=convention).values():  # type: ignore[arg-type]
        s = pp.star_list  # rows: jd, y, x, intensity, ra, dec, mag
        if len(s) < 5:
            continue
        zp = fit_zero_point(pp, s[:, 2], s[:, 1], _times(s[:, 0]), s[:, 3], s[:, 6])
        assert zp.ok, zp.reason
        diffs.append(zp.mag_lev - pp.mag_lev)
        scatters.append(zp.scatter_mag)
    assert len(diffs) > 40
    assert abs(np.median(diffs)) < median_max
    assert np.percentile(np.abs(diffs), 90) < p90_max
    assert 0.05 < np.median(scatters) < 0.3  # RMS's fits of these nights scatter by about 0.2 mag


@pytest.mark.realdata
@pytest.mark.parametrize(
    "plate",
    ["UK0006_20220914/platepar_cmn2010.cal"]
    + [f"AU_perth_2022/AU000{s}/platepar_cmn2010.cal" for s in "ACDFGK"],
)
def test_night_plates_zero_point_near_rms(shared_data: Path, plate: str) -> None:
    pp = parse_platepar((shared_data / "rms" / plate).read_bytes(), convention="legacy")
    s = pp.star_list  # rows: jd, x, y, intensity, ra, dec, mag
    zp = fit_zero_point(pp, s[:, 1], s[:, 2], _times(s[:, 0]), s[:, 3], s[:, 6])
    assert zp.ok and zp.n_used >= 0.9 * len(s)
    assert abs(zp.mag_lev - pp.mag_lev) < 0.15
    assert zp.apply(pp).mag_lev == zp.mag_lev


def _plate():
    cam = CameraModel(1280, 720, az_deg=200.0, alt_deg=45.0, rotation_deg=3.0, fov_h_deg=80.0)
    return platepar_from_camera(cam, 2459837.3958, 51.8831, -1.30616, 80.0)


def test_synthetic_stars_give_back_the_zero_point_despite_outliers() -> None:
    pp = _plate()
    rng = np.random.default_rng(4)
    n = 80
    x, y = rng.uniform(20, 1260, n), rng.uniform(20, 700, n)
    t = datetime(2022, 9, 14, 21, 30, tzinfo=UTC)
    mag_cat = rng.uniform(1.0, 5.0, n)
    # Intensities that the plate with mag_lev 10.3 turns into the catalogue magnitudes, plus 0.1 mag noise.
    model0 = pp.magnitude(np.ones(n), x, y, t)  # mag of 1 DN with mag_lev 0
    intensity = 10 ** (-0.4 * (mag_cat + rng.normal(0, 0.1, n) - 10.3 - model0))
    intensity[:6] *= 8.0  # blends: 2.3 mag too bright
    zp = fit_zero_point(pp, x, y, t, intensity, mag_cat)
    assert zp.ok
    assert abs(zp.mag_lev - 10.3) < 0.04
    assert 0.07 < zp.scatter_mag < 0.13
    assert not zp.used[:6].any() and zp.n_used >= n - 10
    fitted = zp.apply(pp)
    assert np.median(np.abs(fitted.magnitude(intensity, x, y, t) - mag_cat)[6:]) < 0.1


def test_too_few_stars_is_no_zero_point() -> None:
    pp = _plate()
    t = datetime(2022, 9, 14, 21, 30, tzinfo=UTC)
    x, y = [600.0, 700.0, 650.0], [300.0, 400.0, 350.0]
    zp = fit_zero_point(pp, x, y, t, [100.0, 0.0, 50.0], [3.0, 4.0, 4.0])
    assert not zp.ok and "fewer than 5" in zp.reason
    assert zp.apply(pp) is pp
    assert zp.to_json()["mag_lev"] is None
    with pytest.raises(ValueError, match="clip_sigma"):
        PhotometrySettings(clip_sigma=0)


@pytest.mark.realdata
def test_a_first_calibration_gets_its_zero_point(shared_data: Path) -> None:
    """``stationd calibrate FILE --out`` wrote plates with ``mag_lev`` 0 (magnitudes ~10 off): the fit's
    matched stars give it (UK0006 20:00:17, from RMS's plate as the guess; RMS's own: 10.48)."""
    from calibration import PlateFitter, StarFinder, load_hipparcos
    from calibration.photometry import zero_point_of_fit
    from detection import load_mask, read_ff

    night = shared_data / "rms" / "UK0006_20220914"
    guess = parse_platepar((night / "platepar_cmn2010.cal").read_bytes(), convention="legacy")
    ff = read_ff(night / "FF_UK0006_20220914_200017_020_0096000.fits")
    stars = StarFinder()(ff.planes.avepixel, load_mask(night / "mask.bmp", 1280, 720))
    fit = PlateFitter(load_hipparcos(6.0))(stars.x_px, stars.y_px, ff.start_utc, guess)
    assert fit.solved and fit.platepar is not None
    zp = zero_point_of_fit(fit, stars, ff.start_utc)
    assert zp.ok and zp.n_used > 40 and abs(zp.mag_lev - 10.48) < 0.45 and zp.scatter_mag < 0.4
    assert zp.apply(fit.platepar).mag_lev == zp.mag_lev
