"""trim_clip: stream copy where the codec allows, else re-encode; the clip holds the frames it reports."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from detection.errors import VideoError
from detection.video.clip import trim_clip
from tests.detection._videos import (
    best_match,
    decode_all,
    numbered_frames,
    write_every_format,
)

N_FRAMES = 60
#: Re-encoding (x264 crf 23) smooths white noise away: the mean absolute luma error is at most about the
#: noise's mean absolute deviation, 0.8 * 3 DN = 2.4 DN (numbered_frames); measured 0.2-2.1 DN on these clips.
#: Frame numbering is checked separately (best_match), as an offset by one frame changes the mean little.
ENCODE_MEAN_ERR_DN = 3.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_every_format(tmp_path_factory.mktemp("src"), N_FRAMES)


def check_clip(src: Path, clip: Path, first: int, last: int, lossless: bool) -> None:
    """The clip decodes to source frames first..last, in order, each best matching its own source frame."""
    source = decode_all(src)
    got = decode_all(clip)
    assert got.shape[0] == last - first + 1
    want = source[first : last + 1]
    if lossless:
        np.testing.assert_array_equal(got, want)
        return
    for i, frame in enumerate(got):
        assert best_match(frame, source) == first + i
    err = np.abs(got.astype(np.int16) - want[:, : got.shape[1], : got.shape[2]]).mean()
    assert err < ENCODE_MEAN_ERR_DN


@pytest.mark.parametrize("name", ["mp4-h264", "mkv-h264", "flv-h264", "avi-h264"])
def test_h264_is_copied_from_the_keyframe_before_the_first_frame(
    clips: dict[str, Path], tmp_path: Path, name: str
) -> None:
    dst = tmp_path / "clip.mp4"
    result = trim_clip(clips[name], dst, 29, 41)
    assert result.method == "copy"
    assert result.path == str(dst)
    assert result.first_frame == 24  # keyframes every 12 frames
    assert 41 <= result.last_frame <= 41 + 3  # a B-frame clip may end with the frames the last refer to
    check_clip(clips[name], dst, result.first_frame, result.last_frame, lossless=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # no temporary file left


@pytest.mark.parametrize("name", ["avi-mjpeg", "avi-mpeg4", "flv-flv1"])
def test_other_codecs_are_encoded_with_exactly_the_frames(
    clips: dict[str, Path], tmp_path: Path, name: str
) -> None:
    dst = tmp_path / "clip.mp4"
    result = trim_clip(clips[name], dst, 29, 41)
    assert (result.method, result.first_frame, result.last_frame, result.n_frames) == ("encode", 29, 41, 13)
    check_clip(clips[name], dst, 29, 41, lossless=False)
    with av.open(str(dst)) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264"
        # yuv420p, flagged full range like the source: FFmpeg's decoder calls that "yuvj420p"
        assert stream.codec_context.pix_fmt in ("yuv420p", "yuvj420p")
        assert float(stream.average_rate or 0) == pytest.approx(25.0)


def test_encoding_can_be_forced_and_the_range_is_clipped(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "clip.mp4"
    result = trim_clip(clips["mp4-h264"], dst, 50, 99, allow_copy=False, fps=30.0)
    assert (result.method, result.first_frame, result.last_frame) == ("encode", 50, 59)
    check_clip(clips["mp4-h264"], dst, 50, 59, lossless=False)
    with av.open(str(dst)) as clip:
        assert float(clip.streams.video[0].average_rate or 0) == pytest.approx(30.0)


def test_a_clip_from_frame_zero_is_copied_from_the_start(clips: dict[str, Path], tmp_path: Path) -> None:
    result = trim_clip(clips["mp4-h264"], tmp_path / "c.mp4", 0, 5)
    assert (result.method, result.first_frame) == ("copy", 0)
    check_clip(clips["mp4-h264"], tmp_path / "c.mp4", 0, result.last_frame, lossless=True)


def test_odd_frame_sizes_are_encoded_at_the_even_size_below(tmp_path: Path) -> None:
    frames = numbered_frames(20, 121, 161)
    src = tmp_path / "odd.mkv"
    with av.open(str(src), "w", format="matroska") as container:  # FFV1 keeps odd sizes, losslessly
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 161, 121, "gray"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="gray")))
        container.mux(stream.encode(None))
    result = trim_clip(src, tmp_path / "c.mp4", 5, 9)
    assert result.method == "encode"
    got = decode_all(tmp_path / "c.mp4")
    assert got.shape == (5, 120, 160)


def test_written_in_place_and_nothing_half_written_left_on_failure(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """A clip is written where it is asked for (the station publishes it atomically: it writes clips
    inside a meteor record's temporary folder); a failure removes what was begun."""
    dst = tmp_path / "clip.mp4"
    dst.write_bytes(b"old")
    trim_clip(clips["avi-mjpeg"], dst, 3, 8)
    assert dst.read_bytes()[4:8] == b"ftyp"
    with pytest.raises(VideoError, match=r"no frame of 70\.\.80 exists"):
        trim_clip(clips["avi-mjpeg"], dst, 70, 80)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="no such file"):
        trim_clip(tmp_path / "missing.avi", dst, 0, 5)
    with pytest.raises(ValueError, match="last_frame"):
        trim_clip(clips["avi-mjpeg"], dst, 5, 4)
