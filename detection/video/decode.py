"""Decoding minute videos into 8-bit luma frames.

:func:`open_video` opens a video file and returns a :class:`VideoReader` that yields the luma (Y) plane of
every frame as a uint8 ``(H, W)`` array, one frame at a time (:meth:`VideoReader.frames`) or in chunks
(:meth:`VideoReader.chunks`, :meth:`VideoReader.read_into`). Meteor detection works on brightness only, so
colour is never converted.

Backends
--------
``"pyav"`` (the default, and what ``"auto"`` picks when PyAV imports)
    FFmpeg through PyAV. For 8-bit planar YUV and grey pixel formats the reader takes plane 0 of the decoded
    frame as it is, honouring its line stride (``line_size`` may exceed the width): no swscale conversion
    and no copy unless the caller asks for one. Other pixel formats (10-bit, RGB) go through swscale to
    ``gray``. ``bench/decode.py`` measured it 1.1-1.9x as fast as OpenCV's read plus grey conversion on
    720p H.264, depending on how busy the cores are (figures in that script).
``"opencv"`` (the fallback)
    ``cv2.VideoCapture`` with its FFmpeg backend: it decodes to BGR and the reader converts to grey. For
    limited-range ("TV") video, as H.264 cameras write by default, the grey level is mapped back to the
    luma scale (``16 + 219 * grey / 255``) so both backends give the same levels for grey pixels up to
    white (235); the RGB step clips levels above white, which PyAV keeps (saturated stars, bright meteors).

Threads: ``threads=0`` lets the decoder choose (frame and slice threading over all cores); ``threads=1``
decodes on the calling thread only.

Errors
------
Every failure to read a file raises :class:`~detection.errors.VideoError` with a plain reason:
``"no such file"``, ``"empty file"``, ``"not a video (...)"``, ``"no video stream"``, ``"no video frames"``,
``"truncated: decoded N frames then ..."``.

A **truncated** file (the recorder died, the copy was cut) raises ``VideoError`` rather than yielding a short
minute: frames are yielded as they are decoded, and the error is raised when the decoder meets the damage
or when the stream ends before the frame count its container announces. A minute with a missing end has an
unknown length and timing, and the stage that scans it quarantines it so an operator sees it. An mp4 whose
index (``moov`` box, written last) is missing cannot be opened at all; its top-level boxes are read to tell
"truncated" from "not a video".

Example
-------
>>> with open_video("2024_08_09_21_00_00_000_CAM1.mp4") as video:  # doctest: +SKIP
...     for chunk in video.chunks(32):
...         print(chunk.shape)                                       # (32, 720, 1280) ...
"""

from __future__ import annotations

import os
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np

from detection.errors import VideoError

Backend = Literal["auto", "pyav", "opencv"]

#: PyAV pixel formats whose plane 0 is 8-bit luma, one byte per pixel.
_Y8_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p", "yuv410p", "yuv440p",
     "yuvj440p", "nv12", "nv21", "nv16", "gray", "gray8"}
)  # fmt: skip


