"""stationd.stages.settings: what a camera's configuration means for the detector."""

from __future__ import annotations

from pathlib import Path

from calibration.camera import CameraModel
from stationd.config import CameraSection, PointingSection
from stationd.stages.settings import sky_projection


def test_the_station_camera_gives_its_coarse_model() -> None:
    camera = CameraSection(
        "cam1", Path("in"), None, "*.mp4", 25.0, 320, 240, None,
        PointingSection(az_deg=10.0, alt_deg=90.0, rotation_deg=0.0, fov_h_deg=240.0),
    )  # fmt: skip
    sky = sky_projection(camera)
    assert sky.camera == CameraModel(320, 240, 10.0, 90.0, 0.0, 240.0, "equidistant")
    assert sky.centre_px is None
