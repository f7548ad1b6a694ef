"""Pieces of a saturated head's glare: tracks that lie in the light around a fireball's head.

Around a head clipped at the sensor's top, its light scattered in the optics and the air (the halo) and the
codec's errors around a bright moving blob light pixels well beyond the head's core: the density of lit
pixels around the fireballs of the real clips ``meteor1.avi`` and ``meteor5.flv`` stays at 420-440 per
1000 px from 12 to 25 px from the head (measured for :mod:`detection.meteors.halo`). The line finder
follows pieces of that light: faint tracks beside or behind the head, in its frames, that move with it
(bench/detection.py, seed 1: in saturated-03 a 18-frame piece 6 px beside a fireball's track and two
frames behind its head; in fragmenting-02 a 9-frame piece 10-13 px beside a fireball's end; seed 2,
saturated-02: a 42 deg/s line through the glare of a 21 deg/s fireball, its light 10-25 px from the
head). They are the fireball's light, not a second meteor: a meteor of its own would have to lie within
the fireball's frames and give most of its light within 25 px of the fireball's head, frame by frame.

:func:`drop_glare` keeps, of detections whose light lies within :data:`GLARE_PX` (over their common
frames) of a brighter passed detection whose head is saturated in those frames, and last no longer than
it, only the brighter one. :func:`detection.meteors.detector.MeteorDetector` applies it after joining
duplicates (``_SAME_PX``, 10 px, which the glare of a moderately saturated head already exceeds).
"""

from __future__ import annotations

import math

import numpy as np

from detection.meteors.record import Detection
from detection.meteors.saturation import MIN_CORE_PX

__all__ = ["GLARE_PX", "drop_glare", "is_glare"]

#: How far from a saturated head its glare lights pixels densely (px; see the module docstring).
GLARE_PX = 25.0


def is_glare(piece: Detection, head: Detection) -> bool:
    """Whether ``piece`` lies in the glare of ``head`` (a passed detection with a saturated head).

    ``piece`` lies within ``head``'s frames (one frame of slack at each end), at least half of its frames
    have a point of ``head``, its light lies within :data:`GLARE_PX` of ``head``'s points of the same
    frames (the median of the distances weighted by the piece's intensity: a line the finder draws
    through the glare picks up noise points along it, far from the head and with no light), ``head``
    saturates at least ``MIN_CORE_PX`` pixels in those frames, and ``piece`` is
    fainter there (its brightest point below ``head``'s).
    """
    if piece is head or not head.passed:
        return False
    frames = [p.frame for p in piece.frames]
    if not frames or min(frames) < head.line.frame_begin - 1 or max(frames) > head.line.frame_end + 1:
        return False
    at = {p.frame: p for p in head.frames}
    common = [(p, at[p.frame]) for p in piece.frames if p.frame in at]
    if len(common) < max(2, 0.5 * len(frames)):
        return False
    if sum(h.saturated_px for _, h in common) < MIN_CORE_PX:
        return False
    if max(p.intensity for p, _ in common) >= max(h.intensity for _, h in common):
        return False
    gaps = np.array([math.hypot(p.x_px - h.x_px, p.y_px - h.y_px) for p, h in common])
    light = np.array([max(p.intensity, 0.0) for p, _ in common])
    return _weighted_median(gaps, light) <= GLARE_PX


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value below which half the weight lies (the plain median when there is no weight)."""
    if not weights.sum() > 0:
        return float(np.median(values))
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cum, 0.5 * cum[-1]))])


def drop_glare(found: list[Detection]) -> list[Detection]:
    """``found`` without the detections that lie in the glare of another (:func:`is_glare`)."""
    return [d for d in found if not any(is_glare(d, other) for other in found)]
