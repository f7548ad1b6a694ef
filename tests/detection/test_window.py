"""read_window: the frames of a range, numbered exactly as the scan numbers them, seeking where it can."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detection.errors import VideoError
from detection.video.window import SeekFailed, VideoSource, read_window
from tests.detection._videos import (
    FORMATS,
    decode_all,
    write_every_format,
)

N_FRAMES = 60


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_every_format(tmp_path_factory.mktemp("clips"), N_FRAMES)


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("first, last", [(0, 5), (13, 40), (30, 30), (47, 59), (55, 80)])
def test_window_equals_the_full_decode(clips: dict[str, Path], name: str, first: int, last: int) -> None:
    full = decode_all(clips[name])
    window = read_window(clips[name], first, last)
    assert window.first_frame == first
    assert window.fps == pytest.approx(25.0)
    np.testing.assert_array_equal(window.frames, full[first : last + 1])
    assert window.last_frame == min(last, N_FRAMES - 1)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_window_after_the_first_keyframe_is_read_by_seeking(clips: dict[str, Path], name: str) -> None:
    # Keyframes every 12 frames (tests/detection/_videos.py): frame 47 is reached from frame 36 or 47.
    assert read_window(clips[name], 47, 50).seeked
    assert not read_window(clips[name], 0, 3).seeked


def test_a_window_past_the_end_is_empty(clips: dict[str, Path]) -> None:
    window = read_window(clips["mp4-h264"], 70, 80)
    assert window.frames.shape == (0, 120, 160)
    assert (window.first_frame, window.n_frames, window.last_frame) == (70, 0, 69)


def test_negative_first_frame_starts_at_zero(clips: dict[str, Path]) -> None:
    window = read_window(clips["avi-mjpeg"], -5, 2)
    assert (window.first_frame, window.n_frames) == (0, 3)


def test_when_numbering_after_a_seek_is_uncertain_it_decodes_from_the_start(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> object:
        raise SeekFailed

    monkeypatch.setattr(VideoSource, "_frames_after_seek", fail)
    window = read_window(clips["mp4-h264"], 40, 45)
    assert not window.seeked
    np.testing.assert_array_equal(window.frames, decode_all(clips["mp4-h264"])[40:46])


def test_opencv_backend_numbers_frames_the_same(clips: dict[str, Path]) -> None:
    from detection.video.decode import open_video

    with open_video(clips["avi-mjpeg"], "opencv") as video:
        full = np.stack([f.copy() for f in video.frames()])
    window = read_window(clips["avi-mjpeg"], 20, 29, backend="opencv")
    np.testing.assert_array_equal(window.frames, full[20:30])


def test_bad_arguments_and_files(tmp_path: Path, clips: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="last_frame"):
        read_window(clips["mp4-h264"], 10, 9)
    with pytest.raises(ValueError, match="backend"):
        read_window(clips["mp4-h264"], 0, 9, backend="vlc")  # type: ignore[arg-type]
    with pytest.raises(VideoError, match="no such file"):
        read_window(tmp_path / "missing.mp4", 0, 9)
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(VideoError, match="not a video"):
        read_window(junk, 0, 9)
