"""Per-frame centroids of a moving head, in FF planes or in decoded frames, and the line through them.

In frame ``f`` (exposed during ``[f, f + 1)``) the head of a track moves from ``P(f)`` to ``P(f + 1)``;
its light falls in a *corridor*: within ``half_width_px`` of the track and between those two positions
(extended by ``margin_px``). The centroid is the mean position weighted by the background-subtracted
signal of the corridor's significant pixels, the intensity is their summed signal (DN) - the
intensity-weighted centroid of meteor astrometry (e.g. Vida et al. 2016, IMC proceedings; Gural 2008,
Earth Moon Planets 102).

- In FF planes the signal of a pixel is ``MAXPIXEL - AVEPIXEL`` and belongs to frame ``MAXFRAME``.
- In decoded frames it is ``frame - AVEPIXEL - glow`` (glow: a whole-frame lift, e.g. a fireball's lit
  sky); a frame counts when its corridor's summed signal is significant against the per-pixel noise
  (``STDPIXEL``) of the corridor.

In decoded frames, where the head's core is clipped at the sensor's top
(:mod:`detection.meteors.saturation`), its position is the centroid of the clipped core's shape
(:func:`~detection.meteors.saturation.core_centroid`) rather
than the intensity-weighted centroid, which weights the flat top and the bloom around it; the intensity
stays the summed signal (a lower bound of the head's light). Pixels count as saturated from
:data:`~detection.meteors.saturation.SATURATED_DN` in decoded frames (the clip level less the codec's
error) and at :data:`~detection.meteors.saturation.SENSOR_TOP_DN` in FF planes (raw frames' maxima).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detection.meteors.lines import Track
from detection.meteors.record import FramePoint
from detection.meteors.saturation import SENSOR_TOP_DN, core_centroid, saturated


@dataclass(frozen=True)
class Corridor:
    """Where to look: half-width across the track, margin along it (px), frames added at each end."""

    half_width_px: float = 3.0
    margin_px: float = 2.5
    extend_frames: int = 6


class _Segment:
    """The pixels around the head's path in one frame, in track coordinates."""

    def __init__(self, track: Track, f: int, shape: tuple[int, int], corridor: Corridor) -> None:
        speed = track.speed_px_frame
        ux, uy = (track.vx / speed, track.vy / speed) if speed > 1e-9 else (1.0, 0.0)
        pad = corridor.half_width_px + corridor.margin_px + 1.0
        (xa, xb), (ya, yb) = track.position(np.array([f, f + 1.0]))
        h, w = shape
        x0, x1 = int(max(0, np.floor(min(xa, xb) - pad))), int(min(w, np.ceil(max(xa, xb) + pad) + 1))
        y0, y1 = int(max(0, np.floor(min(ya, yb) - pad))), int(min(h, np.ceil(max(ya, yb) + pad) + 1))
        self.box = (slice(y0, max(y0, y1)), slice(x0, max(x0, x1)))
        yy, xx = np.mgrid[self.box]
        self.xx, self.yy = xx.astype(np.float64), yy.astype(np.float64)
        dx, dy = self.xx - xa, self.yy - ya
        along = dx * ux + dy * uy  # from the head at the start of the frame
        cross = np.abs(-dx * uy + dy * ux)
        self.inside = (
            (cross <= corridor.half_width_px)
            & (along >= -corridor.margin_px)
            & (along <= speed + corridor.margin_px)
        )


def frame_range(track: Track, nframes: int, corridor: Corridor) -> tuple[int, int]:
    """The track's frames extended by ``corridor.extend_frames`` on each side, within ``0..nframes-1``."""
    return max(0, track.frame_begin - corridor.extend_frames), min(
        nframes - 1, track.frame_end + corridor.extend_frames
    )


