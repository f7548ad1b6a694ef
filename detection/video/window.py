"""Reading a range of frames of a video: the frames around a candidate, for verification and clips.

:func:`read_window` decodes frames ``first_frame .. last_frame`` of a video. Frame numbers are the order in
which the decoder delivers the frames from the start of the file, counting from 0: the numbering of
:func:`detection.scan.minute.scan_video` and of :func:`detection.video.decode.open_video`.

Seeking
-------
Decoding a minute from its start to reach a candidate near its end costs the whole minute, so the reader
seeks to the keyframe at or before ``first_frame`` when it can tell, for certain, the frame number of every
frame it decodes after the seek:

1. One demux pass (packets only, no decoding, so it costs file reading alone) lists the presentation
   time stamps (pts) of the video packets up to the window's end, and which packets are keyframes; the
   first packets are decoded until the decoder delivers its first frame, whose pts is frame 0.
2. Frame ``k`` is the packet with the ``k``-th smallest pts among those at or after frame 0 (the decoder
   delivers frames in presentation order). Packets reach at most ``_REORDER`` places ahead of their
   presentation (B-frames), so the ranks are certain up to ``_REORDER`` packets before where the pass
   stopped.
3. The reader seeks to the keyframe's decode time stamp (demuxers index packets by it; seeking by pts
   can land on the next keyframe when B-frames delay presentation), and numbers each decoded frame by
   its pts. The frames of the window must come out as ``first_frame, first_frame + 1, ...`` with nothing
   missing; otherwise (missing or repeated pts, a decoder that drops frames, a container that seeks
   somewhere else) the reader decodes from the start and counts, as the scan does.

With ``backend="opencv"`` the reader always decodes from the start (OpenCV's frame seeking is not exact).

Example
-------
>>> window = read_window("2024_08_09_21_00_00_000_CAM1.mp4", 1200, 1299)  # doctest: +SKIP
>>> window.frames.shape, window.first_frame, window.fps                    # doctest: +SKIP
((100, 720, 1280), 1200, 25.0)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detection.errors import VideoError
from detection.video.decode import Backend, check_file, diagnose_unopenable, open_video

__all__ = ["SeekFailed", "VideoSource", "Window", "read_window"]

#: How many places a packet may come before its frame in presentation order (H.264 allows 16 frames of
#: reordering; twice that leaves a margin for other codecs).
_REORDER = 32

#: PyAV pixel formats whose plane 0 is 8-bit luma (as in detection.video.decode).
_Y8_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p", "yuv410p", "yuv440p",
     "yuvj440p", "nv12", "nv21", "nv16", "gray", "gray8"}
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Window:
    """Consecutive decoded frames of a video.

    Attributes
    ----------
    frames : np.ndarray
        uint8 (n, H, W) luma; n may be 0 when the range lies past the end of the video.
    first_frame : int
        Frame number of ``frames[0]`` (decode order from 0, as :func:`detection.scan.minute.scan_video`
        counts).
    fps : float
        Frame rate the container announces (0.0 when it announces none).
    seeked : bool
        True when decoding began at a keyframe found by seeking, False when it began at the start.
    """

    frames: np.ndarray
    first_frame: int
    fps: float
    seeked: bool = False

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def last_frame(self) -> int:
        """Frame number of the last frame (``first_frame - 1`` when the window is empty)."""
        return self.first_frame + self.n_frames - 1


def read_window(path: str | Path, first_frame: int, last_frame: int, *, backend: Backend = "auto") -> Window:
    """Decode frames ``first_frame .. last_frame`` (inclusive, clipped to the video) of a video.

    Parameters
    ----------
    path : str or Path
        Any video FFmpeg reads (MP4, MKV, AVI, FLV, ...).
    first_frame, last_frame : int
        Frame numbers, 0-based in decode order; ``first_frame`` below 0 is taken as 0.
    backend : {"auto", "pyav", "opencv"}
        ``"auto"`` and ``"pyav"`` seek when they can (see the module docstring); ``"opencv"`` decodes
        from the start.

    Returns
    -------
    Window
        The frames that exist in the range (none when it starts past the end of the video).

    Raises
    ------
    VideoError
        The file cannot be read, or is damaged before the window's end.
    ValueError
        ``last_frame < first_frame``.
    """
    if last_frame < first_frame:
        raise ValueError(f"last_frame: got {last_frame}, expected >= first_frame ({first_frame})")
    if backend not in ("auto", "pyav", "opencv"):
        raise ValueError(f"backend: got {backend!r}, expected 'auto', 'pyav' or 'opencv'")
    first_frame = max(0, int(first_frame))
    last_frame = int(last_frame)
    if backend == "opencv":
        return _read_opencv(str(path), first_frame, last_frame)
    with open_container(path) as source:
        frames = _WindowBuffer(source.height, source.width, last_frame - first_frame + 1, source.n_announced)
        try:
            for index, frame in source.frames(first_frame, last_frame, seek=True):
                frames.put(index - first_frame, luma(frame))
            seeked = source.seeked
        except SeekFailed:
            frames.clear()
            for index, frame in source.frames(first_frame, last_frame, seek=False):
                frames.put(index - first_frame, luma(frame))
            seeked = False
        return Window(frames.array(), first_frame, source.fps, seeked)


def _read_opencv(path: str, first_frame: int, last_frame: int) -> Window:
    with open_video(path, "opencv") as reader:
        frames = _WindowBuffer(reader.height, reader.width, last_frame - first_frame + 1, 0)
        for index, y in enumerate(reader.frames()):
            if index > last_frame:
                break
            if index >= first_frame:
                frames.put(index - first_frame, y)
        return Window(frames.array(), first_frame, reader.fps, False)


class _WindowBuffer:
    """The frames of a window, filled in order; grows in steps when the video's length is unknown."""

    def __init__(self, height: int, width: int, n_wanted: int, n_announced: int) -> None:
        n = n_wanted if n_announced <= 0 else min(n_wanted, n_announced)
        self._shape = (height, width)
        self._n_wanted = n_wanted
        self._buf = np.empty((max(0, min(n, 256)), height, width), np.uint8)
        self._n = 0

    def put(self, i: int, y: np.ndarray) -> None:
        assert i == self._n, (i, self._n)
        if i >= self._buf.shape[0]:
            grown = np.empty((min(self._n_wanted, 2 * i + 1), *self._shape), np.uint8)
            grown[:i] = self._buf[:i]
            self._buf = grown
        self._buf[i] = y
        self._n += 1

    def clear(self) -> None:
        self._n = 0

    def array(self) -> np.ndarray:
        if self._n == self._buf.shape[0]:
            return self._buf
        return self._buf[: self._n].copy()


