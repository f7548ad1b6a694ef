"""calibration.sky_image: synthetic skies put each star where their plate says, and go wrong as told.

Checked by recovery of what was injected (fixed seeds): the stars extracted from a clear frame lie on the
truth positions (centroids within 0.15 px median: a Gaussian PSF of 1.2 px sigma, 1.5 DN noise, uint8
rounding); clouds and a bright limit leave few stars; the same seed gives the same pixels.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from calibration import (
    CameraModel,
    SkyImageSettings,
    StarFinder,
    load_hipparcos,
    render_sky_image,
    synthetic_platepar,
)

_T = datetime(2022, 9, 14, 22, 0, tzinfo=UTC)
_CAM = CameraModel(640, 360, az_deg=200.0, alt_deg=50.0, rotation_deg=5.0, fov_h_deg=60.0)


@pytest.fixture(scope="module")
def catalog():
    return load_hipparcos(7.0)


@pytest.fixture(scope="module")
def truth():
    return synthetic_platepar(_CAM, _T, 51.88, -1.31, 80.0, k3=0.06)


def test_stars_are_drawn_where_the_plate_puts_them(catalog, truth) -> None:
    sky = render_sky_image(truth, _T, catalog, SkyImageSettings(), seed=4)
    assert sky.image.shape == (360, 640) and sky.image.dtype == np.uint8
    ra, dec = truth.pixel_to_sky(sky.x_px, sky.y_px, _T)  # the forward model, as the fit uses it
    assert np.allclose(ra, sky.ra_deg, atol=1e-6) and np.allclose(dec, sky.dec_deg, atol=1e-6)
    stars = StarFinder()(sky.image)
    assert len(stars) > 100
    d = np.hypot(stars.x_px[:, None] - sky.x_px[None, :], stars.y_px[:, None] - sky.y_px[None, :])
    nearest = d.min(axis=1)
    bright = nearest[:50]  # the brightest detections: isolated stars, no blends
    assert np.median(bright) < 0.15
    assert np.mean(nearest < 1.0) > 0.9


def test_distortion_moves_the_edges_not_the_centre(truth) -> None:
    flat = synthetic_platepar(_CAM, _T, 51.88, -1.31, 80.0)
    ra, dec = flat.pixel_to_sky(np.array([320.0, 630.0]), np.array([180.0, 180.0]), _T)
    x, y = truth.sky_to_pixel_inverse(ra, dec, _T)
    assert abs(x[0] - 320.0) < 0.05 and abs(y[0] - 180.0) < 0.05
    assert abs(x[1] - 630.0) > 5.0  # k3 = 0.06 at the edge: ~0.06 * 310 px, less the fitted scale


def test_clouds_and_a_bright_limit_leave_few_stars(catalog, truth) -> None:
    clear = StarFinder()(render_sky_image(truth, _T, catalog, SkyImageSettings(), seed=1).image)
    cloudy = StarFinder()(
        render_sky_image(truth, _T, catalog, SkyImageSettings(cloud_cover=0.9), seed=1).image
    )
    sparse = StarFinder()(render_sky_image(truth, _T, catalog, SkyImageSettings(limit_mag=2.5), seed=1).image)
    assert len(cloudy) < 0.3 * len(clear)
    assert len(sparse) < 15


def test_false_stars_and_the_seed(catalog, truth) -> None:
    s = SkyImageSettings(limit_mag=-5.0, n_false_stars=60)
    a = render_sky_image(truth, _T, catalog, s, seed=9)
    b = render_sky_image(truth, _T, catalog, s, seed=9)
    c = render_sky_image(truth, _T, catalog, s, seed=10)
    assert len(a.x_px) == 0  # no catalogue star brighter than -5
    assert np.array_equal(a.image, b.image) and not np.array_equal(a.image, c.image)
    assert 40 <= len(StarFinder()(a.image)) <= 60


@pytest.mark.parametrize("bad", [{"cloud_cover": 1.5}, {"psf_sigma_px": 0.0}, {"n_false_stars": -1}])
def test_settings_name_the_bad_value(bad) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        SkyImageSettings(**bad)
