"""Decoding: exact luma through both backends, line strides, chunks, and plain reasons for bad files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from detection.errors import VideoError
from detection.video.decode import open_video

BACKENDS = ["pyav", "opencv"]


def write_video(path: Path, frames: np.ndarray, *, lossless: bool = True, faststart: bool = False) -> Path:
    """Encode uint8 (n, H, W) luma frames as H.264 yuv420p mp4 (neutral chroma); qp 0 is lossless."""
    _, h, w = frames.shape
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"qp": "0", "preset": "ultrafast"} if lossless else {"crf": "23"}
        yuv = np.full((h * 3 // 2, w), 128, dtype=np.uint8)
        for f in frames:
            yuv[:h] = f
            container.mux(stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")))
        container.mux(stream.encode(None))
    return path


def sky_frames(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """Sky-like frames: level 30 DN, Gaussian noise 3 DN, a few bright pixels (fixed seed)."""
    rng = np.random.default_rng(seed)
    frames = np.clip(rng.normal(30.0, 3.0, (n, h, w)), 0, 255).astype(np.uint8)
    frames[:, 5, 7] = 250
    return frames


@pytest.fixture(scope="module")
def odd_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """10 frames 328x184: the decoder pads rows of 328 px to a longer line stride (384 in FFmpeg 7)."""
    frames = sky_frames(10, 184, 328)
    return write_video(tmp_path_factory.mktemp("v") / "odd.mp4", frames), frames


def test_pyav_reads_the_y_plane_exactly_with_stride(odd_video: tuple[Path, np.ndarray]) -> None:
    path, frames = odd_video
    with av.open(str(path)) as c:  # the case this test is about: stride wider than the image
        assert next(c.decode(video=0)).planes[0].line_size > 328
    with open_video(path, "pyav") as video:
        assert (video.width, video.height, video.fps, video.backend) == (328, 184, 25.0, "pyav")
        got = np.stack([f.copy() for f in video.frames()])
        assert video.frames_read == 10
    np.testing.assert_array_equal(got, frames)


def test_opencv_fallback_gives_the_same_levels(odd_video: tuple[Path, np.ndarray]) -> None:
    # Neutral chroma: the BGR -> grey -> luma map is exact for grey pixels up to white (235), and
    # levels above white clip (detection/decode.py).
    path, frames = odd_video
    with open_video(path, "opencv") as video:
        assert (video.width, video.height, video.backend) == (328, 184, "opencv")
        got = np.concatenate(list(video.chunks(4)))
    below_white = frames <= 235
    np.testing.assert_array_equal(got[below_white], frames[below_white])
    assert np.all(got[~below_white] >= 234)


@pytest.mark.parametrize("threads", [0, 1])
def test_thread_settings_give_identical_frames(odd_video: tuple[Path, np.ndarray], threads: int) -> None:
    path, frames = odd_video
    with open_video(path, threads=threads) as video:
        np.testing.assert_array_equal(np.concatenate(list(video.chunks(3))), frames)


def test_chunks_and_read_into(odd_video: tuple[Path, np.ndarray]) -> None:
    path, frames = odd_video
    with open_video(path) as video:
        assert [c.shape[0] for c in video.chunks(4)] == [4, 4, 2]
    with open_video(path) as video:
        buf = np.zeros((6, 184, 328), dtype=np.uint8)
        assert video.read_into(buf) == 6
        assert video.read_into(buf) == 4
        np.testing.assert_array_equal(buf[:4], frames[6:])
        assert video.read_into(buf) == 0
        with pytest.raises(ValueError, match="expected uint8"):
            video.read_into(np.zeros((2, 184, 320), dtype=np.uint8))


def test_auto_backend_is_pyav(odd_video: tuple[Path, np.ndarray]) -> None:
    with open_video(odd_video[0]) as video:
        assert video.backend == "pyav"


def test_bad_arguments(odd_video: tuple[Path, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="backend"):
        open_video(odd_video[0], "gstreamer")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threads"):
        open_video(odd_video[0], threads=-1)


# --- bad input: each gives a VideoError naming the file, with a plain reason ---------------------------


@pytest.fixture(scope="module")
def whole_mp4(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A 40-frame mp4 as the recorder writes it (index at the end) and with its index first (faststart)."""
    d = tmp_path_factory.mktemp("whole")
    frames = sky_frames(40, 96, 160, seed=2)
    plain = write_video(d / "plain.mp4", frames, lossless=False).read_bytes()
    fast = write_video(d / "fast.mp4", frames, lossless=False, faststart=True).read_bytes()
    return plain, fast


def _reason(path: Path, backend: str) -> str:
    with pytest.raises(VideoError) as info, open_video(path, backend) as video:  # type: ignore[arg-type]
        for _ in video.frames():
            pass
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value.reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_and_empty_files(tmp_path: Path, backend: str) -> None:
    assert _reason(tmp_path / "absent.mp4", backend) == "no such file"
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert _reason(tmp_path / "empty.mp4", backend) == "empty file"


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_a_video(tmp_path: Path, backend: str) -> None:
    (tmp_path / "notes.mp4").write_text("this is a shopping list, not a minute of sky\n" * 50)
    assert _reason(tmp_path / "notes.mp4", backend).startswith("not a video (")
    (tmp_path / "zeros.mp4").write_bytes(bytes(4096))
    assert _reason(tmp_path / "zeros.mp4", backend).startswith("not a video (the file starts with zero bytes")


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_recording_without_index(
    tmp_path: Path, whole_mp4: tuple[bytes, bytes], backend: str
) -> None:
    plain, _ = whole_mp4
    (tmp_path / "cut.mp4").write_bytes(plain[: len(plain) // 2])
    reason = _reason(tmp_path / "cut.mp4", backend)
    assert reason.startswith("truncated: decoded 0 frames then the file ends inside its 'mdat' box")


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_after_some_frames(tmp_path: Path, whole_mp4: tuple[bytes, bytes], backend: str) -> None:
    _, fast = whole_mp4
    (tmp_path / "cut.mp4").write_bytes(fast[: len(fast) * 2 // 3])
    reason = _reason(tmp_path / "cut.mp4", backend)
    assert reason.startswith("truncated: decoded ")
    n_decoded = int(reason.split()[2])
    assert 0 < n_decoded < 40


def test_whole_files_decode(tmp_path: Path, whole_mp4: tuple[bytes, bytes]) -> None:
    for name, data in zip(("plain.mp4", "fast.mp4"), whole_mp4, strict=True):
        (tmp_path / name).write_bytes(data)
        for backend in BACKENDS:
            with open_video(tmp_path / name, backend) as video:  # type: ignore[arg-type]
                assert sum(1 for _ in video.frames()) == 40


def test_no_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert _reason(path, "pyav") == "no video stream"
    assert _reason(path, "opencv") in ("no video stream", "not a video (OpenCV cannot open it)")
