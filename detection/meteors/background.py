"""The background and noise of a short event clip, from its frames before the event.

An FF block's ``AVEPIXEL`` and ``STDPIXEL`` are taken over its 256 frames less each pixel's four largest
values (:mod:`detection.scan.ff`): a meteor, which lights a pixel for a frame or two, is left out. An event
clip, as FreeTure or UFOCapture write around a meteor (2-12 s, the meteor starting 0.5-3 s in), is shorter
than a block and its event fills a large part of it: a fireball's sky glow lifts every pixel for tens of
frames, far more than four, so the clip's block statistics hold the event itself (a raised mean, and a
noise inflated by the glow's rise and fall). Such a clip holds its own clean sky: the frames before the
event, which the camera's software keeps on purpose (its "pre-trigger" frames).

:func:`event_background` finds where the event starts (:func:`onset_frame`: the first of ``min_run``
consecutive frames in which some cell of ``cell_px`` x ``cell_px`` pixels rises above its median over the
clip by more than ``z_event`` times its robust scatter over time, 1.4826 x the median absolute
deviation, Rousseeuw & Croux 1993, "Alternatives to the median absolute deviation", JASA 88, and more than
the clip's frames commonly show) and takes the mean and standard deviation of every pixel over the frames
before it, leaving out frames damaged by the codec (:func:`detection.meteors.damage.damaged_frames`). The
noise is raised to the local median of the noise map (``noise_window_px``): a pixel's standard deviation
from a few tens of frames scatters by 10-20 %, and a pixel whose estimate falls low would be lit by its own
noise; the sky's noise varies smoothly, and stars (which twinkle) stand above the local median and keep
their own. The noise is then put on the scale of ``STDPIXEL`` (x 0.956: a 256-frame block's standard
deviation without each pixel's four largest values), the scale the detector's thresholds were set on;
without it, 29 % of the pixels of a seed-2 event clip of ``bench/detection.py`` rounded to a ``STDPIXEL`` of
2 instead of 16 %, and a meteor of peak SNR 11 that the block statistics find was lost.

With fewer than ``min_pre_frames`` such frames (an event at the very start of the clip, or a disturbance
before it) there is no clean sky: the clip keeps its block statistics (``AVEPIXEL`` and ``STDPIXEL`` with
each pixel's four largest values left out, a trimmed estimate). The median and the median absolute
deviation over time were tried there and rejected: codec noise is heavy-tailed and quantised (a still sky
at a camera's bit rate moves by 0 or 1 DN between frames, so the MAD of most pixels is 0 or 1), and a
noise from the MAD, below the noise's second moment, let the MPEG-4 noise of meteor1.avi
(``../shared/data/video``) pass as the meteor's first frames (it began 6 frames early).

:func:`event_block` builds a block's FF planes on that background (:func:`with_background`: its ``AVEPIXEL``
and ``STDPIXEL``) from frames whose whole-image lift (:func:`sky_lift`: a fireball's sky glow, a gain step)
is taken out and kept as the frames' glow, so that line finding, centroids and checks measure the event's
head against the sky before it (:meth:`detection.meteors.detector.MeteorDetector.detect_frames` with
``event_clip=True``: what :func:`detection.meteors.video_detect.detect_file` does for a video within one
block, and the verifier for a video of at most ``VerifySettings.event_clip_frames`` frames, which it
verifies whole; that setting is 0 by default, since a station's own minutes are not event clips).

Measured on the event clips of ``bench/detection.py`` (30 per seed, each verified whole on this background;
``--groups event,damage,gain --event-clips 320``): seed 1 27/30 found, each by exactly one detection,
fireballs flagged 10/10 (26/30 with the clips' block statistics: a 51-frame clip's fireball, rejected as a
whole-frame change when its glow was in the noise, passes); seed 2 28/30, 10/10 (28/30 before; one clip,
event-07, gives a second detection 8-12 px beside a fireball's track, a false positive, where event-17 gave
one before). Without taking out the lift (:func:`sky_lift`) seed 2 fell to 24/30: against the clean sky a
fireball's glow is lit everywhere in every glowing frame, and each pixel's maximum falls in a different
frame of the glow, so the detector's per-frame flash compensation does not see it. The misses of both seeds
(peak SNR 3.1-4.0) peak below the detector's fixed ``j_dn`` of 4 DN over a sky noise of about 1 DN: no
background finds them. On the real clips of ``../shared/data/video``: meteor1.avi (181 frames) has 11 frames
before its codec damage (frames 12-27, a run too long for :func:`detection.meteors.damage.damaged_frames`)
and keeps its block statistics; meteor4.flv and meteor5.flv (293 and 295 frames) are longer than a block and
:func:`detection.meteors.video_detect.detect_file` does not treat them as event clips. (Tried: the whole of
meteor4.flv on its 178 frames before the flare gives one fireball, frames 29-255, inside the README's
tolerance; meteor5.flv on its 18 frames before the fireball ends at frame 90 instead of ~119, its sky-lit
end rejected as pieces of a whole-frame change: that glow is uneven over the landscape, and a median lift
does not take it out.)

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> frames = rng.normal(30, 2, (60, 48, 64)).round().clip(0, 255).astype(np.uint8)
>>> frames[40:, :, :] += 40  # the sky lights up from frame 40 on
>>> bg = event_background(frames)
>>> bg.onset, bg.pre_event_frames, round(float(bg.mean_dn.mean()))
(40, 40, 30)
>>> (sky_lift(frames, bg)[38:42] >= 39).tolist()  # whole DN, rounded down
[False, False, True, True]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from detection.meteors.damage import damaged_frames
from detection.scan.ff import FFPlanes, compress_block

__all__ = ["EventBackground", "event_background", "event_block", "onset_frame", "sky_lift", "with_background"]

#: ``STDPIXEL`` of a 256-frame block of normal noise, the four largest values of each pixel left out, in
#: units of the noise's standard deviation (measured: 20000 draws): the scale the detector's thresholds
#: (``k_std``, ``j_dn``) were set on.
_FF_STD_RATIO = 0.956

#: 1.4826 x MAD is the standard deviation of a normal distribution (Rousseeuw & Croux 1993).
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class EventBackground:
    """The sky of an event clip.

    Attributes
    ----------
    mean_dn, sigma_dn : float32 ndarray (H, W) or None
        Background level and noise of each pixel (DN); None when there are too few frames before the
        event (the clip's blocks keep their own statistics).
    onset : int or None
        First frame of the event (:func:`onset_frame`); None when no frame changes significantly.
    pre_event_frames : int
        Frames the background was taken from (before the onset, undamaged); 0 when there were fewer than
        ``min_pre_frames``.
    damaged : bool ndarray (n,)
        Frames damaged by the codec, left out.
    """

    mean_dn: np.ndarray | None
    sigma_dn: np.ndarray | None
    onset: int | None
    pre_event_frames: int
    damaged: np.ndarray


def event_background(
    frames: np.ndarray,
    *,
    min_pre_frames: int = 16,
    cell_px: int = 4,
    z_event: float = 6.0,
    min_run: int = 2,
    noise_window_px: int = 5,
) -> EventBackground:
    """Background and noise of an event clip (see the module docstring).

    Parameters
    ----------
    frames : uint8 ndarray (n, H, W)
        The whole clip (n >= 4).
    min_pre_frames : int
        Least number of undamaged frames before the event for the background to come from them alone:
        the standard deviation of 16 values scatters by 18 % (1 / sqrt(2 (n - 1))), the mean by a quarter
        of the noise.
    cell_px, z_event, min_run : int, float, int
        The onset's cells, threshold and run (:func:`onset_frame`).
    noise_window_px : int
        Side (odd, px) of the window of the local median that floors the noise map.
    """
    if frames.dtype != np.uint8 or frames.ndim != 3 or frames.shape[0] < 4:
        raise ValueError(f"frames: got {frames.dtype} {frames.shape}, expected uint8 (n >= 4, H, W)")
    if min_pre_frames < 2:  # a standard deviation needs two frames
        raise ValueError(f"min_pre_frames: got {min_pre_frames}, expected >= 2")
    damaged = _damaged(frames)
    onset = onset_frame(frames, damaged, cell_px=cell_px, z_event=z_event, min_run=min_run)
    before = np.flatnonzero(~damaged[: frames.shape[0] if onset is None else onset])
    if before.size < min_pre_frames:
        return EventBackground(None, None, onset, 0, damaged)
    mean, std = _mean_std(frames, before)
    sigma = _floored(std, noise_window_px) * _FF_STD_RATIO
    return EventBackground(mean, sigma, onset, int(before.size), damaged)


def onset_frame(
    frames: np.ndarray,
    skip: np.ndarray | None = None,
    *,
    cell_px: int = 4,
    z_event: float = 6.0,
    min_run: int = 2,
) -> int | None:
    """The first frame of the event: the first of ``min_run`` consecutive frames (not counting the
    ``skip`` ones) whose largest cell excess is significant.

    Each cell of ``cell_px`` x ``cell_px`` px is compared with its median over the clip, in units of its
    robust scatter over time (1.4826 x MAD, at least 0.5 DN: an encoder at a camera's bit rate copies a
    still sky from frame to frame, and a cell's scatter can be nil). A frame's peak is its largest such
    excess; it is significant above ``z_event`` and above twice the median peak of the clip's frames:
    twinkling stars and codec noise give every frame a peak of 4-8 (measured on the event clips of
    ``bench/detection.py``), a meteor's head of SNR 10 or more, a fireball hundreds. A lone noise peak, a
    hot pixel's flicker or a star's twinkle is in one frame, not ``min_run``. None when nothing changes
    (a faint meteor, which then barely lifts the background taken over the clip).
    """
    n, h, w = frames.shape
    rows, cols = max(h // cell_px, 1), max(w // cell_px, 1)
    cells = np.empty((n, rows, cols), np.float32)
    for f in range(n):
        cells[f] = cv2.resize(frames[f, : rows * cell_px, : cols * cell_px].astype(np.float32), (cols, rows),
                              interpolation=cv2.INTER_AREA)  # fmt: skip
    usable = np.ones(n, bool) if skip is None else ~skip
    level, scatter = _median_mad(cells[usable] if usable.sum() >= 4 else cells)
    scatter = np.maximum(scatter, 0.5)
    peak = np.zeros(n, np.float32)
    for k in np.flatnonzero(usable):
        peak[k] = float(((cells[k] - level) / scatter).max())
    risen = peak > max(z_event, 2.0 * float(np.median(peak[usable])))
    run: list[int] = []
    for k in np.flatnonzero(usable):
        run = [*run, int(k)] if risen[k] else []
        if len(run) >= min_run:
            return run[0]
    return None


def with_background(planes: FFPlanes, background: EventBackground) -> FFPlanes:
    """``planes`` with ``AVEPIXEL`` and ``STDPIXEL`` from ``background`` (rounded, as FF planes are)."""
    if background.mean_dn is None or background.sigma_dn is None:
        raise ValueError("background: no sky before the event (pre_event_frames is 0)")
    ave = np.clip(np.floor(background.mean_dn + 0.5), 0, 255).astype(np.uint8)
    std = np.clip(np.floor(background.sigma_dn + 0.5), 0, 255).astype(np.uint8)
    if ave.shape != planes.avepixel.shape:
        raise ValueError(f"background: got {ave.shape}, expected the planes' {planes.avepixel.shape}")
    return replace(planes, avepixel=ave, stdpixel=std)


def event_block(
    frames: np.ndarray, background: EventBackground, first: int
) -> tuple[np.ndarray, FFPlanes, np.ndarray]:
    """A block of an event clip (``frames`` are the clip's frames ``first..``) measured against the sky
    before the event: ``(frames, planes, lift_dn)``.

    - Damaged frames are replaced by the background image (they give no points).
    - ``lift_dn[f]`` is the lift of the whole image in frame ``f`` (:func:`sky_lift`): a fireball's sky
      glow, a gain step. It is taken out of the frames before their FF planes are made, so that the
      planes hold the moving head and what lies around it, not a glow lit everywhere; the returned
      frames keep it (centroids take it out as the frame's glow, and saturated pixels stay 255).
    - The planes' ``AVEPIXEL`` and ``STDPIXEL`` are the background (:func:`with_background`).

    Only for a background with a sky before the event (``pre_event_frames`` > 0).
    """
    ave = np.clip(np.floor(_need(background.mean_dn) + 0.5), 0, 255).astype(np.uint8)
    bad = background.damaged[first : first + frames.shape[0]]
    if bad.any():
        frames = frames.copy()
        frames[bad] = ave
    lift = sky_lift(frames, background)
    level = frames
    if lift.any():
        level = frames.copy()
        for f in np.flatnonzero(lift):
            level[f] = np.clip(frames[f].astype(np.int16) - int(lift[f]), 0, 255).astype(np.uint8)
    return frames, with_background(compress_block(level), background), lift


def sky_lift(frames: np.ndarray, background: EventBackground, *, min_dn: float = 1.0) -> np.ndarray:
    """Per frame, how much the whole image rose above the sky before the event (float32 DN, whole DN):
    the median over the image (every 4th pixel) of ``frame - mean_dn``, rounded down, where it reaches
    ``min_dn``; 0 elsewhere.

    Light scattered over the whole sky (a fireball's glow: up to 74 DN over 30-60 frames of the
    fireballs of ``bench/detection.py``) or a gain step lifts the median of the image; a head, its halo
    or a flare light a small part of it and leave the median alone. Frames without an event differ from
    the sky before it by 0.0-0.2 DN (measured there); ``min_dn`` is one step of the 8-bit data.
    """
    mean = _need(background.mean_dn)[::4, ::4]
    out = np.zeros(frames.shape[0], np.float32)
    for f in range(frames.shape[0]):
        rise = float(np.median(frames[f, ::4, ::4].astype(np.float32) - mean))
        out[f] = math.floor(rise) if rise >= min_dn else 0.0
    return out


def _need(image: np.ndarray | None) -> np.ndarray:
    if image is None:
        raise ValueError("background: no sky before the event (pre_event_frames is 0)")
    return image


def _damaged(frames: np.ndarray) -> np.ndarray:
    """Frames damaged by the codec (:func:`detection.meteors.damage.damaged_frames`), per block of 256."""
    out = np.zeros(frames.shape[0], bool)
    for a in range(0, frames.shape[0], 256):
        block = frames[a : a + 256]
        if block.shape[0] >= 4:
            out[a : a + block.shape[0]] = damaged_frames(block, compress_block(block))
    return out


def _mean_std(frames: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and sample standard deviation of ``frames[which]`` (float32), one frame at a time
    (memory of two float64 images, not of the frames)."""
    total = np.zeros(frames.shape[1:], np.float64)
    total_sq = np.zeros(frames.shape[1:], np.float64)
    for f in which:
        value = frames[f].astype(np.float64)
        total += value
        total_sq += value * value
    n = len(which)
    mean = total / n
    var = np.maximum(total_sq - total * mean, 0.0) / (n - 1)
    return mean.astype(np.float32), np.sqrt(var).astype(np.float32)


def _median_mad(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median over the first axis and 1.4826 x the median absolute deviation from it (float32)."""
    level = np.median(values, axis=0).astype(np.float32)
    mad = np.median(np.abs(values.astype(np.float32) - level), axis=0)
    return level, (_MAD_TO_SIGMA * mad).astype(np.float32)


def _floored(sigma: np.ndarray, window_px: int) -> np.ndarray:
    """The noise map raised to its local median (``window_px`` square; see the module docstring)."""
    scaled = np.clip(np.round(sigma * 8.0), 0, 255).astype(np.uint8)  # 1/8 DN steps for the 8-bit median
    local = cv2.medianBlur(scaled, window_px).astype(np.float32) / 8.0
    floored: np.ndarray = np.maximum(sigma, local).astype(np.float32)
    return floored
