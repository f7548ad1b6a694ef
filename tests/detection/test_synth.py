"""detection.synth.sky: the synthetic sky video, its kernels, objects, truth and H.264 output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from detection.synth._kernels import compose_frame, compose_frame_np, normal_table
from detection.synth.sky import (
    Cloud,
    Flash,
    HotPixel,
    Meteor,
    Plane,
    Satellite,
    SkyObject,
    SkySettings,
    SkyVideo,
    random_meteor,
    random_negatives,
)

SMALL = SkySettings(width_px=320, height_px=180, duration_s=2.0, seed=11)


def test_kernel_equals_numpy_twin() -> None:
    rng = np.random.default_rng(5)
    table = normal_table(2.5 / math.sqrt(2.0))
    for shape in [(1, 1), (7, 13), (180, 320)]:
        signal = rng.uniform(-20.0, 280.0, shape).astype(np.float32)
        signal.flat[0] = 254.5  # rounding edge cases
        for frame in (0, 1, 12345):
            fast = np.empty(shape, np.uint8)
            slow = np.empty(shape, np.uint8)
            compose_frame(signal, np.uint64(99), np.uint64(frame), table, fast)
            compose_frame_np(signal, np.uint64(99), np.uint64(frame), table, slow)
            np.testing.assert_array_equal(fast, slow)


def test_noise_is_gaussian_with_the_set_sigma() -> None:
    table = normal_table(2.5 / math.sqrt(2.0))
    signal = np.full((300, 400), 100.0, np.float32)
    a = np.empty((300, 400), np.uint8)
    b = np.empty((300, 400), np.uint8)
    compose_frame(signal, np.uint64(1), np.uint64(0), table, a)
    compose_frame(signal, np.uint64(1), np.uint64(1), table, b)
    x = a.astype(np.float64) - 100.0
    # sigma 2.5 plus the variance of rounding (1/12 DN^2): sqrt(6.25 + 0.083) = 2.517
    assert np.std(x) == pytest.approx(2.517, rel=0.02)
    assert abs(np.mean(x)) < 0.02
    # Tails of the rounded values: |x| >= 6 DN is |noise| >= 5.5 DN = 2.2 sigma, |x| >= 8 DN is 3 sigma.
    assert np.mean(np.abs(x) >= 6) == pytest.approx(0.0278, abs=0.002)
    assert np.mean(np.abs(x) >= 8) == pytest.approx(0.0027, abs=0.0007)
    assert abs(np.corrcoef(x.ravel(), b.ravel().astype(np.float64))[0, 1]) < 0.01  # frames independent
    assert abs(np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1]) < 0.01  # pixels independent


def test_frames_are_deterministic_and_random_access() -> None:
    objects: list[SkyObject] = [Meteor(0.3, 0.8, 40.0, 30.0, 250.0, 150.0, peak_snr=10.0), HotPixel(5, 6)]
    video = SkyVideo(SMALL, objects)
    full = video.render()
    assert full.shape == (50, 180, 320) and full.dtype == np.uint8
    np.testing.assert_array_equal(video.render(17, 23), full[17:23])
    np.testing.assert_array_equal(next(SkyVideo(SMALL, objects).frames(30, 31)), full[30])
    other = SkyVideo(SkySettings(width_px=320, height_px=180, duration_s=2.0, seed=12), objects).render(0, 1)
    assert np.mean(other[0] != full[0]) > 0.5


def test_meteor_peak_snr_is_exact_and_truth_consistent() -> None:
    meteor = Meteor(0.30, 0.84, 40.0, 30.0, 250.0, 150.0, peak_snr=7.5, light_curve="late-peak")
    with_m, without = SkyVideo(SMALL, [meteor]), SkyVideo(SMALL, [])
    light = np.stack([with_m.signal(f) - without.signal(f) for f in range(with_m.n_frames)])
    assert light.max() == pytest.approx(7.5 * SMALL.noise_dn, rel=1e-5)
    (truth,) = with_m.truth()["objects"]
    lit = np.flatnonzero(light.reshape(len(light), -1).max(axis=1) > 0)
    assert (truth["first_frame"], truth["last_frame"]) == (lit[0], lit[-1])
    # Emitting from 0.30 s to 1.14 s at 25 fps: frames 7 (0.28-0.32 s) to 28 (1.12-1.16 s).
    assert (truth["first_frame"], truth["last_frame"]) == (7, 28)
    assert max(p["snr"] for p in truth["frames"]) == pytest.approx(7.5)
    for point in truth["frames"]:
        f = point["frame"]
        t_end = min((f + 1) / 25.0, 1.14)
        tau = (t_end - 0.30) / 0.84
        assert point["head_x_px"] == pytest.approx(40.0 + 210.0 * tau)
        assert point["head_y_px"] == pytest.approx(30.0 + 120.0 * tau)
        assert point["peak_dn"] == pytest.approx(float(light[f].max()), abs=1e-4)  # float32 of ~30 DN


def test_meteor_light_is_spread_along_the_motion() -> None:
    # 400 px/s at 25 fps: the head moves 16 px per frame; a still point would be a 1 px sigma blob.
    meteor = Meteor(0.0, 1.0, 50.0, 90.0, 450.0, 90.0, peak_snr=20.0, light_curve="flat", psf_sigma_px=1.0)
    settings = SkySettings(width_px=640, height_px=180, duration_s=1.0, seed=1)
    light = SkyVideo(settings, [meteor]).signal(10) - SkyVideo(settings, []).signal(10)
    row = light[90]
    lit = np.flatnonzero(row > 0.5 * row.max())
    assert 14 <= len(lit) <= 18  # half-maximum length = motion in one frame (16 px)
    assert lit[0] >= 50 + 16 * 10 - 2 and lit[-1] <= 50 + 16 * 11 + 2
    column = light[:, 250]
    assert np.count_nonzero(column > 0.5 * column.max()) <= 3  # across the track: the PSF only


def test_truth_is_json_and_describes_every_object() -> None:
    rng = np.random.default_rng(2)
    objects = [
        random_meteor(rng, SMALL),
        *random_negatives(rng, SMALL, ("plane", "satellite", "hot_pixel", "flash")),
    ]
    objects.append(Cloud(-100.0, 90.0, 200.0, 0.0, 120.0))
    truth = json.loads(json.dumps(SkyVideo(SMALL, objects).truth(stars=True)))
    assert truth["format"] == "stationd.synth-truth/1"
    assert truth["n_frames"] == 50 and truth["settings"]["seed"] == 11
    assert truth["settings"]["start_utc"].endswith("Z")
    kinds = [o["kind"] for o in truth["objects"]]
    assert kinds == ["meteor", "plane", "satellite", "hot_pixel", "flash", "cloud"]
    assert all(o["first_frame"] is not None and o["last_frame"] >= o["first_frame"] for o in truth["objects"])
    assert len(truth["stars"]["x_px"]) > 10


def _mean_level(frames: np.ndarray) -> np.ndarray:
    return np.asarray(frames.reshape(len(frames), -1).mean(axis=1))


def test_hot_pixel_flash_and_cloud() -> None:
    hot = HotPixel(100, 50, level_dn=80.0)
    frames = SkyVideo(SMALL, [hot]).render()
    assert np.all(frames[:, 50, 100] >= 28 + 80 - 15)
    flash = Flash(1.0, 0.2, level_dn=50.0)  # frames 25..29 fully lit
    levels = _mean_level(SkyVideo(SMALL, [flash]).render()) - _mean_level(SkyVideo(SMALL, []).render())
    assert levels[26] == pytest.approx(50.0, abs=1.0) and abs(levels[10]) < 0.5
    assert SkyVideo(SMALL, [flash]).truth()["objects"][0]["first_frame"] == 25
    settings = SkySettings(width_px=320, height_px=180, duration_s=1.0, seed=3, star_mag_1dn=11.0)
    cloud = Cloud(160.0, 90.0, 0.0, 0.0, radius_px=400.0, opacity=1.0, glow_dn=10.0)
    clear_stars = SkyVideo(settings, []).signal(0) - SkyVideo(settings, [])._background
    cloudy = SkyVideo(settings, [cloud])
    covered = cloudy.signal(0) - cloudy._background
    centre = (slice(60, 120), slice(100, 220))
    assert covered[centre].max() < 0.5 * clear_stars[centre].max() + 11.0  # stars dimmed, glow added
    assert covered[centre].min() > 5.0


def test_plane_blinks_and_satellite_glides() -> None:
    settings = SkySettings(width_px=320, height_px=180, duration_s=4.0, seed=4)
    plane = Plane(
        0.0, 4.0, 60.0, 90.0, 100.0, 90.0, level_dn=20.0, strobe_level_dn=150.0, strobe_period_s=1.0
    )
    base = SkyVideo(settings, [])
    video = SkyVideo(settings, [plane])
    peaks = np.array([(video.signal(f) - base.signal(f))[80:100, 50:115].max() for f in range(100)])
    blinking = np.flatnonzero(peaks > 60.0)
    assert len(blinking) in (8, 12) and set(np.diff(blinking)) <= {1, 23, 24, 25}  # 2-3 frames a second
    sat = Satellite(0.0, 4.0, 20.0, 20.0, 300.0, 160.0, level_dn=15.0)
    truth = SkyVideo(settings, [sat]).truth()["objects"][0]
    assert (truth["first_frame"], truth["last_frame"]) == (0, 99)


@pytest.mark.parametrize("seed", range(40))
def test_random_meteor_within_bounds(seed: int) -> None:
    settings = SkySettings(width_px=640, height_px=360, seed=seed)
    rng = np.random.default_rng(seed)
    m = random_meteor(rng, settings, speed_deg_s=(3.0, 45.0), peak_snr=(3.0, 30.0), duration_s=(0.2, 3.0))
    for x, y in ((m.x0_px, m.y0_px), (m.x1_px, m.y1_px)):
        assert 0 <= x <= 639 and 0 <= y <= 359
    speed_deg_s = (
        math.hypot(m.x1_px - m.x0_px, m.y1_px - m.y0_px) / m.duration_s / settings.cam.scale_px_per_deg
    )
    assert 3.0 - 1e-9 <= speed_deg_s <= 45.0 + 1e-9
    assert 3.0 <= m.peak_snr <= 30.0 and m.duration_s <= 3.0
    assert m.t_start_s >= 0.0 and m.t_start_s + m.duration_s <= settings.duration_s


def test_random_negatives_kinds() -> None:
    rng = np.random.default_rng(0)
    objs = random_negatives(rng, SMALL, ("plane", "satellite", "hot_pixel", "flash", "cloud"))
    assert [type(o).__name__ for o in objs] == ["Plane", "Satellite", "HotPixel", "Flash", "Cloud"]
    with pytest.raises(ValueError, match="kind='rain'"):
        random_negatives(rng, SMALL, ("rain",))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fps": 0.0}, "fps"),
        ({"noise_dn": 0.0}, "noise_dn"),
        ({"seed": -1}, "seed"),
        ({"width_px": 8}, "width_px"),
    ],
)
def test_settings_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"SkySettings.{field}="):
        SkySettings(**kwargs)  # type: ignore[arg-type]


def test_meteor_validation() -> None:
    with pytest.raises(ValueError, match=r"Meteor\.light_curve='zigzag'"):
        Meteor(0.0, 1.0, 0.0, 0.0, 10.0, 10.0, 5.0, light_curve="zigzag")


def test_write_h264_decodes_in_pyav_and_opencv(tmp_path: Path) -> None:
    import av
    import cv2

    settings = SkySettings(width_px=320, height_px=180, duration_s=1.0, seed=8)
    video = SkyVideo(settings, [Meteor(0.2, 0.5, 40.0, 40.0, 200.0, 120.0, peak_snr=15.0)])
    path = tmp_path / "minute.mp4"
    truth = video.write(path)
    assert truth["objects"][0]["kind"] == "meteor"
    frames = video.render()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
        assert stream.average_rate == 25
        decoded = [f.to_ndarray(format="gray") for f in container.decode(stream)]
    assert len(decoded) == 25
    # crf 18 keeps the noise floor: decoded luma stays within about a DN of what was rendered.
    assert np.mean(np.abs(np.stack(decoded).astype(np.int16) - frames)) < 1.5
    capture = cv2.VideoCapture(str(path))
    try:
        count = 0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            assert np.mean(np.abs(grey.astype(np.int16) - frames[count])) < 2.0  # full-range flag honoured
            count += 1
    finally:
        capture.release()
    assert count == 25


def test_stars_are_where_the_truth_says_and_twinkle() -> None:
    settings = SkySettings(width_px=640, height_px=360, duration_s=2.0, seed=6)
    video = SkyVideo(settings, [])
    stars = video.truth(stars=True)["stars"]
    k = int(np.argmax(stars["flux_dn"]))
    x, y = stars["x_px"][k], stars["y_px"][k]
    assert 5 < x < 634 and 5 < y < 354
    light = video.signal(25) - video._background  # frame 25 = 1.0 s, the truth's epoch (mid-video)
    xi, yi = round(x), round(y)
    patch = light[yi - 3 : yi + 4, xi - 3 : xi + 4].astype(np.float64)
    gy, gx = np.mgrid[yi - 3 : yi + 4, xi - 3 : xi + 4]
    # The PSF centroid lies on the catalogue position (0.05 px: stars move 0.01 px between epochs).
    assert float((patch * gx).sum() / patch.sum()) == pytest.approx(x, abs=0.05)
    assert float((patch * gy).sum() / patch.sum()) == pytest.approx(y, abs=0.05)
    peaks = np.array([(video.signal(f) - video._background)[yi, xi] for f in range(50)])
    relative = np.std(peaks) / np.mean(peaks)
    assert 0.05 < relative < 0.6  # twinkle 0.12 at the zenith, times airmass ** 1.75 lower down


def test_a_sky_without_stars_renders() -> None:
    """A star limit brighter than every star (no stamps at all) still gives frames."""
    settings = SkySettings(width_px=64, height_px=48, duration_s=0.2, star_limit_mag=-5.0, seed=1)
    frames = SkyVideo(settings).render()
    assert frames.shape == (5, 48, 64)