def luma(frame: Any) -> np.ndarray:
    """The uint8 (H, W) luma plane of a PyAV video frame (a view when the format allows)."""
    if frame.format.name not in _Y8_FORMATS:
        grey: np.ndarray = frame.to_ndarray(format="gray")
        return grey
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype=np.uint8)[: plane.line_size * frame.height]
    return rows.reshape(frame.height, plane.line_size)[:, : frame.width]


class SeekFailed(Exception):
    """Frames decoded after a seek cannot be numbered for certain: decode from the start instead."""


@dataclass(frozen=True, eq=False)
class FrameMap:
    """Frame numbers of a video's packets, from one demux pass (see the module docstring).

    ``pts[k]`` is the presentation time stamp of frame ``k``; ``key_pts`` the sorted pts of keyframes and
    ``key_dts`` their decode time stamps (their pts when the container gives none); frame numbers below
    ``certain`` are exact; ``at_end`` says the pass reached the end of the file.
    """

    pts: np.ndarray
    key_pts: np.ndarray
    key_dts: np.ndarray
    certain: int
    at_end: bool

    def index_of(self, pts: int | None) -> int | None:
        """Frame number of the frame with this pts, or None when unknown or uncertain."""
        if pts is None:
            return None
        k = int(np.searchsorted(self.pts, pts))
        if k < self.certain and int(self.pts[k]) == pts:
            return k
        return None

    def keyframe_for(self, frame: int) -> tuple[int, int] | None:
        """(pts, dts) of the last keyframe at or before frame ``frame``, or None."""
        if not 0 <= frame < self.certain:
            return None
        k = int(np.searchsorted(self.key_pts, self.pts[frame], side="right")) - 1
        return (int(self.key_pts[k]), int(self.key_dts[k])) if k >= 0 else None


