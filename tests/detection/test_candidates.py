"""Values detection: candidates from per-frame values, on a tiny renderer and on synthetic skies.

The slow tests render synthetic minutes with ``detection.synth.sky`` (640x360 fed directly, and 1280x720
through H.264) in two worker processes, and check the targets of issue 2: recall >= 98 % of the meteors
with peak SNR >= 5 lasting >= 6 frames over >= 100 meteors, at most 20 % of negative-only minutes with a
candidate, and flash or cloud minutes giving ``too-many`` or ``none``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detection.candidates import CandidateFinder, CandidateSettings
from detection.scan.values import MinuteValues, ValuesAccumulator

FPS = 25.0
NOISE_DN = 2.5


def _detector(scale_px_per_deg: float) -> CandidateFinder:
    """Meteors move at 3-45 deg/s (the synthetic range); the station allows 30 % either side."""
    px_frame = scale_px_per_deg / FPS
    return CandidateFinder(
        CandidateSettings(min_speed_px_frame=0.7 * 3.0 * px_frame, max_speed_px_frame=1.3 * 45.0 * px_frame)
    )


# --- a tiny renderer: white noise, a moving Gaussian head, a blinking fixed light, a flash ---------------


def _tiny_minute(
    seed: int,
    n: int = 300,
    meteor: tuple[int, int, float, float, float, float, float] | None = None,
    blink_at: tuple[int, int] | None = None,
    flash: tuple[int, int] | None = None,
    flicker_at: tuple[int, int] | None = None,
    h: int = 120,
    w: int = 200,
) -> MinuteValues:
    """``meteor`` = (first_frame, n_frames, x0, y0, vx px/frame, vy px/frame, peak SNR)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    acc = ValuesAccumulator(h, w, fps=FPS)
    for f in range(n):
        img = rng.normal(30.0, NOISE_DN, (h, w))
        if meteor is not None and meteor[0] <= f < meteor[0] + meteor[1]:
            f0, _, x0, y0, vx, vy, snr = meteor
            x, y = x0 + vx * (f - f0), y0 + vy * (f - f0)
            img += snr * NOISE_DN * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 2.0)
        if blink_at is not None and f % 30 < 3:
            img[blink_at[1], blink_at[0]] += 120.0
        if flicker_at is not None and rng.random() < 0.08:  # a faint star twinkling up now and then
            img[flicker_at[1] : flicker_at[1] + 2, flicker_at[0] : flicker_at[0] + 2] += 5.0 * NOISE_DN
        if flash is not None and flash[0] <= f < flash[1]:
            img += 60.0
        acc.add(np.clip(img + 0.5, 0, 255).astype(np.uint8)[None])
    return acc.finish()


def test_a_meteor_gives_a_candidate_covering_it() -> None:
    values = _tiny_minute(1, meteor=(150, 12, 40.0, 30.0, 6.0, 3.0, 8.0))
    result = CandidateFinder(CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0))(values)
    assert result.status == "candidates", result
    (cand,) = result.candidates
    assert cand.frame_start <= 150 and cand.frame_end >= 161
    assert cand.speed_px_frame == pytest.approx(np.hypot(6.0, 3.0), abs=0.3)  # px/frame, the injected speed
    for p in cand.points:
        assert abs(p.x_px - (40.0 + 6.0 * (p.frame - 150))) < 1.5  # px: centroid of a 2x2-binned head
        assert abs(p.y_px - (30.0 + 3.0 * (p.frame - 150))) < 1.5
    assert result.noise_dn == pytest.approx(NOISE_DN, rel=0.25)


def test_noise_blinking_light_and_slow_mover_give_none() -> None:
    detector = CandidateFinder(CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0))
    assert detector(_tiny_minute(2)).status == "none"
    assert detector(_tiny_minute(3, blink_at=(100, 60))).status == "none"
    slow = _tiny_minute(4, meteor=(40, 250, 20.0, 50.0, 0.3, 0.05, 10.0))  # a satellite at 0.3 px/frame
    assert detector(slow).status == "none"


