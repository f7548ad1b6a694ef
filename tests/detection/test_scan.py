"""Scan-and-stack: one decode pass gives exact FF blocks, values for every frame, the stack and a preview."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from detection.errors import VideoError
from detection.scan import minute as scan_module
from detection.scan.ff import compress_block_np
from detection.scan.minute import ScanResult, ScanSettings, scan_video
from detection.scan.stack import MaxStack, preview_jpeg
from tests.detection.test_decode import sky_frames, write_video

N_FRAMES = 600  # blocks of 256, 256 and 88 frames


@pytest.fixture(scope="module")
def lossless_minute(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """600 frames of 160x96 sky with a moving bright dot, losslessly encoded (decoded frames are exact)."""
    frames = sky_frames(N_FRAMES, 96, 160, seed=5)
    for f in range(300, 320):  # a "meteor": 20 frames, 3 px/frame
        frames[f, 40, 20 + 3 * (f - 300)] = 200
    return write_video(tmp_path_factory.mktemp("scan") / "minute.mp4", frames), frames


@pytest.fixture(scope="module")
def scanned(lossless_minute: tuple[Path, np.ndarray]) -> ScanResult:
    return scan_video(lossless_minute[0], ScanSettings(expected_size=(160, 96), chunk_frames=16))


def test_ff_blocks_equal_the_reference_on_the_decoded_frames(
    scanned: ScanResult, lossless_minute: tuple[Path, np.ndarray]
) -> None:
    _, frames = lossless_minute
    assert [(first, p.nframes) for first, p in scanned.ff_blocks] == [(0, 256), (256, 256), (512, 88)]
    for first, planes in scanned.ff_blocks:
        assert planes == compress_block_np(frames[first : first + planes.nframes])


def test_stack_values_and_metadata(scanned: ScanResult, lossless_minute: tuple[Path, np.ndarray]) -> None:
    path, frames = lossless_minute
    assert (scanned.path, scanned.width, scanned.height, scanned.fps) == (str(path), 160, 96, 25.0)
    assert scanned.n_frames == N_FRAMES and scanned.backend == "pyav"
    np.testing.assert_array_equal(scanned.stack, frames.max(axis=0))
    values = scanned.values
    assert values.n_frames == N_FRAMES and (values.width_px, values.height_px) == (160, 96)
    np.testing.assert_allclose(values.mean_level_dn, frames.mean(axis=(1, 2)), atol=1e-3)  # float32 DN
    x_px, y_px, _, _ = values.brightest()
    assert abs(float(y_px[310]) - 40.0) <= 1.0 and abs(float(x_px[310]) - 50.0) <= 1.0  # 2x2 bins: 1 px
    assert min(scanned.decode_s, scanned.compute_s, scanned.wall_s) > 0


def test_preview_is_a_small_jpeg(scanned: ScanResult) -> None:
    assert scanned.preview[:3] == b"\xff\xd8\xff"
    image = cv2.imdecode(np.frombuffer(scanned.preview, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.shape == (96, 160)  # narrower than preview_width_px: kept
    small = cv2.imdecode(np.frombuffer(preview_jpeg(scanned.stack, max_width_px=40), np.uint8), -1)
    assert small is not None and small.shape == (24, 40)


@pytest.mark.parametrize("chunk_frames", [1, 8, 64, 256])
def test_chunking_does_not_change_the_result(
    scanned: ScanResult, lossless_minute: tuple[Path, np.ndarray], chunk_frames: int
) -> None:
    other = scan_video(lossless_minute[0], ScanSettings(chunk_frames=chunk_frames, queue_chunks=1))
    assert [f for f, _ in other.ff_blocks] == [f for f, _ in scanned.ff_blocks]
    assert all(a == b for (_, a), (_, b) in zip(scanned.ff_blocks, other.ff_blocks, strict=True))
    np.testing.assert_array_equal(other.stack, scanned.stack)
    if chunk_frames <= 16:
        # ValuesAccumulator starts its background from the whole first chunk(s) holding >= warmup_frames
        # (16) frames, so its values depend on chunk sizes above 16 (reported to the values module's owner).
        np.testing.assert_array_equal(other.values.block_z, scanned.values.block_z)


def test_opencv_backend_gives_the_same_blocks(
    scanned: ScanResult, lossless_minute: tuple[Path, np.ndarray]
) -> None:
    other = scan_video(lossless_minute[0], ScanSettings(backend="opencv"))
    assert other.backend == "opencv"
    # Both backends agree exactly on levels up to white (235); OpenCV clips above it (test_decode.py).
    below_white = lossless_minute[1].max(axis=0) <= 235
    assert np.count_nonzero(~below_white) == 1  # the hot pixel of sky_frames
    for (_, a), (_, b) in zip(scanned.ff_blocks, other.ff_blocks, strict=True):
        for name in ("maxpixel", "maxframe", "avepixel", "stdpixel"):
            np.testing.assert_array_equal(getattr(a, name)[below_white], getattr(b, name)[below_white])


def test_resolution_other_than_configured(lossless_minute: tuple[Path, np.ndarray]) -> None:
    with pytest.raises(VideoError) as info:
        scan_video(lossless_minute[0], ScanSettings(expected_size=(1280, 720)))
    assert info.value.reason == "resolution 160x96, configured 1280x720"


def test_truncated_minute_raises_and_stops_the_decoder(tmp_path: Path) -> None:
    data = write_video(tmp_path / "w.mp4", sky_frames(300, 96, 160), lossless=False, faststart=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(VideoError, match="truncated: decoded "):
        scan_video(cut, ScanSettings(chunk_frames=8, queue_chunks=1))
    # the autouse fixture of tests/conftest.py fails this test if the decode thread is still alive


def test_an_error_in_the_kernels_stops_the_decoder(
    lossless_minute: tuple[Path, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def failing_add(self: object, chunk: np.ndarray) -> None:
        calls.append(chunk.shape[0])
        if len(calls) == 3:
            raise RuntimeError("kernel failed")

    monkeypatch.setattr(scan_module._Sinks, "add", failing_add)
    with pytest.raises(RuntimeError, match="kernel failed"):
        scan_video(lossless_minute[0], ScanSettings(chunk_frames=8, queue_chunks=1))
    assert calls == [8, 8, 8]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("expected_size", (0, 720), "expected (width_px, height_px) or None"),
        ("backend", "vlc", "expected 'auto', 'pyav' or 'opencv'"),
        ("decoder_threads", -1, "expected >= 0"),
        ("chunk_frames", 48, "expected a divisor of 256"),
        ("queue_chunks", 0, "expected >= 1"),
        ("preview_width_px", 8, "expected >= 16"),
    ],
)
def test_settings_are_validated(field: str, value: object, expected: str) -> None:
    with pytest.raises(ValueError, match=rf"ScanSettings\.{field}=.*{re.escape(expected)}"):
        ScanSettings(**{field: value})  # type: ignore[arg-type]


def test_max_stack_from_frames_and_planes() -> None:
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (10, 4, 5), dtype=np.uint8)
    a, b = MaxStack(4, 5), MaxStack(4, 5)
    a.add_frames(frames[:3])
    a.add_frames(frames[3:])
    b.add_max_image(frames[:6].max(axis=0), 6)
    b.add_max_image(frames[6:].max(axis=0), 4)
    np.testing.assert_array_equal(a.image, frames.max(axis=0))
    np.testing.assert_array_equal(b.image, a.image)
    assert a.nframes == b.nframes == 10
    with pytest.raises(ValueError, match="expected uint8"):
        a.add_frames(frames[:, :3])


@pytest.mark.slow
def test_synthetic_720p_minute_through_h264(tmp_path: Path) -> None:
    """A 60 s 1280x720 25 fps minute from the generator (as bench/scan.py): 1500 frames, 6 blocks."""
    from detection.synth.sky import Meteor, SkySettings, SkyVideo

    settings = SkySettings(seed=11)
    meteor = Meteor(12.0, 1.0, 300.0, 200.0, 600.0, 400.0, peak_snr=20.0)  # frames 300..324, block 2
    SkyVideo(settings, [meteor]).write(tmp_path / "minute.mp4")
    result = scan_video(tmp_path / "minute.mp4", ScanSettings(expected_size=(1280, 720)))
    assert result.n_frames == 1500 and result.values.n_frames == 1500
    assert [(f, p.nframes) for f, p in result.ff_blocks] == [(256 * i, 256) for i in range(5)] + [(1280, 220)]
    x_px, y_px, _, _ = result.values.brightest()
    for f in range(305, 320):  # the brightest point of each frame lies on the track (2x2 bins, CRF 18)
        t = ((x_px[f] - 300.0) * 300.0 + (y_px[f] - 200.0) * 200.0) / (300.0**2 + 200.0**2)
        off_px = np.hypot(x_px[f] - (300.0 + 300.0 * t), y_px[f] - (200.0 + 200.0 * t))
        assert 0.0 <= t <= 1.0 and off_px < 3.0, (f, x_px[f], y_px[f])
    planes = result.ff_blocks[1][1]  # frames 256..511; the track's middle (450, 300) is lit near frame 312
    assert 300 <= 256 + int(planes.maxframe[300, 450]) <= 324
    assert int(planes.maxpixel[300, 450]) > int(planes.avepixel[300, 450]) + 20
