"""calibration.camera: conventions, field of view, and the pixel -> sky -> pixel round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.camera import CameraModel


def _sep_deg(az1: float, alt1: float, az2: float, alt2: float) -> float:
    a1, h1, a2, h2 = np.radians([az1, alt1, az2, alt2])
    c = np.sin(h1) * np.sin(h2) + np.cos(h1) * np.cos(h2) * np.cos(a1 - a2)
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


@pytest.mark.parametrize("projection", ["equidistant", "rectilinear"])
def test_axis_on_image_centre(projection: str) -> None:
    cam = CameraModel(1280, 720, 237.7, 41.3, 12.0, 88.7, projection)  # type: ignore[arg-type]
    x, y = cam.altaz_to_pixel(237.7, 41.3)
    assert (float(x), float(y)) == pytest.approx((639.5, 359.5), abs=1e-9)
    az, alt = cam.pixel_to_altaz(639.5, 359.5)
    assert (float(az), float(alt)) == pytest.approx((237.7, 41.3), abs=1e-9)


@pytest.mark.parametrize("projection", ["equidistant", "rectilinear"])
def test_field_of_view_across_the_width(projection: str) -> None:
    cam = CameraModel(1280, 720, 100.0, 30.0, 25.0, 60.0, projection)  # type: ignore[arg-type]
    az, alt = cam.pixel_to_altaz([-0.5, 1279.5], [359.5, 359.5])
    assert _sep_deg(az[0], alt[0], az[1], alt[1]) == pytest.approx(60.0, abs=1e-9)


def test_orientation_conventions() -> None:
    north = CameraModel(640, 360, 0.0, 30.0, 0.0, 60.0)
    x, y = north.altaz_to_pixel([0.0, 5.0, 0.0], [30.0, 30.0, 35.0])
    assert x[1] > x[0]  # east of the axis lies to the right
    assert y[2] < y[0] and x[2] == pytest.approx(x[0])  # the zenith side is up
    turned = CameraModel(640, 360, 0.0, 30.0, 90.0, 60.0)
    x, y = turned.altaz_to_pixel([0.0, 0.0], [30.0, 35.0])
    assert x[1] < x[0] and y[1] == pytest.approx(y[0])  # rotation 90: the zenith lies to the left


def test_scale_at_centre() -> None:
    cam = CameraModel(1280, 720, 200.0, 50.0, 0.0, 88.0)
    assert cam.scale_px_per_deg == pytest.approx(1280 / 88.0)
    x, y = cam.altaz_to_pixel(200.0, 51.0)
    assert float(np.hypot(x - 639.5, y - 359.5)) == pytest.approx(cam.scale_px_per_deg, rel=1e-9)


def test_rectilinear_behind_camera_is_nan() -> None:
    cam = CameraModel(640, 360, 0.0, 0.0, 0.0, 60.0, "rectilinear")
    x, y = cam.altaz_to_pixel(180.0, 0.0)
    assert np.isnan(x) and np.isnan(y)


def test_zenith_camera_up_points_away_from_azimuth() -> None:
    cam = CameraModel(640, 640, 90.0, 90.0, 0.0, 180.0)
    _, y = cam.altaz_to_pixel([270.0, 90.0], [60.0, 60.0])
    assert y[0] < 319.5 < y[1]  # azimuth 270 (away from 90) is up


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"width_px": 0}, "width_px"), ({"alt_deg": 91.0}, "alt_deg"), ({"fov_h_deg": 0.0}, "fov_h_deg"),
     ({"projection": "fisheye"}, "projection"),
     ({"projection": "rectilinear", "fov_h_deg": 180.0}, "fov_h_deg")],
)  # fmt: skip
def test_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"width_px": 640, "height_px": 360, "az_deg": 0.0, "alt_deg": 30.0,
                               "rotation_deg": 0.0, "fov_h_deg": 60.0}  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"CameraModel.{field}="):
        CameraModel(**args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    az=st.floats(0.0, 360.0),
    alt=st.floats(0.0, 90.0),
    rotation=st.floats(-180.0, 180.0),
    fov=st.floats(10.0, 170.0),
    rectilinear=st.booleans(),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
)
def test_pixel_sky_pixel_round_trip(
    az: float, alt: float, rotation: float, fov: float, rectilinear: bool, fx: float, fy: float
) -> None:
    cam = CameraModel(1280, 720, az, alt, rotation, fov, "rectilinear" if rectilinear else "equidistant")
    x, y = fx * 1279.0, fy * 719.0
    a, h = cam.pixel_to_altaz(x, y)
    x2, y2 = cam.altaz_to_pixel(a, h)
    assert float(x2) == pytest.approx(x, abs=1e-6)
    assert float(y2) == pytest.approx(y, abs=1e-6)
