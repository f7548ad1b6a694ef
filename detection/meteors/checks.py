"""The verification checks of a meteor detection, each a :class:`Check` with its value and limit.

A meteor is a head moving steadily along a straight line for a fraction of a second to a few seconds at
an angular speed of a few to about 50 deg/s (Vida et al. 2016, IMC proceedings; the 2..51 deg/s default is
the range used by the Global Meteor Network). What else lights pixels fails at least one check:

========================  ===============================================================================
check                     rejects
========================  ===============================================================================
``frames``                noise that lines up by chance in a few frames
``speed``                 planes and satellites (too slow), noise in far-apart frames (too fast)
``straightness``          curved or scattered chains of points
``monotonic``             back-and-forth motion (twinkling stars, noise)
``blinking``              a light that comes and goes along its path (aircraft strobes)
``whole_frame``           flashes, clouds, rain: much changing around the track besides the track
``satellite``             slow and steady motion across the whole block
``stationary``            hot pixels, stars: no motion
``star``                  a twinkling star's spike lined up with noise: most of the light on star sites
========================  ===============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Check:
    """One verification measurement: its value, the limit it is held to (e.g. ``">= 4"``), the verdict."""

    name: str
    value: float | bool
    limit: str
    passed: bool


def frames_check(n_frames: int, min_frames: int) -> Check:
    """At least ``min_frames`` frames with a centroid."""
    return Check("frames", float(n_frames), f">= {min_frames}", n_frames >= min_frames)


def speed_check(speed_deg_s: float, lo_deg_s: float, hi_deg_s: float) -> Check:
    """Angular speed within ``lo..hi`` deg/s."""
    ok = bool(np.isfinite(speed_deg_s)) and lo_deg_s <= speed_deg_s <= hi_deg_s
    return Check("speed", float(speed_deg_s), f"{lo_deg_s:g}..{hi_deg_s:g} deg/s", ok)


def straightness_check(residual_px: float, max_residual_px: float) -> Check:
    """RMS distance of the centroids across the fitted line at most ``max_residual_px``."""
    return Check(
        "straightness", float(residual_px), f"<= {max_residual_px:g} px", residual_px <= max_residual_px
    )


def monotonic_check(
    frames: np.ndarray, along_px: np.ndarray, min_fraction: float, speed_px_frame: float = 0.0
) -> Check:
    """Fraction of steps between successive frame points that move forward along the track, by at least
    a third of what the fitted speed makes of their frame gap (a head does not stand still for a frame:
    a twinkling star that lends a track two points at one place fails here).

    ``along_px``: position along the fitted direction of motion (px), by frame.
    """
    order = np.argsort(frames, kind="stable")
    steps = np.diff(np.asarray(along_px, np.float64)[order])
    gaps = np.diff(np.asarray(frames, np.float64)[order])
    value = float(np.mean(steps > speed_px_frame * gaps / 3.0)) if steps.size else 0.0
    return Check("monotonic", value, f">= {min_fraction:g}", value >= min_fraction)


def blinking_check(frames: np.ndarray, max_missing: float) -> Check:
    """Fraction of the frames between the first and the last point that have no point (a light that
    comes and goes)."""
    if len(frames) == 0:
        return Check("blinking", 1.0, f"<= {max_missing:g}", False)
    span = int(np.max(frames) - np.min(frames) + 1)
    value = 1.0 - np.unique(frames).size / span
    return Check("blinking", float(value), f"<= {max_missing:g}", value <= max_missing)


def whole_frame_check(changed_fraction: float, max_fraction: float) -> Check:
    """Lit pixels beside the track per lit pixel on it, in its frames (after a uniformly lit sky was taken
    out, and less a halo centred on the head: :func:`detection.meteors.halo.uniform_around`)."""
    return Check(
        "whole_frame", float(changed_fraction), f"<= {max_fraction:g}", changed_fraction <= max_fraction
    )


def satellite_check(span_frames: int, block_frames: int, max_fraction: float, min_block_frames: int) -> Check:
    """Fraction of the block (``block_frames`` frames) the track lasts; only blocks of at least
    ``min_block_frames`` frames can tell a satellite from a long meteor."""
    value = span_frames / max(block_frames, 1)
    ok = value < max_fraction or block_frames < min_block_frames
    return Check("satellite", float(value), f"< {max_fraction:g} of a block >= {min_block_frames} frames", ok)


def stationary_check(length_px: float, min_motion_px: float) -> Check:
    """The head moves at least ``min_motion_px`` over the track."""
    return Check("stationary", float(length_px), f">= {min_motion_px:g} px", length_px >= min_motion_px)


def star_check(light_fraction: float, max_fraction: float) -> Check:
    """Fraction of the track's summed intensity in points that lie on stars (sites bright in the mean
    image) at most ``max_fraction``: a star low in the sky scintillates by tens of percent and can spike
    to twice its flux in one frame, and noise lines up with such a spike; a meteor that crosses a star
    carries most of its light elsewhere."""
    ok = light_fraction <= max_fraction
    return Check("star", float(light_fraction), f"<= {max_fraction:g}", ok)
