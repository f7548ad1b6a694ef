"""Clips of a meteor: the frames around it, cut from its SD minute and, when there is one, its HD twin.

Margins are ``processing.clip_margin_s`` before the first and after the last frame. The HD twin is cut at
the same UTC times: its own frame rate and start time (from its name; the SD minute's when unknown) map SD
frames to HD frames. :func:`detection.trim_clip` does the cutting (stream copy when the codec allows,
else re-encoding); a clip is written inside the meteor record's temporary folder, which is renamed into
place whole (:func:`stationd.disk.records.write_record`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from detection.timing import VideoTime
from detection.video.clip import ClipResult, trim_clip
from detection.video.decode import open_video

_EPS_FRAMES = 1e-6  # times are kept to the microsecond: do not let that move a frame boundary


@dataclass(frozen=True)
class ClipSpan:
    """The SD frames a meteor's clips show: its first and last frame widened by the margins."""

    first_frame: int
    last_frame: int

    @classmethod
    def around(cls, first_frame: int, last_frame: int, fps: float, margin_s: float) -> ClipSpan:
        """Frames ``first_frame .. last_frame`` with ``margin_s`` of video on both sides."""
        margin = round(margin_s * fps)
        return cls(first_frame - margin, last_frame + margin)


def sd_clip(video: Path, dst: Path, span: ClipSpan, clock: VideoTime) -> ClipResult:
    """Cut ``span`` of the SD minute ``video`` into ``dst`` (DetectionError when it cannot be read)."""
    return trim_clip(video, dst, max(0, span.first_frame), span.last_frame, fps=clock.fps)


def hd_clip(
    hd_video: Path, dst: Path, span: ClipSpan, sd_clock: VideoTime, hd_start_utc: datetime | None
) -> ClipResult:
    """Cut the same UTC times as ``span`` of the SD minute out of its HD twin ``hd_video``."""
    with open_video(hd_video) as reader:
        hd_fps = float(reader.fps) or sd_clock.fps
    hd_clock = VideoTime(hd_start_utc or sd_clock.start_utc, hd_fps)
    first = math.floor(hd_clock.frame_at(sd_clock.frame_utc(span.first_frame)) + _EPS_FRAMES)
    last = math.ceil(hd_clock.frame_at(sd_clock.frame_utc(span.last_frame)) - _EPS_FRAMES)
    return trim_clip(hd_video, dst, max(0, first), last, fps=hd_fps)
