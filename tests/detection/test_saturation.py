"""Saturated heads (``detection.meteors.saturation``): what counts as clipped, and the head's position
from the clipped core's shape, against a known position and against the generator's rendered truth."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import detection.meteors.centroids as centroids
import detection.meteors.detector as detector
from detection.meteors.detector import MeteorDetector
from detection.meteors.saturation import SATURATED_DN, core_centroid, saturated
from detection.synth.sky import SkySettings, SkyVideo, random_saturated_fireball


def test_the_top_of_the_scale_less_the_codec_error_is_saturated() -> None:
    assert saturated(np.array([249, 250, 254, 255])).tolist() == [False, True, True, True]
    assert SATURATED_DN == 250


def _trail(cx: float, cy: float, peak_dn: float, bloom_dn: float = 0.0) -> tuple[np.ndarray, ...]:
    """A horizontal trail (a Gaussian of sigma 2 px swept over 6 px) centred on (cx, cy) over a 30 DN sky,
    clipped at 255; ``bloom_dn`` adds a one-sided glow (sigma 3 px) 10 px right of the centre."""
    yy, xx = np.mgrid[0:40, 0:60].astype(np.float64)
    xs = cx + np.linspace(-3.0, 3.0, 25)
    light = sum(np.exp(-0.5 * ((xx - x) ** 2 + (yy - cy) ** 2) / 4.0) for x in xs) / 25
    image = 30.0 + peak_dn * light / light.max()
    image += bloom_dn * np.exp(-0.5 * ((xx - cx - 10.0) ** 2 + (yy - cy) ** 2) / 9.0)
    return np.clip(np.round(image), 0, 255), xx, yy


def test_core_centroid_is_the_clipped_trail_s_centre_and_ignores_a_one_sided_bloom() -> None:
    image, xx, yy = _trail(30.3, 19.6, 900.0)
    region = np.ones(image.shape, bool)
    x, y, n = core_centroid(image, region, region, xx, yy)  # type: ignore[misc]
    assert n >= 20 and math.hypot(x - 30.3, y - 19.6) < 0.05
    bloomed, _, _ = _trail(30.3, 19.6, 900.0, bloom_dn=40.0)
    xb, _, _ = core_centroid(bloomed, region, region, xx, yy)  # type: ignore[misc]
    signal = bloomed - 30.0
    weighted_x = float((signal * xx).sum() / signal.sum())
    assert abs(xb - 30.3) < 0.05 and abs(weighted_x - 30.3) > 0.5


def test_no_core_without_clipped_pixels() -> None:
    image, xx, yy = _trail(30.0, 20.0, 150.0)
    region = np.ones(image.shape, bool)
    assert image.max() < SATURATED_DN and core_centroid(image, region, region, xx, yy) is None


def _errors(
    frames: np.ndarray, truth: dict[int, tuple[float, float]], s: SkySettings, cores: bool
) -> list[float]:
    """Errors (px) of the saturated frame points of the longest passed detection against the truth."""
    run = functools.partial(centroids.centroids_frames, saturated_cores=cores)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(detector, "centroids_frames", run)
        scale = s.cam.scale_px_per_deg
        detected = MeteorDetector().detect_frames(frames, fps=s.fps, scale_px_per_deg=scale)
    found = [d for d in detected if d.passed]
    assert found
    best = max(found, key=lambda d: len(d.frames))
    return [
        math.hypot(p.x_px - truth[p.frame][0], p.y_px - truth[p.frame][1])
        for p in best.frames
        if p.saturated_px and p.frame in truth
    ]


def test_saturated_fireballs_centroids_from_the_core_beat_the_intensity_weighted_ones() -> None:
    # The generator's truth: the light-weighted centroid of the head's path in each frame (before
    # clipping). Three saturated fireballs (halo, sky glow, flares), rendered without a codec.
    core, weighted = [], []
    for k in range(3):
        s = SkySettings(width_px=640, height_px=360, duration_s=4.0, seed=500 + k)
        meteor = random_saturated_fireball(np.random.default_rng(900 + k), s, t_range_s=(0.3, 0.8))
        video = SkyVideo(s, [meteor])
        points = video.truth()["objects"][0]["frames"]
        truth = {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in points}
        frames = video.render()
        core += _errors(frames, truth, s, True)
        weighted += _errors(frames, truth, s, False)
    assert len(core) == len(weighted) >= 20
    assert np.median(core) < 0.05 and np.median(core) < 0.6 * np.median(weighted)
    assert np.percentile(core, 90) < np.percentile(weighted, 90)


def test_no_core_when_the_sky_around_it_is_clipped_too() -> None:
    image, xx, yy = _trail(30.0, 20.0, 900.0)
    image = np.maximum(image, 252.0)  # a sky clipped everywhere: no core stands out of it
    region = np.ones(image.shape, bool)
    assert core_centroid(image, region, region, xx, yy) is None


def test_a_steady_clipped_region_touching_the_head_is_not_part_of_its_core() -> None:
    """A lamp or a moonlit cloud clipped in every frame (so in AVEPIXEL too), joined to the head's clipped
    core by one codec-smeared pixel, must not pull the head's centroid towards it."""
    from detection.meteors.centroids import Corridor, centroids_frames
    from detection.meteors.lines import Track

    head, _, _ = _trail(30.3, 19.6, 900.0)
    steady = np.full(head.shape, 30.0)
    steady[:, 36:] = 252.0  # clipped in every frame
    frame0 = np.maximum(head, steady)
    frame0[19, 34:36] = 251.0  # the bridge
    frames = np.stack([frame0] + [steady] * 7).astype(np.uint8)
    avepixel, stdpixel = steady, np.full(head.shape, 2.0)
    valid = np.ones(head.shape, bool)
    track = Track(27.3, 19.6, 6.0, 0.0, 0, 0, np.array([], dtype=np.intp))
    (point,) = centroids_frames(frames, avepixel, stdpixel, np.zeros(8), valid, track, (0, 0), Corridor())
    assert point.saturated_px > 0 and math.hypot(point.x_px - 30.3, point.y_px - 19.6) < 0.3
