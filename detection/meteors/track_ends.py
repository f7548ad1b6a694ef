"""The ends of an established slow track, followed frame by frame in the frames themselves.

The line finder (:mod:`detection.meteors.lines`) sees a pixel only in the one frame of its maximum
(``MAXFRAME``), above ``k * STDPIXEL + j`` of the block, and follows runs of frames without a gap of more
than ``max_gap_frames`` (2); the corridor search (:mod:`detection.meteors.centroids`) looks only
``Corridor.extend_frames`` (6) frames beyond the finder's ends, along the finder's straight line, and
``detector._trim_ends`` keeps only frames that continue the track without a gap. A slow head lights a new
pixel (one whose maximum is that frame) only every ``1 / speed`` frames, and where it lingers it raises
``STDPIXEL`` and so the threshold. On ``../shared/data/video/meteor4.flv`` (head measured from frame 0 to
about 285 at 7 sigma or more, ``tests/detection/test_meteor4_head.py``):

- the start: block 0 has lit points on the head in frames 0-2, 4, 6-9, 11-12, 16-19, 21-22, 24, 26-27...;
  the 64-frame window 0-63 gives two pieces, 0-12 and 16-63 (split at the 3-frame gap 13-15); merged with
  the longer pieces of later windows, the union's constant-speed fit keeps the track from frame 26 (the
  earlier points, absorbed, are dropped). The corridor then looks back to frame 20 along the line of
  frames 26-174 (x 303-304 px at the start, where the head is at x 300: the track curves along the
  disc's rim), finds the head at 24 but not at 25, and the trim stops at that gap;
- the end: in block 1 (frames 37-292) the head's pixels are lit at 254, 261, 262, 268, 273, 274, 278
  (thresholds 18-26 DN on its path, ``STDPIXEL`` 7-11 DN, against 10 DN on the sky beside it): the runs
  end at 254; the corridor's six frames, taken twice (the line refitted to the first centroids is
  searched six frames further), end the detection at 261 + 6 = 267.

In meteor photometry and astrometry the end (terminal) point is the last point of the luminous path the
record shows (Ceplecha et al. 1998, "Meteor phenomena and bodies", Space Sci. Rev. 84, 327), measured on
the head (Betlem et al. 1998, A&AS 128, 179). Here, once a track is established (``min_frames`` centroids or
more), the head is followed beyond each end one frame at a time, as a point source is tracked: its place
in the next frame is predicted from a straight, constant-speed fit to the last ``fit_frames`` centroids at
that end (it follows a slowing or curving head). In that frame alone the light within ``aperture_px`` of
the prediction is summed, less each pixel's median over the block (the sky without the head, which
passes a pixel in far fewer than half the block's frames) and the median of a ring around it (aperture
photometry with a local sky annulus, e.g. Howell 1989, "Two-dimensional aperture photometry", PASP 101,
616). The frame's noise is the spread of the same aperture's sum over the sites around it (within 15 px,
away from the head). The head is there when its sum exceeds ``min_snr`` times that noise and its
centroid lies within ``max_offset_px`` of the prediction. The following stops at the first two frames
without the head (a single missing frame between two found ones is bridged, so an intra frame's
re-coding does not end a track), or at a star's site, a masked pixel or the image's edge.

Only heads that are point-like in one frame are followed: ``max_speed_px_frame`` (2 px/frame) is about the
width (FWHM) of a faint head's image; faster heads are streaks whose centroid an aperture at one point does
not measure, and their ends the corridor search already finds (a fast head crosses a pixel within a frame,
so the pixel's maximum is its frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from detection.meteors.record import FramePoint
from detection.meteors.saturation import saturated

__all__ = ["EndFollower", "Footage"]


@dataclass(frozen=True)
class Footage:
    """Decoded frames and the planes to measure them against.

    ``frames[i]`` is frame ``first_frame + i``; it is measured only for frames ``own[0]..own[1]`` (the
    frames a block of overlapping blocks measures). ``glow_dn[i]`` is the whole-frame lift removed from
    frame ``i``; ``valid`` is False where pixels are masked or static. ``avepixel`` is the block's mean
    image (kept for callers; the follower measures against each pixel's median over ``frames``).
    """

    frames: np.ndarray
    avepixel: np.ndarray
    glow_dn: np.ndarray
    valid: np.ndarray
    first_frame: int
    own: tuple[int, int]


@dataclass(frozen=True)
class EndFollower:
    """Follow a slow track's head beyond both ends of its centroids (see the module's docstring).

    Parameters
    ----------
    min_frames : int
        Centroids a track needs to be followed (an established track, as ``detector._MIN_TRIM_FRAMES``).
    fit_frames : int
        Centroids at an end the prediction is fitted to.
    aperture_px, ring_px : float
        Radius of the summed aperture; inner and outer radius of the sky ring (px).
    min_snr : float
        The aperture's sum over its noise for the head to be there.
    max_offset_px : float
        How far the centroid may lie from the predicted place (px).
    max_speed_px_frame : float
        Only heads slower than this (px/frame) are followed.
    star_ave_dn : float
        A site whose median image within 1.5 px stands this far above the plane fitted to the ring's is a
        star: not followed.
    """

    min_frames: int = 20
    fit_frames: int = 12
    aperture_px: float = 2.0
    ring_px: tuple[float, float] = (5.0, 9.0)
    min_snr: float = 5.0
    max_offset_px: float = 1.0
    max_speed_px_frame: float = 2.0
    star_ave_dn: float = 10.0

    def follow(self, cents: list[FramePoint], footage: Sequence[Footage]) -> list[FramePoint]:
        """``cents`` (sorted by frame) with the head's points beyond its first and last frames added."""
        if len(cents) < self.min_frames:
            return cents
        before = self._one_end(cents[: self.fit_frames], footage, -1)
        after = self._one_end(cents[-self.fit_frames :], footage, 1)
        return [*reversed(before), *cents, *after]

    def _one_end(self, end: list[FramePoint], footage: Sequence[Footage], step: int) -> list[FramePoint]:
        pts = list(end) if step > 0 else list(reversed(end))  # nearest the end last
        found: list[FramePoint] = []
        f, missed = pts[-1].frame + step, 0
        while missed < 2:
            place = self._predict(pts[-self.fit_frames :], f)
            if place is None:
                break
            point = self._measure(footage, f, place)
            if point is None:
                missed += 1
            else:
                missed = 0
                found.append(point)
                pts.append(point)
            f += step
        return found

    def _predict(self, pts: list[FramePoint], f: int) -> tuple[float, float] | None:
        t = np.array([p.frame for p in pts], dtype=np.float64)
        if np.ptp(t) < 2:
            return None
        vx, x0 = np.polyfit(t, [p.x_px for p in pts], 1)
        vy, y0 = np.polyfit(t, [p.y_px for p in pts], 1)
        if float(np.hypot(vx, vy)) > self.max_speed_px_frame:
            return None
        return float(x0 + vx * f), float(y0 + vy * f)

    def _measure(self, footage: Sequence[Footage], f: int, place: tuple[float, float]) -> FramePoint | None:
        src = next((s for s in footage if s.own[0] <= f <= s.own[1]), None)
        if src is None:
            return None
        i, (x, y), r = f - src.first_frame, place, _NOISE_HALF_PX
        h, w = src.valid.shape
        xi, yi = round(x), round(y)
        if not (r <= xi < w - r and r <= yi < h - r):
            return None
        box = (slice(yi - r, yi + r + 1), slice(xi - r, xi + r + 1))
        yy, xx = np.mgrid[box]
        dist = np.hypot(xx - x, yy - y)
        # The sky of each pixel is its median over the block, not ``AVEPIXEL``: a slow head lingers on its
        # last pixels for tens of frames and lifts their mean (meteor4.flv, frames 262-285: by 11 DN,
        # which took 20-100 % of the head's light away and made its end a star's site).
        ave = np.median(src.frames[:, box[0], box[1]], axis=0).astype(np.float64)
        valid = src.valid[box]
        ap = dist <= self.aperture_px
        ring = (dist >= self.ring_px[0]) & (dist <= self.ring_px[1]) & valid
        if not valid[ap].all() or ring.sum() < 20:
            return None
        if _star_lift(ave, xx, yy, dist <= 1.5, ring) >= self.star_ave_dn:
            return None
        pix = src.frames[i][box]
        diff = pix.astype(np.float64) - ave - float(src.glow_dn[i])
        light = diff - float(np.median(diff[ring]))
        noise = _sum_noise(light, valid, dist >= self.ring_px[0] + self.aperture_px, self.aperture_px)
        total = float(light[ap].sum())
        if noise is None or total < self.min_snr * noise:
            return None
        wgt = np.clip(light[ap], 0.0, None)
        cx, cy = float(np.dot(wgt, xx[ap]) / wgt.sum()), float(np.dot(wgt, yy[ap]) / wgt.sum())
        if np.hypot(cx - x, cy - y) > self.max_offset_px:
            return None
        n_px = int((light[ap] > 2.0 * noise / np.sqrt(ap.sum())).sum())
        return FramePoint(f, cx, cy, total, n_px, int(saturated(pix[ap]).sum()))


