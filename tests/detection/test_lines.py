"""Lit pixels and line finding in (x, y, frame)."""

from __future__ import annotations

import numpy as np

from detection.ff import compress_block
from detection.lines import LineSearch, LitPoints, find_tracks, lit_field


def _noise(n: int = 64, h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(30.0, 2.5, (n, h, w)).round().clip(0, 255).astype(np.uint8)


def _streak(frames: np.ndarray, f0: int, f1: int, x0: float, y0: float, vx: float, vy: float) -> None:
    for f in range(f0, f1):
        x, y = round(x0 + vx * (f - f0)), round(y0 + vy * (f - f0))
        frames[f, y : y + 2, x : x + 3] = 110


def test_lit_field_finds_a_streak_and_ignores_a_flash() -> None:
    frames = _noise()
    _streak(frames, 10, 30, 20.0, 20.0, 4.0, 2.0)
    frames[40:43] = np.clip(frames[40:43].astype(int) + 60, 0, 255).astype(np.uint8)  # a uniform flash
    lit = lit_field(compress_block(frames), k_std=2.0, j_dn=4.0, mask=None, static_ave_dn=60.0,
                    flash_fraction=0.02)  # fmt: skip
    assert lit.changed_fraction[40:43].max() > 0.2
    assert np.all(lit.glow_dn[40:43] > 40.0)
    assert not np.any((lit.points.f >= 40) & (lit.points.f <= 42))  # the flash left nothing
    on_streak = (lit.points.f >= 10) & (lit.points.f < 30)
    assert on_streak.sum() >= 40


def test_mask_and_static_pixels_are_not_lit() -> None:
    frames = _noise()
    _streak(frames, 10, 30, 20.0, 20.0, 4.0, 2.0)
    mask = np.ones(frames.shape[1:], bool)
    lit = lit_field(compress_block(frames), k_std=2.0, j_dn=4.0, mask=mask, static_ave_dn=60.0,
                    flash_fraction=0.02)  # fmt: skip
    assert lit.points.size == 0


def test_find_tracks_recovers_the_motion() -> None:
    frames = _noise(seed=3)
    _streak(frames, 10, 30, 20.0, 20.0, 4.0, 2.0)
    lit = lit_field(compress_block(frames), k_std=2.0, j_dn=4.0, mask=None, static_ave_dn=60.0,
                    flash_fraction=0.02)  # fmt: skip
    tracks = find_tracks(lit.points, 64, LineSearch(max_speed_px_frame=20.0))
    assert len(tracks) == 1
    t = tracks[0]
    assert abs(t.vx - 4.0) < 0.3 and abs(t.vy - 2.0) < 0.3  # px/frame, as drawn
    assert t.frame_begin == 10 and t.frame_end == 29


def test_two_crossing_tracks_and_scattered_noise() -> None:
    rng = np.random.default_rng(7)
    xs, ys, fs = [], [], []
    for f in range(5, 25):  # two heads, two pixels each per frame
        for dx in (0.0, 1.0):
            xs += [10 + 3 * (f - 5) + dx, 100 - 2 * (f - 5) + dx]
            ys += [50 + 1 * (f - 5), 10 + 3 * (f - 5)]
            fs += [f, f]
    n_noise = 300
    xs += list(rng.uniform(0, 160, n_noise))
    ys += list(rng.uniform(0, 120, n_noise))
    fs += list(rng.integers(0, 64, n_noise))
    pts = LitPoints(np.array(xs), np.array(ys), np.array(fs, np.int32), np.ones(len(xs), np.float32))
    tracks = find_tracks(pts, 64, LineSearch(max_speed_px_frame=20.0))
    speeds = sorted(round(t.speed_px_frame, 1) for t in tracks)
    assert len(tracks) == 2, speeds
    assert abs(speeds[0] - np.hypot(3, 1)) < 0.3 and abs(speeds[1] - np.hypot(2, 3)) < 0.3
