"""stationd.stages.settings: what a camera's configuration means for the detector."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_the_verify_stage_fits_on_the_sky_only_when_the_config_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``processing.sky_tracks`` (default true: the camera's model costs ordinary meteors nothing, see the
    README's measured figures) gives the verifier the camera's model; false gives it none."""
    import dataclasses
    from datetime import UTC, datetime

    from detection.timing import VideoTime
    from stationd.stages import verify as stage
    from stationd.stages.context import StageContext
    from tests.stationd.ops_helpers import make_config

    given: list[object] = []

    class Recorder:
        def __init__(self, *args: object, sky: object = None, **kwargs: object) -> None:
            given.append(sky)

        def __call__(self, *args: object) -> None:
            return None

    monkeypatch.setattr(stage, "MinuteVerifier", Recorder)
    monkeypatch.setattr(stage, "locate_original", lambda ctx, minute: tmp_path / "video.mp4")
    config = make_config(tmp_path)
    minute = type("M", (), {"camera": config.cameras[0].id})()
    clock = VideoTime(datetime(2026, 7, 12, 22, 0, tzinfo=UTC), 25.0, 1500)
    for on in (False, True):
        cfg = dataclasses.replace(config, processing=dataclasses.replace(config.processing, sky_tracks=on))
        stage._verify(StageContext(cfg, store=None), minute, [], clock)  # type: ignore[arg-type]
    assert given[0] is None and given[1] is not None
