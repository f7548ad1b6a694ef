"""Lit pixels and line finding in (x, y, frame)."""

from __future__ import annotations

import numpy as np

from detection.meteors.lines import LineSearch, LitPoints, find_tracks, lit_field
from detection.scan.ff import compress_block


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


def test_a_short_track_among_much_noise_and_no_track_in_a_star_wing() -> None:
    # A flaring meteor near the limit (meteor-21 #0 of bench/detection.py): ~15 lit pixels in 3 frames,
    # in a window with ~1300 scattered noise points (640 x 360 px at 1.5 Mbit/s H.264). The noise lines
    # up by chance along lines across the image, most in the brighter sky low down (30-50 Hough votes):
    # the track's 18 votes come too late.
    rng = np.random.default_rng(11)
    n_noise = 1300
    xs = list(rng.integers(0, 640, n_noise).astype(float))
    low = rng.random(n_noise) < 0.7
    ys = list(np.where(low, rng.integers(230, 330, n_noise), rng.integers(0, 360, n_noise)).astype(float))
    fs = list(rng.integers(0, 64, n_noise))
    for k, f in enumerate((30, 31, 32)):  # the head moves 2 px/frame down, 3 px wide
        for x in (39.0, 40.0, 41.0):
            for y in (20.0 + 2 * k, 21.0 + 2 * k):
                xs.append(x), ys.append(y), fs.append(f)
    # The lit wing of a twinkling star around its masked core, in frames 56, 59, 61 (bench/detection.py,
    # meteor-44, AVEPIXEL 214 DN on a 29 DN sky): a cluster, but not a head that moves frame by frame.
    wing = [(183, 137, 61), (183, 138, 59), (180, 139, 59), (180, 140, 59), (180, 141, 61), (184, 141, 56),
            (181, 142, 59), (182, 142, 56), (183, 142, 56), (184, 142, 56)]  # fmt: skip
    xs += [float(x) for x, _, _ in wing]
    ys += [float(y) for _, y, _ in wing]
    fs += [f for _, _, f in wing]
    pts = LitPoints(np.array(xs), np.array(ys), np.array(fs, np.int32), np.ones(len(xs), np.float32))
    tracks = find_tracks(pts, 64, LineSearch(max_speed_px_frame=24.0))
    near = [t for t in tracks if abs(t.position(t.frame_begin + 0.5)[0] - 40) < 4]
    assert len(near) == 1 and (near[0].frame_begin, near[0].frame_end) == (30, 32)
    assert abs(near[0].vy - 2.0) < 0.5 and abs(near[0].vx) < 0.5  # px/frame, as drawn
    assert not [t for t in tracks if abs(t.x0 + t.vx * 58 - 182) < 6 and abs(t.y0 + t.vy * 58 - 140) < 6]


def test_a_streak_across_a_bright_part_of_the_sky_is_lit_and_a_light_there_is_not() -> None:
    # A horizon's glow (the rim of an all-sky lens): the right third of the sky 90 DN brighter than the
    # image's median, smooth; a streak crosses it and a static light stands 80 DN above it.
    frames = _noise().astype(np.int16)
    frames[:, :, 110:] += 90
    frames[:, 60:62, 140:142] += 80
    for f in range(10, 30):
        x, y = 112 + 2 * (f - 10), 20 + 2 * (f - 10)
        frames[f, y : y + 2, x : x + 3] += 80
    frames = frames.clip(0, 255).astype(np.uint8)
    lit = lit_field(compress_block(frames), k_std=2.0, j_dn=4.0, mask=None, static_ave_dn=60.0,
                    flash_fraction=0.02)  # fmt: skip
    assert lit.valid[30:110, 115:155].mean() > 0.9 and not lit.valid[60:62, 140:142].any()
    on_streak = (lit.points.f >= 10) & (lit.points.f < 30) & (lit.points.x >= 112)
    assert on_streak.sum() >= 40
