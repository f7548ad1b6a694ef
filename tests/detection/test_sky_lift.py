"""A fireball lights the sky (``detection.meteors.sky_lift``): per-frame lifts of the whole image, and
which of them a track's frames explain."""

from __future__ import annotations

import numpy as np
import pytest

import detection.meteors.detector as detector
from detection.meteors.detector import MeteorDetector
from detection.meteors.record import Detection
from detection.meteors.sky_lift import follows_head, frame_lift_dn, lights_sky
from detection.synth.sky import Flash, GainStep, Meteor, SkySettings, SkyVideo

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
        mp.setattr(detector, "head_lift_dn", lambda *_: {})
        (unlifted,) = _passed(frames, s)
    assert not unlifted.fireball


def test_the_lift_follows_the_head_only_when_it_grows_and_fades_with_it() -> None:
    head = [5000.0 * np.sin(np.pi * (f - 100) / 40) ** 2 + 200.0 for f in TRACK]
    glow = _lift({f: 0.002 * h for f, h in zip(TRACK, head, strict=True)})  # 10 DN at the peak
    assert follows_head(glow, TRACK, head)
    flat = [3000.0] * len(TRACK)  # a steady head: the lift is not its light
    assert not follows_head(glow, TRACK, flat)
    flash = _lift({f: 20.0 for f in range(104, 110)})  # six frames of lightning early in the flight
    assert lights_sky(flash, TRACK) and not follows_head(flash, TRACK, head)
    step = np.where(np.arange(256) < 120, -6.0, 6.0)  # a gain step within the track's frames
    assert not follows_head(step, TRACK, head)


def _sky_glow_fireball(glow: float) -> tuple[np.ndarray, SkySettings]:
    s = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=3)
    meteor = Meteor(1.0, 1.5, 40.0, 40.0, 160.0, 100.0, peak_snr=40.0, sky_glow=glow)
    return SkyVideo(s, [meteor]).render(), s


def test_a_fireball_whose_sky_glow_follows_its_head_passes_the_whole_frame_check() -> None:
    # The sky lifts by 5 DN over 15 frames, up to 1.9 % of the pixels peaking in one: before the lift
    # was taken out, the lit pixels around the track made whole_frame 1.1 and the fireball was rejected.
    frames, s = _sky_glow_fireball(0.06)
    (found,) = _passed(frames, s)
    assert found.fireball and sum(p.saturated_px for p in found.frames) == 0
    assert found.line.frame_begin >= 26 and found.line.frame_end <= 62  # the meteor: frames 25-62
    with pytest.MonkeyPatch.context() as mp:  # the compensation is what lets it pass
        mp.setattr(detector, "head_lift_dn", lambda *_: {})
        assert _passed(frames, s) == []


def _ordinary(objects: list[object]) -> tuple[list[Detection], list[Detection]]:
    s = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=3)
    frames = SkyVideo(s, objects).render()  # type: ignore[arg-type]
    found = MeteorDetector().detect_frames(frames, fps=s.fps, scale_px_per_deg=s.cam.scale_px_per_deg)
    return [d for d in found if d.passed], found


METEOR = Meteor(1.0, 1.5, 40.0, 40.0, 160.0, 100.0, peak_snr=15.0, light_curve="sin2")


@pytest.mark.parametrize("flash", [Flash(1.5, 0.08, 30.0), Flash(1.4, 0.24, 20.0)])
def test_a_flash_over_an_ordinary_meteor_is_no_sky_glow(flash: Flash) -> None:
    # A flash lifts the sky in the meteor's frames (2 and 6 of them) without following its light: the
    # meteor is found once, within its own frames, and is no fireball; the flash makes nothing else.
    passed, _ = _ordinary([METEOR, flash])
    (found,) = passed
    assert not found.fireball
    assert found.line.frame_begin >= 25 and found.line.frame_end <= 62
    assert found.line.frame_begin <= 37 and found.line.frame_end >= 50  # through the flash frames
    assert _ordinary([flash])[0] == []


def test_a_gain_step_alone_gives_nothing() -> None:
    for step in (GainStep(2.0, 1.3), GainStep(1.0, 1.3, ramp_s=1.0)):
        assert _ordinary([step])[0] == []


def test_the_sky_brightening_and_fading_without_a_head_gives_nothing() -> None:
    # A glow with no head (the gain up by 30 % and back over 0.5 s each, 1 s apart): whatever tracks its
    # noise makes are no brighter than the lift and the lift is not taken out around them.
    passed, _ = _ordinary([GainStep(1.0, 1.3, ramp_s=0.5), GainStep(1.6, 1 / 1.3, ramp_s=0.5)])
    assert passed == []


def test_frame_lift_resolves_a_fraction_of_a_dn() -> None:
    # A codec-flattened dark sky (noise sigma 0.6 DN, rounded): a plain median moves in whole DN.
    rng = np.random.default_rng(2)
    true = np.linspace(0.0, 1.6, 12)
    frames = np.round(30.0 + true[:, None, None] + rng.normal(0.0, 0.6, (12, 64, 96))).astype(np.uint8)
    ave = frames.mean(axis=0)
    lift = frame_lift_dn(frames, ave, np.ones((64, 96), bool))  # up to a level common to all frames
    assert np.max(np.abs((lift - lift.mean()) - (true - true.mean()))) <= 0.1
    assert len(np.unique(np.round(lift, 2))) >= 10  # not whole DN


def test_the_lift_is_taken_from_the_sky_level_around_the_track() -> None:
    drift = np.linspace(-0.9, 0.9, 256)  # the sky brightening slowly over the block (meteor4.flv)
    assert not lights_sky(drift, list(range(200, 230)))  # an ordinary meteor late in the block
    glow = drift.copy()
    glow[200:230] += 1.5 * np.sin(np.pi * np.arange(30) / 30) ** 2  # a faint glow on top of it
    assert lights_sky(glow, list(range(200, 230)))


def test_a_glow_of_a_dn_or_two_flags_an_unsaturated_meteor() -> None:
    # Peak SNR 15, sky glow 0.045: the sky lifts by 1.7 DN at the meteor's peak (the all-sky fireballs of
    # bench/detection.py's curved group lift it by 0.6-6 DN); 0.02 (0.75 DN) is below what is measured.
    s = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=3)
    flagged = []
    for glow in (0.02, 0.045):
        meteor = Meteor(1.0, 1.5, 40.0, 40.0, 160.0, 100.0, peak_snr=15.0, light_curve="sin2", sky_glow=glow)
        (found,) = _passed(SkyVideo(s, [meteor]).render(), s)
        flagged.append(found.fireball)
    assert flagged == [False, True]