def test_flash_is_none_or_too_many() -> None:
    detector = CandidateFinder(CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0))
    short = detector(_tiny_minute(5, flash=(100, 105)))
    assert short.status == "none" and len(short.widespread_frames) >= 5
    long = detector(_tiny_minute(6, flash=(100, 140)))
    assert long.status == "too-many" and "widespread" in long.reason


def test_slow_short_meteor_moving_four_px_is_a_candidate() -> None:
    # 1.5 px/frame for 4 frames (a 5 deg/s meteor at 7.3 px/deg): 4.5 px from first to last point.
    values = _tiny_minute(7, meteor=(150, 4, 60.0, 60.0, 1.45, 0.4, 9.0))
    settings = CandidateSettings(min_speed_px_frame=0.5, max_speed_px_frame=20.0)
    found = CandidateFinder(settings)(values)
    assert found.status == "candidates", found
    assert found.candidates[0].frame_start <= 150 <= found.candidates[0].frame_end
    assert CandidateFinder(replace(settings, min_track_px=6.0))(values).status == "none"


def test_three_consecutive_seeds_without_a_bright_one_are_a_candidate() -> None:
    # A short meteor (3 frames at 4 px/frame) whose points all reach the seed threshold and none the
    # "bright" level: only the all-seeds rule for short tracks takes it.
    values = _tiny_minute(10, meteor=(150, 3, 60.0, 60.0, 4.0, 1.0, 5.0))
    settings = CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0)
    (cand,) = CandidateFinder(settings)(values).candidates
    assert cand.n_points == 3 and cand.frame_start <= 150 <= cand.frame_end
    assert max(p.z for p in cand.points) < settings.short_min_z


def test_faint_flickering_site_does_not_hide_a_bright_meteor_crossing_it() -> None:
    # A faint source at (100, 60) flickering to z ~ 4-5 in one frame of three, and a short fast meteor
    # whose brightest frame lands on it: the flicker is far too faint to explain the meteor's points.
    values = _tiny_minute(8, meteor=(150, 3, 94.0, 58.0, 3.0, 1.0, 30.0), flicker_at=(100, 60))
    settings = CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0)
    assert CandidateFinder(settings)(values).status == "candidates"
    assert CandidateFinder(replace(settings, site_z_fraction=0.0))(values).status == "none"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "max_speed_px_frame",
            0.1,
            "CandidateSettings.max_speed_px_frame=0.1: expected > min_speed_px_frame",
        ),
        ("min_points", 1, "CandidateSettings.min_points=1"),
        ("min_point_z", 9.0, "CandidateSettings.min_point_z=9.0: expected <= min_seed_z"),
        ("widespread_bin_fraction", 0.0, "CandidateSettings.widespread_bin_fraction=0.0"),
    ],
)
def test_settings_errors_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CandidateSettings(**{field: value})  # type: ignore[arg-type]


# --- synthetic skies ----------------------------------------------------------------------------------


def _synth_minute(
    seed: int, n_meteors: int, kinds: Sequence[str], width_px: int = 640, height_px: int = 360,
    duration_s: float = 60.0, mp4: Path | None = None, bit_rate: int | None = None,
) -> tuple[dict[str, Any], MinuteValues, float]:  # fmt: skip
    """Render a minute (or encode it to H.264, at crf 18 or at ``bit_rate`` bit/s, and decode it), return
    truth, values and plate scale."""
    from detection.synth.sky import SkySettings, SkyVideo, random_meteor, random_negatives

    settings = SkySettings(width_px=width_px, height_px=height_px, duration_s=duration_s, seed=seed)
    rng = np.random.default_rng(seed)
    slot_s = duration_s / max(n_meteors, 1)
    objects: list[Any] = [
        random_meteor(
            rng, settings, peak_snr=(4.5, 30.0), t_range_s=(k * slot_s + 0.2, (k + 1) * slot_s - 3.1)
        )
        for k in range(n_meteors)
    ]
    objects += random_negatives(rng, settings, kinds) if kinds else []
    video = SkyVideo(settings, objects)
    acc = ValuesAccumulator(height_px, width_px, fps=settings.fps)
    if mp4 is None:
        for start in range(0, settings.n_frames, 64):
            acc.add(video.render(start, start + 64))
        truth = video.truth()
    else:
        truth = video.write(mp4, crf=18, bit_rate=bit_rate)
        for frame in _decode_y(mp4):
            acc.add(frame[None])
    return truth, acc.finish(), settings.cam.scale_px_per_deg


