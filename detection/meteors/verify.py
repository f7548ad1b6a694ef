"""Verification of a minute's candidates: decode the frames around each one and detect meteors there.

Values detection (:mod:`detection.candidates`) says *where to look*; this module looks. For one minute
video:

1. :func:`plan_windows` turns the candidates' frame ranges, and the short runs of whole-image change (a
   fireball that lights the sky hides from values detection among them), into frame windows: each with a
   margin (the detector's background needs frames beyond the meteor), overlapping ones joined, long ones
   cut into overlapping pieces of at most ``max_window_frames`` (memory: 320 frames of 720p are 295 MB).
2. :class:`MinuteVerifier` decodes each window (:func:`detection.video.window.read_window`, seeking where the
   container allows) and runs :meth:`MeteorDetector.detect_frames`. A passed detection that reaches an
   edge of its window inside the video may be a plane or a satellite that the window cut: the frames
   beyond that edge are searched, and a track in view for ``persist_s`` in all is rejected (the
   detector's own satellite check sees only one window). The same meteor found in two windows is kept
   once, as the longer of the two detections; pieces of one track found in two windows (a long meteor
   that a window's edge cut; :func:`detection.meteors.sky_track.one_track`) are detected again over the
   frames of the whole, which is kept or rejected as a whole.

The result lists the meteors (each with the max stack of its frames, for its image) and, for every window
that gave none, why: the failed checks of its best detection, or that nothing moved there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from detection.meteors.detector import MeteorDetector
from detection.meteors.record import Detection
from detection.meteors.sky_track import SkyProjection, one_track
from detection.video.decode import Backend
from detection.video.window import Window, read_window


@dataclass(frozen=True)
class VerifySettings:
    """How windows are made and followed. Frames at the video's rate."""

    candidate_margin_frames: int = 10
    widespread_margin_frames: int = 25
    max_widespread_run_frames: int = 200  # longer runs of whole-image change are clouds or rain
    max_widespread_windows: int = 3
    max_window_frames: int = 320
    min_window_frames: int = 64  # a short window gives the detector too little background (twinkling stars)
    max_windows: int = 12  # per video: a rainy or noisy minute can list hundreds of candidates
    edge_frames: int = 2
    persist_s: float = 6.0  # in view that long, it is no meteor (fireballs of more than 6 s are rare)
    # A video of at most this many frames, and fitting in one window, is an event clip, verified whole on
    # the sky before its event (issue 11: event clips of 2-12 s, as FreeTure or UFOCapture write them; 320
    # frames are 12.8 s at 25 fps). 0, the default: none; a station's own minutes are not event clips (a
    # whole 10-s test minute measured a faint meteor's ends 1 frame shorter than its candidate's window).
    event_clip_frames: int = 0

    @property
    def whole_clip_frames(self) -> int:
        """The longest video verified whole as an event clip (0: none)."""
        return min(self.event_clip_frames, self.max_window_frames)

    def __post_init__(self) -> None:
        for name in ("candidate_margin_frames", "widespread_margin_frames", "max_widespread_windows",
                     "edge_frames"):  # fmt: skip
            if getattr(self, name) < 0:
                raise ValueError(f"VerifySettings.{name}={getattr(self, name)!r}: expected an integer >= 0")
        if not 16 <= self.min_window_frames <= self.max_window_frames:
            raise ValueError(
                f"VerifySettings.min_window_frames={self.min_window_frames!r}: expected 16..max_window_frames"
            )
        if self.event_clip_frames < 0:
            raise ValueError(f"VerifySettings.event_clip_frames={self.event_clip_frames!r}: expected >= 0")
        if self.max_windows < 1:
            raise ValueError(f"VerifySettings.max_windows={self.max_windows!r}: expected >= 1")
        if not self.persist_s > 0:
            raise ValueError(f"VerifySettings.persist_s={self.persist_s!r}: expected > 0 s")


@dataclass(frozen=True)
class VerifyWindow:
    """Frames ``first..last`` (inclusive) to decode, and what asked for them."""

    first: int
    last: int
    sources: tuple[str, ...]  # "candidate 0", "widespread 12-40"


@dataclass
class VerifiedMeteor:
    detection: Detection
    stack: np.ndarray  # (H, W) uint8: max of the meteor's frames


@dataclass(frozen=True)
class Rejection:
    """A window that gave no meteor: the reasons, and the detection they come from (if any)."""

    window: VerifyWindow
    reasons: tuple[str, ...]
    detection: Detection | None


