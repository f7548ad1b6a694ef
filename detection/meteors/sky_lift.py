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
``AVEPIXEL``, on a regular grid of about 4,096 pixels, to a tenth of a DN); :func:`lights_sky` says whether
a track's frames lift the sky above the level of the frames around it: by at least :data:`MIN_LIFT_DN` in
:data:`MIN_LIFT_FRAMES` of them, and by more than
:data:`LIFT_OVER_REST` times the typical (median) size of the lift in the block's frames away from the
track: a gain step or a cloud lifts (or darkens) the frames that are not the meteor's as much; a flash
lifts one or two frames; another fireball in the block lifts a minority of them.

A lift the track's head explains is its sky glow, not a change of the whole image, and is taken out of the
whole-frame measure (:func:`head_lift_dn`, used by :func:`detection.meteors._fit.whole_frame`): the glow is
the head's light scattered in the air and the optics, so it grows and fades with the head's light. The lift
must light the sky in the track's frames (:func:`lights_sky`) and follow the head's measured intensity
(its own light, the lift in its pixels taken out), a Pearson correlation of at least
:data:`MIN_FOLLOW_R` over the track's frames. A lift that no head follows (a flash, a gain step, a cloud)
keeps counting; so does one beside a track whose head is no brighter than the lift (the tracks noise makes
in a glow: :func:`detection.meteors.halo.head_over_lift`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from detection.meteors._fit import Block
from detection.meteors.record import FramePoint

__all__ = [
    "LIFT_OVER_REST", "MIN_FOLLOW_R", "MIN_LIFT_DN", "MIN_LIFT_FRAMES", "follows_head", "frame_lift_dn",
    "head_lift_dn", "lights_sky",
]  # fmt: skip

#: The smallest lift that counts (DN). The interpolated median (:func:`frame_lift_dn`) of frames with
#: no meteor scatters by 0.1-0.3 DN from frame to frame (``../shared/data/video``: ``meteor1.avi`` within
#: 0.3 DN but one frame of 0.9 DN in its meteor's flare, ``meteor5.flv`` 0.2 DN; the H.264 clips of
#: bench/detection.py 0.1 DN), while the sky glow of an all-sky fireball of peak SNR 10-20 lifts the sky
#: by 1.4-1.8 DN (curved-07 and curved-23 of seed 1).
MIN_LIFT_DN = 1.0
#: Frames of the track that must be lifted (a flash lights one or two).
MIN_LIFT_FRAMES = 3
#: The track's largest lift over the median size of the lift of the frames away from it.
LIFT_OVER_REST = 2.0
#: The least correlation of the lift with the head's light over the track's frames. A glow proportional
#: to the head's light correlates near 1; the lift is measured to a tenth of a DN (:func:`frame_lift_dn`)
#: and a lift of a few DN over 3+ frames keeps its correlation above 0.8 (the synthetic fireballs of
#: tests/detection/test_sky_lift.py: 0.93-0.99). A flash of a few frames over a meteor's smooth light
#: curve, or a gain step within its frames, correlates far less.
MIN_FOLLOW_R = 0.7
#: Frames on each side of the track that are neither the track's nor away from it (the glow's tails).
_MARGIN_FRAMES = 5
#: Frames on each side of the margin whose median lift is the sky's level around the track.
_BASE_FRAMES = 25
#: Pixels sampled per frame, on a regular grid: the median of 4,096 pixels of noise sigma 2.5 DN is
#: known to 0.05 DN.
_SAMPLE_PX = 4096


def frame_lift_dn(frames: np.ndarray, avepixel: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The median over ``valid`` pixels of each frame minus ``avepixel`` (DN), on a regular grid of
    about ``_SAMPLE_PX`` pixels, interpolated within its whole-DN class (the median of grouped data,
    ``L + (n / 2 - F) / f`` for the class ``[L, L + 1)`` holding the middle value, ``F`` values below it
    and ``f`` in it): a plain median of 8-bit differences moves in whole DN, and a codec flattens a dark
    sky so that most pixels sit on one value.

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
    half = diff.shape[1] // 2
    mid = np.partition(diff, half, axis=1)[:, half : half + 1]
    below = np.sum(diff < mid, axis=1)
    at = np.maximum(np.sum(diff == mid, axis=1), 1)
    return np.asarray(mid[:, 0] - 0.5 + (diff.shape[1] / 2 - below) / at, dtype=np.float64)


def lights_sky(lift_dn: np.ndarray, track_frames: Sequence[int]) -> bool:
    """Whether the frames ``track_frames`` (indices into ``lift_dn``) lift the sky (see the module).

    The lift is taken from the level of the frames around the track (the median over
    :data:`_BASE_FRAMES` frames on each side, beyond :data:`_MARGIN_FRAMES`): the sky's level drifts
    over a block (``meteor4.flv``: by 1.6 DN over 200 frames) and ``AVEPIXEL`` is lowered by a
    fireball's own lifted frames (``meteor5.flv``: -1.1 DN).
    """
    frames = np.asarray(sorted(set(track_frames)), dtype=np.intp)
    frames = frames[(frames >= 0) & (frames < lift_dn.size)]
    if frames.size < MIN_LIFT_FRAMES:
        return False
    index = np.arange(lift_dn.size)
    lo, hi = frames[0] - _MARGIN_FRAMES, frames[-1] + _MARGIN_FRAMES
    away = (index < lo) | (index > hi)
    near = away & (index >= lo - _BASE_FRAMES) & (index <= hi + _BASE_FRAMES)
    base = float(np.median(lift_dn[near])) if near.any() else 0.0
    lift = lift_dn - base
    on = lift[frames]
    if int(np.sum(on >= MIN_LIFT_DN)) < MIN_LIFT_FRAMES:
        return False
    rest = float(np.median(np.abs(lift[away]))) if away.any() else 0.0
    return float(on.max()) > LIFT_OVER_REST * max(rest, MIN_LIFT_DN / 2)


def follows_head(lift_dn: np.ndarray, track_frames: Sequence[int], head_dn: Sequence[float]) -> bool:
    """Whether the lift lights the sky in ``track_frames`` (:func:`lights_sky`) and grows and fades with
    ``head_dn``, the head's light in those frames (a Pearson correlation of at least :data:`MIN_FOLLOW_R`).
    """
    frames = np.asarray(track_frames, dtype=np.intp)
    head = np.asarray(head_dn, dtype=np.float64)
    ok = (frames >= 0) & (frames < lift_dn.size)
    frames, head = frames[ok], head[ok]
    if frames.size < MIN_LIFT_FRAMES or not lights_sky(lift_dn, frames.tolist()):
        return False
    lift = lift_dn[frames]
    if float(np.std(lift)) == 0.0 or float(np.std(head)) == 0.0:
        return False
    return float(np.corrcoef(lift, head)[0, 1]) >= MIN_FOLLOW_R


def head_lift_dn(cents: Sequence[FramePoint], blocks: Sequence[Block]) -> dict[int, float]:
    """The lift (DN, >= 0) of each of the track's frames where its block's lift follows the head
    (:func:`follows_head`), by frame (numbered as the blocks' ``a..b-1``); empty where none does.

    The head's light in a frame is its summed intensity less the lift over its pixels (the lift the
    centroids did not already take out as ``Block.glow``), so the lift is not correlated with itself.
    """
    out: dict[int, float] = {}
    for blk in blocks:
        if blk.sky_lift_dn is None:
            continue
        own = [c for c in cents if blk.a <= c.frame < blk.b]
        frames = [c.frame - blk.a for c in own]
        head = [
            c.intensity - max(float(blk.sky_lift_dn[f]) - float(blk.glow[f]), 0.0) * c.n_px
            for c, f in zip(own, frames, strict=True)
        ]
        if follows_head(blk.sky_lift_dn, frames, head):
            for f in frames:
                out.setdefault(f + blk.a, max(float(blk.sky_lift_dn[f]), 0.0))
    return out
