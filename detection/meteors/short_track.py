"""Evidence a short track needs: a 4- or 5-frame track passes only when what it is made of is a meteor's.

A track of few frames is cheap to make by chance. In a 640 x 360 H.264 minute about eleven noise pixels per
frame exceed ``k * STDPIXEL + j`` (median of bench/detection.py's clips), and the line finder needs them in
only 3 frames; a single brighter spot (a codec key frame refreshing the noise, a stuck or flickering
sensor pixel, a star's twinkle) makes such a chain look bright. On minutes of an independent sky
simulation and on real FF files every false positive left after the checks of
:mod:`detection.meteors.checks` was such a track: 4 frames at 30-40 deg/s (issue 11). A long track cannot
be made this way (the chance falls geometrically with each frame), so only tracks of at most
``short_max_frames`` points are held to the evidence below; each item is one :class:`Check`, measured on
the track's own points in the block they lie in (``need`` = ``min_frames - 1``, the frames the line
finder needs):

=====================  ==================================================================================
check                  the evidence (and what lacks it)
=====================  ==================================================================================
``short_snr``          ``need`` points well above the noise in their own frame, the light summed over
                       the head's streak (noise lined up; one bright blip among faint points)
``short_light_curve``  ``min_frames`` points in successive frames whose light rises and falls as a
                       meteor's does (noise comes and goes: gaps, dips)
``short_ff``           the FF planes see the same head: ``need`` successive points with lit pixels
                       peaking in their frame (+-1) (corridor sums of the frames no pixel's maximum backs)
``short_key_frame``    at most half the light in codec key frames (an I-frame refreshes the noise of the
                       whole image at once: a blip lined up with noise)
``short_site``         at most a third of the light on static sites: stars and stuck pixels
                       (``AVEPIXEL`` bump), flickering pixels and twinkling stars (``STDPIXEL`` bump)
=====================  ==================================================================================

Measured (bench/detection.py, H.264 at 1.5 Mbit/s, the windows of the verify stage): the short detections
of real meteors - 5 on seed 1, 3 on seed 2 - have ``short_snr`` 9.8-126, runs of 4-5 successive frames,
3-5 points seen in the FF planes, nothing in key frames or on sites; the short false positives of the
meteor clips - 1 on seed 1, 3 on seed 2 - ``short_snr`` 2.5-6.8 and runs of 2-3 frames (the one of seed 1
had 71 % of its light in a key frame). The limits were set on seed 1 and hold on seed 2.

Decoded frames give all five; FF planes alone (an RMS file) give all but ``short_key_frame``, whose
measure needs the frames (it is then 0, and passes). The measurements are stationd's own; the idea that
a detection of few frames needs a higher significance than a long one is that of the matched-filter
meteor searches (Gural 2008, "Algorithms and software for meteor detection", Earth Moon Planets 102: the
false-alarm rate of a track falls with the number of frames it integrates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detection.meteors import checks as mc
from detection.meteors._fit import Block
from detection.meteors.record import FramePoint, LineFit
from detection.meteors.settings import MeteorSettings

__all__ = ["PointEvidence", "measure_points", "short_track_checks"]

#: Half-width (px) across the track of the streak box in which a point's light is summed: a head's image
#: is 1-2 px wide (FWHM) on a 640 x 360 camera (bench/detection.py); a box of 3 px holds most of it.
_HALF_WIDTH_PX = 1.5
#: Margin (px) added along the track at each end of the streak box (the head's blur).
_MARGIN_PX = 1.5
#: Half-size (px) of the square whose median ``STDPIXEL`` is a site's surroundings (as the star check's).
_SKY_HALF_PX = 10
#: Smallest ``STDPIXEL`` (DN) a site's surroundings are taken to have: the plane is whole DN, and through
#: H.264 the sky's is often 1 DN, while a meteor's passage leaves 2-3 DN on its pixels (the codec's trail
#: over the next frames; bench/detection.py, seed 1: every short meteor found) - no sign of flicker.
_STD_FLOOR_DN = 2.0
#: Step (px) of the grid on which a frame's departure from the mean image is measured (key frames).
_GRID_PX = 4
#: Grid points at most a key frame is judged on (a mean of absolute departures needs no more; memory of
#: tens of MB a block whatever the frame size; 640 x 360 frames have 14,400)
_KEY_SAMPLES = 16384


@dataclass(frozen=True)
class PointEvidence:
    """What one point of a track is made of, in the block it lies in.

    ``snr``: summed signal of its streak box over the noise of that sum (sigma from ``STDPIXEL``);
    ``noise_dn``: that noise (DN); ``ff_seen``: a lit pixel of the box has its maximum in the point's
    frame, the one before or the next (a head that crosses a pixel as one frame ends lights it in both);
    ``key_frame``: the frame departs from the mean image everywhere (a codec key frame); ``site``: the
    point lies on a star, a stuck or a flickering pixel.
    """

    snr: float
    noise_dn: float
    ff_seen: bool
    key_frame: bool
    site: bool


def short_track_checks(
    points: list[FramePoint],
    line: LineFit,
    blocks: tuple[Block, ...],
    frames: tuple[np.ndarray | None, ...],
    settings: MeteorSettings,
) -> tuple[mc.Check, ...]:
    """The checks of a short track (no checks for a track of more than ``settings.short_max_frames``
    points).

    Parameters
    ----------
    points : list of FramePoint
        The track's points, frames counted in the data given to the detector (block ``k`` holds frames
        ``blocks[k].a .. blocks[k].b - 1``).
    line : LineFit
        The line fitted through them (direction and speed of the streak boxes).
    blocks : tuple of Block
        The blocks of the data (planes, lit pixels, per-frame lift).
    frames : tuple of (uint8 ndarray (n, H, W) or None)
        Each block's frames as the centroids were measured in them; None: FF planes only.
    settings : MeteorSettings
        ``short_*`` limits.
    """
    s = settings
    if len(points) > s.short_max_frames or not points:
        return ()
    pts = sorted(points, key=lambda p: p.frame)
    ev = measure_points(pts, line, blocks, frames, s)
    light = np.array([max(p.intensity, 0.0) for p in pts])
    total = float(light.sum()) or 1.0
    need = max(s.min_frames - 1, 1)  # the frames the line finder needs (LineSearch.min_frames)
    snr = float(np.sort([e.snr for e in ev])[::-1][min(need, len(ev)) - 1])
    run = _longest_run(pts, ev, s.short_dip_sigma)
    seen = _longest_run([p for p, e in zip(pts, ev, strict=True) if e.ff_seen], None, 0.0)
    key = float(light[[e.key_frame for e in ev]].sum()) / total
    site = float(light[[e.site for e in ev]].sum()) / total
    return (
        mc.Check("short_snr", snr, f">= {s.short_min_snr:g} in {need} points", snr >= s.short_min_snr),
        mc.Check("short_light_curve", float(run), f">= {s.min_frames} frames", run >= s.min_frames),
        mc.Check("short_ff", float(seen), f">= {need} frames", seen >= need),
        mc.Check("short_key_frame", key, f"<= {s.short_max_key_light:g}", key <= s.short_max_key_light),
        mc.Check("short_site", site, f"<= {s.short_max_site_light:g}", site <= s.short_max_site_light),
    )


def _longest_run(pts: list[FramePoint], ev: list[PointEvidence] | None, dip_sigma: float) -> int:
    """The most points in successive frames (sorted by frame) with no dip among them: a point below both
    neighbours by more than ``dip_sigma`` times its noise and a quarter of the fainter neighbour ends one
    run and starts the next (``ev`` None: gaps only).

    A meteor's light over a few frames rises to one maximum and falls (the light curves of video meteors,
    Koten et al. 2004, A&A 428: a smooth rise and fall, at most one flare); a head bright enough to be
    seen in 4-5 frames does not vanish for a frame and come back. Noise lined up comes and goes: missing
    frames, a point between two brighter ones. A stray point beyond a gap at a real meteor's end (the
    corridor reaches 6 frames past the track, where noise sums pass now and then) leaves its run intact,
    so the run is measured, not the span (bench/detection.py, seed 1: the one false positive of the meteor
    clips had points at frames 249, 250, 252, 255, a run of 2; every short meteor found, runs of 4-5).
    The cost: a meteor lit in only 3 frames, which passed the frames check with a stray point beyond a
    gap, is no longer found (bench/short_tracks.py: 4 of 35 short-track meteors on seed 8, 0 of 20 on
    seed 7).
    """
    best = cur = 0
    for k, p in enumerate(pts):
        joined = k > 0 and p.frame == pts[k - 1].frame + 1
        cur = cur + 1 if joined else 1
        if ev is not None and 0 < k < len(pts) - 1 and joined and pts[k + 1].frame == p.frame + 1:
            low = min(pts[k - 1].intensity, pts[k + 1].intensity)
            if low - p.intensity > max(dip_sigma * ev[k].noise_dn, 0.25 * low):
                best, cur = max(best, cur), 1  # the dip point starts the next run
        best = max(best, cur)
    return best


def measure_points(
    points: list[FramePoint],
    line: LineFit,
    blocks: tuple[Block, ...],
    frames: tuple[np.ndarray | None, ...],
    settings: MeteorSettings,
) -> list[PointEvidence]:
    """:class:`PointEvidence` of each point (arguments as :func:`short_track_checks`)."""
    dx, dy = line.x_end_px - line.x_begin_px, line.y_end_px - line.y_begin_px
    norm = math.hypot(dx, dy)
    ux, uy = (dx / norm, dy / norm) if norm > 1e-9 else (1.0, 0.0)
    half_along = 0.5 * line.speed_px_frame + _MARGIN_PX
    keys: dict[int, np.ndarray] = {}
    out = []
    for p in points:
        k = next(i for i, b in enumerate(blocks) if b.a <= p.frame < b.b)
        blk, data = blocks[k], frames[k]
        if data is not None and k not in keys:
            keys[k] = key_frames(data, blk, settings.short_key_frame_ratio)
        snr, noise, seen = _in_box(p, blk, data, ux, uy, half_along)
        key = bool(keys[k][p.frame - blk.a]) if data is not None else False
        out.append(PointEvidence(snr, noise, seen, key, _on_site(p, blk, settings)))
    return out


def _in_box(
    p: FramePoint, blk: Block, data: np.ndarray | None, ux: float, uy: float, half_along: float
) -> tuple[float, float, bool]:
    """The point's SNR and noise (DN) summed over its streak box, and whether the FF planes see it there:
    in the frame itself when given (``frame - AVEPIXEL - lift``), else in ``MAXPIXEL - AVEPIXEL`` where
    ``MAXFRAME`` is the point's frame.

    Why a fixed box and not the centroid's own pixels: those are the pixels above ``2 * STDPIXEL``, so a
    point of noise always looks significant in them; summed over the head's streak the noise of a chain
    of lit pixels stays near the corridor's threshold (``short_snr`` of the short false positives of
    bench/detection.py 2.5-6.8, of real short meteors 9.8 and more). Why the FF planes: the line finder
    found the track in them, but the centroids are measured in the frames, 6 frames beyond it too; a
    point no lit pixel's maximum backs is a sum of the frames' noise (codec noise is correlated).
    """
    f = p.frame - blk.a
    planes = blk.planes
    box, inside = _streak_box(p, ux, uy, half_along, planes.avepixel.shape)
    inside &= blk.lit.valid[box]
    if not inside.any():
        return 0.0, math.inf, False
    ave = planes.avepixel[box].astype(np.float64)
    sigma = np.maximum(planes.stdpixel[box].astype(np.float64), 1.0)
    maxframe = planes.maxframe[box].astype(np.int32)
    above = planes.maxpixel[box].astype(np.float64) - ave
    if data is not None:
        signal = data[f][box].astype(np.float64) - ave - float(blk.glow[f])
    else:
        signal = np.where(maxframe == f, above, 0.0)
    noise = float(np.sqrt(np.sum(sigma[inside] ** 2)))
    seen = (above > blk.lit.threshold_dn[box]) & (np.abs(maxframe - f) <= 1) & inside
    return float(signal[inside].sum()) / noise, noise, bool(seen.any())


def _streak_box(
    p: FramePoint, ux: float, uy: float, half_along: float, shape: tuple[int, ...]
) -> tuple[tuple[slice, slice], np.ndarray]:
    """The bounding box of the head's streak in the point's frame, and the pixels inside the streak:
    within ``_HALF_WIDTH_PX`` of the track and ``half_along`` of the centroid along it."""
    h, w = shape[0], shape[1]
    r = half_along + _HALF_WIDTH_PX + 1.0
    x0, x1 = max(0, math.floor(p.x_px - r)), min(w, math.ceil(p.x_px + r) + 1)
    y0, y1 = max(0, math.floor(p.y_px - r)), min(h, math.ceil(p.y_px + r) + 1)
    yy, xx = np.mgrid[y0 : max(y0, y1), x0 : max(x0, x1)]
    ddx, ddy = xx - p.x_px, yy - p.y_px
    inside = (np.abs(ddx * ux + ddy * uy) <= half_along) & (np.abs(-ddx * uy + ddy * ux) <= _HALF_WIDTH_PX)
    return (slice(y0, max(y0, y1)), slice(x0, max(x0, x1))), inside


def key_frames(data: np.ndarray, blk: Block, ratio: float) -> np.ndarray:
    """Frames of a block that depart from its mean image everywhere: the mean absolute departure (after
    the frame's mean lift) over a ``_GRID_PX`` grid of valid pixels exceeds ``ratio`` times the block's
    median.

    An H.264 encoder at a camera's bit rate codes most frames as differences that leave static noise as
    it was (skipped blocks), and every key frame (I-frame, e.g. every 250 frames) anew: there the whole
    image departs from the mean about twice as much as in other frames (measured on the clips of
    bench/detection.py: 1.64 DN against a median of 0.78 DN at each of frames 0, 250, 500, 750, 1000 of a
    minute, and at most 1.03 DN elsewhere).
    """
    rows, cols = np.nonzero(blk.lit.valid[::_GRID_PX, ::_GRID_PX])
    if rows.size == 0 or len(data) < 4:
        return np.zeros(len(data), bool)
    step = -(-rows.size // _KEY_SAMPLES)  # every grid point up to _KEY_SAMPLES, then evenly fewer
    rows, cols = rows[::step] * _GRID_PX, cols[::step] * _GRID_PX
    ave = blk.planes.avepixel[rows, cols].astype(np.float32)
    d = data[:, rows, cols].astype(np.float32) - ave
    dep = np.mean(np.abs(d - d.mean(axis=1, keepdims=True)), axis=1)
    return np.asarray(dep > ratio * float(np.median(dep)), bool)


def _on_site(p: FramePoint, blk: Block, s: MeteorSettings) -> bool:
    """The point's light falls on a static site: within 1 px of the centroid ``AVEPIXEL`` stands
    ``star_ave_dn`` above the median of its surroundings (a star, a stuck pixel: as the star check), or
    ``STDPIXEL`` stands ``short_site_std_ratio`` times above theirs (a flickering pixel, a twinkling star:
    a meteor barely raises ``STDPIXEL``, whose computation leaves out each pixel's four largest values)."""
    x, y = round(p.x_px), round(p.y_px)
    near = (slice(max(y - 1, 0), y + 2), slice(max(x - 1, 0), x + 2))
    around = (
        slice(max(y - _SKY_HALF_PX, 0), y + _SKY_HALF_PX + 1),
        slice(max(x - _SKY_HALF_PX, 0), x + _SKY_HALF_PX + 1),
    )
    ave, std = blk.planes.avepixel, blk.planes.stdpixel
    if ave[near].size == 0:
        return False
    star = float(ave[near].max()) - float(np.median(ave[around])) >= s.star_ave_dn
    floor = max(float(np.median(std[around])), _STD_FLOOR_DN)
    flicker = float(std[near].max()) >= s.short_site_std_ratio * floor
    return star or flicker
