"""detection.meteors.verify: windows around candidates, and a plane that a window cuts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from detection.meteors.detector import MeteorDetector
from detection.meteors.verify import MinuteVerifier, VerifySettings, frame_runs, plan_windows
from detection.synth.sky import Meteor, Plane, SkySettings, SkyVideo


def test_windows_join_candidates_and_short_runs_of_whole_image_change() -> None:
    candidates = [(100, 150), (140, 200)]
    runs = [(400, 420), (600, 1400)]  # a flash-like run and a cloud-like one (not verified)
    windows = plan_windows(candidates, runs, n_frames=1500)
    assert [(w.first, w.last) for w in windows] == [(90, 210), (375, 445)]
    assert windows[0].sources == ("candidate 0", "candidate 1")
    assert plan_windows([(0, 5)], [], n_frames=10)[0].last == 9
    assert plan_windows([], [], n_frames=1500) == []


def test_an_event_clip_is_verified_whole_whatever_its_candidates() -> None:
    # A camera's clip around its event (at most 320 frames, 12.8 s at 25 fps): one window of all of it,
    # on the sky before its event (detection.meteors.background), also when values detection found nothing.
    clips = VerifySettings(event_clip_frames=320)
    for candidates in ([], [(60, 80)]):
        (w,) = plan_windows(candidates, [], n_frames=200, settings=clips)
        assert (w.first, w.last, w.sources) == (0, 199, ("event clip",))
    assert plan_windows([], [], n_frames=321, settings=clips) == []
    assert plan_windows([], [], n_frames=200) == []  # off by default: a station's minutes
    short = VerifySettings(event_clip_frames=320, max_window_frames=100)
    assert plan_windows([], [], n_frames=200, settings=short) == []
    with pytest.raises(ValueError, match="event_clip_frames"):
        VerifySettings(event_clip_frames=-1)


def test_long_windows_are_cut_into_overlapping_pieces() -> None:
    settings = VerifySettings(max_window_frames=320)
    pieces = plan_windows([(10, 1000)], [], n_frames=1500, settings=settings)
    assert all(w.last - w.first + 1 <= 320 for w in pieces)
    assert pieces[0].first == 0 and pieces[-1].last == 1010
    assert all(a.last >= b.first for a, b in itertools.pairwise(pieces))


@pytest.mark.parametrize("name", ["candidate_margin_frames", "edge_frames"])
def test_bad_settings_name_the_field(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        VerifySettings(**{name: -1})


def test_a_plane_cut_by_its_window_is_rejected_and_a_meteor_kept(tmp_path: Path) -> None:
    sky = SkySettings(width_px=320, height_px=180, duration_s=10.0, seed=3)
    # 8 deg/s at 3.6 px/deg for the whole video: a meteor's speed, but in view for 10 s.
    plane = Plane(0.0, 10.0, 20.0, 40.0, 300.0, 120.0, level_dn=40.0, strobe_phase_s=0.3)
    meteor = Meteor(6.0, 1.0, 40.0, 150.0, 200.0, 100.0, peak_snr=15.0)
    path = tmp_path / "m.mp4"
    SkyVideo(sky, [plane, meteor]).write(path)
    verify = MinuteVerifier(MeteorDetector(), scale_px_per_deg=320 / 88)
    windows = plan_windows([(60, 110), (150, 175)], [], n_frames=250)
    result = verify(path, windows, fps=25.0, n_frames=250)
    assert [round(m.detection.frames[0].frame / 25) for m in result.meteors] == [6]
    assert any("persists" in reason for r in result.rejections for reason in r.reasons), result.rejections
    assert result.frames_decoded >= 71 + 46 and result.fps == 25.0  # both windows, and frames beyond


def test_short_windows_are_widened_and_runs_of_frames_joined() -> None:
    # A 6-frame run at the video's start: widened to 64 frames, kept inside the video.
    (w,) = plan_windows([], [(0, 5)], n_frames=1500)
    assert (w.first, w.last) == (0, 63)
    (w,) = plan_windows([(1490, 1495)], [], n_frames=1500)
    assert (w.first, w.last) == (1436, 1499)
    assert frame_runs([3, 4, 5, 9, 30, 31]) == [(3, 9), (30, 31)]


def test_windows_beyond_the_limit_are_counted_not_verified(tmp_path: Path) -> None:
    path = tmp_path / "m.mp4"
    SkyVideo(SkySettings(width_px=160, height_px=90, duration_s=16.0, seed=1)).write(path)
    windows = plan_windows([(10, 12), (150, 152), (300, 302)], [], n_frames=400)
    assert len(windows) == 3
    verify = MinuteVerifier(MeteorDetector(), scale_px_per_deg=2.0, settings=VerifySettings(max_windows=1))
    result = verify(path, windows, fps=25.0, n_frames=400)
    assert result.windows_skipped == 2 and result.meteors == []
    assert result.frames_decoded == 64  # the first window only


def test_the_longest_runs_of_whole_image_change_get_the_windows() -> None:
    # Three fireballs light the sky for 24-47 frames each; a one-frame glitch at frame 0 came first and
    # took a window (bench/detection.py saturated-01, seed 1: the third fireball had none).
    runs = [(0, 0), (53, 76), (164, 192), (293, 339)]
    windows = plan_windows([], runs, n_frames=400, settings=VerifySettings(max_widespread_windows=3))
    covered = [(w.first, w.last) for w in windows]
    assert all(any(a <= lo and hi <= b for a, b in covered) for lo, hi in runs[1:])
    assert not any(a <= 0 <= b for a, b in covered)