def centroids_planes(
    maxpixel: np.ndarray,
    maxframe: np.ndarray,
    avepixel: np.ndarray,
    threshold_dn: np.ndarray,
    valid: np.ndarray,
    track: Track,
    frames: tuple[int, int],
    corridor: Corridor,
    *,
    min_px: int = 2,
) -> list[FramePoint]:
    """Centroids of ``track`` in block frames ``frames[0]..frames[1]`` from FF planes: the corridor's
    pixels that peak in the frame above ``threshold_dn``, intensity-weighted.

    Saturated heads too: in FF planes a pixel belongs to the one frame of its maximum, and a pixel
    clipped in several frames (the overlapping trails of consecutive frames) to the first of them, so a
    frame's clipped pixels are not its core's shape. Centroids from them (pixels from 250 DN up,
    :func:`detection.meteors.saturation.core_centroid`) moved 7 of 21 centroids of one of the two
    meteors of the real FF files of ``../shared/data/rms/UK0006_20220914`` (magnitudes 0.1 and 0.3 at
    their peaks, saturated in their brightest frames) more than 1.5 px from RMS's.
    """
    f_lo, f_hi = frames
    out = []
    for f in range(f_lo, f_hi + 1):
        seg = _Segment(track, f, maxpixel.shape, corridor)
        box = seg.box
        signal = maxpixel[box].astype(np.float64) - avepixel[box]
        sel = seg.inside & (signal > threshold_dn[box]) & valid[box] & (maxframe[box] == f)
        n = int(sel.sum())
        if n < min_px:
            continue
        wgt = signal[sel]
        total = float(wgt.sum())
        sat = int(saturated(maxpixel[box][sel], SENSOR_TOP_DN).sum())
        x, y = float(np.dot(wgt, seg.xx[sel]) / total), float(np.dot(wgt, seg.yy[sel]) / total)
        out.append(FramePoint(f, x, y, total, n, sat))
    return out


def centroids_frames(
    frames: np.ndarray,
    avepixel: np.ndarray,
    stdpixel: np.ndarray,
    glow_dn: np.ndarray,
    valid: np.ndarray,
    track: Track,
    span: tuple[int, int],
    corridor: Corridor,
    *,
    pixel_sigma: float = 2.0,
    min_snr: float = 4.0,
    saturated_cores: bool = True,
) -> list[FramePoint]:
    """Centroids of ``track`` in frames ``span[0]..span[1]``, measured in the frames themselves
    (``frames[f]`` is block frame ``f``).

    Pixels count when their signal exceeds ``pixel_sigma`` times their noise (``STDPIXEL``, at least
    1 DN); a frame counts when the summed signal of its corridor exceeds ``min_snr`` times the noise of
    that sum. Where the head saturates, its position is the clipped core's centroid (``saturated_cores``;
    False: always intensity-weighted).
    """
    f_lo, f_hi = span
    out = []
    for f in range(f_lo, f_hi + 1):
        seg = _Segment(track, f, frames.shape[1:], corridor)
        box = seg.box
        region = seg.inside & valid[box]
        if not region.any():
            continue
        pix = frames[f][box]
        sigma = np.maximum(stdpixel[box].astype(np.float64), 1.0)
        signal = pix.astype(np.float64) - avepixel[box] - float(glow_dn[f])
        if float(signal[region].sum()) < min_snr * float(np.sqrt(np.sum(sigma[region] ** 2))):
            continue
        sel = region & (signal > pixel_sigma * sigma)
        n = int(sel.sum())
        if n == 0:
            continue
        wgt = signal[sel]
        total = float(wgt.sum())
        sat = int(saturated(pix[sel]).sum())
        x, y = float(np.dot(wgt, seg.xx[sel]) / total), float(np.dot(wgt, seg.yy[sel]) / total)
        # a steady clipped region (a lamp, a moonlit cloud) is clipped in AVEPIXEL too: never part of a core
        core_valid = valid[box] & ~saturated(avepixel[box])
        core = core_centroid(pix, region, core_valid, seg.xx, seg.yy) if saturated_cores and sat else None
        if core is not None:
            x, y = core[0], core[1]
        out.append(FramePoint(f, x, y, total, n, sat))
    return out
