"""Frames damaged by the codec (detection.meteors.damage) are marked and left out; a meteor in the other
frames is still found (issue 11, item 2). The damage is the synthetic generator's
(:class:`detection.synth.sky.CodecDamage`: blocks copied from the wrong place or concealed flat, with
levels of their own, or a torn slice of rows), drawn over a meteor's flight."""

from __future__ import annotations

import numpy as np
import pytest

from detection.meteors.damage import damaged_frames, step_fractions
from detection.meteors.detector import MeteorDetector
from detection.scan.ff import compress_block
from detection.synth.sky import CodecDamage, GainStep, Meteor, SkySettings, SkyVideo

SETTINGS = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=11)
FPS, SCALE = 25.0, 10.0  # the meteor below: 10 px/frame, 25 deg/s
DAMAGED = [35, 36, 37]  # CodecDamage(1.4 s, 3 frames) at 25 fps


def _meteor(**kw: float) -> Meteor:
    return Meteor(1.0, 1.0, 40.0, 40.0, 280.0, 140.0, peak_snr=8.0, **kw)


def _damage(style: str, seed: int, cover: float = 0.35) -> CodecDamage:
    return CodecDamage(1.4, n_frames=3, cover=cover, style=style, level_dn=20.0, seed=seed)


@pytest.mark.parametrize("style", ["blocks", "tear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_damaged_frames_are_marked_and_no_others(style: str, seed: int) -> None:
    frames = SkyVideo(SETTINGS, [_meteor(), _damage(style, seed)]).render()
    marked = np.flatnonzero(damaged_frames(frames, compress_block(frames))).tolist()
    assert marked == DAMAGED


@pytest.mark.parametrize("style", ["blocks", "tear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_meteor_across_damaged_frames_is_found(style: str, seed: int) -> None:
    frames = SkyVideo(SETTINGS, [_meteor(), _damage(style, seed)]).render()
    found = MeteorDetector().detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE)
    meteors = [d for d in found if d.passed]
    assert len(meteors) == 1, [(d.line, d.reasons) for d in found]
    (meteor,) = meteors
    # The meteor lights frames 25-49; its faint ends (sin2 light curve) are lost as without damage.
    assert 24 <= meteor.line.frame_begin <= 30 and 44 <= meteor.line.frame_end <= 49
    assert not {p.frame for p in meteor.frames} & set(DAMAGED)


@pytest.mark.parametrize("style", ["blocks", "tear"])
def test_damage_alone_is_no_meteor(style: str) -> None:
    frames = SkyVideo(SETTINGS, [_damage(style, 4, cover=0.6)]).render()
    found = MeteorDetector().detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE)
    assert not [d for d in found if d.passed]


def test_light_is_not_damage() -> None:
    # A fireball lighting the sky with its head, and a gain step: smooth changes, no steps between cells.
    objects = [_meteor(sky_glow=0.5, halo=0.3), GainStep(2.5, factor=1.6)]
    frames = SkyVideo(SETTINGS, objects).render()
    planes = compress_block(frames)
    assert not damaged_frames(frames, planes).any()
    assert float(step_fractions(frames, planes).max()) < 0.005
