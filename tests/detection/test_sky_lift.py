"""A fireball lights the sky (``detection.meteors.sky_lift``): per-frame lifts of the whole image, and
which of them a track's frames explain."""

from __future__ import annotations

import numpy as np
import pytest

import detection.meteors.detector as detector
from detection.meteors.detector import MeteorDetector
from detection.meteors.record import Detection
from detection.meteors.sky_lift import frame_lift_dn, lights_sky
from detection.synth.sky import Meteor, SkySettings, SkyVideo

TRACK = list(range(100, 140))


def _lift(bump: dict[int, float], n: int = 256, base: float = 0.0) -> np.ndarray:
    lift = np.full(n, base)
    for f, v in bump.items():
        lift[f] += v
    return lift


def test_a_lift_that_rises_and_falls_with_the_track_lights_the_sky() -> None:
    glow = {f: 12.0 * np.sin(np.pi * (f - 100) / 40) ** 2 for f in TRACK}
    assert lights_sky(_lift(glow), TRACK)
    assert not lights_sky(_lift({}), TRACK)  # an ordinary meteor: no lift


def test_a_flash_a_gain_step_or_a_lift_elsewhere_does_not() -> None:
    assert not lights_sky(_lift({120: 30.0, 121: 20.0}), TRACK)  # a flash: two frames
    step = np.where(np.arange(256) < 128, -6.0, 6.0)  # a gain step: AVEPIXEL is the mean of both levels
    assert not lights_sky(step, TRACK)
    elsewhere = _lift({f: 10.0 for f in range(180, 220)})
    assert not lights_sky(elsewhere, TRACK)
    both = _lift({**{f: 10.0 for f in range(180, 220)}, **{f: 10.0 for f in TRACK}})
    assert lights_sky(both, TRACK)  # another fireball in the block lifts a minority of the frames


def test_frame_lift_is_the_median_change_of_the_valid_pixels() -> None:
    rng = np.random.default_rng(1)
    frames = rng.normal(40.0, 2.0, (10, 64, 96)).round().astype(np.uint8)
    frames[4] += 7
    frames[4, :, :20] = 255  # a bright corner does not move the median
    ave = frames.mean(axis=0)
    lift = frame_lift_dn(frames, ave, np.ones((64, 96), bool))
    assert lift[4] >= 5.0 and np.all(np.abs(np.delete(lift, 4)) <= 1.5)


def _passed(frames: np.ndarray, s: SkySettings) -> list[Detection]:
    found = MeteorDetector().detect_frames(frames, fps=s.fps, scale_px_per_deg=s.cam.scale_px_per_deg)
    return [d for d in found if d.passed]


def test_a_fireball_that_lights_the_sky_over_several_frames_is_flagged() -> None:
    # A lift spread over many frames: no frame has 2 % of the pixels peaking in it, so the whole-frame
    # compensation sees no lit sky; the lift of the frames does. The meteor does not saturate.
    s = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=3)
    meteor = Meteor(1.0, 1.5, 40.0, 40.0, 160.0, 100.0, peak_snr=40.0, light_curve="sin2", sky_glow=0.04)
    frames = SkyVideo(s, [meteor]).render()
    (found,) = _passed(frames, s)
    assert found.fireball and sum(p.saturated_px for p in found.frames) == 0
    with pytest.MonkeyPatch.context() as mp:  # without the lift, nothing else flags it
        mp.setattr(detector, "track_lights_sky", lambda *_: False)
        (unlifted,) = _passed(frames, s)
    assert not unlifted.fireball