@dataclass
class VerifyResult:
    meteors: list[VerifiedMeteor] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    frames_decoded: int = 0
    fps: float = 0.0
    windows_skipped: int = 0  # beyond ``max_windows``


def plan_windows(
    candidates: Sequence[tuple[int, int]],
    widespread_runs: Sequence[tuple[int, int]],
    n_frames: int,
    settings: VerifySettings | None = None,
) -> list[VerifyWindow]:
    """Frame windows to verify, from candidates' ``(frame_start, frame_end)`` and runs of whole-image
    change ``(first, last)`` (``n_frames`` 0 when unknown: no upper clip).

    >>> [(w.first, w.last) for w in plan_windows([(100, 150), (140, 200)], [(400, 420)], 1500)]
    [(90, 210), (375, 445)]
    """
    s = settings or VerifySettings()
    if 0 < n_frames <= s.whole_clip_frames:
        # An event clip (a camera's clip around its event): verified whole, on the sky before its event
        # (MeteorDetector.detect_frames(event_clip=True)), whatever the values stage found in it.
        return [VerifyWindow(0, n_frames - 1, ("event clip",))]
    asked: list[VerifyWindow] = []
    for i, (first, last) in enumerate(candidates):
        asked.append(_padded(first, last, s.candidate_margin_frames, s, f"candidate {i}"))
    runs = [r for r in widespread_runs if r[1] - r[0] < s.max_widespread_run_frames]
    # The longest runs first: a run's frames give the values stage no peaks, so a longer run hides more of
    # a meteor; a fireball lights the sky for its whole flight (25-75 frames) while a flash or a codec
    # glitch lasts a frame or two (bench saturated-01, seed 1: a 1-frame run at frame 0 took the third
    # window of three and the third fireball of the minute had none).
    runs.sort(key=lambda r: r[0] - r[1])
    for first, last in runs[: s.max_widespread_windows]:
        asked.append(_padded(first, last, s.widespread_margin_frames, s, f"widespread {first}-{last}"))
    last_frame = n_frames - 1 if n_frames else 10**9
    merged: list[VerifyWindow] = []
    for w in sorted(asked, key=lambda w: w.first):
        if w.first < 0:  # keep the length at the video's start
            w = replace(w, first=0, last=w.last - w.first)
        if w.last > last_frame:
            w = replace(w, first=max(0, w.first - (w.last - last_frame)), last=last_frame)
        if merged and w.first <= merged[-1].last:
            top = merged[-1]
            merged[-1] = VerifyWindow(top.first, max(top.last, w.last), top.sources + w.sources)
        else:
            merged.append(w)
    return [piece for w in merged for piece in _split(w, s.max_window_frames)]


def _padded(first: int, last: int, margin: int, s: VerifySettings, source: str) -> VerifyWindow:
    """``first..last`` with ``margin`` frames on each side, widened to ``min_window_frames``."""
    lo, hi = first - margin, last + margin
    short = s.min_window_frames - (hi - lo + 1)
    if short > 0:
        lo, hi = lo - short // 2, hi + short - short // 2
    return VerifyWindow(lo, hi, (source,))


def frame_runs(frames: Sequence[int], max_gap: int = 5) -> list[tuple[int, int]]:
    """Sorted frame numbers as ``(first, last)`` runs, joining runs at most ``max_gap`` frames apart.

    >>> frame_runs([3, 4, 5, 9, 30])
    [(3, 9), (30, 30)]
    """
    runs: list[tuple[int, int]] = []
    for f in frames:
        if runs and f - runs[-1][1] <= max_gap:
            runs[-1] = (runs[-1][0], int(f))
        else:
            runs.append((int(f), int(f)))
    return runs


