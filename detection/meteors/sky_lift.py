"""A fireball lights the sky: the whole image brightens with the head's light and fades with it.

The light a fireball scatters in the air and the optics lifts every pixel of the image a little, in the
frames where the head is bright (FRIPON's ``meteor5.flv``, ``../shared/data/video``: the median of each
frame minus the clip's mean image rises to 2-7 DN over frames 63-114 of its flight, 0 elsewhere;
``meteor4.flv``: 2-5 DN over its flare, frames 178-189; the flaring meteor of ``meteor1.avi``, no
fireball: 0 DN over its frames). The detector's whole-frame compensation
(:func:`detection.meteors.lines.lit_field`) sees a lit sky only where more than 2 % of the pixels peak in
one frame; a lift spread over several frames, each pixel peaking in any of them, stays below that
(bench/detection.py, seed 1: saturated-05's third fireball lifts the median by 26 DN over five frames,
0.02 % of the pixels peaking in each).

:func:`frame_lift_dn` measures the lift of every frame (the median over valid pixels of the frame minus
``AVEPIXEL``, on a regular grid of about 4,096 pixels); :func:`lights_sky` says whether a track's frames
lift the sky: by at least :data:`MIN_LIFT_DN` in :data:`MIN_LIFT_FRAMES` of them, and by more than
:data:`LIFT_OVER_REST` times the typical (median) size of the lift in the block's frames away from the
track: a gain step or a cloud lifts (or darkens) the frames that are not the meteor's as much; a flash
lifts one or two frames; another fireball in the block lifts a minority of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from detection.meteors._fit import Block

__all__ = [
    "LIFT_OVER_REST", "MIN_LIFT_DN", "MIN_LIFT_FRAMES", "frame_lift_dn", "lights_sky", "track_lights_sky",
]  # fmt: skip

#: The smallest lift that counts (DN): a median over thousands of pixels of an 8-bit image moves by a
#: whole DN at most from noise and codec key frames.
MIN_LIFT_DN = 2.0
#: Frames of the track that must be lifted (a flash lights one or two).
MIN_LIFT_FRAMES = 3
#: The track's largest lift over the median size of the lift of the frames away from it.
LIFT_OVER_REST = 2.0
#: Frames on each side of the track that are neither the track's nor away from it (the glow's tails).
_MARGIN_FRAMES = 5
#: Pixels sampled per frame, on a regular grid: the median of 4,096 pixels of noise sigma 2.5 DN is
#: known to 0.05 DN.
_SAMPLE_PX = 4096


def frame_lift_dn(frames: np.ndarray, avepixel: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The median over ``valid`` pixels of each frame minus ``avepixel`` (DN), on a regular grid of
    about ``_SAMPLE_PX`` pixels.

    Parameters
    ----------
    frames : uint8 ndarray (n, H, W)
    avepixel : ndarray (H, W)
        The block's mean image.
    valid : bool ndarray (H, W)
        The pixels that take part (not masked, not stars).
    """
    step = max(1, math.ceil(math.sqrt(valid.size / _SAMPLE_PX)))
    sub = valid[::step, ::step]
    if not sub.any():
        return np.zeros(frames.shape[0])
    ave = np.round(avepixel[::step, ::step][sub]).astype(np.int16)
    diff = frames[:, ::step, ::step][:, sub].astype(np.int16) - ave
    return np.asarray(np.median(diff, axis=1), dtype=np.float64)


def lights_sky(lift_dn: np.ndarray, track_frames: Sequence[int]) -> bool:
    """Whether the frames ``track_frames`` (indices into ``lift_dn``) lift the sky (see the module)."""
    frames = np.asarray(sorted(set(track_frames)), dtype=np.intp)
    frames = frames[(frames >= 0) & (frames < lift_dn.size)]
    if frames.size < MIN_LIFT_FRAMES:
        return False
    on = lift_dn[frames]
    if int(np.sum(on >= MIN_LIFT_DN)) < MIN_LIFT_FRAMES:
        return False
    away = np.ones(lift_dn.size, bool)
    away[max(0, frames[0] - _MARGIN_FRAMES) : frames[-1] + _MARGIN_FRAMES + 1] = False
    rest = float(np.median(np.abs(lift_dn[away]))) if away.any() else 0.0
    return float(on.max()) > LIFT_OVER_REST * max(rest, MIN_LIFT_DN / 2)


def track_lights_sky(frames: Sequence[int], blocks: Sequence[Block]) -> bool:
    """Whether a track's frames (numbered as the blocks' ``a..b-1``) lift the sky in a block that
    measured its lift (``Block.sky_lift_dn``; blocks of FF planes have none)."""
    for blk in blocks:
        if blk.sky_lift_dn is None:
            continue
        own = [f - blk.a for f in frames if blk.a <= f < blk.b]
        if lights_sky(blk.sky_lift_dn, own):
            return True
    return False
