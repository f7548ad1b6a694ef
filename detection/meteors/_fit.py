"""A track's straight line and what lies around it, measured across the blocks of the data.

The detector reads its data in blocks (:class:`Block`: frames ``a..b-1`` with their FF planes and lit
pixels); for the frame points of one track it fits a constant-speed line (:func:`fit_line`) and measures
the lit pixels around it (:func:`whole_frame`) and the light that falls on star sites
(:func:`star_light`), the values of the ``whole_frame`` and ``star`` checks. Positions in px (0-based, x
right, y down), times in frames; frame ``f`` is exposed during ``[f, f + 1)``, so it is fitted at
``f + 0.5``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from detection.meteors.halo import AroundCounts, head_over_lift, uniform_around
from detection.meteors.lines import LitField
from detection.meteors.record import FramePoint, LineFit
from detection.meteors.saturation import SATURATED_DN
from detection.scan.ff import FFPlanes

__all__ = ["Block", "Fit", "fit_line", "star_light", "whole_frame"]


@dataclass(frozen=True)
class Block:
    """One block of the data: frames ``a..b-1``, its planes, lit pixels and per-frame lift (DN)."""

    a: int
    b: int
    planes: FFPlanes
    lit: LitField
    glow: np.ndarray
    sky_lift_dn: np.ndarray | None = None  # each frame's lift (:mod:`detection.meteors.sky_lift`)
    top_dn: int = SATURATED_DN  # clipped from here: decoded frames (the codec's error); FF planes: 255


@dataclass(frozen=True)
class Fit:
    """A fitted line and the motion it came from, for measurements along and across it."""

    line: LineFit
    x0: float  # head position (px) at t = 0 (frames), moving along the unit vector (ux, uy)
    y0: float
    vx: float
    vy: float
    ux: float
    uy: float


def fit_line(
    cents: list[FramePoint], fps: float, scale: float, *, reject: bool = True
) -> tuple[Fit, list[FramePoint]]:
    """Least-squares constant-speed line through the centroids (one pass of outlier rejection unless
    ``reject`` is False)."""
    kept = sorted(cents, key=lambda c: c.frame)
    for _ in range(2 if reject else 1):
        t = np.array([c.frame + 0.5 for c in kept])
        x = np.array([c.x_px for c in kept])
        y = np.array([c.y_px for c in kept])
        if np.ptp(t) > 0:
            vx, x0 = np.polyfit(t, x, 1)
            vy, y0 = np.polyfit(t, y, 1)
        else:  # every point in one frame: no motion to fit (polyfit would warn of a singular system)
            vx, x0, vy, y0 = 0.0, float(x.mean()), 0.0, float(y.mean())
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
    return Fit(line, float(x0), float(y0), float(vx), float(vy), ux, uy), kept


def whole_frame(
    fit: Fit, f_lo: int, f_hi: int, blocks: tuple[Block, ...], head_lift: Mapping[int, float] | None = None
) -> tuple[float, bool]:
    """Lit pixels around the track (``halo.NEAR_PX`` to ``halo.AROUND_PX`` away) per lit pixel on it, in the
    track's frames, less a halo centred on the head (:func:`detection.meteors.halo.uniform_around`); and
    whether the sky lit up (a whole-frame lift was taken out) in one of them.

    ``head_lift``: the lift of the sky (DN, by frame) that the track's head explains, its sky glow
    (:func:`detection.meteors.sky_lift.head_lift_dn`); where the head outshines it
    (:func:`detection.meteors.halo.head_over_lift`) it is taken out of every lit pixel of its frame first
    (a pixel counts when it exceeds its threshold by more than the lift).
    """
    counts, lifted = AroundCounts(), AroundCounts()
    sky_lit = False
    speed = math.hypot(fit.vx, fit.vy)
    span = (speed * f_lo, speed * (f_hi + 1))
    for blk in blocks:
        lo, hi = max(f_lo, blk.a), min(f_hi, blk.b - 1)
        if lo > hi:
            continue
        pts = blk.lit.points
        f = pts.f + blk.a
        sel = (f >= lo) & (f <= hi)
        dx, dy = pts.x[sel] - fit.x0, pts.y[sel] - fit.y0
        level = blk.planes.maxpixel[pts.y[sel].astype(np.intp), pts.x[sel].astype(np.intp)]
        along, cross, w = dx * fit.ux + dy * fit.uy, -dx * fit.uy + dy * fit.ux, pts.w[sel]
        counts.add(along, cross, w, span, level, blk.top_dn)
        if head_lift:
            keep = w > np.array([head_lift.get(int(g), 0.0) for g in f[sel]])
            lifted.add(along[keep], cross[keep], w[keep], span, level[keep], blk.top_dn)
        if counts.area_band == 0:
            counts.areas(blk.lit.valid, fit.x0, fit.y0, fit.ux, fit.uy, span)
        sky_lit |= bool(np.any(blk.lit.glow_dn[lo - blk.a : hi - blk.a + 1] > 0))
    lift_dn = max((v for g, v in (head_lift or {}).items() if f_lo <= g <= f_hi), default=0.0)
    if lift_dn > 0 and head_over_lift(lifted, lift_dn):
        lifted.area_band, lifted.area_far = counts.area_band, counts.area_far
        counts = lifted
    return uniform_around(counts) / max(counts.n_on, 1), sky_lit


def star_light(cents: list[FramePoint], blocks: tuple[Block, ...], star_ave_dn: float) -> float:
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
