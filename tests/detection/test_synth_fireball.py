"""detection.synth.sky fireballs: a meteor that lights the whole sky (``sky_glow``) and saturates its
trail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detection.synth.sky import Meteor, SkySettings, SkyVideo, random_fireball, random_meteor

SMALL = SkySettings(width_px=320, height_px=180, duration_s=2.0, seed=11)


def _glow_per_frame(video: SkyVideo, base: SkyVideo, corner: tuple[slice, slice]) -> np.ndarray:
    """Noiseless brightening of a corner far from the track, per frame (DN)."""
    return np.array([float((video.signal(f) - base.signal(f))[corner].mean()) for f in range(video.n_frames)])


def test_an_ordinary_meteor_does_not_light_the_sky() -> None:
    meteor = Meteor(0.3, 0.8, 40.0, 30.0, 250.0, 150.0, peak_snr=10.0)
    assert meteor.sky_glow == 0.0
    video, base = SkyVideo(SMALL, [meteor]), SkyVideo(SMALL, [])
    glow = _glow_per_frame(video, base, (slice(150, 180), slice(0, 30)))
    assert np.all(glow == 0.0)
    assert all(p["sky_glow_dn"] == 0.0 for p in video.truth()["objects"][0]["frames"])


def test_sky_glow_follows_the_light_the_head_emits() -> None:
    # Flat light curve from 0.30 s to 1.10 s at 25 fps: frames 8..26 are fully exposed (equal light),
    # frame 7 (0.28-0.32 s) holds half an exposure of it, frame 27 (1.08-1.12 s) half as well.
    meteor = Meteor(0.30, 0.80, 40.0, 30.0, 250.0, 40.0, peak_snr=20.0, light_curve="flat", sky_glow=0.2)
    video, base = SkyVideo(SMALL, [meteor]), SkyVideo(SMALL, [])
    glow = _glow_per_frame(video, base, (slice(150, 180), slice(280, 320)))
    full = 0.2 * 20.0 * SMALL.noise_dn  # sky_glow times the peak amplitude: 10 DN
    np.testing.assert_allclose(glow[8:27], full, rtol=1e-5)  # float32 arithmetic
    assert glow[7] == pytest.approx(0.5 * full, rel=1e-3) and glow[27] == pytest.approx(0.5 * full, rel=1e-3)
    assert np.all(glow[:7] == 0.0) and np.all(glow[28:] == 0.0)
    points = video.truth()["objects"][0]["frames"]
    np.testing.assert_allclose([p["sky_glow_dn"] for p in points], glow[7:28], rtol=1e-3)
    # The trail's own peak stays peak_snr sigma above the lit sky (the glow is added on top of it).
    assert max(p["snr"] for p in points) == pytest.approx(20.0)


def test_glow_peaks_with_the_flare() -> None:
    meteor = Meteor(0.2, 1.5, 30.0, 90.0, 290.0, 90.0, peak_snr=40.0, light_curve="flare", sky_glow=0.1)
    truth = SkyVideo(SMALL, [meteor]).truth()["objects"][0]
    points = truth["frames"]
    glows = np.array([p["sky_glow_dn"] for p in points])
    k = int(np.argmax(glows))
    assert glows[k] == pytest.approx(0.1 * 40.0 * SMALL.noise_dn)
    # The flare is at 60 % of the duration: t = 0.2 + 0.9 s = 1.1 s, frame 27.
    assert points[k]["frame"] == 27
    assert glows[0] < 0.3 * glows[k]


def test_a_bright_meteor_saturates_its_trail() -> None:
    # Peak 300 sigma = 750 DN above a 28 DN sky: every pixel near the head's path clips at 255.
    meteor = Meteor(0.2, 1.0, 40.0, 60.0, 280.0, 120.0, peak_snr=300.0, light_curve="flat", sky_glow=0.05)
    frames = SkyVideo(SMALL, [meteor]).render()
    base = SkyVideo(SMALL, []).render()
    saturated = (frames == 255).reshape(len(frames), -1).sum(axis=1)
    before = (base == 255).reshape(len(base), -1).sum(axis=1)  # bright stars may clip too
    truth = SkyVideo(SMALL, [meteor]).truth()["objects"][0]
    for point in truth["frames"][1:-1]:  # full exposures: 240 px/s at 25 fps = 9.6 px of trail
        f = point["frame"]
        assert saturated[f] - before[f] >= 9
        x, y = round(point["centroid_x_px"]), round(point["centroid_y_px"])
        assert frames[f, y, x] == 255
    assert frames.max() == 255 and frames.dtype == np.uint8


@pytest.mark.parametrize("seed", range(20))
def test_random_fireball_within_bounds(seed: int) -> None:
    settings = SkySettings(width_px=640, height_px=360, duration_s=10.0, seed=seed)
    m = random_fireball(np.random.default_rng(seed), settings)
    assert 0.02 <= m.sky_glow <= 0.1
    assert 100.0 <= m.peak_snr <= 400.0
    assert m.light_curve in ("flare", "late-peak")
    speed_deg_s = (
        math.hypot(m.x1_px - m.x0_px, m.y1_px - m.y0_px) / m.duration_s / settings.cam.scale_px_per_deg
    )
    assert 8.0 - 1e-9 <= speed_deg_s <= 35.0 + 1e-9
    for x, y in ((m.x0_px, m.y0_px), (m.x1_px, m.y1_px)):
        assert 0 <= x <= 639 and 0 <= y <= 359
    # Peak amplitude 250 DN or more above a 28 DN sky: the brightest pixel saturates.
    assert m.peak_snr * settings.noise_dn + settings.background_dn > 255


def test_random_meteor_default_draws_are_unchanged() -> None:
    """random_meteor gives the meteor it gave before fireballs existed (recorded with the code of the
    foundation issue), so benchmarks and tests that draw scenes from one generator keep them."""
    settings = SkySettings(width_px=640, height_px=360, seed=0)
    m = random_meteor(np.random.default_rng(123), settings)
    assert m.sky_glow == 0.0 and m.light_curve == "late-peak"
    got = (m.t_start_s, m.duration_s, m.x0_px, m.y0_px, m.x1_px, m.y1_px, m.peak_snr)
    recorded = (54.476981961193836, 0.8170076437633117, 104.32795289732867, 146.58809880665726,
                179.71725704713577, 318.93296240219286, 3.3958013255578714)  # fmt: skip
    assert got == pytest.approx(recorded, rel=1e-12)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_sky_glow_validation(value: float) -> None:
    with pytest.raises(ValueError, match=r"Meteor\.sky_glow="):
        Meteor(0.0, 1.0, 0.0, 0.0, 10.0, 10.0, 5.0, sky_glow=value)