def _star_lift(ave: np.ndarray, xx: np.ndarray, yy: np.ndarray, near: np.ndarray, ring: np.ndarray) -> float:
    """How far the sky image rises within ``near`` above the plane fitted to it over ``ring`` (DN).

    A plane, not the ring's median: at the rim of an all-sky disc the sky falls 3 DN per px
    (meteor4.flv at (287, 38)), and a median would call a slope a star.
    """
    design = np.column_stack([np.ones(int(ring.sum())), xx[ring], yy[ring]])
    coef, *_ = np.linalg.lstsq(design, ave[ring], rcond=None)
    plane = coef[0] + coef[1] * xx[near] + coef[2] * yy[near]
    return float((ave[near] - plane).max())


def _sum_noise(light: np.ndarray, valid: np.ndarray, away: np.ndarray, radius_px: float) -> float | None:
    """The noise of an aperture's sum in this frame (DN): the robust spread (1.4826 MAD) of the sums of
    the same aperture centred on every pixel of the box ``away`` from the head, wholly on valid pixels.

    Measured on sums, not from one pixel's spread times the square root of their number: a codec's noise
    is correlated over its 8 x 8 blocks, and integer frames make a pixel's MAD 1 or 2 DN for a noise of
    2 DN. None with fewer than 50 such sites.
    """
    k = int(radius_px)
    oy, ox = np.mgrid[-k : k + 1, -k : k + 1]
    disk = (np.hypot(ox, oy) <= radius_px).astype(np.float64)
    sums = ndimage.correlate(np.where(valid, light, 0.0), disk, mode="constant")
    bad = ndimage.correlate((~valid).astype(np.float64), disk, mode="constant") > 0
    inner = np.zeros_like(valid)
    inner[k:-k, k:-k] = True
    sites = sums[away & inner & ~bad]
    if sites.size < 50:
        return None
    return max(1.4826 * float(np.median(np.abs(sites - np.median(sites)))), 1.0)


#: Half size of the box (px) around the head whose aperture sums give the noise (an H.263 macroblock
#: is 16 px; the box holds about 30 x 30 sites).
_NOISE_HALF_PX = 15
