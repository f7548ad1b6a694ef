"""Scan-and-stack: one decode pass over a minute video gives its FF blocks, per-frame values and stack.

:func:`scan_video` decodes the file once. A decode thread fills chunks of frames (a fixed pool of
``(chunk_frames, H, W)`` buffers, so memory does not grow with the minute) and hands them through a bounded
queue to the calling thread, which feeds each chunk to

- :class:`~detection.scan.ff.FFAccumulator`: FF blocks of 256 frames (the last block of a file may be
shorter);
- :class:`~detection.scan.values.ValuesAccumulator`: the per-frame values of the minute;
- :class:`~detection.scan.stack.MaxStack`: the max-pixel stack, taken from each block's MAXPIXEL plane (the
max
  of the block maxima is the max over all frames, at no extra cost).

The numba kernels release the GIL, so decoding and computing overlap on separate cores; the decoder itself
may use several threads. ``bench/scan.py`` measures the scan against decode-only time.

A video that cannot be read raises :class:`~detection.errors.VideoError` (see :mod:`detection.video.decode`),
as
does one whose frame size is not the configured one; no partial result is returned.

Example
-------
>>> result = scan_video("2024_08_09_21_00_00_000_CAM1.mp4", ScanSettings(expected_size=(1280, 720)))
... # doctest: +SKIP
>>> result.n_frames, len(result.ff_blocks)                                     # doctest: +SKIP
(1500, 6)
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detection.errors import VideoError
from detection.scan.ff import MAX_FRAMES, FFAccumulator, FFPlanes
from detection.scan.stack import MaxStack, preview_jpeg
from detection.scan.values import MinuteValues, ValuesAccumulator, ValuesSettings
from detection.video.decode import Backend, VideoReader, open_video

#: How long a pipeline thread waits on a queue before it checks whether it should stop.
_POLL_S = 0.5


@dataclass(frozen=True)
class ScanSettings:
    """How to scan a minute.

    Attributes
    ----------
    expected_size : (width_px, height_px) or None
        The configured frame size; another size raises ``VideoError``. None accepts any size.
    backend : {"auto", "pyav", "opencv"}
        Decoder (see :func:`detection.video.decode.open_video`).
    decoder_threads : int
        0 lets the decoder choose, 1 decodes on the decode thread alone.
    chunk_frames : int
        Frames per chunk handed from the decoder to the kernels; divides 256 so no chunk straddles two
        FF blocks.
    queue_chunks : int
        Decoded chunks that may wait for the kernels (bounds memory: about
        ``(queue_chunks + 2) * chunk_frames * H * W`` bytes of frame buffers, 88 MB at 720p by default).
    preview_width_px : int
        Width of the preview JPEG.
    values : ValuesSettings
        Settings of the per-frame values.
    """

    expected_size: tuple[int, int] | None = None
    backend: Backend = "auto"
    decoder_threads: int = 0
    chunk_frames: int = 16
    queue_chunks: int = 4
    preview_width_px: int = 640
    values: ValuesSettings = field(default_factory=ValuesSettings)

    def __post_init__(self) -> None:
        size = self.expected_size
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ValueError(f"ScanSettings.expected_size={size!r}: expected (width_px, height_px) or None")
        if self.backend not in ("auto", "pyav", "opencv"):
            raise ValueError(f"ScanSettings.backend={self.backend!r}: expected 'auto', 'pyav' or 'opencv'")
        if self.decoder_threads < 0:
            raise ValueError(f"ScanSettings.decoder_threads={self.decoder_threads}: expected >= 0")
        if not (1 <= self.chunk_frames <= MAX_FRAMES and MAX_FRAMES % self.chunk_frames == 0):
            raise ValueError(
                f"ScanSettings.chunk_frames={self.chunk_frames}: expected a divisor of {MAX_FRAMES}"
            )
        if self.queue_chunks < 1:
            raise ValueError(f"ScanSettings.queue_chunks={self.queue_chunks}: expected >= 1")
        if self.preview_width_px < 16:
            raise ValueError(f"ScanSettings.preview_width_px={self.preview_width_px}: expected >= 16")


@dataclass(frozen=True)
class ScanResult:
    """Everything one decode pass of a minute gives.

    Attributes
    ----------
    path : str
    width, height : int
        Frame size (px).
    fps : float
        Frame rate the container announces (0.0 if none).
    n_frames : int
        Frames decoded.
    ff_blocks : list of (int, FFPlanes)
        Each FF block with the index of its first frame in the file (0, 256, 512, ...).
    values : MinuteValues
        The per-frame values of the minute.
    stack : np.ndarray
        uint8 (H, W) max-pixel stack of the minute.
    preview : bytes
        Small JPEG of the stack.
    backend : str
        Decoder used.
    decode_s : float
        Time the decode thread spent decoding and copying frames (s).
    compute_s : float
        Time the kernels took on the calling thread (s).
    wall_s : float
        Wall time of the whole scan (s).
    """

    path: str
    width: int
    height: int
    fps: float
    n_frames: int
    ff_blocks: list[tuple[int, FFPlanes]]
    values: MinuteValues
    stack: np.ndarray
    preview: bytes
    backend: str
    decode_s: float
    compute_s: float
    wall_s: float


def scan_video(path: str | Path, settings: ScanSettings | None = None) -> ScanResult:
    """Decode a minute video once and compute its FF blocks, per-frame values, stack and preview.

    Parameters
    ----------
    path : str or Path
        The video file.
    settings : ScanSettings, optional

    Returns
    -------
    ScanResult

    Raises
    ------
    VideoError
        The file cannot be read, is truncated, or its frame size is not ``settings.expected_size``.
    """
    settings = settings or ScanSettings()
    t0 = time.perf_counter()
    with open_video(path, settings.backend, threads=settings.decoder_threads) as reader:
        _check_size(reader, settings.expected_size)
        decoder = _DecodeThread(reader, settings.chunk_frames, settings.queue_chunks)
        sinks = _Sinks(reader.height, reader.width, reader.fps, settings)
        try:
            decoder.start()
            for chunk in decoder.chunks():
                sinks.add(chunk)
                decoder.recycle(chunk)
        finally:
            decoder.stop()
        planes, values, stack = sinks.finish()
    return ScanResult(
        path=str(path),
        width=reader.width,
        height=reader.height,
        fps=reader.fps,
        n_frames=sinks.n_frames,
        ff_blocks=planes,
        values=values,
        stack=stack,
        preview=preview_jpeg(stack, max_width_px=settings.preview_width_px),
        backend=reader.backend,
        decode_s=decoder.busy_s,
        compute_s=sinks.busy_s,
        wall_s=time.perf_counter() - t0,
    )


def _check_size(reader: VideoReader, expected: tuple[int, int] | None) -> None:
    if expected is not None and (reader.width, reader.height) != tuple(expected):
        raise VideoError(
            reader.path,
            f"resolution {reader.width}x{reader.height}, configured {expected[0]}x{expected[1]}",
        )


class _Sinks:
    """The consumers of the decoded chunks, and the FF block bookkeeping."""

    def __init__(self, height: int, width: int, fps: float, settings: ScanSettings) -> None:
        self._ff = FFAccumulator(height, width)
        self._values = ValuesAccumulator(height, width, settings.values, fps=fps if fps > 0 else math.nan)
        self._stack = MaxStack(height, width)
        self._blocks: list[tuple[int, FFPlanes]] = []
        self.n_frames = 0
        self.busy_s = 0.0

    def add(self, chunk: np.ndarray) -> None:
        t = time.perf_counter()
        self._ff.add(chunk)
        self._values.add(chunk)
        self.n_frames += chunk.shape[0]
        if self._ff.nframes == MAX_FRAMES:
            self._close_block()
        self.busy_s += time.perf_counter() - t

    def _close_block(self) -> None:
        first = self.n_frames - self._ff.nframes
        planes = self._ff.finish()
        self._stack.add_max_image(planes.maxpixel, planes.nframes)
        self._blocks.append((first, planes))

    def finish(self) -> tuple[list[tuple[int, FFPlanes]], MinuteValues, np.ndarray]:
        t = time.perf_counter()
        if self._ff.nframes:
            self._close_block()
        values = self._values.finish()
        self.busy_s += time.perf_counter() - t
        return self._blocks, values, self._stack.image


class _DecodeThread:
    """Decodes into a fixed pool of chunk buffers on its own thread; the caller takes filled chunks.

    Buffers go round: free pool -> decoder fills -> ``filled`` queue -> caller computes -> ``recycle`` ->
    free pool. The pool size bounds memory; the queue lets the decoder run ahead by ``queue_chunks``.
    """

    def __init__(self, reader: VideoReader, chunk_frames: int, queue_chunks: int) -> None:
        self._reader = reader
        shape = (chunk_frames, reader.height, reader.width)
        self._free: queue.Queue[np.ndarray] = queue.Queue()
        for _ in range(queue_chunks + 2):
            self._free.put(np.empty(shape, dtype=np.uint8))
        self._filled: queue.Queue[np.ndarray | BaseException | None] = queue.Queue(maxsize=queue_chunks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"decode {reader.path}")
        self.busy_s = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (also after an error on either side) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # unblock a decoder waiting to put a chunk
                self._filled.get_nowait()
            self._thread.join(timeout=_POLL_S)

    def chunks(self) -> Iterator[np.ndarray]:
        """Yield filled chunks ((k, H, W) views of pool buffers) until the video ends; re-raise its errors."""
        while True:
            try:
                item = self._filled.get(timeout=_POLL_S)
            except queue.Empty:
                if not self._thread.is_alive() and self._filled.empty():
                    raise RuntimeError("decode thread ended without a result") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def recycle(self, chunk: np.ndarray) -> None:
        """Give a chunk's buffer (the array it is a view of) back to the pool."""
        assert isinstance(chunk.base, np.ndarray)
        self._free.put(chunk.base)

    def _put(self, item: np.ndarray | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._filled.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _take_buffer(self) -> np.ndarray | None:
        while not self._stop.is_set():
            try:
                return self._free.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        return None

    def _run(self) -> None:
        try:
            while True:
                buf = self._take_buffer()
                if buf is None:
                    return
                t = time.perf_counter()
                k = self._reader.read_into(buf)
                self.busy_s += time.perf_counter() - t
                if k and not self._put(buf[:k]):
                    return
                if k < buf.shape[0]:
                    self._put(None)
                    return
        except BaseException as e:  # handed to the caller's thread, which re-raises it
            self._put(e)
