"""Meteor verification: find meteors in FF planes or decoded frames and say how each one fared.

:class:`MeteorDetector` (settings in the constructor, data in the call) turns an FF block
(:meth:`~MeteorDetector.detect_planes`, e.g. an RMS ``FF_*.fits`` file) or a stack of decoded frames
(:meth:`~MeteorDetector.detect_frames`) into :class:`~detection.meteors.record.Detection` objects
(:mod:`detection.meteors.record`): per-frame centroids (``FramePoint``), a straight-line fit (``LineFit``)
and the verification checks (:class:`~detection.meteors.checks.Check`) with their values and limits.
Rejected detections are returned too, with the checks they failed; callers keep ``d.passed``. "No meteor"
is an empty list, never an exception. Thresholds and limits are a
:class:`~detection.meteors.settings.MeteorSettings`.

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
from dataclasses import dataclass, replace

import numpy as np

from detection.meteors import checks as mc
from detection.meteors._fit import Block, fit_line, star_light, whole_frame
from detection.meteors.background import event_background, event_block
from detection.meteors.centroids import Corridor, centroids_frames, centroids_planes, frame_range
from detection.meteors.damage import damaged_frames
from detection.meteors.glare import drop_glare
from detection.meteors.lines import LineSearch, LitField, Track, find_tracks, lit_field
from detection.meteors.record import Detection, FramePoint
from detection.meteors.saturation import SENSOR_TOP_DN
from detection.meteors.settings import MeteorSettings
from detection.meteors.short_track import short_track_checks
from detection.meteors.sky_lift import frame_lift_dn, head_lift_dn
from detection.meteors.sky_track import SkyProjection, fit_track, join_pieces
from detection.meteors.track_ends import EndFollower, Footage
from detection.scan.ff import MAX_FRAMES, FFPlanes, compress_block

__all__ = ["MeteorDetector"]


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
        sky: SkyProjection | None = None,
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
        sky : SkyProjection, optional
            The camera's projection: a track is fitted as a great circle on the sky where that fits clearly
            better than its track on the image (:func:`detection.meteors.sky_track.fit_track`), so a long
            meteor that a fish-eye lens curves is one track; speeds and lengths are angles through the
            model either way. None: pixel lines (or a lens's steady curve) at ``scale_px_per_deg``.

        Pieces of one track that the line finder found apart (straight stretches of a curve, a gap) are
        joined (:func:`detection.meteors.sky_track.join_pieces`) and checked again as a whole.
        """
        _validate(fps, scale_px_per_deg, mask, (planes.height, planes.width))
        lit = self._lit(planes, mask)
        block = Block(0, planes.nframes, planes, lit, lit.glow_dn, top_dn=SENSOR_TOP_DN)
        context = _Context(fps, scale_px_per_deg, planes.nframes, first_frame, (block,), sky)

        def measure(tr: Track) -> list[FramePoint]:
            span = frame_range(tr, planes.nframes, self.corridor)
            return centroids_planes(
                planes.maxpixel, planes.maxframe, planes.avepixel, lit.threshold_dn, lit.valid, tr, span,
                self.corridor,
            )  # fmt: skip

        tracks = find_tracks(lit.points, planes.nframes, self._search(fps, scale_px_per_deg))
        return self._detections([_measure_refined(t, measure) for t in tracks], context)

    def detect_frames(
        self,
        frames: np.ndarray,
        *,
        fps: float,
        scale_px_per_deg: float,
        mask: np.ndarray | None = None,
        first_frame: int = 0,
        sky: SkyProjection | None = None,
        event_clip: bool = False,
    ) -> list[Detection]:
        """Detections in decoded frames ((n, H, W) uint8, any n >= 4), passed and rejected.

        Lines are found in the FF planes of blocks of at most 256 frames (overlapping by a quarter; a
        track seen in two blocks is merged); centroids and intensities are measured in the frames minus
        the block's ``AVEPIXEL`` (and minus the whole-frame lift in frames where the sky lights up).
        Frames damaged by the codec (:func:`detection.meteors.damage.damaged_frames`) are left out of
        both: a meteor is found in the other frames, and has no point in them.
        Arguments as :meth:`detect_planes`; ``first_frame`` is the number of ``frames[0]``.
        ``event_clip``: the frames are a whole short event clip, and every block's ``AVEPIXEL`` and
        ``STDPIXEL`` are the sky before the event when the clip holds enough of it
        (:mod:`detection.meteors.background`).
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
        blocks: list[Block] = []
        data: list[np.ndarray] = []  # each block's frames, damaged ones replaced by its mean image
        tracks: list[Track] = []
        sky_before = event_background(frames) if event_clip else None
        for a, b in _block_bounds(n):
            event_lift = None
            if sky_before is not None and sky_before.pre_event_frames:
                block_frames, planes, event_lift = event_block(frames[a:b], sky_before, a)
            else:
                block_frames, planes = _undamaged(frames[a:b])
            lit = self._lit(planes, mask)
            if event_lift is not None:  # the sky's lift, taken out of the planes: the frames' glow (sky lit)
                lit = replace(lit, glow_dn=np.maximum(lit.glow_dn, event_lift))
            glow = lit.glow_dn.copy()
            valid4 = lit.valid[::4, ::4]
            for f in np.flatnonzero(glow) if valid4.any() else ():  # the lift measured in the frame itself
                sub = block_frames[f, ::4, ::4].astype(np.int16) - planes.avepixel[::4, ::4]
                glow[f] = float(np.median(sub[valid4]))
            lift = frame_lift_dn(block_frames, planes.avepixel, lit.valid)
            blocks.append(Block(a, b, planes, lit, glow, lift))
            data.append(block_frames)
            tracks.extend(_shift(t, a) for t in find_tracks(lit.points, b - a, search))
        context = _Context(fps, scale_px_per_deg, n, first_frame, tuple(blocks), sky, tuple(data))
        owned = _owned(blocks)

        def measure(tr: Track) -> list[FramePoint]:
            lo, hi = frame_range(tr, n, self.corridor)
            out: list[FramePoint] = []
            for blk, block_frames, (own_lo, own_hi) in zip(blocks, data, owned, strict=True):
                f0, f1 = max(lo, own_lo), min(hi, own_hi)
                if f0 > f1:
                    continue
                cents = centroids_frames(
                    block_frames, blk.planes.avepixel, blk.planes.stdpixel, blk.glow, blk.lit.valid,
                    _shift(tr, -blk.a), (f0 - blk.a, f1 - blk.a), self.corridor,
                )  # fmt: skip
                out.extend(replace(c, frame=c.frame + blk.a) for c in cents)
            return out

        pieces = [_measure_refined(t, measure) for t in _merge_tracks(tracks)]
        if self.settings.follow_track_ends:  # a slow head followed beyond the ends found (track_ends)
            footage = [
                Footage(d, blk.planes.avepixel, blk.glow, blk.lit.valid, blk.a, own)
                for blk, d, own in zip(blocks, data, owned, strict=True)
            ]
            follow = EndFollower(min_frames=_MIN_TRIM_FRAMES).follow
            pieces = [follow(p, footage) for p in pieces]
        return self._detections(pieces, context)

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

    def _detections(self, pieces: list[list[FramePoint]], ctx: _Context) -> list[Detection]:
        """Pieces of one track joined, each track checked as a whole; one detection per meteor (pieces of
        a saturated head's glare dropped: :mod:`detection.meteors.glare`)."""
        s = self.settings
        tracks = join_pieces(
            [p for p in pieces if len(p) >= 2], fps=ctx.fps, scale_px_per_deg=ctx.scale, sky=ctx.sky,
            max_residual_px=s.max_residual_px, max_gap_frames=s.join_gap_frames,
        )  # fmt: skip
        return drop_glare(_dedupe([self._detection(t, ctx) for t in tracks]))

    def _detection(self, cents: list[FramePoint], ctx: _Context) -> Detection:
        s = self.settings
        fit = fit_track(cents, ctx.fps, ctx.scale, ctx.sky)
        line, kept = fit.line, fit.kept
        frames = np.array([c.frame for c in kept])
        lift = head_lift_dn(kept, ctx.blocks)  # the sky glow the head explains (sky_lift)
        whole, sky_lit = _whole_frame(cents, kept, ctx, lift, curved=fit.curved)
        checks: tuple[mc.Check, ...] = (
            mc.frames_check(len(kept), s.min_frames),
            mc.speed_check(line.speed_deg_s, s.min_speed_deg_s, s.max_speed_deg_s),
            mc.straightness_check(line.residual_px, s.max_residual_px),
            mc.monotonic_check(frames, fit.along, s.min_monotonic, fit.speed_along_frame),
            mc.blinking_check(frames, s.max_blink),
            mc.whole_frame_check(whole, s.max_whole_frame),
            mc.satellite_check(line.frame_end - line.frame_begin + 1, ctx.n_frames,
                               s.satellite_block_fraction, int(4 * ctx.fps)),
            mc.stationary_check(line.length_px, s.min_motion_px),
            mc.star_check(star_light(kept, ctx.blocks, s.star_ave_dn), s.max_star_light),
        )  # fmt: skip
        checks += short_track_checks(kept, line, ctx.blocks, ctx.data or (None,) * len(ctx.blocks), s)
        points = tuple(replace(c, frame=c.frame + ctx.first_frame) for c in kept)
        shifted = replace(
            line, frame_begin=line.frame_begin + ctx.first_frame, frame_end=line.frame_end + ctx.first_frame
        )
        passed = all(c.passed for c in checks)
        bright = (
            sum(p.saturated_px for p in points) >= s.fireball_saturated_px
            or max(p.intensity for p in points) >= s.fireball_peak_dn
            or fit.length_deg >= s.fireball_length_deg
            or _glows(sky_lit, lift, ctx.blocks)
        )
        return Detection(points, shifted, checks, fireball=passed and bright)


@dataclass(frozen=True)
class _Context:
    fps: float
    scale: float
    n_frames: int
    first_frame: int
    blocks: tuple[Block, ...]
    sky: SkyProjection | None = None
    data: tuple[np.ndarray, ...] = ()  # each block's frames (decoded frames; empty for FF planes)


def _glows(sky_lit: bool, lift: dict[int, float], blocks: tuple[Block, ...]) -> bool:
    """Whether the track lights the sky: its head's light lifts the whole image with it
    (:func:`detection.meteors.sky_lift.head_lift_dn`, ``lift``) in decoded frames, where each frame's
    lift is measured; a flash or a gain step in the track's frames lifts the sky too but does not
    follow its head. In FF planes (no per-frame lift) a whole-frame lift taken out in one of the track's
    frames (``sky_lit``) is all there is to go by."""
    if any(b.sky_lift_dn is not None for b in blocks):
        return bool(lift)
    return sky_lit


def _whole_frame(
    cents: list[FramePoint], kept: list[FramePoint], ctx: _Context, lift: dict[int, float], *, curved: bool
) -> tuple[float, bool]:
    """The ``whole_frame`` measure around the track (:func:`detection.meteors._fit.whole_frame`).

    A track curved on the image (a great circle through a fish-eye lens, modelled or not) is measured in
    stretches of at most ``_STRETCH_PX`` along which it is nearly straight; the value is their median.
    ``lift``: the sky glow the track's head explains, taken out (:func:`detection.meteors._fit.whole_frame`).
    """
    if not curved:
        fit, kept = fit_line(cents, ctx.fps, ctx.scale)
        return whole_frame(fit, kept[0].frame, kept[-1].frame, ctx.blocks, lift)
    stretches: list[list[FramePoint]] = [[]]
    for c in kept:
        run = stretches[-1]
        if run and math.hypot(c.x_px - run[0].x_px, c.y_px - run[0].y_px) > _STRETCH_PX:
            stretches.append([])
        stretches[-1].append(c)
    if len(stretches) > 1 and len(stretches[-1]) < 2:
        stretches[-2].extend(stretches.pop())
    values, lit = [], False
    for run in stretches:
        fit, _ = fit_line(run, ctx.fps, ctx.scale)
        value, sky_lit = whole_frame(fit, run[0].frame, run[-1].frame, ctx.blocks, lift)
        values.append(value)
        lit |= sky_lit
    return float(np.median(values)), lit


_STRETCH_PX = 60.0


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


def _undamaged(frames: np.ndarray) -> tuple[np.ndarray, FFPlanes]:
    """A block's frames with those the codec damaged (:func:`detection.meteors.damage.damaged_frames`)
    replaced by the mean image of the others, and their FF planes: damaged frames give no points."""
    planes = compress_block(frames)
    bad = damaged_frames(frames, planes)
    if not bad.any() or bad.all():
        return frames, planes
    clean = frames.copy()
    clean[bad] = compress_block(frames[~bad]).avepixel if (~bad).sum() >= 4 else planes.avepixel
    return clean, compress_block(clean)


def _block_bounds(n: int) -> list[tuple[int, int]]:
    """Blocks of at most 256 frames covering ``0..n-1``, overlapping by at least 64 frames."""
    if n <= MAX_FRAMES:
        return [(0, n)]
    step = MAX_FRAMES - 64
    starts = [*list(range(0, n - MAX_FRAMES, step)), n - MAX_FRAMES]
    return [(a, a + MAX_FRAMES) for a in starts]


def _owned(blocks: list[Block]) -> list[tuple[int, int]]:
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
            # The same motion over all of ``tr``, not only where they overlap: straight pieces of a curve
            # (a long meteor through a fish-eye lens) stay apart here and are joined, if they are one
            # track, from their centroids (sky_track.join_pieces).
            far = max(_gap(tr, m, t + 0.5) for t in (t_mid - 0.5, tr.frame_begin, tr.frame_end))
            dv = math.hypot(tr.vx - m.vx, tr.vy - m.vy)
            if far <= 6.0 and dv <= 0.25 * m.speed_px_frame + 0.5:
                merged[k] = replace(
                    m,
                    frame_begin=min(m.frame_begin, tr.frame_begin),
                    frame_end=max(m.frame_end, tr.frame_end),
                )
                break
        else:
            merged.append(tr)
    return merged


def _gap(a: Track, b: Track, t: float) -> float:
    """Distance (px) between the positions two tracks' motions give at time ``t`` (frames)."""
    return math.hypot((a.x0 + a.vx * t) - (b.x0 + b.vx * t), (a.y0 + a.vy * t) - (b.y0 + b.vy * t))


def _track_from(cents: list[FramePoint], like: Track) -> Track:
    t = np.array([c.frame + 0.5 for c in cents])
    vx, x0 = np.polyfit(t, [c.x_px for c in cents], 1)
    vy, y0 = np.polyfit(t, [c.y_px for c in cents], 1)
    frames = [c.frame for c in cents]
    return replace(like, x0=float(x0), y0=float(y0), vx=float(vx), vy=float(vy),
                   frame_begin=min(frames), frame_end=max(frames))  # fmt: skip


def _measure_refined(track: Track, measure: Callable[[Track], list[FramePoint]]) -> list[FramePoint]:
    """Centroids along the track, measured again along the line the first centroids give."""
    cents = _trim_ends(measure(track), track)
    if len({c.frame for c in cents}) >= 3:
        again = _trim_ends(measure(_track_from(cents, track)), track)
        if len(again) >= 0.8 * len(cents):
            return again
    return cents


def _trim_ends(cents: list[FramePoint], track: Track) -> list[FramePoint]:
    """The centroids the track's frames hold, and those beyond them that continue it frame by frame.

    Beyond the frames the line finder gave, the head is sought in the corridor ahead and behind; there
    it continues only through consecutive frames of at least ``_MIN_END_PX`` pixels each: a single pixel
    is not a head's image, and in a noisy (MPEG-4) clip the corridor's sum passes now and then on
    correlated codec noise (meteor1.avi: a meteor the finder follows from frame 97 picked up points at
    93-95, one of a single pixel, before its start at ~99). Only tracks of at least ``_MIN_TRIM_FRAMES``
    frames are trimmed: a short one needs every frame found around it (a faint 10-frame meteor of
    bench/detection.py is 3 frames without them), and the stray points of a short noise track make it
    fail the checks that reject it (3 more false positives in the meteor clips of bench/detection.py,
    seed 1, when they were trimmed).
    """
    if track.frame_end - track.frame_begin + 1 < _MIN_TRIM_FRAMES:
        return cents
    by_frame = {c.frame: c for c in cents}
    keep = [c for c in cents if track.frame_begin <= c.frame <= track.frame_end]
    for step, start in ((-1, track.frame_begin - 1), (1, track.frame_end + 1)):
        f = start
        while f in by_frame and by_frame[f].n_px >= _MIN_END_PX:
            keep.append(by_frame[f])
            f += step
    return sorted(keep, key=lambda c: c.frame)


_MIN_END_PX = 2
_MIN_TRIM_FRAMES = 20


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
    return float(np.median([math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in common])) <= _SAME_PX


#: Two detections whose common frames lie this close (median, px) are one meteor: the glare of a
#: saturated head lends a parallel piece a few px aside (meteor5.flv: 6-8 px beside the fireball's head).
_SAME_PX = 10.0