class VideoReader(ABC):
    """An open video: its size and rate, and its luma frames (one pass).

    Attributes
    ----------
    path : str
    width, height : int
        Frame size in pixels.
    fps : float
        Frame rate the container announces (0.0 when it announces none).
    backend : str
        ``"pyav"`` or ``"opencv"``.
    frames_read : int
        Frames delivered so far.
    """

    path: str
    width: int
    height: int
    fps: float
    backend: str

    def __init__(self) -> None:
        self.frames_read = 0
        self._iter: Iterator[np.ndarray] | None = None

    @abstractmethod
    def _decode(self) -> Iterator[np.ndarray]:
        """Yield (H, W) uint8 luma views; raise VideoError on damage."""

    @abstractmethod
    def close(self) -> None:
        """Release the decoder and the file."""

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every remaining frame as a uint8 (H, W) luma array.

        The arrays may be read-only views of the decoder's buffers (no copy); a frame stays valid while the
        caller holds it. The video is read once: a second call continues where the first stopped.
        """
        if self._iter is None:
            self._iter = self._counted(self._decode())
        return self._iter

    def _counted(self, it: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for y in it:
            self.frames_read += 1
            yield y

    def read_into(self, out: np.ndarray) -> int:
        """Fill ``out[0:k]`` ((n, H, W) uint8) with the next k <= n frames; return k (0 at the end)."""
        if out.dtype != np.uint8 or out.ndim != 3 or out.shape[1:] != (self.height, self.width):
            raise ValueError(
                f"out: got {out.dtype} {out.shape}, expected uint8 (n, {self.height}, {self.width})"
            )
        it = self.frames()
        k = 0
        while k < out.shape[0]:
            y = next(it, None)
            if y is None:
                break
            out[k] = y
            k += 1
        return k

    def chunks(self, n: int) -> Iterator[np.ndarray]:
        """Yield the remaining frames as new (k, H, W) uint8 arrays, k = n except maybe for the last."""
        if n < 1:
            raise ValueError(f"n: got {n}, expected >= 1")
        while True:
            buf = np.empty((n, self.height, self.width), dtype=np.uint8)
            k = self.read_into(buf)
            if k == 0:
                return
            yield buf[:k]
            if k < n:
                return

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_video(path: str | Path, backend: Backend = "auto", *, threads: int = 0) -> VideoReader:
    """Open a video file for reading its luma frames.

    Parameters
    ----------
    path : str or Path
    backend : {"auto", "pyav", "opencv"}
        ``"auto"`` uses PyAV when it imports, else OpenCV.
    threads : int
        Decoder threads: 0 lets the decoder choose, 1 decodes on the calling thread.

    Returns
    -------
    VideoReader
        A context manager; close it (or use ``with``) to release the file.

    Raises
    ------
    VideoError
        The file is missing, empty, not a video, has no video stream, or is truncated.
    """
    if backend not in ("auto", "pyav", "opencv"):
        raise ValueError(f"backend: got {backend!r}, expected 'auto', 'pyav' or 'opencv'")
    if threads < 0:
        raise ValueError(f"threads: got {threads}, expected >= 0")
    path = str(path)
    check_file(path)
    if backend == "auto":
        backend = "pyav" if _pyav_available() else "opencv"
    if backend == "pyav":
        return _PyAVReader(path, threads)
    return _OpenCVReader(path, threads)


def _pyav_available() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def check_file(path: str) -> None:
    """Raise :class:`VideoError` for a file that is missing, unreadable or empty."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise VideoError(path, "no such file") from None
    except OSError as e:
        raise VideoError(path, f"cannot read ({e.strerror})") from None
    if size == 0:
        raise VideoError(path, "empty file")


