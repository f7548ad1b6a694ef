"""Meteor detection on a whole file: an FF block (``FF_*.fits``) or a video of any container and size.

:func:`detect_file` needs nothing but the file and a :class:`~detection.meteors.detector.MeteorDetector` (no
station, configuration or state), as ``stationd detect FILE...`` does:

- an FF file is read with :func:`detection.formats.ff_file.read_ff` and its planes go to
  :meth:`~detection.meteors.detector.MeteorDetector.detect_planes` (frame numbers within the block, 0..255);
- a video is decoded once, streaming, in blocks of ``block_frames`` frames that overlap by
  ``overlap_frames`` (block ``k`` holds frames ``k * step .. k * step + block_frames - 1``, ``step =
  block_frames - overlap_frames``); each block goes to
  :meth:`~detection.meteors.detector.MeteorDetector.detect_frames` with its first frame number. Memory stays
  at one
  block of frames (plus what the detector uses), whatever the length of the video. A video shorter than
  a block is an event clip: its one block is detected on the sky before its event
  (``detect_frames(..., event_clip=True)``, :mod:`detection.meteors.background`).

A meteor shorter than the overlap lies whole in at least one block; the blocks on either side may see a
piece of it, cut at their edge. Detections of different blocks that overlap in time and lie on the same
track (within a few pixels at a common frame) are one object: the one not cut by a block edge with the
most frames is kept. When every piece of an object is cut (a meteor longer than the overlap crossing a
block edge) and one of them passed, the frames around the whole object are read again
(:func:`detection.video.window.read_window`, at most ``2 * block_frames`` frames) and detected in one go.

Frame numbers are the video's decode order from 0 (as :func:`detection.scan.minute.scan_video` counts).

Example
-------
>>> from detection.meteors.detector import MeteorDetector
>>> result = detect_file("clip.avi", MeteorDetector(), fov_deg=90.0)  # doctest: +SKIP
>>> [d.line.frame_begin for d in result.detections if d.passed]       # doctest: +SKIP
[112]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from calibration.camera import CameraModel, plate_scale_px_per_deg
from detection.errors import VideoError
from detection.meteors.sky_track import SkyProjection, one_track
from detection.video.decode import Backend, VideoReader, open_video
from detection.video.window import read_window

if TYPE_CHECKING:
    from detection.meteors.detector import MeteorDetector
    from detection.meteors.record import Detection

#: The lens projections ``detect_file`` can model (:class:`calibration.camera.CameraModel`).
Projection = Literal["equidistant", "rectilinear"]

__all__ = ["FileDetections", "ProgressFn", "detect_file"]

#: on_progress(frames_done, frames_total): the total is None when the container does not announce it.
ProgressFn = Callable[[int, int | None], None]

_FF_SUFFIXES = frozenset({".fits", ".fit"})

#: Frames a detection may end short of a block edge and still count as cut by it.
_EDGE_FRAMES = 1

#: Frames the detector needs (``MeteorDetector.detect_frames``): fewer is a still image, not a video.
_MIN_FRAMES = 4

#: Frame rate assumed for a video whose container announces none (speeds need one).
_FALLBACK_FPS = 25.0


@dataclass(frozen=True)
class FileDetections:
    """What :func:`detect_file` found in one file.

    Attributes
    ----------
    path : str
    kind : {"ff", "video"}
    width_px, height_px : int
        Frame size.
    fps : float
        Frame rate used for speeds (the file's; 25 when a video announces none).
    n_frames : int
        Frames in the FF block, or frames decoded from the video.
    start_utc : datetime or None
        Time of the first frame, from an FF file; None for videos.
    detections : list of Detection
        Passed and rejected detections, in order of their first frame; keep ``d.passed``.
    """

    path: str
    kind: Literal["ff", "video"]
    width_px: int
    height_px: int
    fps: float
    n_frames: int
    start_utc: datetime | None
    detections: list[Detection]

    @property
    def meteors(self) -> list[Detection]:
        """The detections that passed every check."""
        return [d for d in self.detections if d.passed]


def detect_file(
    path: str | Path,
    detector: MeteorDetector,
    *,
    scale_px_per_deg: float | None = None,
    fov_deg: float = 90.0,
    mask: np.ndarray | None = None,
    backend: Backend = "auto",
    on_progress: ProgressFn | None = None,
    block_frames: int = 256,
    overlap_frames: int = 64,
    projection: Projection | None = None,
    centre_px: tuple[float, float] | None = None,
) -> FileDetections:
    """Detect meteors in an FF file or a video.

    Parameters
    ----------
    path : str or Path
        ``*.fits`` / ``*.fit``: an FF block (RMS or stationd); anything else: a video FFmpeg reads.
    detector : MeteorDetector
    scale_px_per_deg : float, optional
        Plate scale for angular speeds; default from ``fov_deg`` for an equidistant (fish-eye) lens
        (:func:`calibration.camera.plate_scale_px_per_deg`).
    fov_deg : float
        Horizontal field of view (deg) when ``scale_px_per_deg`` is not given.
    mask : bool ndarray (H, W), optional
        True where pixels are ignored (the station mask).
    backend : {"auto", "pyav", "opencv"}
        Video decoder (see :func:`detection.video.decode.open_video`).
    on_progress : callable, optional
        Called as ``on_progress(frames_done, frames_total_or_None)`` after each block.
    block_frames, overlap_frames : int
        Streaming blocks (at most 256 frames, an FF block's length) and their overlap
        (at most half a block).
    projection : {"equidistant", "rectilinear"}, optional
        The lens: tracks are then fitted as great circles through a camera model of ``fov_deg`` across
        the image width (:class:`~detection.meteors.sky_track.SkyProjection`), so that a meteor a fish-eye
        lens curves is one track. None: straight pixel lines (no model).
    centre_px : (x, y), optional
        Where the optical axis falls (px); default the image centre. Only with ``projection``.

    Returns
    -------
    FileDetections

    Raises
    ------
    VideoError, FFFormatError
        The file cannot be read, or holds fewer than 4 frames (a still image is not a video).
    ValueError
        Bad arguments (the mask's shape is checked against the frames).
    """
    if not 8 <= block_frames <= 256:
        raise ValueError(f"block_frames: got {block_frames}, expected 8..256")
    if not 0 <= overlap_frames <= block_frames // 2:
        raise ValueError(f"overlap_frames: got {overlap_frames}, expected 0..{block_frames // 2}")
    if scale_px_per_deg is not None and not (math.isfinite(scale_px_per_deg) and scale_px_per_deg > 0):
        raise ValueError(f"scale_px_per_deg: got {scale_px_per_deg}, expected a number > 0 or None")
    if not (math.isfinite(fov_deg) and 0 < fov_deg < 360):
        raise ValueError(f"fov_deg: got {fov_deg}, expected 0 < fov_deg < 360")
    if centre_px is not None and projection is None:
        raise ValueError("centre_px: a centre needs a projection (the camera model it centres)")
    lens = _Lens(projection, fov_deg, centre_px) if projection is not None else None
    if Path(path).suffix.lower() in _FF_SUFFIXES:
        return _detect_ff(str(path), detector, scale_px_per_deg, fov_deg, mask, on_progress, lens)
    streamer = _VideoStreamer(str(path), detector, block_frames, overlap_frames, backend)
    return streamer.run(scale_px_per_deg, fov_deg, mask, on_progress, lens)


@dataclass(frozen=True)
class _Lens:
    """A camera model known but for the image size (the file gives it)."""

    projection: Projection
    fov_deg: float
    centre_px: tuple[float, float] | None

    def sky(self, width: int, height: int) -> SkyProjection:
        # The pointing is immaterial to a track's shape: any rotation of the sky keeps great circles.
        camera = CameraModel(width, height, 0.0, 90.0, 0.0, self.fov_deg, self.projection)
        return SkyProjection(camera, self.centre_px)


def _detect_ff(
    path: str,
    detector: MeteorDetector,
    scale: float | None,
    fov_deg: float,
    mask: np.ndarray | None,
    on_progress: ProgressFn | None,
    lens: _Lens | None,
) -> FileDetections:
    from detection.formats.ff_file import read_ff

    ff = read_ff(path)
    planes = ff.planes
    _check_mask(mask, planes.height, planes.width)
    sky = lens.sky(planes.width, planes.height) if lens is not None else None
    scale = scale or (sky.camera.scale_px_per_deg if sky else plate_scale_px_per_deg(planes.width, fov_deg))
    found = detector.detect_planes(
        planes, fps=ff.fps, scale_px_per_deg=scale, mask=mask, first_frame=0, sky=sky
    )
    if on_progress is not None:
        on_progress(planes.nframes, planes.nframes)
    return FileDetections(
        path, "ff", planes.width, planes.height, ff.fps, planes.nframes, ff.start_utc, _in_order(found)
    )


def _check_mask(mask: np.ndarray | None, height: int, width: int) -> None:
    if mask is not None and (mask.dtype != np.bool_ or mask.shape != (height, width)):
        raise ValueError(f"mask: got {mask.dtype} {mask.shape}, expected bool ({height}, {width})")


def _in_order(found: list[Detection]) -> list[Detection]:
    return sorted(found, key=lambda d: (d.line.frame_begin, d.line.frame_end, d.line.x_begin_px))


@dataclass(frozen=True)
class _Piece:
    """A detection of one block, and that block's frame range."""

    detection: Detection
    block_first: int
    block_last: int


class _VideoStreamer:
    """Decodes a video in overlapping blocks, detects in each, and joins what block edges cut."""

    def __init__(
        self, path: str, detector: MeteorDetector, block_frames: int, overlap_frames: int, backend: Backend
    ) -> None:
        self.path = path
        self.detector = detector
        self.block = block_frames
        self.overlap = overlap_frames
        self.backend = backend

    def run(
        self,
        scale: float | None,
        fov_deg: float,
        mask: np.ndarray | None,
        on_progress: ProgressFn | None,
        lens: _Lens | None,
    ) -> FileDetections:
        with open_video(self.path, self.backend) as reader:
            _check_mask(mask, reader.height, reader.width)
            fps = reader.fps if reader.fps > 0 else _FALLBACK_FPS
            sky = lens.sky(reader.width, reader.height) if lens is not None else None
            default = sky.camera.scale_px_per_deg if sky else plate_scale_px_per_deg(reader.width, fov_deg)
            detect = _Detect(self.detector, fps, scale or default, mask, sky)
            pieces, n_frames = self._stream(reader, detect, on_progress)
            width, height = reader.width, reader.height
        if n_frames < _MIN_FRAMES:
            # A PNG or JPEG decodes as one frame: say so rather than "no meteor" in it.
            raise VideoError(
                self.path,
                f"not a video: {n_frames} frame{'' if n_frames == 1 else 's'} "
                f"(meteor detection needs at least {_MIN_FRAMES})",
            )
        joined = self._join(pieces, n_frames, detect)
        return FileDetections(self.path, "video", width, height, fps, n_frames, None, _in_order(joined))

    def _stream(
        self, reader: VideoReader, detect: _Detect, on_progress: ProgressFn | None
    ) -> tuple[list[_Piece], int]:
        # The container's announced count, for progress only (private to the reader; 0 when unknown).
        total = int(getattr(reader, "_expected_frames", 0)) or None
        buf = np.empty((self.block, reader.height, reader.width), np.uint8)
        pieces: list[_Piece] = []
        start, n = 0, reader.read_into(buf)
        while n:
            if n >= _MIN_FRAMES:
                # A video within one block is an event clip: detected on the sky before its event.
                found = detect(buf[:n], start, event_clip=start == 0 and n < self.block)
                pieces += [_Piece(d, start, start + n - 1) for d in found]
            if on_progress is not None:
                on_progress(start + n, total)
            if n < self.block:
                return pieces, start + n
            keep = self.overlap
            buf[:keep] = buf[self.block - keep :]
            k = reader.read_into(buf[keep:])
            if k == 0:
                return pieces, start + n
            start, n = start + self.block - keep, keep + k
        return pieces, 0

    def _join(self, pieces: list[_Piece], n_frames: int, detect: _Detect) -> list[Detection]:
        groups = _group(pieces, lambda a, b: _same_track(a, b) or detect.continues(a, b))
        out: list[Detection] = []
        for group in groups:
            whole = [p for p in group if not _cut(p, n_frames)]
            best = _best([p.detection for p in (whole or group)])
            if len(group) == 1 or (whole and not _beyond(group, best)):
                out.append(best)
                continue
            # Every piece cut by a block edge, or pieces of one track beyond the best one: one detection
            # of the whole, checked as a whole, whatever its pieces' verdicts.
            out.append(self._redetect(group, detect) or best)
        return out

    def _redetect(self, group: list[_Piece], detect: _Detect) -> Detection | None:
        """Detect again over the frames of an object every block edge cut; None when not worth it."""
        lo = min(p.detection.line.frame_begin for p in group)
        hi = max(p.detection.line.frame_end for p in group)
        if hi - lo + 1 > 2 * self.block:
            return None
        # Margins of an eighth of the object on each side (at least 4 frames): the detector's background,
        # and a window the object does not fill (its satellite check holds a track to 90 % of the frames).
        margin = max(4, (hi - lo) // 8)
        lo, hi = max(0, lo - margin), hi + margin
        window = read_window(self.path, lo, hi, backend=self.backend)
        if window.n_frames < _MIN_FRAMES:
            return None
        found = detect(window.frames, window.first_frame)
        match = [
            d
            for d in found
            if any(_same_track(d, p.detection) or detect.continues(d, p.detection) for p in group)
        ]
        return _best(match) if match else None


@dataclass(frozen=True)
class _Detect:
    """The detector with the file's fixed arguments."""

    detector: MeteorDetector
    fps: float
    scale: float
    mask: np.ndarray | None
    sky: SkyProjection | None

    def __call__(self, frames: np.ndarray, first_frame: int, *, event_clip: bool = False) -> list[Detection]:
        return self.detector.detect_frames(
            frames, fps=self.fps, scale_px_per_deg=self.scale, mask=self.mask, first_frame=first_frame,
            sky=self.sky, event_clip=event_clip,
        )  # fmt: skip

    def continues(self, a: Detection, b: Detection) -> bool:
        """Are ``a`` and ``b`` pieces of one track (:func:`~detection.meteors.sky_track.join_pieces`)?"""
        s = self.detector.settings
        return one_track(a.frames, b.frames, fps=self.fps, scale_px_per_deg=self.scale, sky=self.sky,
                         max_residual_px=s.max_residual_px, max_gap_frames=s.join_gap_frames)  # fmt: skip


def _cut(piece: _Piece, n_frames: int) -> bool:
    """Does a block edge (not the video's own start or end) cut this detection?"""
    line = piece.detection.line
    cut_start = piece.block_first > 0 and line.frame_begin <= piece.block_first + _EDGE_FRAMES
    cut_end = piece.block_last < n_frames - 1 and line.frame_end >= piece.block_last - _EDGE_FRAMES
    return cut_start or cut_end


def _best(found: list[Detection]) -> Detection:
    """The most complete: most frames, then passed, then earliest."""
    return max(found, key=lambda d: (len(d.frames), d.passed, -d.line.frame_begin))


def _position(d: Detection, frame: float) -> tuple[float, float]:
    """The fitted position at a frame number (constant speed along the line)."""
    line = d.line
    span = line.frame_end - line.frame_begin
    t = 0.0 if span == 0 else (frame - line.frame_begin) / span
    return (
        line.x_begin_px + t * (line.x_end_px - line.x_begin_px),
        line.y_begin_px + t * (line.y_end_px - line.y_begin_px),
    )


def _same_track(a: Detection, b: Detection) -> bool:
    """Overlapping in time and within a few pixels (plus a frame's motion) at a common frame."""
    lo = max(a.line.frame_begin, b.line.frame_begin)
    hi = min(a.line.frame_end, b.line.frame_end)
    if lo > hi + _EDGE_FRAMES:
        return False
    mid = 0.5 * (lo + hi)
    (xa, ya), (xb, yb) = _position(a, mid), _position(b, mid)
    tol_px = 4.0 + max(abs(a.line.speed_px_frame), abs(b.line.speed_px_frame))
    return math.hypot(xa - xb, ya - yb) <= tol_px


def _beyond(group: list[_Piece], best: Detection) -> bool:
    """Does the group reach frames beyond ``best`` (more than an edge's slack on either side)?"""
    lo = min(p.detection.line.frame_begin for p in group)
    hi = max(p.detection.line.frame_end for p in group)
    return lo < best.line.frame_begin - _EDGE_FRAMES - 1 or hi > best.line.frame_end + _EDGE_FRAMES + 1


def _group(pieces: list[_Piece], same: Callable[[Detection, Detection], bool]) -> list[list[_Piece]]:
    """Pieces of different blocks on one track (``same``), joined transitively (union-find)."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(pieces):
        for j in range(i + 1, len(pieces)):
            b = pieces[j]
            if a.block_first != b.block_first and same(a.detection, b.detection):
                parent[root(j)] = root(i)
    groups: dict[int, list[_Piece]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(root(i), []).append(piece)
    return list(groups.values())
