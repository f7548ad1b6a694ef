"""Per-frame values: the numba kernel against its numpy twin, the accumulator, the file format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from detection.scan._values_kernels import values_chunk, values_chunk_np
from detection.scan.values import (
    VALUES_FORMAT,
    ValuesAccumulator,
    ValuesFormatError,
    ValuesSettings,
    initial_background,
    load_values,
    save_values,
    update_weights,
)


def _noise(rng: np.random.Generator, n: int, h: int, w: int, level: float = 28.0) -> np.ndarray:
    return np.clip(rng.normal(level, 2.5, (n, h, w)) + 0.5, 0, 255).astype(np.uint8)


def _blob(frame: np.ndarray, x_px: float, y_px: float, amp_dn: float, sigma_px: float = 1.0) -> None:
    yy, xx = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
    g = amp_dn * np.exp(-((xx - x_px) ** 2 + (yy - y_px) ** 2) / (2 * sigma_px**2))
    frame[:] = np.clip(frame + g + 0.5, 0, 255).astype(np.uint8)


def _run(fn, frames, state, settings, first=0):  # type: ignore[no-untyped-def]
    n = frames.shape[0]
    bb = settings.block_px // 2
    grid = (-(-state.shape[1] // bb), -(-state.shape[2] // bb))
    outs = [np.full((n, *grid), np.nan, np.float32) for _ in range(4)]
    n_changed, pix_sum = np.zeros(n, np.int32), np.zeros(n, np.int64)
    alpha_m, alpha_v = update_weights(first, n, settings)
    fn(
        frames, state, alpha_m, alpha_v, np.float32(settings.clamp_sigma),
        np.float32(settings.clamp_var_sigma), np.float32(settings.min_sigma_dn**2),
        np.float32(settings.z_changed), bb, *outs, n_changed, pix_sum,
    )  # fmt: skip
    return [*outs, n_changed, pix_sum]


@pytest.mark.parametrize(
    ("shape", "block_px", "seed"),
    [((12, 36, 70), 8, 1), ((9, 37, 71), 16, 2), ((20, 64, 96), 32, 3), ((5, 4, 4), 2, 4)],
)
def test_kernel_matches_numpy_twin_exactly(shape: tuple[int, int, int], block_px: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = _noise(rng, *shape)
    frames[2, :6, :6] = 255  # saturation
    frames[3] = 0  # a black frame: negative z everywhere
    frames[4, 1:3, 1:3] = 200  # a bright point
    frames[:, -2:, -2:] = 40  # constant corner: ties in the block maxima
    settings = ValuesSettings(block_px=block_px, update_every=3, warmup_frames=4)
    state = initial_background(frames[:4], settings)
    state_np = state.copy()
    got = _run(values_chunk, frames, state, settings)
    want = _run(values_chunk_np, frames, state_np, settings)
    np.testing.assert_array_equal(state, state_np)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_accumulator_result_does_not_depend_on_chunking() -> None:
    rng = np.random.default_rng(5)
    frames = _noise(rng, 70, 48, 80)
    _blob(frames[40], 30.0, 20.0, 60.0)
    results = []
    for size in (1, 7, 32, 70):
        acc = ValuesAccumulator(48, 80, ValuesSettings(block_px=16), fps=25.0)
        for i in range(0, 70, size):
            acc.add(frames[i : i + size])
        results.append(acc.finish())
    for other in results[1:]:
        for name in (
            "mean_level_dn",
            "n_changed",
            "block_z",
            "peak_x_px",
            "peak_y_px",
            "peak_z",
            "peak_block",
        ):
            np.testing.assert_array_equal(getattr(results[0], name), getattr(other, name))


def test_brightest_point_is_the_injected_blob() -> None:
    rng = np.random.default_rng(6)
    frames = _noise(rng, 80, 90, 160)
    truth = {50: (33.3, 40.6), 60: (120.0, 21.4), 70: (75.5, 75.5)}
    for f, (x, y) in truth.items():
        _blob(frames[f], x, y, 10 * 2.5)  # SNR 10 per pixel
    acc = ValuesAccumulator(90, 160)
    acc.add(frames)
    values = acc.finish()
    x_px, y_px, z, level_dn = values.brightest()
    for f, (x, y) in truth.items():
        # 3x3-bin centroid of a PSF sigma 1 px blob: within 0.6 px (bin 2 px, noise biases it a little).
        assert abs(x_px[f] - x) < 0.6 and abs(y_px[f] - y) < 0.6, (f, x_px[f], y_px[f])
        assert z[f] > 8.0
        assert 8.0 < level_dn[f] < 25.0  # 2x2 mean of a 25 DN peak blob
    quiet = np.setdiff1d(np.arange(40, 80), list(truth))
    assert np.all(z[quiet] < 7.0)
    assert values.n_frames == 80 and values.block_z.shape == (80, 3, 5)


def test_mean_level_and_changed_bins() -> None:
    rng = np.random.default_rng(7)
    frames = _noise(rng, 60, 33, 65)  # odd sizes: the last row and column are not binned
    frames[50] = np.clip(frames[50].astype(int) + 40, 0, 255).astype(np.uint8)  # a flash
    acc = ValuesAccumulator(33, 65)
    acc.add(frames)
    values = acc.finish()
    want = frames.reshape(60, -1).mean(axis=1)
    np.testing.assert_allclose(values.mean_level_dn, want, rtol=1e-6)
    assert values.n_changed[50] > 0.9 * values.n_bins
    assert np.median(values.n_changed[40:50]) < 0.02 * values.n_bins
    assert values.noise_dn == pytest.approx(2.5, rel=0.25)  # the injected sigma, per pixel


def test_short_minute_and_bad_chunks() -> None:
    acc = ValuesAccumulator(20, 30)
    with pytest.raises(ValueError, match="no frames"):
        acc.finish()
    acc.add(np.full((3, 20, 30), 30, np.uint8))  # fewer than the warm-up frames
    assert acc.nframes == 3
    values = acc.finish()
    assert values.n_frames == 3 and np.all(values.peak_z == 0)
    with pytest.raises(ValueError, match="expected uint8"):
        acc.add(np.zeros((2, 20, 31), np.uint8))
    with pytest.raises(ValueError, match="expected uint8"):
        acc.add(np.zeros((2, 20, 30), np.uint16))


def _sample() -> object:
    rng = np.random.default_rng(8)
    acc = ValuesAccumulator(40, 64, ValuesSettings(block_px=16, top_k=5), fps=25.0)
    acc.add(_noise(rng, 40, 40, 64))
    return acc.finish()


def test_save_load_roundtrip(tmp_path: Path) -> None:
    values = _sample()
    path = tmp_path / "v.npz"
    save_values(path, values)  # type: ignore[arg-type]
    buf = io.BytesIO()
    save_values(buf, values)  # type: ignore[arg-type]
    buf.seek(0)
    for loaded in (load_values(path), load_values(buf)):
        assert loaded.settings == values.settings  # type: ignore[attr-defined]
        assert (loaded.width_px, loaded.height_px, loaded.fps) == (64, 40, 25.0)
        assert loaded.noise_dn == values.noise_dn  # type: ignore[attr-defined]
        for name in ("mean_level_dn", "n_changed", "block_z", "peak_x_px", "peak_z", "peak_level_dn"):
            np.testing.assert_array_equal(getattr(loaded, name), getattr(values, name))
    with zipfile.ZipFile(path) as z:
        assert "format.npy" in z.namelist()
    with np.load(path, allow_pickle=False) as npz:
        assert str(npz["format"]) == VALUES_FORMAT
        assert json.loads(str(npz["settings"]))["top_k"] == 5


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ValuesFormatError, match="not a values file"):
        load_values(bad)
    np.savez(bad, format=np.array("stationd.values/999"))
    with pytest.raises(ValuesFormatError, match=r"format 'stationd\.values/999'"):
        load_values(bad)
    np.savez(bad, format=np.array(VALUES_FORMAT))
    with pytest.raises(ValuesFormatError, match="missing or bad field"):
        load_values(bad)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("block_px", 7, "ValuesSettings.block_px=7: expected an even number"),
        ("top_k", 0, "ValuesSettings.top_k=0"),
        ("min_sigma_dn", 0.0, "ValuesSettings.min_sigma_dn=0.0: expected > 0 DN"),
        ("tau_var_frames", 2.0, "ValuesSettings.tau_var_frames=2.0: expected >= update_every"),
    ],
)
def test_settings_errors_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValuesSettings(**{field: value})  # type: ignore[arg-type]


def _codec_like_noise(rng: np.random.Generator, n: int, h: int, w: int, sigma_dn: float) -> np.ndarray:
    """Noise shaped as H.264 leaves it at a camera's bit rate: each 2x2 bin is unchanged (a skipped block)
    in half the frames and carries Gaussian noise of variance 2 sigma^2 in the others, so the variance is
    sigma^2 per pixel but the bins' kurtosis is 6 (measured on a 6 Mbit/s 720p minute: 7.5)."""
    moving = np.repeat(np.repeat(rng.random((n, h // 2, w // 2)) < 0.5, 2, axis=1), 2, axis=2)
    noise = rng.normal(0.0, np.sqrt(2.0) * sigma_dn, (n, h, w)) * moving
    return np.clip(np.round(28.0 + noise), 0, 255).astype(np.uint8)


def test_warmup_variance_is_the_variance_of_heavy_tailed_noise() -> None:
    rng = np.random.default_rng(9)
    frames = _codec_like_noise(rng, 32, 64, 96, sigma_dn=2.5)
    frames[5, 10:12, 10:12] = 200  # a meteor crossing one bin must not count as noise
    state = initial_background(frames, ValuesSettings())
    # The bin (2x2 sum) sigma is 2 * 2.5 DN; a Gaussian-scaled trimmed estimator gives about half of it.
    assert float(np.median(state[2])) == pytest.approx(5.0, rel=0.1)
    assert state[2, 5, 5] < 8.0  # the meteor's bin keeps a noise-sized sigma (DN, 2x2 sum)


def test_bins_unchanged_during_warmup_get_the_sigma_floor() -> None:
    rng = np.random.default_rng(10)
    frames = _noise(rng, 32, 40, 64)
    frames[:, 20:24, 30:34] = 28  # a skipped macroblock: nothing moves during the warm-up
    settings = ValuesSettings()
    state = initial_background(frames, settings)
    median = float(np.median(state[2]))
    assert np.all(state[2] >= settings.sigma_floor_fraction * median * (1 - 1e-6))
    assert state[2, 10, 15] == pytest.approx(settings.sigma_floor_fraction * median, rel=1e-5)
