"""The calibrate stage's verdicts on synthetic skies: a camera knocked 1.5 deg sideways is first a jump
(rejected), then, confirmed by successive solutions, a move (accepted, alerted); a cloudy sky gives no
solution. The minutes' star images are written as their stacks (the average of 25 rendered frames of the
generator, as the stage reads a minute whose FF files were not kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from calibration import CameraModel
from detection.synth.sky import Cloud, SkySettings, SkyVideo
from stationd import parse_config
from stationd.disk.state import Minute, StateStore
from stationd.ops.health import _calibration_alerts
from stationd.stages.calibration_history import CalibrationHistory
from stationd.stages.calibration_stage import _recalibrate
from stationd.stages.context import StageContext
from stationd.stages.results import ScanStageResult

T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)
LAT, LON = 51.88, -1.31
HOME = CameraModel(1280, 720, az_deg=240.0, alt_deg=40.0, rotation_deg=0.0, fov_h_deg=88.0)
KNOCKED = CameraModel(1280, 720, az_deg=241.5, alt_deg=40.0, rotation_deg=0.0, fov_h_deg=88.0)


def _minute(tmp: Path, ctx: StageContext, i: int, camera: CameraModel, objects: list[object] = ()) -> Minute:
    t = T0 + timedelta(minutes=i)
    name = t.strftime("%Y_%m_%d_%H_%M_%S_000_cam1.mp4")
    s = SkySettings(width_px=1280, height_px=720, duration_s=1.0, seed=i, lat_deg=LAT, lon_deg=LON,
                    start_utc=t, camera=camera)  # fmt: skip
    image = SkyVideo(s, list(objects)).render(0, 25).astype(np.float64).mean(axis=0)
    minute = Minute(i, "cam1", t, "2026-08-12", name, tmp / name, None)
    path = ctx.layout.stack(minute.day, "cam1", minute.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 95])
    return minute


@pytest.mark.slow
def test_a_knocked_camera_is_a_jump_then_a_confirmed_move_and_clouds_give_nothing(tmp_path: Path) -> None:
    raw = {
        "station": {"id": "XX0001", "latitude_deg": LAT, "longitude_deg": LON, "data_dir": str(tmp_path)},
        "cameras": [{"id": "cam1", "width_px": 1280, "height_px": 720, "fps": 25,
                     "pointing": {"az_deg": 240, "alt_deg": 40, "fov_h_deg": 88}}],
        "processing": {"workers": 1},
    }  # fmt: skip
    scan = ScanStageResult("x.mp4", 1280, 720, 25.0, 25, (), "x.values.npz", None, 0.0, 0.0)
    with StateStore(tmp_path / "state.sqlite3") as store:
        ctx = StageContext(parse_config(raw), store)
        history = CalibrationHistory(ctx.layout.calibration_dir("cam1"))
        verdicts = []
        for i, camera in ((0, HOME), (10, KNOCKED), (20, KNOCKED), (30, KNOCKED)):
            minute = _minute(tmp_path, ctx, i, camera)
            result, entry = _recalibrate(ctx, minute, scan, history)
            verdicts.append((minute, result))
            assert entry is not None, result.reason
        assert [r.status for _, r in verdicts] == ["accepted", "jump", "jump", "moved"]
        # 1.5 deg of azimuth at 40 deg of altitude: 1.15 deg on the sky
        assert all(1.1 < (r.change_deg or 0) < 1.2 for _, r in verdicts[1:]), [
            r.change_deg for _, r in verdicts
        ]
        # Meteors keep the home pointing until the move is confirmed: the nearest accepted solution.
        assert history.nearest_accepted(T0 + timedelta(minutes=15)).t_utc == T0
        assert history.nearest_accepted(T0 + timedelta(minutes=29)).status == "moved"
        (alert,) = _calibration_alerts("cam1", verdicts)
        assert alert.key == "camera-moved:cam1" and "moved" in alert.message

        cloud = Cloud(640.0, 360.0, 0.0, 0.0, radius_px=900.0, opacity=0.97)
        minute = _minute(tmp_path, ctx, 40, KNOCKED, [cloud])
        result, entry = _recalibrate(ctx, minute, scan, history)
        # Thin cloud: its glow makes false stars enough to pass the gate (396 against 700 on the clear
        # images), so the fit fails: cloudy by the star count, not a clear sky that cannot be calibrated.
        assert result.status == "cloudy" and entry is None, result
