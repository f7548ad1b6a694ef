"""Per-frame centroids in frames and in FF planes."""

from __future__ import annotations

import numpy as np

from detection.meteors.centroids import Corridor, centroids_frames, centroids_planes
from detection.meteors.lines import Track
from detection.scan.ff import compress_block


def _spot(h: int, w: int, x: float, y: float, amp: float, sigma: float = 1.0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return amp * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


def test_centroid_of_a_spot_in_frames_is_its_position() -> None:
    n, h, w = 16, 40, 60
    frames = np.full((n, h, w), 30.0)
    truth = {}
    for f in range(4, 10):  # a head moving 3 px/frame; its light centred at mid-exposure
        x, y = 10.0 + 3.0 * (f + 0.5), 12.0 + 1.5 * (f + 0.5)
        frames[f] += _spot(h, w, x, y, 80.0)
        truth[f] = (x, y)
    frames8 = np.clip(np.round(frames), 0, 255).astype(np.uint8)
    planes = compress_block(frames8)
    track = Track(10.0, 12.0, 3.0, 1.5, 4, 9, np.array([], np.int64))
    std = np.full((h, w), 2, np.uint8)  # a nominal noise of 2 DN
    valid = np.ones((h, w), bool)
    cents = centroids_frames(frames8, planes.avepixel, std, np.zeros(n), valid, track, (0, n - 1), Corridor())
    assert [c.frame for c in cents] == list(range(4, 10))
    for c in cents:
        # the only error is the uint8 rounding of the rendered spot
        assert np.hypot(c.x_px - truth[c.frame][0], c.y_px - truth[c.frame][1]) < 0.05
        assert c.intensity > 0.9 * 2 * np.pi * 80.0 * 0.8 and c.saturated_px == 0


def test_centroid_in_planes_uses_the_pixels_peaking_in_the_frame() -> None:
    n, h, w = 16, 40, 60
    frames = np.full((n, h, w), 30.0)
    for f in range(4, 10):
        frames[f] += _spot(h, w, 10.0 + 3.0 * (f + 0.5), 12.0 + 1.5 * (f + 0.5), 80.0)
    planes = compress_block(np.clip(np.round(frames), 0, 255).astype(np.uint8))
    track = Track(10.0, 12.0, 3.0, 1.5, 4, 9, np.array([], np.int64))
    thr = np.full((h, w), 5.0)
    cents = centroids_planes(planes.maxpixel, planes.maxframe, planes.avepixel, thr, np.ones((h, w), bool),
                             track, (0, n - 1), Corridor())  # fmt: skip
    assert [c.frame for c in cents] == list(range(4, 10))
    mid = cents[2]  # away from both ends: neighbouring spots overlap symmetrically
    assert abs(mid.x_px - (10.0 + 3.0 * 6.5)) < 0.3 and abs(mid.y_px - (12.0 + 1.5 * 6.5)) < 0.3
