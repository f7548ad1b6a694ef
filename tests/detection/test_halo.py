"""The whole-image change around a track versus a halo centred on its head (``detection.meteors.halo``).

Synthetic truth: lit points placed around a horizontal track (along x, 100 px long, in the middle of a
640 x 480 valid image) - uniformly over the image (a flash), in a disc around the head (a halo), on one
side only (a cloud edge) - with the excess over the threshold each one is given.
"""

from __future__ import annotations

import numpy as np

from detection.meteors.halo import AroundCounts, head_over_lift, uniform_around

SPAN = (0.0, 100.0)  # the head's range along the track (px)
VALID = np.ones((480, 640), bool)
X0, Y0 = 270.0, 240.0  # the track's reference point: it runs from (270, 240) to (370, 240)


def _counts(x: np.ndarray, y: np.ndarray, excess_dn: np.ndarray) -> AroundCounts:
    counts = AroundCounts()
    counts.add(x - X0, y - Y0, excess_dn, SPAN)
    counts.areas(VALID, X0, Y0, 1.0, 0.0, SPAN)
    return counts


def _track(rng: np.random.Generator, n: int, head_dn: float) -> tuple[np.ndarray, ...]:
    x = rng.uniform(X0, X0 + 100.0, n)
    return x, Y0 + rng.normal(0.0, 1.5, n), np.full(n, head_dn)


def _join(*parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def test_a_uniform_change_counts_in_full() -> None:
    rng = np.random.default_rng(1)
    flash = (rng.uniform(0, 640, 20000), rng.uniform(0, 480, 20000), np.full(20000, 6.0))
    counts = _counts(*_join(_track(rng, 400, 60.0), flash))
    assert counts.n_around > 500
    assert uniform_around(counts) == counts.n_around


def _halo(rng: np.random.Generator, n: int, dn: float) -> tuple[np.ndarray, ...]:
    r, a = rng.uniform(13.0, 45.0, n), rng.uniform(0.0, 2 * np.pi, n)
    return X0 + 80.0 + r * np.cos(a), Y0 + r * np.sin(a), np.full(n, dn)


def test_a_halo_centred_on_a_bright_head_is_left_out() -> None:
    rng = np.random.default_rng(2)
    noise = (rng.uniform(0, 640, 3000), rng.uniform(0, 480, 3000), np.full(3000, 3.0))
    counts = _counts(*_join(_track(rng, 400, 60.0), _halo(rng, 600, 8.0), noise))
    kept = uniform_around(counts)
    # what the noise's density puts beside the track: 3000 points over 307,200 px, 7,600 px beside it
    assert 40 <= kept <= 110 < counts.n_around


def test_a_halo_as_bright_as_its_head_or_on_one_side_counts_in_full() -> None:
    rng = np.random.default_rng(3)
    faint_head = _counts(*_join(_track(rng, 400, 8.0), _halo(rng, 600, 8.0)))
    assert uniform_around(faint_head) == faint_head.n_around
    x, y, w = _halo(rng, 600, 8.0)
    one_side = _counts(*_join(_track(rng, 400, 60.0), (x, Y0 + np.abs(y - Y0), w)))
    assert uniform_around(one_side) == one_side.n_around


def _counts_at(
    x: np.ndarray, y: np.ndarray, excess_dn: np.ndarray, level_dn: np.ndarray, top_dn: int = 250
) -> AroundCounts:
    counts = AroundCounts()
    counts.add(x - X0, y - Y0, excess_dn, SPAN, level_dn, top_dn)
    counts.areas(VALID, X0, Y0, 1.0, 0.0, SPAN)
    return counts


def test_a_clipped_head_dominates_a_halo_that_fills_the_band_on_the_track() -> None:
    # A saturated head (its core at 255) inside a wide halo: most lit points on the track are the halo's,
    # as bright as those beside it, so the median rule does not see the head; its clipped core does.
    rng = np.random.default_rng(4)
    head = _track(rng, 60, 200.0)
    inner = (rng.uniform(X0, X0 + 100.0, 900), Y0 + rng.uniform(-12.0, 12.0, 900), np.full(900, 30.0))
    halo = _halo(rng, 700, 15.0)
    x, y, w = _join(head, inner, halo)
    level = np.where(w >= 200.0, 255.0, 60.0 + w)
    counts = _counts_at(x, y, w, level)
    assert uniform_around(counts) < 0.2 * counts.n_around
    no_core = _counts_at(x, y, w, np.minimum(level, 249.0))  # the same light, nothing at the sensor's top
    assert uniform_around(no_core) == no_core.n_around


def test_clipped_pixels_beside_the_track_as_on_it_make_no_halo() -> None:
    # Codec damage saturates blocks on and beside whatever track its noise makes.
    rng = np.random.default_rng(5)
    x, y, w = _join(_track(rng, 400, 30.0), _halo(rng, 600, 28.0))
    counts = _counts_at(x, y, w, np.full(x.size, 255.0))
    assert uniform_around(counts) == counts.n_around


def test_a_head_outshines_a_lift_that_noise_on_a_track_does_not() -> None:
    rng = np.random.default_rng(4)
    lift_dn = 5.0  # counts of the pixels that exceed their threshold by more than the lift
    assert head_over_lift(_counts(*_track(rng, 300, 28.0)), lift_dn)  # a fireball's head
    assert not head_over_lift(_counts(*_track(rng, 300, 9.0)), lift_dn)  # as bright as the lift
    assert not head_over_lift(_counts(*_track(rng, 4, 60.0)), lift_dn)  # a few speckles are no head


def test_in_ff_planes_only_the_sensors_top_is_clipped() -> None:
    # An RMS FF file keeps raw maxima: 250-254 DN is bright, not clipped (255 is); the same head at 252 DN
    # dominates its halo in decoded frames (the codec's error around a clipped 255) but not in FF planes.
    rng = np.random.default_rng(4)
    x, y, w = _join(
        _track(rng, 60, 200.0),
        (rng.uniform(X0, X0 + 100.0, 900), Y0 + rng.uniform(-12.0, 12.0, 900), np.full(900, 30.0)),
        _halo(rng, 700, 15.0),
    )
    level = np.where(w >= 200.0, 252.0, 60.0 + w)
    decoded = _counts_at(x, y, w, level)
    planes = _counts_at(x, y, w, level, top_dn=255)
    assert uniform_around(decoded) < 0.2 * decoded.n_around
    assert uniform_around(planes) == planes.n_around
