"""detection.synth: what real fireballs and event clips show (halo, terminal flare, saturation, fragments),
long meteors on an all-sky lens, codec damage and global brightness changes. The truth is what is rendered:
each test measures the noiseless frames (``SkyVideo.signal``) or the quantised ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detection.synth._arcs import enu, great_circle
from detection.synth._render import LIGHT_CURVES
from detection.synth.sky import (
    ArcMeteor,
    CodecDamage,
    GainStep,
    Meteor,
    SkySettings,
    SkyVideo,
    StarsBrighten,
    allsky_camera,
    random_arc_meteor,
    random_disturbances,
    random_event,
    random_fragmenting_fireball,
    random_saturated_fireball,
)

SMALL = SkySettings(width_px=320, height_px=180, duration_s=2.0, seed=11)
ALLSKY = SkySettings(width_px=256, height_px=256, duration_s=6.0, seed=5, camera=allsky_camera(256))


def _added(video: SkyVideo, base: SkyVideo, frame: int) -> np.ndarray:
    return np.asarray(video.signal(frame) - base.signal(frame), dtype=np.float64)


# ------------------------------------------------------------------------------ curved meteors, all-sky


def test_a_long_arc_is_rendered_on_the_projected_great_circle() -> None:
    meteor = ArcMeteor(0.5, 4.0, 200.0, 15.0, 60.0, 15.0, peak_snr=30.0, light_curve="flat")
    assert 120.0 < meteor.arc_deg < 150.0
    video, base = SkyVideo(ALLSKY, [meteor]), SkyVideo(ALLSKY, [])
    truth = video.truth()["objects"][0]
    assert truth["kind"] == "arc_meteor" and truth["arc_deg"] == pytest.approx(meteor.arc_deg)
    # the great circle, projected densely through the camera model
    az, alt = great_circle(enu(200.0, 15.0), enu(60.0, 15.0), np.linspace(-0.02, 1.02, 20000))
    gx, gy = ALLSKY.cam.altaz_to_pixel(az, alt)
    distances = []
    for point in truth["frames"][1:-1:5]:
        light = _added(video, base, point["frame"])
        ys, xs = np.mgrid[0 : light.shape[0], 0 : light.shape[1]]
        cx, cy = float((light * xs).sum() / light.sum()), float((light * ys).sum() / light.sum())
        assert math.hypot(cx - point["centroid_x_px"], cy - point["centroid_y_px"]) < 0.05
        distances.append(float(np.min(np.hypot(gx - cx, gy - cy))))
        assert float(np.min(np.hypot(gx - point["head_x_px"], gy - point["head_y_px"]))) < 0.05
    # within a frame the light follows a short chord of the curve: a fraction of a pixel off it
    assert max(distances) < 0.3
    # and the whole path is a curve: its middle lies far from the chord between its ends
    path = np.array(truth["path_px"])
    (x0, y0), (x1, y1) = path[0], path[-1]
    mid = path[len(path) // 2]
    chord = abs((x1 - x0) * (y0 - mid[1]) - (x0 - mid[0]) * (y1 - y0)) / math.hypot(x1 - x0, y1 - y0)
    assert chord > 20.0


@pytest.mark.parametrize("seed", range(12))
def test_random_arc_meteor_stays_up_and_in_the_frame(seed: int) -> None:
    m = random_arc_meteor(np.random.default_rng(seed), ALLSKY)
    assert 40.0 - 1e-6 <= m.arc_deg <= 150.0 + 1e-6
    assert 15.0 - 1e-6 <= m.arc_deg / m.duration_s <= 45.0 + 1e-6
    az, alt = m.altaz(np.linspace(m.t_start_s, m.t_start_s + m.duration_s, 200))
    assert float(alt.min()) >= 10.0 - 1e-6
    x, y = ALLSKY.cam.altaz_to_pixel(az, alt)
    assert np.all((x >= 0) & (x <= 255) & (y >= 0) & (y <= 255))


def test_an_arc_meteor_needs_a_camera_arc_below_180() -> None:
    with pytest.raises(ValueError, match=r"ArcMeteor\.arc="):
        ArcMeteor(0.0, 1.0, 0.0, 0.0, 180.0, 0.0, peak_snr=5.0)


# ------------------------------------------------------------------------------------------- fireballs


def test_the_halo_follows_the_heads_light_and_widens_with_it() -> None:
    kw = dict(peak_snr=60.0, light_curve="sin2", psf_sigma_px=1.0)
    plain = Meteor(0.2, 1.2, 40.0, 90.0, 280.0, 90.0, **kw)  # type: ignore[arg-type]
    halo = Meteor(0.2, 1.2, 40.0, 90.0, 280.0, 90.0, halo=0.1, halo_sigma_px=10.0, **kw)  # type: ignore[arg-type]
    a, b = SkyVideo(SMALL, [halo]), SkyVideo(SMALL, [plain])
    points = a.truth()["objects"][0]["frames"]
    k = int(np.argmax([p["halo_dn"] for p in points]))
    weak = 3  # a frame early in the sin2 curve, where the head is faint
    assert points[weak]["halo_dn"] < 0.3 * points[k]["halo_dn"]
    for i in (weak, k):
        p = points[i]
        extra = _added(a, b, p["frame"])
        cx, cy = round(p["centroid_x_px"]), round(p["centroid_y_px"])
        # about 2 sigma across the track, away from the trail: the Gaussian's value there
        dy = round(2.0 * p["halo_sigma_px"])
        r2 = dy**2 + (cx - p["centroid_x_px"]) ** 2 + (cy - p["centroid_y_px"]) ** 2
        expected = p["halo_dn"] * math.exp(-0.5 * r2 / p["halo_sigma_px"] ** 2)
        assert extra[cy + dy, cx] == pytest.approx(expected, rel=0.02)
    assert points[k]["halo_dn"] == pytest.approx(0.1 * 60.0 * SMALL.noise_dn)
    assert points[k]["halo_sigma_px"] == pytest.approx(10.0)
    assert points[weak]["halo_sigma_px"] < 0.6 * points[k]["halo_sigma_px"]


def test_the_terminal_flare_is_a_sharp_peak_at_the_end() -> None:
    tau = np.linspace(0.0, 1.0, 1001)
    light = LIGHT_CURVES["terminal-flare"](tau)
    peak = float(tau[np.argmax(light)])
    assert 0.93 <= peak <= 0.97
    assert light.max() > 4.0 * light[tau <= 0.85].max()
    assert light[-1] < 0.5 * light.max()  # it fades before the end: a burst, not a cut


def test_a_saturated_fireball_has_a_flat_core_several_pixels_wide() -> None:
    settings = SkySettings(width_px=640, height_px=360, duration_s=5.0, seed=3)
    m = random_saturated_fireball(np.random.default_rng(4), settings)
    assert m.psf_sigma_px >= 1.5 and m.halo > 0 and m.sky_glow > 0
    video = SkyVideo(settings, [m])
    points = video.truth()["objects"][0]["frames"]
    p = max(points, key=lambda q: q["peak_dn"])
    frame = next(video.frames(p["frame"], p["frame"] + 1))
    x, y = round(p["centroid_x_px"]), round(p["centroid_y_px"])
    assert np.all(frame[y - 1 : y + 2, x - 1 : x + 2] == 255)  # a 3x3 core at least
    assert int((frame == 255).sum()) >= 20


def test_a_fragmenting_fireball_shows_separate_pieces_after_the_split() -> None:
    m = Meteor(0.2, 1.6, 30.0, 90.0, 290.0, 90.0, peak_snr=40.0, light_curve="flat", psf_sigma_px=1.0,
               fragments=2, split_at=0.5, fragment_light=0.25, fragment_spread_px=20.0)  # fmt: skip
    video, base = SkyVideo(SMALL, [m]), SkyVideo(SMALL, [])
    points = video.truth()["objects"][0]["frames"]
    last = points[-2]
    assert len(last["fragments_px"]) == 2
    profile = _added(video, base, last["frame"])[88:93].sum(axis=0)
    head_x = last["head_x_px"]
    # beyond the trail of this frame (6.5 px long), each fragment makes its own bump behind the head
    for fx, _ in last["fragments_px"]:
        assert head_x - fx > 8.0
        i = round(fx)
        assert profile[i] > 3.0 * profile[round(0.5 * (fx + head_x)) + 3] or profile[i] > 5.0
    before = points[5]  # before the split: no fragments drawn apart from the head
    prof0 = _added(video, base, before["frame"])[88:93].sum(axis=0)
    assert prof0[: round(before["head_x_px"]) - 12].max() < 1e-3


@pytest.mark.parametrize("seed", range(6))
def test_random_fragmenting_fireball(seed: int) -> None:
    settings = SkySettings(width_px=640, height_px=360, duration_s=10.0, seed=seed)
    m = random_fragmenting_fireball(np.random.default_rng(seed), settings)
    assert m.fragments in (1, 2) and 0.4 <= m.split_at <= 0.75
    assert m.peak_snr * settings.noise_dn + settings.background_dn > 255


# ---------------------------------------------------------------------------------------- event clips


@pytest.mark.parametrize("seed", range(16))
def test_random_event_clip(seed: int) -> None:
    settings = SkySettings(width_px=640, height_px=360, seed=seed)
    clip, m = random_event(np.random.default_rng(seed), settings, fireball=seed % 2 == 1)
    assert 2.0 <= clip.duration_s <= 12.0
    assert 0.1 <= m.t_start_s <= 3.0
    assert m.t_start_s + m.duration_s <= clip.duration_s - 0.3 + 1e-9
    if seed % 2:
        assert m.halo > 0


# ------------------------------------------------------------------- codec damage, brightness changes


@pytest.mark.parametrize("style", ["blocks", "tear"])
def test_codec_damage_covers_a_large_part_of_the_image_and_vanishes_at_once(style: str) -> None:
    damage = CodecDamage(0.5, n_frames=3, cover=0.35, style=style, level_dn=40.0, seed=7)
    video, base = SkyVideo(SMALL, [damage]), SkyVideo(SMALL, [])
    n_px = SMALL.width_px * SMALL.height_px
    first = round(0.5 * SMALL.fps)
    for f in range(first - 2, first + 5):
        changed = np.abs(_added(video, base, f)) > 5.0
        if first <= f < first + 3:
            assert changed.sum() > 0.2 * n_px
            assert not np.any(changed & ~video.damage_mask(f))
        else:
            assert not changed.any() and not video.damage_mask(f).any()
    truth = video.truth()["objects"][0]
    assert truth["kind"] == "codec_damage" and (truth["first_frame"], truth["last_frame"]) == (12, 14)


def test_damage_is_drawn_after_the_other_changes() -> None:
    # listed first, drawn last: the gain step scales the image, then the damage replaces its pixels
    damage = CodecDamage(0.6, n_frames=1, cover=0.5, style="blocks", seed=1)
    video = SkyVideo(SMALL, [damage, GainStep(0.0, factor=2.0)])
    alone = SkyVideo(SMALL, [damage])
    f = round(0.6 * SMALL.fps)
    same = video.signal(f) == alone.signal(f)  # flat concealed blocks: a level of their own, not scaled
    mask = video.damage_mask(f)
    assert same.sum() >= 16 * 16 and not np.any(same & ~mask)


def test_a_gain_step_scales_the_whole_image() -> None:
    video, base = SkyVideo(SMALL, [GainStep(1.0, factor=1.5)]), SkyVideo(SMALL, [])
    for f in (10, 24):
        assert np.array_equal(video.signal(f), base.signal(f))
    for f in (25, 40):
        np.testing.assert_allclose(video.signal(f), 1.5 * base.signal(f), rtol=1e-6)


def test_all_stars_brighten_together_while_the_sky_stays() -> None:
    video, base = SkyVideo(SMALL, [StarsBrighten(0.4, duration_s=0.4, factor=2.0)]), SkyVideo(SMALL, [])
    stars = base._stars.image(40)
    bright = stars > 5.0
    assert bright.sum() > 10
    extra = _added(video, base, 40)  # 1.62 s: fully brightened
    np.testing.assert_allclose(extra[bright], stars[bright], rtol=1e-5)
    assert np.all(np.abs(extra[stars < 1e-6]) < 1e-4)  # float32 rounding at a sky of 30 DN
    half = _added(video, base, 15)  # (15.5 / 25 - 0.4) / 0.4 = 0.55 of the way
    np.testing.assert_allclose(half[bright], 0.55 * stars[bright], rtol=1e-4)
    assert np.all(_added(video, base, 9) == 0.0)


def test_random_disturbances() -> None:
    rng = np.random.default_rng(3)
    out = random_disturbances(rng, SMALL, ["codec_damage", "gain_step", "stars_brighten"] * 5)
    damages = [o for o in out if isinstance(o, CodecDamage)]
    assert len(damages) == 5 and all(1 <= d.n_frames <= 4 and 0.2 <= d.cover <= 0.8 for d in damages)
    assert all(0.6 <= o.factor <= 1.7 for o in out if isinstance(o, GainStep))
    with pytest.raises(ValueError, match="kind='meteor'"):
        random_disturbances(rng, SMALL, ["meteor"])
