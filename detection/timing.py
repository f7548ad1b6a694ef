"""Time in a video: the UTC time of each frame, and the one ISO 8601 form of a UTC time.

Frame ``f`` of a video that starts at ``start_utc`` and runs at ``fps`` frames per second is exposed from
``start_utc + f / fps`` (DESIGN 4: the time of a point is the start of its video or FF block plus frame /
fps). A minute file, an FF block of it and a clip each have a :class:`VideoTime`; an FF block's is the
minute's moved to the block's first frame (:meth:`VideoTime.at_frame`).

Times are written ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, microseconds) everywhere: records, indexes, state,
logs and ``--json`` output (:func:`iso_utc`, read back by :func:`parse_iso_utc`).

Example
-------
>>> from datetime import UTC, datetime
>>> minute = VideoTime(datetime(2026, 8, 12, 22, 15, 0, 120000, tzinfo=UTC), fps=25.0, n_frames=1500)
>>> iso_utc(minute.frame_utc(150))
'2026-08-12T22:15:06.120000Z'
>>> minute.frame_at(minute.frame_utc(150.5))
150.5
>>> minute.at_frame(256).start_utc.isoformat()
'2026-08-12T22:15:10.360000+00:00'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["VideoTime", "iso_utc", "parse_iso_utc"]


def iso_utc(t: datetime, *, digits: int = 6) -> str:
    """``t`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (``digits`` 3: milliseconds, truncated).

    >>> iso_utc(datetime(2026, 8, 12, 22, 15, 6, 120999, tzinfo=UTC), digits=3)
    '2026-08-12T22:15:06.120Z'
    """
    if t.tzinfo is None:
        raise ValueError(f"t: got naive {t!r}, expected a timezone-aware time")
    if digits not in (3, 6):
        raise ValueError(f"digits: got {digits}, expected 3 or 6")
    text = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[: len(text) - 6 + digits] + "Z"


def parse_iso_utc(text: str) -> datetime:
    """The aware UTC time of an ISO 8601 text (``...Z`` or with an offset; ValueError otherwise)."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {text!r}: expected a UTC time ending in Z or an offset")
    return t.astimezone(UTC)


@dataclass(frozen=True)
class VideoTime:
    """The clock of one video (a minute file, an FF block, a clip): frame numbers <-> UTC times.

    Attributes
    ----------
    start_utc : datetime
        Aware UTC time of frame 0.
    fps : float
        Frames per second (> 0).
    n_frames : int or None
        Number of frames, when known.
    """

    start_utc: datetime
    fps: float
    n_frames: int | None = None

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError(f"VideoTime.start_utc={self.start_utc!r}: expected a timezone-aware time")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"VideoTime.fps={self.fps!r}: expected a finite number > 0")
        if self.n_frames is not None and self.n_frames < 0:
            raise ValueError(f"VideoTime.n_frames={self.n_frames!r}: expected >= 0 or None")

    def frame_utc(self, frame: float) -> datetime:
        """UTC time of a (fractional) frame: start + frame / fps."""
        return self.start_utc.astimezone(UTC) + timedelta(seconds=frame / self.fps)

    def frame_iso(self, frame: float) -> str:
        """:meth:`frame_utc` as :func:`iso_utc` text."""
        return iso_utc(self.frame_utc(frame))

    def frame_at(self, t_utc: datetime) -> float:
        """The (fractional) frame exposed at ``t_utc``: the inverse of :meth:`frame_utc`."""
        return (t_utc - self.start_utc).total_seconds() * self.fps

    def at_frame(self, first_frame: int) -> VideoTime:
        """The clock of the part that starts at ``first_frame`` (an FF block, a clip)."""
        n = None if self.n_frames is None else max(self.n_frames - first_frame, 0)
        return VideoTime(self.frame_utc(first_frame), self.fps, n)

    @property
    def duration_s(self) -> float | None:
        """Length of the video in seconds, when its frames are counted."""
        return None if self.n_frames is None else self.n_frames / self.fps