class VideoSource:
    """An open PyAV container and its first video stream; frames of a range with their numbers."""

    def __init__(self, path: str, container: Any) -> None:
        self.path = path
        self.container = container
        streams = container.streams.video
        if not streams:
            raise VideoError(path, "no video stream")
        self.stream = streams[0]
        self.stream.thread_type = "AUTO"
        self.width = int(self.stream.codec_context.width)
        self.height = int(self.stream.codec_context.height)
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        self.n_announced = int(self.stream.frames or 0)
        self.seeked = False

    def frame_map(self, n_frames: int) -> FrameMap | None:
        """Demux from the start until frames ``0 .. n_frames - 1`` are numbered; None when pts are unusable.

        Leaves the container at an unknown position: seek or reopen before decoding.
        """
        self.container.seek(0, stream=self.stream, backward=True)
        codec = self.stream.codec_context
        pts: list[int] = []
        keys: dict[int, int] = {}
        pts0: int | None = None
        at_end = True
        with _ffmpeg_errors(self.path, 0):
            for packet in self.container.demux(self.stream):
                if packet.size == 0:
                    continue
                if packet.pts is None:
                    return None
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    keys[int(packet.pts)] = int(packet.pts if packet.dts is None else packet.dts)
                if pts0 is None:
                    frames = codec.decode(packet)
                    if frames:
                        if frames[0].pts is None:
                            return None
                        pts0 = int(frames[0].pts)
                if pts0 is not None and len(pts) >= n_frames + 2 * _REORDER:
                    at_end = False
                    break
        codec.flush_buffers()
        if pts0 is None:
            return None
        ordered = np.sort(np.array(pts, np.int64))
        ordered = ordered[ordered >= pts0]
        if ordered.size == 0 or np.any(np.diff(ordered) == 0):
            return None
        key_pts = np.array(sorted(k for k in keys if k >= pts0), np.int64)
        key_dts = np.array([keys[int(k)] for k in key_pts], np.int64)
        certain = ordered.size if at_end else max(0, ordered.size - _REORDER)
        return FrameMap(ordered, key_pts, key_dts, certain, at_end)

    def frames(self, first: int, last: int, *, seek: bool) -> Iterator[tuple[int, Any]]:
        """Yield ``(frame number, av.VideoFrame)`` for frames ``first .. last`` that exist.

        With ``seek=True`` start at a keyframe (raising :class:`SeekFailed` as soon as a frame cannot be
        numbered for certain, possibly after yielding some); otherwise decode from the start and count.
        """
        self.seeked = False
        fmap = self.frame_map(last + 1) if seek and first > 0 else None
        if fmap is not None and fmap.at_end and first >= fmap.pts.size:
            return  # past the end
        key = fmap.keyframe_for(first) if fmap is not None else None
        if fmap is None or key is None or key[0] == int(fmap.pts[0]):
            yield from self._frames_from_start(first, last)
        else:
            self.seeked = True
            yield from self._frames_after_seek(fmap, key, first, last)

    def _frames_from_start(self, first: int, last: int) -> Iterator[tuple[int, Any]]:
        self.container.seek(0, stream=self.stream, backward=True)
        index = 0
        with _ffmpeg_errors(self.path, first):
            for frame in self.container.decode(self.stream):
                if index > last:
                    return
                if index >= first:
                    yield index, frame
                index += 1
        if index == 0:
            raise VideoError(self.path, "no video frames")

    def _frames_after_seek(
        self, fmap: FrameMap, key: tuple[int, int], first: int, last: int
    ) -> Iterator[tuple[int, Any]]:
        # Demuxers index packets by decode time: seeking to the keyframe's dts lands on it, not after it.
        self.container.seek(key[1], stream=self.stream, backward=True)
        expected = first
        end = min(last, fmap.pts.size - 1) if fmap.at_end else last
        with _ffmpeg_errors(self.path, first):
            for frame in self.container.decode(self.stream):
                index = fmap.index_of(frame.pts)
                if index is None:
                    raise SeekFailed
                if index < first and expected == first:
                    continue
                if index != expected:
                    raise SeekFailed
                yield index, frame
                expected += 1
                if index >= end:
                    return
        if expected <= end:
            raise SeekFailed


@contextlib.contextmanager
def open_container(path: str | Path) -> Iterator[VideoSource]:
    """Open a video with PyAV, turning every failure into :class:`~detection.errors.VideoError`."""
    import av

    path = str(path)
    check_file(path)
    try:
        container = av.open(path)
    except av.error.FFmpegError as e:
        raise VideoError(path, diagnose_unopenable(path, _detail(e))) from None
    try:
        yield VideoSource(path, container)
    finally:
        container.close()


@contextlib.contextmanager
def _ffmpeg_errors(path: str, first: int) -> Iterator[None]:
    import av

    try:
        yield
    except av.error.FFmpegError as e:
        raise VideoError(
            path, f"damaged: cannot decode up to frame {first} or beyond ({_detail(e)})"
        ) from None


def _detail(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return str(text).strip()