def diagnose_unopenable(path: str, detail: str) -> str:
    """The reason to give for a file that the decoder refuses to open.

    An ISO media file (mp4, mov) whose top-level boxes run past the end of the file, or that has no
    ``moov`` index, was cut before the recorder finished it; anything else is "not a video".
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(16)
            if size == 0:
                return "empty file"
            if head[4:8] == b"ftyp":
                return _diagnose_iso_boxes(f, size) or f"not a video ({detail})"
            if not head.strip(b"\0"):
                return f"not a video (the file starts with zero bytes; {detail})"
    except OSError as e:
        return f"cannot read ({e.strerror})"
    return f"not a video ({detail})"


def _diagnose_iso_boxes(f: object, size: int) -> str | None:
    """Walk the top-level boxes of an ISO media file; say how it is truncated, or None if it is whole."""
    assert hasattr(f, "seek") and hasattr(f, "read")
    pos = 0
    seen: list[str] = []
    while pos + 8 <= size:
        f.seek(pos)
        header = f.read(16)
        box_size, kind = struct.unpack(">I4s", header[:8])
        name = kind.decode("latin-1")
        if box_size == 1 and len(header) >= 16:
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - pos
        if box_size < 8:
            return f"truncated: decoded 0 frames then a broken '{name}' box at byte {pos}"
        if pos + box_size > size:
            return (
                f"truncated: decoded 0 frames then the file ends inside its '{name}' box "
                f"({size} of {pos + box_size} bytes; the recorder did not finish the file)"
            )
        seen.append(name)
        pos += box_size
    if "moov" not in seen:
        return "truncated: decoded 0 frames then no 'moov' index (the recorder did not finish the file)"
    return None


class _PyAVReader(VideoReader):
    backend = "pyav"

    def __init__(self, path: str, threads: int) -> None:
        super().__init__()
        import av

        self.path = path
        try:
            self._container = av.open(path)
        except av.error.FFmpegError as e:
            raise VideoError(path, diagnose_unopenable(path, _ffmpeg_detail(e))) from None
        try:
            streams = self._container.streams.video
            if not streams:
                raise VideoError(path, "no video stream")
            stream = streams[0]
            stream.thread_type = "NONE" if threads == 1 else "AUTO"
            stream.thread_count = threads
            self._stream = stream
            self.width = int(stream.codec_context.width)
            self.height = int(stream.codec_context.height)
            rate = stream.average_rate or stream.guessed_rate
            self.fps = float(rate) if rate else 0.0
            self._expected_frames = int(stream.frames or 0)
        except BaseException:
            self._container.close()
            raise

    def _decode(self) -> Iterator[np.ndarray]:
        import av

        n = 0
        try:
            for frame in self._container.decode(self._stream):
                yield self._luma(frame)
                n += 1
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"truncated: decoded {n} frames then {_ffmpeg_detail(e)}") from None
        self._check_count(n, self._expected_frames)

    def _check_count(self, n: int, expected: int) -> None:
        if n == 0:
            raise VideoError(self.path, "no video frames")
        if n < expected:
            raise VideoError(
                self.path, f"truncated: decoded {n} frames then the data ends ({expected} announced)"
            )

    def _luma(self, frame: object) -> np.ndarray:
        import av

        assert isinstance(frame, av.VideoFrame)
        if frame.width != self.width or frame.height != self.height:
            raise VideoError(
                self.path,
                f"frame size changed from {self.width}x{self.height} to {frame.width}x{frame.height}",
            )
        if frame.format.name not in _Y8_FORMATS:
            grey: np.ndarray = frame.to_ndarray(format="gray")
            return grey
        plane = frame.planes[0]
        buffer: Any = plane  # the plane exports the buffer protocol: a view, no copy
        rows = np.frombuffer(buffer, dtype=np.uint8)[: plane.line_size * self.height]
        return rows.reshape(self.height, plane.line_size)[:, : self.width]

    def close(self) -> None:
        self._container.close()


class _OpenCVReader(VideoReader):
    backend = "opencv"

    def __init__(self, path: str, threads: int) -> None:
        super().__init__()
        import cv2

        self.path = path
        params = [cv2.CAP_PROP_N_THREADS, threads] if threads else []
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            raise VideoError(path, diagnose_unopenable(path, "OpenCV cannot open it"))
        self._cap = cap
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if self.width <= 0 or self.height <= 0:
            cap.release()
            raise VideoError(path, "no video stream")
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._expected_frames = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        fourcc = int(cap.get(cv2.CAP_PROP_CODEC_PIXEL_FORMAT))
        full_range = fourcc & 0xFF == ord("J")  # 'J420' and kin: full-range (JPEG) luma
        self._lut = None if full_range else _tv_range_lut()

    def _decode(self) -> Iterator[np.ndarray]:
        import cv2

        n = 0
        while True:
            ok, bgr = self._cap.read()
            if not ok:
                break
            grey = bgr if bgr.ndim == 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            if grey.shape != (self.height, self.width):
                raise VideoError(
                    self.path,
                    f"frame size changed from {self.width}x{self.height} to {grey.shape[1]}x{grey.shape[0]}",
                )
            yield grey if self._lut is None else cv2.LUT(grey, self._lut)
            n += 1
        if n == 0:
            raise VideoError(self.path, "no video frames")
        if n < self._expected_frames:
            raise VideoError(
                self.path,
                f"truncated: decoded {n} frames then the data ends ({self._expected_frames} announced)",
            )

    def close(self) -> None:
        self._cap.release()


def _tv_range_lut() -> np.ndarray:
    """Map full-range grey (0..255) back to limited-range luma (16..235).

    FFmpeg's YUV -> BGR conversion and ``cvtColor`` together round down by about half a grey level; with
    the half-level offset the map gives back Y exactly for grey pixels (measured on x264 test videos; pixels
    with strong chroma differ by a few DN).
    """
    lut: np.ndarray = np.floor(16.0 + (np.arange(256) + 0.5) * (219.0 / 255.0) + 0.5).astype(np.uint8)
    return lut


def _ffmpeg_detail(e: Exception) -> str:
    """FFmpeg's message without the errno and file name PyAV adds."""
    text = getattr(e, "strerror", None) or str(e)
    return str(text).strip()
