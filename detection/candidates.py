"""Values detection: candidate meteors from a minute's per-frame values.

A meteor shows in the values as a run of frames whose peaks rise clearly above the noise of their block
and move along a straight line at a plausible speed. :class:`CandidateFinder` finds such runs:

1. **Noise per block.** For every block of the coarse grid, the median and the MAD of its per-frame
   maximum z (over the minute, and over windows of a few seconds) give thresholds that adapt to what the
   block holds (plain sky, twinkling stars, a hot pixel, a passing cloud): a *seed* threshold to start a
   track and a lower *point* threshold to extend one.
2. **Widespread change.** Frames where many bins or blocks rise at once (a flash, a cloud edge, rain) are
   set aside; if there are too many of them the minute is ``too-many``. "Many bins" is relative to the
   minute's own typical count: compressed video leaves heavy-tailed noise (at a camera's 6 Mbit/s, 1 %
   of the bins of a quiet frame exceed z = 3, eight times the Gaussian 0.13 %, and more in key frames),
   so a frame is widespread when its count exceeds both a floor fraction of the bins and
   ``widespread_typical_factor`` times the minute's median count.
3. **Tracks.** From the strongest unused seed, a track grows frame by frame: the point nearest the line
   predicted by a least-squares fit of the points so far (tolerant along the track, where a streak's
   brightest bin wanders, and strict across it), with at most ``max_gap_frames`` missing frames. A track
   is kept when it has ``min_points`` points of which ``min_seeds`` reach the seed threshold (or
   ``short_points`` consecutive ones, one of them bright, or a consecutive pair of very bright ones;
   bright is relative to the block's seed threshold, which follows the noise's tail), a speed within the
   settings, moves at least ``min_track_px``, has a small cross-track residual and is not mostly made of
   static peaks (peaks at the same place long before or after: planes, satellites, hot pixels, twinkling
   stars). Peaks near a kept track (other blocks of a long streak) are absorbed by it.
4. **Frame range.** The meteor's faint start and end are not in the values, so a candidate's range is its
   points' range padded on each side by the frames the head needs, at the fitted speed, to reach the edge
   of the image (at least ``pad_frames``, at most ``max_pad_frames``).

"none", "candidates" or "too-many" (more than ``max_candidates`` tracks, or widespread change in more than
``max_widespread_frames`` frames) is a normal result; verification decides what the candidates are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from detection.scan.values import MinuteValues

_Status = Literal["none", "candidates", "too-many"]


@dataclass(frozen=True)
class CandidateSettings:
    """Settings of values detection. Speeds in px/frame (the station derives them from deg/s)."""

    min_speed_px_frame: float = 0.5
    max_speed_px_frame: float = 40.0
    min_points: int = 4
    min_seeds: int = 2
    short_points: int = 3
    short_min_z: float = 8.0
    short_seed_factor: float = 1.6
    pair_min_z: float = 12.0
    bright_below_points: int = 5
    seed_sigma: float = 4.0
    point_sigma: float = 2.5
    min_seed_z: float = 5.0
    min_point_z: float = 3.5
    max_gap_frames: int = 2
    threshold_window_frames: int = 128
    max_track_frames: int = 150
    min_track_px: float = 4.0
    site_radius_px: float = 4.0
    site_window_frames: int = 50
    site_max_points: int = 2
    site_z_fraction: float = 0.3
    cross_tol_px: float = 3.0
    max_residual_px: float = 2.5
    widespread_bin_fraction: float = 0.02
    widespread_typical_factor: float = 4.0
    widespread_block_fraction: float = 0.2
    max_widespread_frames: int = 25
    max_candidates: int = 10
    pad_frames: int = 5
    max_pad_frames: int = 75

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"CandidateSettings.{name}={getattr(self, name)!r}: expected {expected}")

        need(self.min_speed_px_frame >= 0, "min_speed_px_frame", ">= 0 px/frame")
        need(
            self.max_speed_px_frame > self.min_speed_px_frame,
            "max_speed_px_frame",
            f"> min_speed_px_frame ({self.min_speed_px_frame})",
        )
        need(self.min_points >= 2, "min_points", "an integer >= 2")
        need(1 <= self.min_seeds <= self.min_points, "min_seeds", f"1..min_points ({self.min_points})")
        need(2 <= self.short_points <= self.min_points, "short_points", f"2..min_points ({self.min_points})")
        need(self.short_seed_factor >= 1, "short_seed_factor", ">= 1")
        need(self.pair_min_z >= self.short_min_z, "pair_min_z", f">= short_min_z ({self.short_min_z})")
        need(
            self.bright_below_points >= self.min_points,
            "bright_below_points",
            f">= min_points ({self.min_points})",
        )
        need(self.min_point_z <= self.min_seed_z, "min_point_z", f"<= min_seed_z ({self.min_seed_z})")
        need(self.point_sigma <= self.seed_sigma, "point_sigma", f"<= seed_sigma ({self.seed_sigma})")
        need(self.max_gap_frames >= 0, "max_gap_frames", "an integer >= 0")
        need(self.threshold_window_frames >= 8, "threshold_window_frames", "an integer >= 8")
        need(self.max_track_frames >= self.min_points, "max_track_frames", ">= min_points")
        need(self.site_radius_px > 0, "site_radius_px", "> 0 px")
        need(self.min_track_px >= 0, "min_track_px", ">= 0 px")
        need(self.site_window_frames >= 0, "site_window_frames", "an integer >= 0")
        need(self.site_max_points >= 0, "site_max_points", "an integer >= 0")
        need(0 <= self.site_z_fraction <= 1, "site_z_fraction", "in [0, 1]")
        need(self.cross_tol_px > 0, "cross_tol_px", "> 0 px")
        need(self.max_residual_px > 0, "max_residual_px", "> 0 px")
        need(0 < self.widespread_bin_fraction <= 1, "widespread_bin_fraction", "in (0, 1]")
        need(0 < self.widespread_block_fraction <= 1, "widespread_block_fraction", "in (0, 1]")
        need(self.widespread_typical_factor >= 1, "widespread_typical_factor", ">= 1")
        need(self.max_widespread_frames >= 0, "max_widespread_frames", "an integer >= 0")
        need(self.max_candidates >= 1, "max_candidates", "an integer >= 1")
        need(0 <= self.pad_frames <= self.max_pad_frames, "pad_frames", "0 <= pad_frames <= max_pad_frames")


@dataclass(frozen=True)
class TrackPoint:
    """One peak of a candidate: frame index, full-resolution position (px) and z."""

    frame: int
    x_px: float
    y_px: float
    z: float


@dataclass(frozen=True)
class Candidate:
    """A run of peaks moving on a straight line; ``frame_start..frame_end`` (inclusive) is padded."""

    frame_start: int
    frame_end: int
    points: tuple[TrackPoint, ...]
    speed_px_frame: float
    vx_px_frame: float
    vy_px_frame: float
    residual_px: float
    peak_z: float

    @property
    def n_points(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class CandidateResult:
    """The detect result of a minute and the noise figures it used (z thresholds are medians over blocks).

    With ``too-many`` the tracks found are still listed, for information.
    """

    status: _Status
    candidates: list[Candidate]
    n_frames: int
    noise_dn: float
    seed_z: float
    point_z: float
    n_points: int
    widespread_frames: tuple[int, ...] = field(default=())
    reason: str = ""


@dataclass
class _Points:
    frame: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    seed: np.ndarray
    seed_z: np.ndarray  # the seed threshold of the point's block and frame
    starts: np.ndarray  # index of the first point of frame f (points sorted by frame), length n_frames + 1
    # Every peak with z >= min_point_z whatever its block's threshold: evidence of static sources.
    all_x: np.ndarray
    all_y: np.ndarray
    all_z: np.ndarray
    all_starts: np.ndarray


class CandidateFinder:
    """Find candidate meteors in a minute's values: ``CandidateFinder(settings)(values) -> CandidateResult``.

    Examples
    --------
    >>> detector = CandidateFinder(CandidateSettings(min_speed_px_frame=1.0, max_speed_px_frame=30.0))
    >>> detector.settings.min_points
    4
    """

    def __init__(self, settings: CandidateSettings | None = None) -> None:
        self.settings = settings or CandidateSettings()

    def __call__(self, values: MinuteValues) -> CandidateResult:
        s = self.settings
        n = values.n_frames
        seed_thr, point_thr = block_thresholds(values, s)
        wide = widespread_frames(values, point_thr, s)
        pts = self._points(values, seed_thr, point_thr, wide)
        result = CandidateResult(
            status="none",
            candidates=[],
            n_frames=n,
            noise_dn=values.noise_dn,
            seed_z=float(np.median(seed_thr)),
            point_z=float(np.median(point_thr)),
            n_points=int(pts.frame.size),
            widespread_frames=tuple(int(f) for f in np.flatnonzero(wide)),
        )
        tracks = _find_tracks(pts, s, n)
        cands = sorted(
            (_candidate(t, pts, values, s) for t in tracks), key=lambda c: (c.frame_start, c.frame_end)
        )
        if int(wide.sum()) > s.max_widespread_frames:
            reason = f"widespread change in {int(wide.sum())} frames (limit {s.max_widespread_frames})"
            return replace(result, status="too-many", candidates=cands, reason=reason)
        if len(cands) > s.max_candidates:
            reason = f"{len(cands)} candidates (limit {s.max_candidates})"
            return replace(result, status="too-many", candidates=cands, reason=reason)
        return replace(result, status="candidates" if cands else "none", candidates=cands)

    def _points(
        self, values: MinuteValues, seed_thr: np.ndarray, point_thr: np.ndarray, wide: np.ndarray
    ) -> _Points:
        n, k = values.peak_z.shape
        z = values.peak_z
        blocks = values.peak_block
        rows = np.arange(n)[:, None]
        keep = z >= point_thr[rows, blocks]
        # Frames with widespread change and their neighbours carry no usable peaks.
        bad = wide.copy()
        bad[1:] |= wide[:-1]
        bad[:-1] |= wide[1:]
        keep &= ~bad[:, None]
        frames = np.broadcast_to(np.arange(n)[:, None], (n, k))
        frame = frames[keep]
        starts = np.searchsorted(frame, np.arange(n + 1))
        every = z >= self.settings.min_point_z
        return _Points(
            frame=frame,
            x=values.peak_x_px[keep].astype(np.float64),
            y=values.peak_y_px[keep].astype(np.float64),
            z=z[keep].astype(np.float64),
            seed=(z >= seed_thr[rows, blocks])[keep],
            seed_z=seed_thr[rows, blocks][keep].astype(np.float64),
            starts=starts,
            all_x=values.peak_x_px[every].astype(np.float64),
            all_y=values.peak_y_px[every].astype(np.float64),
            all_z=z[every].astype(np.float64),
            all_starts=np.searchsorted(frames[every], np.arange(n + 1)),
        )


def block_thresholds(values: MinuteValues, settings: CandidateSettings) -> tuple[np.ndarray, np.ndarray]:
    """Seed and point z thresholds per frame and block, ``(n_frames, By * Bx)`` each.

    From the median and MAD of each block's maximum z over the minute and over windows of
    ``threshold_window_frames`` frames (the larger wins, so that a passing cloud or the moon raises
    them while they last), with floors ``min_seed_z`` and ``min_point_z``.
    """
    n = values.n_frames
    bz = values.block_z.reshape(n, -1).astype(np.float32) / np.float32(values.settings.z_scale)
    w = settings.threshold_window_frames
    n_win = -(-n // w)
    med = np.empty((n_win + 1, bz.shape[1]), np.float32)
    sigma = np.empty_like(med)
    for k, part in enumerate([bz[i * w : (i + 1) * w] for i in range(n_win)] + [bz]):
        med[k] = np.median(part, axis=0)
        sigma[k] = 1.4826 * np.median(np.abs(part - med[k]), axis=0)
    sigma = np.maximum(sigma, 0.1)  # the uint8 storage step: a constant series still has some spread
    seed = np.maximum(settings.min_seed_z, med + settings.seed_sigma * sigma)
    point = np.maximum(settings.min_point_z, med + settings.point_sigma * sigma)
    window = np.arange(n) // w
    return np.maximum(seed[window], seed[-1]), np.maximum(point[window], point[-1])


def widespread_frames(values: MinuteValues, point_thr: np.ndarray, settings: CandidateSettings) -> np.ndarray:
    """Boolean per frame: many bins changed, or many blocks above their point threshold at once.

    "Many bins" is more than ``widespread_bin_fraction`` of them and more than
    ``widespread_typical_factor`` times the median count of the minute (a codec's noise floor).
    """
    typical = float(np.median(values.n_changed)) if values.n_frames else 0.0
    floor = settings.widespread_bin_fraction * values.n_bins
    limit = max(floor, settings.widespread_typical_factor * typical)
    bins = values.n_changed > limit
    bz = values.block_z.reshape(values.n_frames, -1).astype(np.float32) / np.float32(values.settings.z_scale)
    blocks = (bz >= point_thr).mean(axis=1) > settings.widespread_block_fraction
    return np.asarray(bins | blocks)


@dataclass
class _Track:
    """Points of a track (indices into ``_Points``, in frame order) and a running least-squares line."""

    idx: list[int]
    members: set[int] = field(default_factory=set)
    vx: float = 0.0
    vy: float = 0.0
    x0: float = 0.0
    y0: float = 0.0
    f0: float = 0.0
    _sums: list[float] = field(default_factory=lambda: [0.0] * 6)  # f, x, y, ff, fx, fy

    @classmethod
    def start(cls, pair: list[int], pts: _Points) -> _Track:
        track = cls([], set())
        for j in pair:
            track.add(j, pts)
        return track

    def add(self, j: int, pts: _Points, front: bool = False) -> None:
        if front:
            self.idx.insert(0, j)
        else:
            self.idx.append(j)
        self.members.add(j)
        f, x, y = float(pts.frame[j]), float(pts.x[j]), float(pts.y[j])
        for k, value in enumerate((f, x, y, f * f, f * x, f * y)):
            self._sums[k] += value
        self._fit()

    def _fit(self) -> None:
        n = len(self.idx)
        sf, sx, sy, sff, sfx, sfy = self._sums
        self.f0, self.x0, self.y0 = sf / n, sx / n, sy / n
        den = sff - sf * sf / n
        if den > 1e-9:
            self.vx = (sfx - sf * sx / n) / den
            self.vy = (sfy - sf * sy / n) / den

    def residual(self, pts: _Points) -> float:
        """RMS distance of the points across the fitted line, px."""
        if self.speed <= 0 or len(self.idx) < 3:
            return 0.0
        ux, uy = self.vx / self.speed, self.vy / self.speed
        cross = -(pts.x[self.idx] - self.x0) * uy + (pts.y[self.idx] - self.y0) * ux
        return float(np.sqrt(np.mean(cross**2)))

    def predict(self, frame: float) -> tuple[float, float]:
        return self.x0 + self.vx * (frame - self.f0), self.y0 + self.vy * (frame - self.f0)

    @property
    def speed(self) -> float:
        return math.hypot(self.vx, self.vy)


def _find_tracks(pts: _Points, s: CandidateSettings, n_frames: int) -> list[_Track]:
    used = np.zeros(pts.frame.size, bool)
    tried = ~pts.seed
    order = np.argsort(-pts.z, kind="stable")
    tracks: list[_Track] = []
    for i in order:
        if used[i] or tried[i]:
            continue
        used[i] = True
        best, longest = _best_track(int(i), pts, used, s, n_frames)
        if longest is not None:
            tried[longest.idx] = True  # a long-lived slow object: do not grow it again from each point
        if best is None:
            continue
        tracks.append(best)
        _absorb(best, pts, used, s)
        if len(tracks) > 4 * s.max_candidates:
            break  # the minute is too-many anyway; do not spend the time
    return tracks


def _best_track(
    i: int, pts: _Points, used: np.ndarray, s: CandidateSettings, n: int
) -> tuple[_Track | None, _Track | None]:
    """The longest acceptable track through seed ``i`` (trying the strongest partners near it) and the
    longest track tried, acceptable or not."""
    f = int(pts.frame[i])
    partners: list[int] = []
    for df in range(-(s.max_gap_frames + 1), s.max_gap_frames + 2):
        g = f + df
        if df == 0 or not 0 <= g < n:
            continue
        for j in range(int(pts.starts[g]), int(pts.starts[g + 1])):
            dist = math.hypot(pts.x[j] - pts.x[i], pts.y[j] - pts.y[i])
            lo = s.min_speed_px_frame * abs(df) - s.cross_tol_px
            hi = s.max_speed_px_frame * abs(df) + s.cross_tol_px
            if not used[j] and lo <= dist <= hi:
                partners.append(j)
    partners.sort(key=lambda j: -pts.z[j])
    best: _Track | None = None
    longest: _Track | None = None
    for j in partners[:6]:
        pair = sorted([i, j], key=lambda k: int(pts.frame[k]))
        track = _Track.start(pair, pts)
        _grow(track, pts, used, s, n)
        if longest is None or len(track.idx) > len(longest.idx):
            longest = track
        if _acceptable(track, pts, s) and (best is None or len(track.idx) > len(best.idx)):
            best = track
    if best is None:  # a lone bright pair (a flare whose faint frames are lost in the noise)?
        for j in partners[:6]:
            bare = _Track.start(sorted([i, j], key=lambda k: int(pts.frame[k])), pts)
            if _acceptable(bare, pts, s):
                return bare, longest
    return best, longest


def _grow(track: _Track, pts: _Points, used: np.ndarray, s: CandidateSettings, n: int) -> None:
    for direction in (1, -1):
        while True:
            end = int(pts.frame[track.idx[-1] if direction > 0 else track.idx[0]])
            j = _next_point(track, end, direction, pts, used, s, n)
            if j is None:
                break
            track.add(j, pts, front=direction < 0)
            if _span(track, pts) > s.max_track_frames:
                return  # longer than any meteor: rejected by _acceptable


def _next_point(
    track: _Track, end: int, direction: int, pts: _Points, used: np.ndarray, s: CandidateSettings, n: int
) -> int | None:
    speed = track.speed
    if speed <= 0:
        return None
    ux, uy = track.vx / speed, track.vy / speed
    along_tol = 0.6 * speed + s.cross_tol_px  # a streak's brightest bin wanders along it
    for step in range(1, s.max_gap_frames + 2):
        g = end + direction * step
        if not 0 <= g < n:
            return None
        px, py = track.predict(g)
        best, best_d = None, math.inf
        for j in range(int(pts.starts[g]), int(pts.starts[g + 1])):
            if used[j] or j in track.members:
                continue
            dx, dy = pts.x[j] - px, pts.y[j] - py
            along, cross = dx * ux + dy * uy, -dx * uy + dy * ux
            if abs(cross) <= s.cross_tol_px and abs(along) <= along_tol:
                d = math.hypot(along / along_tol, cross / s.cross_tol_px)
                if d < best_d:
                    best, best_d = j, d
        if best is not None:
            return best
    return None


def _span(track: _Track, pts: _Points) -> int:
    return int(pts.frame[track.idx[-1]] - pts.frame[track.idx[0]]) + 1


def _enough_points(track: _Track, pts: _Points, s: CandidateSettings) -> bool:
    """``min_points`` points with ``min_seeds`` seeds (and one bright point when fewer than
    ``bright_below_points``: gapped noise tracks of four points are common in compressed video), or
    ``short_points`` in consecutive frames moving ``min_track_px`` with one bright point or all of them
    seeds (a short bright event: a flare above a faint trail, the peak of a short meteor), or two bright
    points with z >= ``pair_min_z`` in consecutive frames, at least ``min_track_px / 2`` and
    ``site_radius_px`` apart (a flare whose faint frames the codec's noise buries).

    Bright is z >= ``short_min_z`` and >= ``short_seed_factor`` times the seed threshold of its block: in
    compressed video the noise's tail is long (z > 8 in 3e-5 of the bins of a frame at a camera's bit
    rate, where Gaussian noise gives 1e-15) and the seed thresholds, which follow it, say how long.
    """
    n = len(track.idx)
    z = pts.z[track.idx]
    is_bright = (z >= s.short_min_z) & (z >= s.short_seed_factor * pts.seed_z[track.idx])
    if n >= s.min_points:
        seeds = int(pts.seed[track.idx].sum()) >= s.min_seeds
        return seeds and (n >= s.bright_below_points or bool(is_bright.any()))
    moved = track.speed * (n - 1) >= s.min_track_px
    if n == 2:  # a streak's brightest bin wanders along it: half of min_track_px, still off the site
        far = track.speed >= max(s.min_track_px / 2, s.site_radius_px)
        return _span(track, pts) == 2 and bool(is_bright.all()) and float(z.min()) >= s.pair_min_z and far
    strong = bool(is_bright.any()) or bool(pts.seed[track.idx].all())
    return n >= s.short_points and _span(track, pts) == n and strong and moved


def _acceptable(track: _Track, pts: _Points, s: CandidateSettings) -> bool:
    return (
        _enough_points(track, pts, s)
        and s.min_speed_px_frame <= track.speed <= s.max_speed_px_frame
        and _span(track, pts) <= s.max_track_frames
        and (len(track.idx) == 2 or track.speed * (_span(track, pts) - 1) >= s.min_track_px)
        and track.residual(pts) <= s.max_residual_px
        and not _occupied_site(track, pts, s)
    )


def _occupied_site(track: _Track, pts: _Points, s: CandidateSettings) -> bool:
    """Whether most points of the track sit where peaks also are long before or after it passes.

    A point is *static* when more than ``site_max_points`` peaks of at least ``site_z_fraction`` of its
    own z lie within ``site_radius_px`` of it in the ``site_window_frames`` before or after it, not
    counting the frames the track needs to move ``site_radius_px`` away (a faint star that flickers to
    z 4 now and then does not explain a point of z 20 passing over it). A meteor moves on; a plane, a
    satellite, a hot pixel or a twinkling star (whose jitter with noise can look like a short fast track)
    stay, so their tracks are mostly static.
    """
    n = pts.starts.size - 1
    clear = math.ceil(s.site_radius_px / max(track.speed, 1e-6)) + 1
    n_static = 0
    for j in track.idx:
        f, x, y = int(pts.frame[j]), pts.x[j], pts.y[j]
        count = 0
        for a, b in ((f - s.site_window_frames, f - clear), (f + clear + 1, f + s.site_window_frames + 1)):
            lo, hi = int(pts.all_starts[min(max(a, 0), n)]), int(pts.all_starts[min(max(b, 0), n)])
            if hi > lo:
                near = np.hypot(pts.all_x[lo:hi] - x, pts.all_y[lo:hi] - y) <= s.site_radius_px
                near &= pts.all_z[lo:hi] >= s.site_z_fraction * pts.z[j]
                count += int(near.sum())
        n_static += count > s.site_max_points
    return 2 * n_static >= len(track.idx)


def _absorb(track: _Track, pts: _Points, used: np.ndarray, s: CandidateSettings) -> None:
    """Mark the peaks along a kept track (the other blocks of a long streak) as used."""
    first = int(pts.frame[track.idx[0]]) - 1
    last = int(pts.frame[track.idx[-1]]) + 1
    lo, hi = int(pts.starts[max(first, 0)]), int(pts.starts[min(last + 1, pts.starts.size - 1)])
    speed = track.speed
    ux, uy = track.vx / speed, track.vy / speed
    for j in range(lo, hi):
        px, py = track.predict(float(pts.frame[j]))
        dx, dy = pts.x[j] - px, pts.y[j] - py
        if abs(-dx * uy + dy * ux) <= 2 * s.cross_tol_px and abs(dx * ux + dy * uy) <= speed + s.cross_tol_px:
            used[j] = True
    used[track.idx] = True


def _frames_to_edge(x: float, y: float, vx: float, vy: float, width: int, height: int) -> float:
    """Frames for a head at (x, y) moving at (vx, vy) px/frame to leave the image."""
    t = math.inf
    for pos, vel, size in ((x, vx, width), (y, vy, height)):
        if vel > 0:
            t = min(t, (size - 0.5 - pos) / vel)
        elif vel < 0:
            t = min(t, (pos + 0.5) / -vel)
    return max(t, 0.0)


def _candidate(track: _Track, pts: _Points, values: MinuteValues, s: CandidateSettings) -> Candidate:
    idx = track.idx
    f_first, f_last = int(pts.frame[idx[0]]), int(pts.frame[idx[-1]])
    w, h = values.width_px, values.height_px
    x0, y0 = track.predict(f_first)
    x1, y1 = track.predict(f_last)
    back = _frames_to_edge(x0, y0, -track.vx, -track.vy, w, h)
    ahead = _frames_to_edge(x1, y1, track.vx, track.vy, w, h)
    pad_back = int(min(s.max_pad_frames, max(s.pad_frames, math.ceil(back) + s.pad_frames)))
    pad_ahead = int(min(s.max_pad_frames, max(s.pad_frames, math.ceil(ahead) + s.pad_frames)))
    points = tuple(
        TrackPoint(int(pts.frame[j]), float(pts.x[j]), float(pts.y[j]), float(pts.z[j])) for j in idx
    )
    return Candidate(
        frame_start=max(0, f_first - pad_back),
        frame_end=min(values.n_frames - 1, f_last + pad_ahead),
        points=points,
        speed_px_frame=track.speed,
        vx_px_frame=track.vx,
        vy_px_frame=track.vy,
        residual_px=track.residual(pts),
        peak_z=float(max(p.z for p in points)),
    )
