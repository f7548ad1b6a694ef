"""Short all-sky clips of common containers, codecs, sizes and rates: detect_file finds the one meteor.

There are no real AVI or FLV meteor clips in ../shared/data, so the clips are synthetic (detection.synth.sky:
stars, sky glow, 2.5 DN noise) with one meteor at 20 deg/s, peak SNR 12, lasting 0.8 s, written as AVI
(MJPEG, MPEG-4 part 2), FLV (Sorenson H.263 "flv1", H.264), MP4 and MKV (H.264) at 320x240, 640x480 and
1280x960, 25 and 30 frames per second. The 1280x960 clips are marked slow.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detection.meteors.detector import MeteorDetector
from detection.meteors.video_detect import detect_file
from detection.synth.sky import Meteor, SkySettings, SkyVideo
from tests.detection._videos import FORMATS, SUFFIX, write_clip

SPEED_DEG_S = 20.0
DURATION_S = 0.8
#: Centroid agreement with the synthetic truth after lossy coding: the codecs here (1 bit per pixel for
#: the older ones, x264 crf 16) keep the meteor's shape; 1.0 px median is twice the detector's target on
#: uncompressed frames (0.5 px, issue 4).
MEDIAN_CENTROID_ERR_PX = 1.0

_cache: dict[tuple[int, int, float], tuple[np.ndarray, dict[str, Any], float]] = {}


def sky_with_meteor(width: int, height: int, fps: float) -> tuple[np.ndarray, dict[str, Any], float]:
    """Frames, the meteor's truth and the plate scale (px/deg) of a 3 s clip; rendered once per size/rate."""
    key = (width, height, fps)
    if key not in _cache:
        settings = SkySettings(width_px=width, height_px=height, fps=fps, duration_s=3.0, seed=1)
        scale = settings.cam.scale_px_per_deg
        length_px = SPEED_DEG_S * DURATION_S * scale
        x0, y0 = 0.3 * width, 0.35 * height
        angle = 0.5  # rad, down and to the right
        meteor = Meteor(1.0, DURATION_S, x0, y0, x0 + length_px * math.cos(angle),
                        y0 + length_px * math.sin(angle), peak_snr=12.0)  # fmt: skip
        video = SkyVideo(settings, [meteor])
        _cache[key] = (video.render(), video.truth()["objects"][0], scale)
    return _cache[key]


def check_clip(tmp_path: Path, name: str, width: int, height: int, fps: float) -> None:
    frames, truth, scale = sky_with_meteor(width, height, fps)
    path = write_clip(tmp_path / f"{name}{SUFFIX[FORMATS[name][0]]}", frames, name, fps=fps)
    result = detect_file(path, MeteorDetector(), scale_px_per_deg=scale)
    assert (result.kind, result.width_px, result.height_px) == ("video", width, height)
    assert result.n_frames == frames.shape[0]
    assert result.fps == pytest.approx(fps)
    meteors = result.meteors
    assert len(meteors) == 1, [d.reasons for d in result.detections]
    meteor = meteors[0]
    first, last = truth["visible_first_frame"], truth["visible_last_frame"]
    # The detector may take a faint noise point or two on the line's extension into the track (seen on
    # MPEG-4 part 2 at 640x480: 1-2 points of 6-30 DN up to 9 frames early): the bound is 10 frames.
    assert first - 10 <= meteor.line.frame_begin <= first + 3
    assert last - 3 <= meteor.line.frame_end <= last + 10
    assert meteor.line.speed_deg_s == pytest.approx(SPEED_DEG_S, rel=0.1)
    centroids = {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in truth["frames"]}
    errors = [math.hypot(p.x_px - centroids[p.frame][0], p.y_px - centroids[p.frame][1])
              for p in meteor.frames if first <= p.frame <= last]  # fmt: skip
    assert len(errors) >= 0.7 * (last - first + 1)
    assert float(np.median(errors)) <= MEDIAN_CENTROID_ERR_PX


CLIP_FORMATS = ["avi-mjpeg", "avi-mpeg4", "flv-flv1", "flv-h264", "mp4-h264"]


@pytest.mark.parametrize("fps", [25.0, 30.0])
@pytest.mark.parametrize("name", CLIP_FORMATS)
@pytest.mark.parametrize("width, height", [(320, 240), (640, 480)])
def test_a_meteor_is_found_in_small_clips(
    tmp_path: Path, name: str, width: int, height: int, fps: float
) -> None:
    check_clip(tmp_path, name, width, height, fps)


def test_a_meteor_is_found_in_mkv(tmp_path: Path) -> None:
    check_clip(tmp_path, "mkv-h264", 640, 480, 25.0)


@pytest.mark.slow
@pytest.mark.parametrize("fps", [25.0, 30.0])
@pytest.mark.parametrize("name", CLIP_FORMATS)
def test_a_meteor_is_found_in_1280x960_clips(tmp_path: Path, name: str, fps: float) -> None:
    check_clip(tmp_path, name, 1280, 960, fps)