def _decode_y(path: Path) -> Any:
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            plane = frame.planes[0]
            rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
            yield np.ascontiguousarray(rows[:, : frame.width])


def _render_all(jobs: list[tuple[Any, ...]]) -> list[tuple[dict[str, Any], MinuteValues, float]]:
    """Render in two worker processes (the machine has two cores); spawn keeps numba and threads clean."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        return list(pool.map(_synth_minute, *zip(*jobs, strict=True)))


def _meteor_coverage(truth: dict[str, Any], candidates: list[Any]) -> list[tuple[bool, dict[str, Any]]]:
    """For each meteor with peak SNR >= 5 lasting >= 6 frames: is its whole frame range in a candidate?"""
    out = []
    for obj in truth["objects"]:
        if obj["kind"] != "meteor" or obj["first_frame"] is None:
            continue
        snr = max(p["snr"] for p in obj["frames"])
        if snr < 5.0 or obj["last_frame"] - obj["first_frame"] + 1 < 6:
            continue
        inside = any(
            c.frame_start <= obj["first_frame"] and obj["last_frame"] <= c.frame_end for c in candidates
        )
        out.append((inside, obj))
    return out


@pytest.mark.slow
def test_recall_on_synthetic_minutes() -> None:
    # 15 minutes of 640x360 with 8 meteors each (SNR log-uniform 4.5-30, 3-45 deg/s, 0.2-3 s, four light
    # curves); seeds 1000+ were not used while tuning the detector (tuned on seeds 0-12).
    results = _render_all([(1000 + i, 8, ()) for i in range(15)])
    covered: list[tuple[bool, dict[str, Any]]] = []
    for truth, values, scale in results:
        result = _detector(scale)(values)
        assert result.status == "candidates", result.reason
        covered += _meteor_coverage(truth, result.candidates)
    missed = [(o["first_frame"], o["light_curve"]) for ok, o in covered if not ok]
    assert len(covered) >= 100
    assert sum(ok for ok, _ in covered) >= 0.98 * len(covered), missed


@pytest.mark.slow
def test_negative_minutes_rarely_give_candidates_and_flash_cloud_do_not() -> None:
    negatives = [(2000 + i, 0, ("plane", "satellite", "hot_pixel")) for i in range(10)]
    weather = [(3000, 0, ("flash",)), (3001, 0, ("flash",)), (3002, 0, ("cloud",)), (3003, 0, ("cloud",))]
    results = _render_all(negatives + weather)
    statuses = [_detector(scale)(values).status for _, values, scale in results]
    with_candidates = sum(s == "candidates" for s in statuses[: len(negatives)])
    assert with_candidates <= 0.2 * len(negatives), statuses
    assert all(s in ("none", "too-many") for s in statuses[len(negatives) :]), statuses


@pytest.mark.slow
def test_recall_through_h264_at_720p(tmp_path: Path) -> None:
    jobs = [(4000 + i, 5, (), 1280, 720, 30.0, tmp_path / f"m{i}.mp4") for i in range(2)]
    covered: list[tuple[bool, dict[str, Any]]] = []
    for truth, values, scale in _render_all(jobs):
        covered += _meteor_coverage(truth, _detector(scale)(values).candidates)
    assert len(covered) >= 8
    assert all(ok for ok, _ in covered), [o["first_frame"] for ok, o in covered if not ok]


def test_widespread_change_is_relative_to_the_minutes_noise_floor() -> None:
    from dataclasses import replace

    from detection.candidates import block_thresholds, widespread_frames

    values = _tiny_minute(7, n=120)
    # A codec's noise floor: 3 % of the bins above z = 3 in every frame, 40 % in a flash frame.
    n_changed = np.full(values.n_frames, int(0.03 * values.n_bins), np.int32)
    n_changed[60] = int(0.4 * values.n_bins)
    noisy = replace(values, n_changed=n_changed)
    settings = CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=20.0)
    _, point_thr = block_thresholds(noisy, settings)
    assert np.flatnonzero(widespread_frames(noisy, point_thr, settings)).tolist() == [60]
