"""Meteor verification: find meteors in FF planes or decoded frames and say how each one fared.

:class:`MeteorDetector` (settings in the constructor, data in the call) turns an FF block
(:meth:`~MeteorDetector.detect_planes`, e.g. an RMS ``FF_*.fits`` file) or a stack of decoded frames
(:meth:`~MeteorDetector.detect_frames`) into :class:`Detection` objects: per-frame centroids
(:class:`FramePoint`), a straight-line fit (:class:`LineFit`) and the verification checks (:class:`Check`)
with their values and limits. Rejected detections are returned too, with the checks they failed;
callers keep ``d.passed``. "No meteor" is an empty list, never an exception.

The method follows the FF-based detection of the Global Meteor Network (Vida et al. 2016, "Open-source
meteor detection software for low-cost single-board computers", Proceedings of the IMC 2016, Egmond; after
Gural 2008, "Algorithms and software for meteor detection", Earth Moon Planets 102): pixels lit in one
frame (``MAXPIXEL - AVEPIXEL > k * STDPIXEL + j``) are points in (x, y, frame) space, straight lines through
them are found (:mod:`detection.meteors.lines`), centroids are measured per frame
(:mod:`detection.meteors.centroids`) and
the checks of :mod:`detection.meteors.checks` are applied. The implementation is stationd's own.

Example
-------
>>> import numpy as np
>>> from detection.scan.ff import compress_block
>>> frames = np.random.default_rng(1).normal(30, 2, (32, 64, 96)).clip(0, 255).astype(np.uint8)
>>> for f in range(8, 20):
...     frames[f, 10 + 2 * (f - 8) : 12 + 2 * (f - 8), 10 + 3 * (f - 8) : 13 + 3 * (f - 8)] = 120
>>> found = MeteorDetector().detect_planes(compress_block(frames), fps=25.0, scale_px_per_deg=5.0)
>>> [(d.passed, len(d.frames)) for d in found]
[(True, 12)]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from detection.meteors import checks as mc
from detection.meteors.centroids import Centroid, Corridor, centroids_frames, centroids_planes, frame_range
from detection.meteors.checks import Check
from detection.meteors.lines import LineSearch, LitField, Track, find_tracks, lit_field
from detection.scan.ff import MAX_FRAMES, FFPlanes, compress_block

__all__ = ["Check", "Detection", "FramePoint", "LineFit", "MeteorDetector", "MeteorSettings"]


@dataclass(frozen=True)
class MeteorSettings:
    """Settings of meteor verification (all have defaults).

    Attributes
    ----------
    k_std, j_dn : float
        A pixel is lit in its frame when ``MAXPIXEL - AVEPIXEL > k_std * STDPIXEL + j_dn`` (DN).
    min_frames : int
        Fewest frames with a centroid for a meteor.
    min_speed_deg_s, max_speed_deg_s : float
        Angular speed range (deg/s, from the caller's plate scale).
    max_residual_px : float
        Largest RMS distance of the centroids from the fitted line (straightness).
    static_ave_dn : float
        Pixels whose ``AVEPIXEL`` exceeds the median sky by more than this (stars, lights) are masked.
    window_frames, window_step_frames : int
        Sliding frame windows in which lines are sought (merged afterwards).
    line_tol_px : float
        Distance from a line within which a lit pixel belongs to it.
    min_line_points : int
        Fewest lit pixels for a line.
    flash_fraction : float
        A frame whose lit pixels exceed this fraction of the unmasked image is a whole-frame change.
    max_whole_frame : float
        Largest number of lit pixels around a track (12 to 50 px from it, in its frames) per lit pixel
        on it (whole_frame check: clouds, flashes, rain light up the surroundings too; measured: meteors
        0.0-0.03 in clean frames, up to 0.55 for fast flaring meteors in H.264 at a camera's bit rate
        (bench/detection.py), passing clouds 0.8-2.3).
    min_monotonic : float
        Smallest fraction of frame-to-frame steps that go forward along the track.
    max_blink : float
        Largest fraction of missing frames inside the track (a blinking light).
    satellite_block_fraction : float
        A track lasting more than this fraction of the block is slow and steady (satellite).
    min_motion_px : float
        Smallest track length (stationary check).
    star_ave_dn, max_star_light : float
        A point lies on a star when ``AVEPIXEL`` within 1 px of it exceeds the median of its 21 x 21 px
        surroundings by ``star_ave_dn``; at most ``max_star_light`` of a detection's summed intensity may
        come from such points (star check).
    fireball_peak_dn, fireball_saturated_px, fireball_length_deg : float
        A detection is a fireball when its brightest frame point exceeds ``fireball_peak_dn`` summed DN,
        or it has at least ``fireball_saturated_px`` saturated pixels, or lights the sky.
    """

    k_std: float = 2.0
    j_dn: float = 4.0
    min_frames: int = 4
    min_speed_deg_s: float = 2.0
    max_speed_deg_s: float = 51.0
    max_residual_px: float = 2.0
    static_ave_dn: float = 60.0
    window_frames: int = 64
    window_step_frames: int = 32
    line_tol_px: float = 2.5
    min_line_points: int = 6
    flash_fraction: float = 0.02
    max_whole_frame: float = 0.6
    min_monotonic: float = 0.8
    max_blink: float = 0.5
    satellite_block_fraction: float = 0.9
    min_motion_px: float = 5.0
    star_ave_dn: float = 10.0
    max_star_light: float = 0.5
    fireball_peak_dn: float = 50000.0
    fireball_saturated_px: int = 100
    fireball_length_deg: float = 60.0

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"MeteorSettings.{name}={getattr(self, name)!r}: expected {expected}")

        need(self.k_std >= 0, "k_std", ">= 0")
        need(self.j_dn >= 0, "j_dn", ">= 0 DN")
        need(isinstance(self.min_frames, int) and self.min_frames >= 2, "min_frames", "an integer >= 2")
        need(self.min_speed_deg_s >= 0, "min_speed_deg_s", ">= 0 deg/s")
        need(
            self.max_speed_deg_s > self.min_speed_deg_s,
            "max_speed_deg_s",
            f"> min_speed_deg_s ({self.min_speed_deg_s})",
        )
        need(self.max_residual_px > 0, "max_residual_px", "> 0 px")
        need(self.static_ave_dn > 0, "static_ave_dn", "> 0 DN")
        need(8 <= self.window_frames <= 256, "window_frames", "an integer 8..256")
        need(
            1 <= self.window_step_frames <= self.window_frames,
            "window_step_frames",
            f"1..window_frames ({self.window_frames})",
        )
        need(self.line_tol_px > 0, "line_tol_px", "> 0 px")
        need(self.min_line_points >= 3, "min_line_points", "an integer >= 3")
        need(0 < self.flash_fraction <= 1, "flash_fraction", "in (0, 1]")
        need(0 < self.max_whole_frame <= 1, "max_whole_frame", "in (0, 1]")
        need(0 <= self.min_monotonic <= 1, "min_monotonic", "in [0, 1]")
        need(0 <= self.max_blink <= 1, "max_blink", "in [0, 1]")
        need(0 < self.satellite_block_fraction <= 1, "satellite_block_fraction", "in (0, 1]")
        need(self.min_motion_px >= 0, "min_motion_px", ">= 0 px")
        need(self.star_ave_dn > 0, "star_ave_dn", "> 0 DN")
        need(0 < self.max_star_light <= 1, "max_star_light", "in (0, 1]")
        need(self.fireball_peak_dn > 0, "fireball_peak_dn", "> 0 DN")
        need(self.fireball_saturated_px >= 1, "fireball_saturated_px", "an integer >= 1")
        need(self.fireball_length_deg > 0, "fireball_length_deg", "> 0 deg")


@dataclass(frozen=True)
class FramePoint:
    """The meteor in one frame: intensity-weighted centroid (px) and summed background-subtracted DN.

    ``frame`` is in the caller's numbering (``first_frame`` + index in the block or frames given).
    ``n_px`` pixels contributed, ``saturated_px`` of them at 255.
    """

    frame: int
    x_px: float
    y_px: float
    intensity: float
    n_px: int
    saturated_px: int


@dataclass(frozen=True)
class LineFit:
    """Least-squares straight line through the frame points, constant speed along it.

    Begin and end are the fitted positions at ``frame_begin`` and ``frame_end``; ``residual_px`` is the
    RMS distance of the centroids from the fitted positions across the track.
    """

    x_begin_px: float
    y_begin_px: float
    x_end_px: float
    y_end_px: float
    frame_begin: int
    frame_end: int
    speed_px_frame: float
    speed_deg_s: float
    length_px: float
    residual_px: float


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _round(value: float, digits: int) -> float:
    return round(float(value), digits) if math.isfinite(value) else float(value)


_LINE_DIGITS = {"speed_deg_s": 2, "speed_px_frame": 3}


@dataclass(frozen=True)
class Detection:
    """A straight moving object found in a block, with its per-frame points, line and checks."""

    frames: tuple[FramePoint, ...]
    line: LineFit
    checks: tuple[Check, ...]
    fireball: bool

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        """The failed checks, as ``"name: value (limit)"``."""
        return [f"{c.name}: {_fmt(c.value)} (limit {c.limit})" for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError when absent)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The JSON-able record (floats rounded: px to 0.01, intensity to 0.1, deg/s to 0.01)."""
        line: dict[str, Any] = {}
        for f in fields(LineFit):
            value = getattr(self.line, f.name)
            rounded = value if isinstance(value, int) else _round(value, _LINE_DIGITS.get(f.name, 2))
            line[f.name] = _finite_or_none(rounded)  # JSON has no NaN: a rejected track may lack a speed
        checks: dict[str, Any] = {}
        for c in self.checks:
            # A measurement that could not be made (NaN) is null in JSON, which has no NaN.
            value = c.value if isinstance(c.value, bool) else _finite_or_none(_round(c.value, 3))
            checks[c.name] = {"value": value, "limit": c.limit, "passed": bool(c.passed)}
        return {
            "frames": [
                {
                    "frame": int(p.frame),
                    "x_px": _round(p.x_px, 2),
                    "y_px": _round(p.y_px, 2),
                    "intensity": _round(p.intensity, 1),
                }
                for p in self.frames
            ],
            "line": line,
            "checks": checks,
            "fireball": bool(self.fireball),
        }


def _fmt(value: float | bool) -> str:
    return str(value) if isinstance(value, bool) else f"{value:.3g}"


class MeteorDetector:
    """Find and verify meteors: ``MeteorDetector(settings).detect_planes(planes, fps=..., ...)``.

    Parameters
    ----------
    settings : MeteorSettings, optional
        Thresholds and limits; defaults when omitted.
    """

    def __init__(self, settings: MeteorSettings | None = None) -> None:
        self.settings = settings or MeteorSettings()
        self.corridor = Corridor()

    def detect_planes(
        self,
        planes: FFPlanes,
        *,
        fps: float,
        scale_px_per_deg: float,
        mask: np.ndarray | None = None,
        first_frame: int = 0,
    ) -> list[Detection]:
        """Detections in one FF block (an RMS file or ours), passed and rejected.

        Parameters
        ----------
        planes : FFPlanes
        fps : float
            Frames per second (for angular speeds).
        scale_px_per_deg : float
            Plate scale (px/deg) for angular speeds and lengths.
        mask : bool ndarray (H, W), optional
            True where pixels are ignored (the station mask).
        first_frame : int
            Number of the block's first frame in the caller's numbering.
        """
        _validate(fps, scale_px_per_deg, mask, (planes.height, planes.width))
        lit = self._lit(planes, mask)
        block = _Block(0, planes.nframes, planes, lit, lit.glow_dn)
        context = _Context(fps, scale_px_per_deg, planes.nframes, first_frame, (block,))

        def measure(tr: Track) -> list[Centroid]:
            span = frame_range(tr, planes.nframes, self.corridor)
            return centroids_planes(
                planes.maxpixel, planes.maxframe, planes.avepixel, lit.threshold_dn, lit.valid, tr, span,
                self.corridor,
            )  # fmt: skip

        found = []
        for track in find_tracks(lit.points, planes.nframes, self._search(fps, scale_px_per_deg)):
            cents = _measure_refined(track, measure)
            if len(cents) >= 2:
                found.append(self._detection(cents, context))
        return _dedupe(found)

    def detect_frames(
        self,
        frames: np.ndarray,
        *,
        fps: float,
        scale_px_per_deg: float,
        mask: np.ndarray | None = None,
        first_frame: int = 0,
    ) -> list[Detection]:
        """Detections in decoded frames ((n, H, W) uint8, any n >= 4), passed and rejected.

        Lines are found in the FF planes of blocks of at most 256 frames (overlapping by a quarter; a
        track seen in two blocks is merged); centroids and intensities are measured in the frames minus
        the block's ``AVEPIXEL`` (and minus the whole-frame lift in frames where the sky lights up).
        Arguments as :meth:`detect_planes`; ``first_frame`` is the number of ``frames[0]``.
        """
        if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 3:
            got = (
                f"{frames.dtype} {frames.shape}" if isinstance(frames, np.ndarray) else type(frames).__name__
            )
            raise ValueError(f"frames: got {got}, expected a uint8 array of shape (n, H, W)")
        n = frames.shape[0]
        if n < 4:
            raise ValueError(f"frames: got {n} frames, expected at least 4")
        _validate(fps, scale_px_per_deg, mask, frames.shape[1:])
        search = self._search(fps, scale_px_per_deg)
        blocks: list[_Block] = []
        tracks: list[Track] = []
        for a, b in _block_bounds(n):
            planes = compress_block(frames[a:b])
            lit = self._lit(planes, mask)
            glow = lit.glow_dn.copy()
            for f in np.flatnonzero(glow):  # the lift measured in the frame itself
                sub = frames[a + f, ::4, ::4].astype(np.int16) - planes.avepixel[::4, ::4]
                glow[f] = float(np.median(sub[lit.valid[::4, ::4]]))
            blocks.append(_Block(a, b, planes, lit, glow))
            tracks.extend(_shift(t, a) for t in find_tracks(lit.points, b - a, search))
        context = _Context(fps, scale_px_per_deg, n, first_frame, tuple(blocks))
        owned = _owned(blocks)

        def measure(tr: Track) -> list[Centroid]:
            lo, hi = frame_range(tr, n, self.corridor)
            out: list[Centroid] = []
            for blk, (own_lo, own_hi) in zip(blocks, owned, strict=True):
                f0, f1 = max(lo, own_lo), min(hi, own_hi)
                if f0 > f1:
                    continue
                cents = centroids_frames(
                    frames[blk.a : blk.b], blk.planes.avepixel, blk.planes.stdpixel, blk.glow, blk.lit.valid,
                    _shift(tr, -blk.a), (f0 - blk.a, f1 - blk.a), self.corridor,
                )  # fmt: skip
                out.extend(replace(c, frame=c.frame + blk.a) for c in cents)
            return out

        found = []
        for track in _merge_tracks(tracks):
            cents = _measure_refined(track, measure)
            if len(cents) >= 2:
                found.append(self._detection(cents, context))
        return _dedupe(found)

    # -- internals ---------------------------------------------------------------------------------

    def _lit(self, planes: FFPlanes, mask: np.ndarray | None) -> LitField:
        s = self.settings
        return lit_field(
            planes, k_std=s.k_std, j_dn=s.j_dn, mask=mask, static_ave_dn=s.static_ave_dn,
            flash_fraction=s.flash_fraction,
        )  # fmt: skip

    def _search(self, fps: float, scale: float) -> LineSearch:
        s = self.settings
        return LineSearch(
            window_frames=s.window_frames,
            window_step_frames=s.window_step_frames,
            tol_px=s.line_tol_px,
            min_points=s.min_line_points,
            min_frames=max(3, s.min_frames - 1),
            max_speed_px_frame=1.5 * s.max_speed_deg_s * scale / fps + 2.0,
        )

    def _detection(self, cents: list[Centroid], ctx: _Context) -> Detection:
        s = self.settings
        fit, kept = _fit_line(cents, ctx.fps, ctx.scale)
        line = fit.line
        frames = np.array([c.frame for c in kept])
        along = [(c.x_px - fit.x0) * fit.ux + (c.y_px - fit.y0) * fit.uy for c in kept]
        whole, sky_lit = _whole_frame(fit, line.frame_begin, line.frame_end, ctx.blocks)
        checks = (
            mc.frames_check(len(kept), s.min_frames),
            mc.speed_check(line.speed_deg_s, s.min_speed_deg_s, s.max_speed_deg_s),
            mc.straightness_check(line.residual_px, s.max_residual_px),
            mc.monotonic_check(frames, np.array(along), s.min_monotonic, line.speed_px_frame),
            mc.blinking_check(frames, s.max_blink),
            mc.whole_frame_check(whole, s.max_whole_frame),
            mc.satellite_check(line.frame_end - line.frame_begin + 1, ctx.n_frames,
                               s.satellite_block_fraction, int(4 * ctx.fps)),
            mc.stationary_check(line.length_px, s.min_motion_px),
            mc.star_check(_star_light(kept, ctx.blocks, s.star_ave_dn), s.max_star_light),
        )  # fmt: skip
        points = tuple(
            FramePoint(c.frame + ctx.first_frame, c.x_px, c.y_px, c.intensity, c.n_px, c.saturated_px)
            for c in kept
        )
        shifted = replace(
            line, frame_begin=line.frame_begin + ctx.first_frame, frame_end=line.frame_end + ctx.first_frame
        )
        passed = all(c.passed for c in checks)
        bright = (
            sum(p.saturated_px for p in points) >= s.fireball_saturated_px
            or max(p.intensity for p in points) >= s.fireball_peak_dn
            or line.length_px / ctx.scale >= s.fireball_length_deg
            or sky_lit
        )
        return Detection(points, shifted, checks, fireball=passed and bright)


@dataclass(frozen=True)
class _Block:
    """One block of the data: frames ``a..b-1``, its planes, lit pixels and per-frame lift (DN)."""

    a: int
    b: int
    planes: FFPlanes
    lit: LitField
    glow: np.ndarray


@dataclass(frozen=True)
class _Context:
    fps: float
    scale: float
    n_frames: int
    first_frame: int
    blocks: tuple[_Block, ...]


@dataclass(frozen=True)
class _Fit:
    line: LineFit
    x0: float  # head position (px) at t = 0 (frames), moving along the unit vector (ux, uy)
    y0: float
    vx: float
    vy: float
    ux: float
    uy: float


def _validate(fps: float, scale: float, mask: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: got {fps!r}, expected a finite number > 0")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale_px_per_deg: got {scale!r}, expected a finite number > 0")
    if mask is not None and (
        not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != tuple(shape)
    ):
        got = f"{mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"mask: got {got}, expected a bool array of shape {tuple(shape)}")


def _block_bounds(n: int) -> list[tuple[int, int]]:
    """Blocks of at most 256 frames covering ``0..n-1``, overlapping by at least 64 frames."""
    if n <= MAX_FRAMES:
        return [(0, n)]
    step = MAX_FRAMES - 64
    starts = [*list(range(0, n - MAX_FRAMES, step)), n - MAX_FRAMES]
    return [(a, a + MAX_FRAMES) for a in starts]


def _owned(blocks: list[_Block]) -> list[tuple[int, int]]:
    """The frames each block measures: overlaps are split in the middle."""
    out = []
    for k, blk in enumerate(blocks):
        lo = blk.a if k == 0 else (blk.a + blocks[k - 1].b) // 2
        hi = blk.b - 1 if k == len(blocks) - 1 else (blocks[k + 1].a + blk.b) // 2 - 1
        out.append((lo, hi))
    return out


def _shift(track: Track, a: int) -> Track:
    """The same track with frames counted from ``a`` frames earlier (``a`` < 0: later)."""
    return replace(
        track,
        x0=track.x0 - track.vx * a,
        y0=track.y0 - track.vy * a,
        frame_begin=track.frame_begin + a,
        frame_end=track.frame_end + a,
    )


def _merge_tracks(tracks: list[Track]) -> list[Track]:
    """Tracks of overlapping blocks that are the same motion become one (the longer one's model)."""
    merged: list[Track] = []
    for tr in sorted(tracks, key=lambda t: -(t.frame_end - t.frame_begin)):
        for k, m in enumerate(merged):
            if tr.frame_begin > m.frame_end + 3 or m.frame_begin > tr.frame_end + 3:
                continue
            t_mid = 0.5 * (max(tr.frame_begin, m.frame_begin) + min(tr.frame_end, m.frame_end)) + 0.5
            dx = (tr.x0 + tr.vx * t_mid) - (m.x0 + m.vx * t_mid)
            dy = (tr.y0 + tr.vy * t_mid) - (m.y0 + m.vy * t_mid)
            dv = math.hypot(tr.vx - m.vx, tr.vy - m.vy)
            if math.hypot(dx, dy) <= 6.0 and dv <= 0.25 * m.speed_px_frame + 0.5:
                merged[k] = replace(
                    m,
                    frame_begin=min(m.frame_begin, tr.frame_begin),
                    frame_end=max(m.frame_end, tr.frame_end),
                )
                break
        else:
            merged.append(tr)
    return merged


def _track_from(cents: list[Centroid], like: Track) -> Track:
    t = np.array([c.frame + 0.5 for c in cents])
    vx, x0 = np.polyfit(t, [c.x_px for c in cents], 1)
    vy, y0 = np.polyfit(t, [c.y_px for c in cents], 1)
    frames = [c.frame for c in cents]
    return replace(like, x0=float(x0), y0=float(y0), vx=float(vx), vy=float(vy),
                   frame_begin=min(frames), frame_end=max(frames))  # fmt: skip


def _measure_refined(track: Track, measure: Callable[[Track], list[Centroid]]) -> list[Centroid]:
    """Centroids along the track, measured again along the line the first centroids give."""
    cents = measure(track)
    if len({c.frame for c in cents}) >= 3:
        again = measure(_track_from(cents, track))
        if len(again) >= 0.8 * len(cents):
            return again
    return cents


def _fit_line(cents: list[Centroid], fps: float, scale: float) -> tuple[_Fit, list[Centroid]]:
    """Least-squares constant-speed line through the centroids (one pass of outlier rejection)."""
    kept = sorted(cents, key=lambda c: c.frame)
    for _ in range(2):
        t = np.array([c.frame + 0.5 for c in kept])
        x = np.array([c.x_px for c in kept])
        y = np.array([c.y_px for c in kept])
        vx, x0 = np.polyfit(t, x, 1)
        vy, y0 = np.polyfit(t, y, 1)
        speed = math.hypot(vx, vy)
        ux, uy = (vx / speed, vy / speed) if speed > 1e-12 else (1.0, 0.0)
        cross = -(x - (x0 + vx * t)) * uy + (y - (y0 + vy * t)) * ux
        bad = np.abs(cross) > max(3.0, 4.0 * float(np.median(np.abs(cross))))
        if not bad.any() or len(kept) - int(bad.sum()) < 3:
            break
        kept = [c for c, b in zip(kept, bad, strict=True) if not b]
    fb, fe = kept[0].frame, kept[-1].frame
    line = LineFit(
        x_begin_px=float(x0 + vx * (fb + 0.5)),
        y_begin_px=float(y0 + vy * (fb + 0.5)),
        x_end_px=float(x0 + vx * (fe + 0.5)),
        y_end_px=float(y0 + vy * (fe + 0.5)),
        frame_begin=int(fb),
        frame_end=int(fe),
        speed_px_frame=float(speed),
        speed_deg_s=float(speed * fps / scale),
        length_px=float(speed * (fe - fb)),
        residual_px=float(np.sqrt(np.mean(cross**2))),
    )
    return _Fit(line, float(x0), float(y0), float(vx), float(vy), ux, uy), kept


def _whole_frame(fit: _Fit, f_lo: int, f_hi: int, blocks: tuple[_Block, ...]) -> tuple[float, bool]:
    """Lit pixels around the track (``_NEAR_PX`` to ``_AROUND_PX`` away) per lit pixel on it, in the
    track's frames; and whether the sky lit up (a whole-frame lift was taken out) in one of them."""
    n_on, n_around, sky_lit = 0, 0, False
    speed = math.hypot(fit.vx, fit.vy)
    for blk in blocks:
        lo, hi = max(f_lo, blk.a), min(f_hi, blk.b - 1)
        if lo > hi:
            continue
        pts = blk.lit.points
        f = pts.f + blk.a
        sel = (f >= lo) & (f <= hi)
        dx, dy = pts.x[sel] - fit.x0, pts.y[sel] - fit.y0
        along = dx * fit.ux + dy * fit.uy
        cross = np.abs(-dx * fit.uy + dy * fit.ux)
        beside = (along >= speed * f_lo - _NEAR_PX) & (along <= speed * (f_hi + 1) + _NEAR_PX)
        n_on += int(np.sum(beside & (cross <= _NEAR_PX)))
        n_around += int(np.sum(beside & (cross > _NEAR_PX) & (cross <= _AROUND_PX)))
        sky_lit |= bool(np.any(blk.lit.glow_dn[lo - blk.a : hi - blk.a + 1] > 0))
    return n_around / max(n_on, 1), sky_lit


_NEAR_PX = 12.0
_AROUND_PX = 50.0


def _star_light(cents: list[Centroid], blocks: tuple[_Block, ...], star_ave_dn: float) -> float:
    """Fraction of the summed intensity of ``cents`` in points on star sites: ``AVEPIXEL`` within 1 px
    of the point above the median of its ``2 * _SKY_HALF_PX + 1`` px square by ``star_ave_dn``.

    The mean image of the point's own block is used; a meteor barely lifts it (the four largest values
    of each pixel are left out of ``AVEPIXEL``, and a head stays on a pixel for a frame or two).
    """
    total = on_star = 0.0
    for c in cents:
        light = max(c.intensity, 0.0)
        total += light
        ave = next(b for b in blocks if b.a <= c.frame < b.b).planes.avepixel
        x, y = round(c.x_px), round(c.y_px)
        near = ave[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
        sky = ave[
            max(y - _SKY_HALF_PX, 0) : y + _SKY_HALF_PX + 1, max(x - _SKY_HALF_PX, 0) : x + _SKY_HALF_PX + 1
        ]
        if near.size and float(near.max()) - float(np.median(sky)) >= star_ave_dn:
            on_star += light
    return on_star / total if total > 0 else 0.0


_SKY_HALF_PX = 10


def _dedupe(found: list[Detection]) -> list[Detection]:
    """One detection per meteor: of two sharing frames at the same places, the one with more frames."""
    ranked = sorted(found, key=lambda d: (not d.passed, -len(d.frames), d.line.frame_begin))
    kept: list[Detection] = []
    for det in ranked:
        pos = {p.frame: (p.x_px, p.y_px) for p in det.frames}
        if not any(_same(pos, other) for other in kept):
            kept.append(det)
    return sorted(kept, key=lambda d: (d.line.frame_begin, d.line.x_begin_px))


def _same(pos: dict[int, tuple[float, float]], other: Detection) -> bool:
    common = [(pos[p.frame], (p.x_px, p.y_px)) for p in other.frames if p.frame in pos]
    if len(common) < max(2, 0.5 * len(pos)):
        return False
    return float(np.median([math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in common])) <= 5.0
