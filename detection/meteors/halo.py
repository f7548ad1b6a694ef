"""A moving head's halo versus a change of the whole image, from the lit pixels around a track.

The ``whole_frame`` check (:func:`detection.meteors.checks.whole_frame_check`) counts the lit pixels
beside a track (``NEAR_PX`` to ``AROUND_PX`` across it, along its length) per lit pixel on it, in the
track's frames: a flash, a cloud or rain lights the surroundings of whatever track its noise makes. A bright
meteor lights them too: its halo, the sky glow of a fireball and a terminal flare are lit pixels beside the
track. They differ in their *profile*: a whole-image change is as dense beside the track as far from it,
a halo is centred on the head and thins out away from it, and lies on both sides of the track.

:func:`uniform_around` keeps, of the lit pixels beside the track, the part a uniform change explains: the
density of lit pixels far from the track (``FAR_PX`` and more, in the track's frames) times the area beside
it. The rest is a halo, and does not count, when it is a clear excess (``HALO_EXCESS`` times the uniform
part), balanced across the track (at least ``HALO_BALANCE`` of it on its smaller side) and the head
dominates it (``HEAD_OVER_HALO``, or a head clipped at the sensor's top with nothing clipped beside it).
Otherwise every lit pixel beside the track counts, as before. A flash keeps its full value (it is as
dense far away); a cloud or lit ground on one side of a track is not balanced.

A fireball's sky glow lifts every pixel of its frames a little; where the lift follows the head's light
(:func:`detection.meteors.sky_lift.head_lift_dn`) it is taken out of the lit pixels before they are counted
(:func:`detection.meteors._fit.whole_frame`), provided the head outshines it (:func:`head_over_lift`): a
track that noise makes in the lifted frames is no brighter than the lift and keeps its full count.

Measured on the real FRIPON clips of ``../shared/data/video`` (issue 11): the density of lit pixels in the
track's frames, by distance from the head in each pixel's frame, falls from 420-440 per 1000 px at 12-25 px
to 36-70 beyond 100 px for the flaring meteor of ``meteor1.avi`` and the fireball of ``meteor5.flv``; noise
and codec speckle are flat. Beside those two tracks lie 759 and 1107 lit pixels where their far density
puts 261 and 362, split 382/377 and 614/493 across them, and the median excess over the threshold is 36 and
50 DN on the track against 6 DN beside it. Tracks that noise makes in a fireball's glow (``meteor4.flv``,
``meteor5.flv``) have 1-3 DN on them as beside them, those in codec damage (``meteor1.avi`` frames 11-27)
106-110 DN on them against 102-107 beside them: they keep their full count (1.0-4.9, rejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detection.meteors.saturation import MIN_CORE_PX, SATURATED_DN, saturated

__all__ = [
    "AROUND_PX", "FAR_PX", "HEAD_OVER_LIFT", "NEAR_PX", "AroundCounts", "head_over_lift", "uniform_around",
]  # fmt: skip

#: Lit pixels within this distance across the track (px) are on it.
NEAR_PX = 12.0
#: ... and from there to this distance, beside it.
AROUND_PX = 50.0
#: Lit pixels farther than this from the track (px) measure the uniform part of a change.
FAR_PX = 100.0
#: The excess over the uniform part that makes a halo (a ratio).
HALO_EXCESS = 2.0
#: A head is this many times brighter than its halo (median excess over the threshold of the lit pixels
#: on the track and beside it): pieces of a sky glow or of codec damage are as bright as what surrounds
#: them. A head clipped at the sensor's top dominates without it (see :func:`uniform_around`).
HEAD_OVER_HALO = 3.0
#: A head is this many times brighter than the sky's lift (median excess over the threshold of the lit
#: pixels on the track that the lift does not explain, against the largest lift of its frames) for the
#: lift to be taken out around it (:func:`head_over_lift`): as :data:`HEAD_OVER_HALO`, pieces of a lit
#: sky are as bright as the lift.
HEAD_OVER_LIFT = 3.0
#: Fewest lit pixels on a track that make a head (the fewest a line is found from,
#: ``MeteorSettings.min_line_points``).
MIN_HEAD_PX = 6
#: The smaller side's share of the pixels beside the track that a halo has at least.
HALO_BALANCE = 0.25
#: Fewest valid pixels far from the track for a density (px); fewer: no halo is recognised.
MIN_FAR_AREA_PX = 2000

_GRID = 2  # the areas are counted on every second pixel of every second row


@dataclass
class AroundCounts:
    """Lit pixels on, beside (by side) and far from a track, and the areas (valid px) beside and far.

    Coordinates are along and across the track from its reference point (px); ``span`` is the head's
    range along it over the track's frames.
    """

    n_on: int = 0
    n_left: int = 0
    n_right: int = 0
    n_far: int = 0
    n_sat_on: int = 0
    n_sat_around: int = 0
    area_band: int = 0
    area_far: int = 0
    w_on: list[np.ndarray] = field(default_factory=list)
    w_around: list[np.ndarray] = field(default_factory=list)

    @property
    def n_around(self) -> int:
        return self.n_left + self.n_right

    def add(
        self,
        along: np.ndarray,
        cross: np.ndarray,
        excess_dn: np.ndarray,
        span: tuple[float, float],
        level_dn: np.ndarray | None = None,
        top_dn: int = SATURATED_DN,
    ) -> None:
        """Count lit points (of the track's frames) by where they lie relative to the track; ``level_dn``
        (their values, e.g. ``MAXPIXEL``) counts those at the sensor's top (from ``top_dn``: 250 in decoded
        frames, 255 in FF planes, :mod:`detection.meteors.saturation`)."""
        beside = (along >= span[0] - NEAR_PX) & (along <= span[1] + NEAR_PX)
        across = np.abs(cross)
        on = beside & (across <= NEAR_PX)
        self.n_on += int(np.sum(on))
        ring = beside & (across > NEAR_PX) & (across <= AROUND_PX)
        self.w_on.append(excess_dn[on])
        self.w_around.append(excess_dn[ring])
        self.n_left += int(np.sum(ring & (cross < 0)))
        self.n_right += int(np.sum(ring & (cross > 0)))
        self.n_far += int(np.sum(_from_segment(along, across, span) > FAR_PX))
        if level_dn is not None:
            top = saturated(level_dn, top_dn)
            self.n_sat_on += int(np.sum(top & on))
            self.n_sat_around += int(np.sum(top & ring))

    def areas(
        self, valid: np.ndarray, x0: float, y0: float, ux: float, uy: float, span: tuple[float, float]
    ) -> None:
        """The valid pixels beside the track and far from it (counted on a grid)."""
        ys, xs = np.nonzero(valid[::_GRID, ::_GRID])
        dx, dy = xs * float(_GRID) - x0, ys * float(_GRID) - y0
        along, cross = dx * ux + dy * uy, np.abs(-dx * uy + dy * ux)
        beside = (along >= span[0] - NEAR_PX) & (along <= span[1] + NEAR_PX)
        cell = _GRID * _GRID
        self.area_band = cell * int(np.sum(beside & (cross > NEAR_PX) & (cross <= AROUND_PX)))
        self.area_far = cell * int(np.sum(_from_segment(along, cross, span) > FAR_PX))


def _from_segment(along: np.ndarray, across: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    """Distance (px) from the segment the head covers."""
    beyond = np.maximum(span[0] - along, 0.0) + np.maximum(along - span[1], 0.0)
    return np.asarray(np.hypot(np.abs(across), beyond))


def uniform_around(counts: AroundCounts) -> float:
    """The lit pixels beside the track that are not a halo centred on the head (see the module)."""
    n = counts.n_around
    if counts.area_far < MIN_FAR_AREA_PX or n == 0:
        return float(n)
    uniform = counts.n_far / counts.area_far * counts.area_band
    balanced = min(counts.n_left, counts.n_right) >= HALO_BALANCE * n
    head_dn = float(np.median(np.concatenate(counts.w_on))) if counts.n_on else 0.0
    halo_dn = float(np.median(np.concatenate(counts.w_around)))
    dominant = head_dn >= HEAD_OVER_HALO * max(halo_dn, 1.0) or _clipped_head(counts)
    if n > HALO_EXCESS * uniform and balanced and dominant:
        return float(uniform)
    return float(n)


def head_over_lift(lifted: AroundCounts, lift_dn: float) -> bool:
    """Whether a head on the track outshines a lift of the sky of ``lift_dn`` (DN), from ``lifted``: the
    counts of the lit pixels that exceed their threshold by more than the lift. At least
    :data:`MIN_HEAD_PX` of them lie on the track, and their median excess is :data:`HEAD_OVER_LIFT` times
    the lift, or the head is clipped (:func:`_clipped_head`).

    A fireball's sky glow is a few percent of its head's light (``meteor5.flv``: a lift of 2-7 DN, 50 DN
    median excess on its track; a synthetic fireball of peak SNR 40 lifting the sky by 5 DN: 28 DN, 317
    px); a track that noise makes in the lifted frames is the lift and a few DN of noise (2-4 px left
    on it, 6-6.5 DN). Only beside the first is the lift taken out of the whole-frame measure
    (:func:`detection.meteors.sky_lift.head_lift_dn`).
    """
    if lifted.n_on < MIN_HEAD_PX:
        return False
    head_dn = float(np.median(np.concatenate(lifted.w_on)))
    return head_dn >= HEAD_OVER_LIFT * max(lift_dn, 1.0) or _clipped_head(lifted)


def _clipped_head(counts: AroundCounts) -> bool:
    """The head is clipped at the sensor's top on the track and nothing beside it is.

    A saturated head's brightness is unknown (clipped), and its halo fills the band on the track (a halo
    of sigma 6-20 px against the band's 12 px), so the median of the lit pixels on the track is the
    halo's and the head does not show in it (bench/detection.py, saturated-04 of seed 1: 42 DN on the
    track against 15 DN beside it, its core at 255). A halo is a few percent of its head and never reaches
    the clip level; codec damage (``meteor1.avi``) and pieces of a sky glow are as bright beside a track
    as on it, so where they saturate they saturate beside it too.
    """
    return counts.n_sat_on >= MIN_CORE_PX and counts.n_sat_around <= HALO_BALANCE * counts.n_sat_on
