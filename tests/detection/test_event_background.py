"""Short event clips on their own terms (issue 11, item 4): background and noise from the frames before the
event (detection.meteors.background), so that a fireball's sky glow does not inflate the clip's noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detection.meteors.background import event_background, event_block, onset_frame, with_background
from detection.meteors.detector import MeteorDetector
from detection.scan.ff import compress_block
from detection.synth.sky import CodecDamage, Meteor, SkySettings, SkyVideo
from detection.video.window import read_window

FPS, SCALE = 25.0, 10.0
START = 40  # the event below starts at 1.6 s


def _clip(*objects: object, duration_s: float = 3.2) -> np.ndarray:
    settings = SkySettings(width_px=320, height_px=180, duration_s=duration_s, seed=5)
    return SkyVideo(settings, list(objects)).render()  # type: ignore[arg-type]


def _fireball(t_start_s: float = START / FPS, **kw: float) -> Meteor:
    """A bright head lighting the sky (sky_glow) for a second: 25 of an 80-frame clip's frames."""
    return Meteor(t_start_s, 1.0, 40.0, 40.0, 280.0, 140.0, peak_snr=60.0, sky_glow=0.08, **kw)


def test_the_onset_is_where_the_fireball_starts_and_the_background_is_the_sky_before_it() -> None:
    frames = _clip(_fireball())
    bg = event_background(frames)
    assert bg.onset is not None and START <= bg.onset <= START + 3
    assert bg.pre_event_frames == bg.onset and bg.mean_dn is not None and bg.sigma_dn is not None
    sky = frames[: bg.onset].astype(np.float64)
    assert np.median(np.abs(bg.mean_dn - sky.mean(axis=0))) < 0.01
    # The clip's block statistics hold the glow (measured: a median STDPIXEL of 4 DN); the sky before
    # it does not (2.6 DN, its own noise).
    clip_std = float(np.median(compress_block(frames).stdpixel))
    sky_std = float(np.median(sky.std(axis=0, ddof=1)))
    assert float(np.median(bg.sigma_dn)) == pytest.approx(sky_std, rel=0.1)
    assert float(np.median(bg.sigma_dn)) < 0.7 * clip_std


def test_a_clip_without_an_event_has_no_onset() -> None:
    frames = _clip()
    assert onset_frame(frames) is None
    bg = event_background(frames)
    assert bg.onset is None and bg.pre_event_frames == frames.shape[0]


def test_the_noise_map_is_raised_to_its_local_median_and_stars_keep_their_own() -> None:
    rng = np.random.default_rng(3)
    frames = rng.normal(40.0, 2.0, (40, 64, 64)).round().astype(np.uint8)
    frames[:, 30, 30] = rng.normal(120.0, 12.0, 40).round().astype(np.uint8)  # a twinkling star
    bg = event_background(frames)
    assert bg.sigma_dn is not None
    # No pixel is left far below the sky's noise (on the FF scale: 0.956 of it, _FF_STD_RATIO).
    assert float(bg.sigma_dn.min()) >= 0.75 * 2.0
    assert float(bg.sigma_dn[30, 30]) > 6.0


def test_damaged_frames_before_the_event_are_left_out() -> None:
    damage = CodecDamage(0.6, n_frames=3, cover=0.35, style="blocks", level_dn=20.0, seed=1)
    frames = _clip(_fireball(), damage)
    bg = event_background(frames)
    assert np.flatnonzero(bg.damaged).tolist() == [15, 16, 17]
    assert bg.onset is not None and START <= bg.onset <= START + 3
    assert bg.pre_event_frames == bg.onset - 3
    block, planes, _ = event_block(frames, bg, 0)
    assert np.array_equal(block[16], planes.avepixel)  # a damaged frame is the sky, and gives no points


def test_too_few_frames_before_the_event_keep_the_clip_statistics() -> None:
    frames = _clip(_fireball(t_start_s=0.3))
    bg = event_background(frames, min_pre_frames=16)
    assert bg.pre_event_frames == 0 and bg.mean_dn is None
    with pytest.raises(ValueError, match="no sky before the event"):
        with_background(compress_block(frames), bg)
    detector = MeteorDetector()
    plain = detector.detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE)
    event = detector.detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE, event_clip=True)
    assert [d.to_json() for d in event] == [d.to_json() for d in plain]


def test_a_fireball_in_a_short_clip_is_one_detection_flagged() -> None:
    frames = _clip(_fireball(halo=0.4))
    found = MeteorDetector().detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE, event_clip=True)
    (meteor,) = [d for d in found if d.passed]
    assert meteor.fireball
    assert abs(meteor.line.frame_begin - START) <= 3 and abs(meteor.line.frame_end - (START + 24)) <= 3


def test_a_short_clips_fireball_is_not_a_whole_frame_change_against_the_sky_before_it(tmp_path: Path) -> None:
    # bench/detection.py's event-04 (seed 1): a 2-s clip, a saturated fireball with a terminal flare over
    # its last 8 frames, H.264 at a camera's bit rate. On the clip's block statistics its glow used to fail
    # whole_frame (0.626 > 0.6; since the clipped-head halo rule of halo.py it passes there too); on the
    # sky before it, it is one fireball, its track's light no whole-image change.
    settings = SkySettings(width_px=640, height_px=360, duration_s=2.051, seed=13304)
    meteor = Meteor(1.45, 0.301, 157.8, 151.0, 170.4, 173.2, peak_snr=191.2, psf_sigma_px=1.509,
                    light_curve="terminal-flare", sky_glow=0.0364, halo=0.1164,
                    halo_sigma_px=15.9)  # fmt: skip
    path = tmp_path / "event.mp4"
    SkyVideo(settings, [meteor]).write(path, bit_rate=1_500_000)
    frames = read_window(path, 0, 999).frames
    scale = settings.cam.scale_px_per_deg
    detector = MeteorDetector()
    found = detector.detect_frames(frames, fps=FPS, scale_px_per_deg=scale, event_clip=True)
    (meteor_found,) = [d for d in found if d.passed]
    assert meteor_found.fireball and 36 <= meteor_found.line.frame_begin <= 40
    assert next(c for c in meteor_found.checks if c.name == "whole_frame").value < 0.1


def test_a_gain_step_in_an_event_clip_is_taken_out_as_a_lift_and_gives_nothing() -> None:
    frames = _clip()
    frames[50:] = np.clip(frames[50:].astype(np.int16) + 12, 0, 255).astype(np.uint8)  # a gain step
    bg = event_background(frames)
    assert bg.onset == 50
    _, _, lift = event_block(frames, bg, 0)
    assert np.flatnonzero(lift).tolist() == list(range(50, frames.shape[0]))
    assert set(lift[50:].tolist()) <= {11.0, 12.0}  # whole DN, rounded down
    found = MeteorDetector().detect_frames(frames, fps=FPS, scale_px_per_deg=SCALE, event_clip=True)
    assert not any(d.passed for d in found)


def test_a_fully_masked_event_clip_with_a_gain_step_gives_nothing_and_no_warning() -> None:
    rng = np.random.default_rng(1)
    frames = (30 + rng.normal(0, 2, (120, 60, 80))).clip(0, 255)
    frames[60:] += 40  # a gain step: a lift of the sky, but no pixel is valid to measure it on
    found = MeteorDetector().detect_frames(
        frames.astype(np.uint8),
        fps=FPS,
        scale_px_per_deg=SCALE,
        mask=np.ones((60, 80), bool),
        event_clip=True,
    )
    assert found == []