def _split(w: VerifyWindow, size: int) -> list[VerifyWindow]:
    """Cut a long window into pieces of at most ``size`` frames overlapping by a quarter."""
    n = w.last - w.first + 1
    if n <= size:
        return [w]
    step = size - size // 4
    count = math.ceil((n - size // 4) / step)
    return [
        replace(w, first=w.first + i * step, last=min(w.last, w.first + i * step + size - 1))
        for i in range(count)
    ]


class MinuteVerifier:
    """``MinuteVerifier(detector, ...)(path, windows, fps, n_frames) -> VerifyResult``."""

    def __init__(
        self,
        detector: MeteorDetector,
        *,
        scale_px_per_deg: float,
        mask: np.ndarray | None = None,
        backend: Backend = "auto",
        settings: VerifySettings | None = None,
        sky: SkyProjection | None = None,
    ) -> None:
        self.detector = detector
        self.sky = sky  # the camera's projection: tracks fitted as great circles (sky_track)
        self.scale_px_per_deg = scale_px_per_deg
        self.mask = mask
        self.backend = backend
        self.settings = settings or VerifySettings()

    def __call__(
        self, path: str | Path, windows: Sequence[VerifyWindow], fps: float, n_frames: int
    ) -> VerifyResult:
        """Verify every window of one video; ``fps`` is a fallback when the container announces none."""
        run = _Run(self, Path(path), fps, n_frames)
        for window in windows[: self.settings.max_windows]:
            run.verify(window)
        run.result.windows_skipped = max(0, len(windows) - self.settings.max_windows)
        return run.result


class _Run:
    """One video's verification: decoding, detection and the result so far."""

    def __init__(self, owner: MinuteVerifier, path: Path, fps: float, n_frames: int) -> None:
        self.v, self.path, self.n_frames = owner, path, n_frames
        self.result = VerifyResult(fps=fps)

    def read(self, first: int, last: int) -> Window:
        w = read_window(self.path, first, last, backend=self.v.backend)
        self.result.fps = w.fps or self.result.fps
        self.result.frames_decoded += w.n_frames
        return w

    def detect(self, w: Window) -> list[Detection]:
        # The whole of an event clip (plan_windows): its background is the sky before its event.
        whole = w.first_frame == 0 and w.n_frames == self.n_frames <= self.v.settings.whole_clip_frames
        return self.v.detector.detect_frames(
            w.frames, fps=self.result.fps, scale_px_per_deg=self.v.scale_px_per_deg, mask=self.v.mask,
            first_frame=w.first_frame, sky=self.v.sky, event_clip=whole,
        )  # fmt: skip

    def verify(self, window: VerifyWindow) -> None:
        w = self.read(window.first, window.last)
        if w.n_frames < 4:
            self.result.rejections.append(Rejection(window, ("too few frames: the video ends before",), None))
            return
        detections = self.detect(w)
        passed = [(d, _stack(w, d)) for d in detections if d.passed]
        bounds = (w.first_frame, w.last_frame)
        del w  # the frames beyond an edge are decoded next: one window in memory at a time
        kept = 0
        for d, stack in passed:
            why = self.persists(d, bounds)
            if why is not None:
                self.result.rejections.append(Rejection(window, (why,), d))
                continue
            kept += 1
            self._keep(VerifiedMeteor(d, stack), window)
        if kept == 0 and not any(r.window == window for r in self.result.rejections):
            best = max(detections, key=lambda d: len(d.frames), default=None)
            reasons = tuple(best.reasons) if best is not None else ("nothing moved in the frames",)
            self.result.rejections.append(Rejection(window, reasons, best))

    def _keep(self, meteor: VerifiedMeteor, window: VerifyWindow) -> None:
        """Add a meteor; one already found in an overlapping window is replaced when this one is longer,
        and pieces of one track found in two windows become one detection of the whole, checked again
        (a piece that an earlier window rejected too: cut short, a long meteor may fail there)."""
        for k, rejection in enumerate(self.result.rejections):
            piece = rejection.detection
            if any(r.startswith("persists") for r in rejection.reasons):
                continue  # a plane or a satellite, whatever its rejected piece would join
            if piece is not None and self._pieces(piece, meteor.detection):
                whole = self._rejoin(piece, meteor.detection)
                if whole is not None and whole.detection.passed:
                    del self.result.rejections[k]
                    meteor = whole
                    break
        for i, m in enumerate(self.result.meteors):
            if self._pieces(m.detection, meteor.detection):
                whole = self._rejoin(m.detection, meteor.detection)
                if whole is not None and whole.detection.passed:
                    self.result.meteors[i] = whole
                    return
                if whole is not None:
                    del self.result.meteors[i]
                    self.result.rejections.append(
                        Rejection(window, tuple(whole.detection.reasons), whole.detection)
                    )
                    return
            if _same_meteor(meteor.detection, m.detection):
                if len(meteor.detection.frames) > len(m.detection.frames):
                    self.result.meteors[i] = meteor
                return
        self.result.meteors.append(meteor)

    def _pieces(self, a: Detection, b: Detection) -> bool:
        """Are ``a`` and ``b`` pieces of one track, each reaching frames the other lacks?"""
        if a.frames[0].frame <= b.frames[0].frame and a.frames[-1].frame >= b.frames[-1].frame:
            return False
        if b.frames[0].frame <= a.frames[0].frame and b.frames[-1].frame >= a.frames[-1].frame:
            return False
        s = self.v.detector.settings
        return one_track(
            a.frames, b.frames, fps=self.result.fps, scale_px_per_deg=self.v.scale_px_per_deg, sky=self.v.sky,
            max_residual_px=s.max_residual_px, max_gap_frames=s.join_gap_frames,
        )  # fmt: skip

    def _rejoin(self, a: Detection, b: Detection) -> VerifiedMeteor | None:
        """The detection of the whole track of pieces ``a`` and ``b``, from its frames read again (None
        when it is longer than two windows, or not found whole)."""
        lo = min(a.frames[0].frame, b.frames[0].frame)
        hi = max(a.frames[-1].frame, b.frames[-1].frame)
        if hi - lo + 1 > 2 * self.v.settings.max_window_frames:
            return None
        margin = max(self.v.settings.candidate_margin_frames, (hi - lo) // 8)
        last = self.n_frames - 1 if self.n_frames else hi + margin
        w = self.read(max(0, lo - margin), min(last, hi + margin))
        if w.n_frames < 4:
            return None
        covering = [d for d in self.detect(w) if d.frames[0].frame <= lo + 2 and d.frames[-1].frame >= hi - 2]
        if not covering:
            return None
        best = max(covering, key=lambda d: (d.passed, len(d.frames)))
        return VerifiedMeteor(best, _stack(w, best))

    def persists(self, d: Detection, bounds: tuple[int, int]) -> str | None:
        """Why ``d`` (found in frames ``bounds``) is a plane or a satellite cut by its window, or None."""
        s = self.v.settings
        first_w, last_w = bounds
        persist = max(1, round(s.persist_s * self.result.fps))
        last_video = self.n_frames - 1 if self.n_frames else None
        sides = []
        if d.frames[0].frame <= first_w + s.edge_frames and first_w > 0:
            sides.append((max(0, first_w - persist), first_w + s.edge_frames))
        inside = last_video is None or last_w < last_video
        if d.frames[-1].frame >= last_w - s.edge_frames and inside:
            far = last_w + persist
            sides.append((last_w - s.edge_frames, far if last_video is None else min(far, last_video)))
        for lo, hi in sides:
            ext = self.read(lo, hi)
            if ext.n_frames < 4:
                continue
            for e in self.detect(ext):
                first = min(d.frames[0].frame, e.frames[0].frame)
                last = max(d.frames[-1].frame, e.frames[-1].frame)
                if last - first >= persist and _continues(d, e):
                    return f"persists: in view over frames {first}-{last} (a plane or a satellite)"
        return None


def _stack(w: Window, d: Detection) -> np.ndarray:
    """Max of the frames of ``w`` that ``d`` spans."""
    lo, hi = d.frames[0].frame - w.first_frame, d.frames[-1].frame - w.first_frame
    return np.asarray(w.frames[max(lo, 0) : hi + 1].max(axis=0))


def _continues(d: Detection, e: Detection, tol_px: float = 5.0) -> bool:
    """``e`` lies on the extension of ``d``'s line at ``d``'s pace (median distance < ``tol_px``)."""
    line = d.line
    span = max(line.frame_end - line.frame_begin, 1)
    vx = (line.x_end_px - line.x_begin_px) / span
    vy = (line.y_end_px - line.y_begin_px) / span
    dist = [
        math.hypot(p.x_px - (line.x_begin_px + vx * (p.frame - line.frame_begin)),
                   p.y_px - (line.y_begin_px + vy * (p.frame - line.frame_begin)))
        for p in e.frames
    ]  # fmt: skip
    return bool(dist) and float(np.median(dist)) < tol_px


def _same_meteor(a: Detection, b: Detection, tol_px: float = 5.0) -> bool:
    """Two detections of one meteor (from overlapping windows): shared frames, nearby centroids."""
    pos_b = {p.frame: (p.x_px, p.y_px) for p in b.frames}
    common = [(p.x_px, p.y_px, *pos_b[p.frame]) for p in a.frames if p.frame in pos_b]
    return bool(common) and float(np.median([math.hypot(x - u, y - v) for x, y, u, v in common])) < tol_px
