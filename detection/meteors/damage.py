"""Frames damaged by the codec: blocks or tearing over a large part of the image, appearing and vanishing
at once.

A lost or corrupted packet of an MPEG-style stream leaves garbage where the decoder could not rebuild
the picture: macroblocks copied from the wrong place or concealed as flat patches, each with a level of
its own, or a slice of rows shifted sideways (a tear), until the next frame (or key frame) repairs it.
Light never does that: a flash, a gain step, a lit sky or a fireball's glow change the image smoothly
(uniformly, or following the scene and the head). What tells the damage is the *steps* of the change
between neighbouring cells of the image: the change from the block's mean image (``frame - AVEPIXEL``),
averaged in cells of ``_CELL_PX`` px (aligned on the image's corner, as macroblocks are), differs by more
than ``step_dn`` between neighbouring cells along the edges of every damaged block and of a torn slice.

A frame is damaged when such steps lie between at least ``min_fraction`` of the pairs of neighbouring
cells, in a run of at most ``max_run_frames`` consecutive frames whose neighbours on both sides have
fewer than a quarter of that fraction (it appears and vanishes at once: a fireball's lit sky, which can
be uneven over a landscape, grows and fades with the head over many frames: meteor5.flv, 0.03-0.055 over
frames 87-114). Measured on the synthetic damage of :class:`detection.synth.sky.CodecDamage` (3 frames,
20-50 % of a 320x180 image, offsets 20 DN): 0.08-0.23 of the pairs for blocks, 0.02-0.07 for tears,
0 in the undamaged frames.

The detector leaves damaged frames out: they are replaced by the block's mean image before line finding
and centroids (:meth:`detection.meteors.detector.MeteorDetector.detect_frames`), so that a meteor is found
in the other frames and the garbage gives no points.
"""

from __future__ import annotations

import cv2
import numpy as np

from detection.scan.ff import FFPlanes

__all__ = ["damaged_frames", "step_fractions"]

_CELL_PX = 8


def damaged_frames(
    frames: np.ndarray,
    planes: FFPlanes,
    *,
    step_dn: float = 6.0,
    min_fraction: float = 0.02,
    max_run_frames: int = 4,
) -> np.ndarray:
    """Which frames of a block are damaged by the codec (bool, one per frame; see the module docstring).

    Parameters
    ----------
    frames : uint8 ndarray (n, H, W)
        The block's frames.
    planes : FFPlanes
        Their FF planes (``AVEPIXEL`` and ``STDPIXEL``).
    step_dn : float
        Least step (DN) of the change between neighbouring cells, raised to 3 x the median ``STDPIXEL``
        in a noisy video.
    min_fraction : float
        Least fraction of the pairs of neighbouring cells with such a step.
    max_run_frames : int
        Longest run of damaged frames (a longer run is a change of the scene, not damage).
    """
    fraction = step_fractions(frames, planes, step_dn=step_dn)
    high = fraction >= min_fraction
    low = fraction < 0.25 * min_fraction
    out = np.zeros(frames.shape[0], bool)
    f = 0
    n = frames.shape[0]
    while f < n:
        if not high[f]:
            f += 1
            continue
        end = f
        while end + 1 < n and high[end + 1]:
            end += 1
        before_ok = f == 0 or low[f - 1]
        after_ok = end == n - 1 or low[end + 1]
        if end - f + 1 <= max_run_frames and before_ok and after_ok:
            out[f : end + 1] = True
        f = end + 1
    return out


def step_fractions(frames: np.ndarray, planes: FFPlanes, *, step_dn: float = 6.0) -> np.ndarray:
    """Per frame, the fraction of pairs of neighbouring ``_CELL_PX`` cells whose mean change from
    ``AVEPIXEL`` differs by more than ``max(step_dn, 3 x median STDPIXEL)``."""
    n, h, w = frames.shape
    rows, cols = h // _CELL_PX, w // _CELL_PX
    if rows < 2 or cols < 2:
        return np.zeros(n)
    size = (cols, rows)
    ave = cv2.resize(planes.avepixel[: rows * _CELL_PX, : cols * _CELL_PX].astype(np.float32), size,
                     interpolation=cv2.INTER_AREA)  # fmt: skip
    limit = max(step_dn, 3.0 * float(np.median(planes.stdpixel)))
    out = np.empty(n)
    for f in range(n):
        cells = cv2.resize(frames[f, : rows * _CELL_PX, : cols * _CELL_PX].astype(np.float32), size,
                           interpolation=cv2.INTER_AREA) - ave  # fmt: skip
        steps = (np.abs(np.diff(cells, axis=0)) > limit).sum() + (
            np.abs(np.diff(cells, axis=1)) > limit
        ).sum()
        out[f] = steps / ((rows - 1) * cols + rows * (cols - 1))
    return out
