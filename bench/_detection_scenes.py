"""The clips of the detection benchmark (``bench/detection.py``): the scenes drawn and what each gave.

:func:`build_clips` draws the benchmark's clips from a seed (:mod:`detection.synth.sky`, 640x360 at 25 fps):
meteors and fireballs one per 5-second slot, and clips of each class of hard negative. :class:`ClipResult`
is what the pipeline made of one clip (truth, values stage, verified detections, timings).

``bench/detection.py`` imports this as a top-level module, with the bench folder at the end of
``sys.path`` so that ``import detection`` still finds the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from detection.synth.sky import (
    Cloud,
    Flash,
    SkyObject,
    SkySettings,
    random_fireball,
    random_meteor,
    random_negatives,
)

WIDTH_PX, HEIGHT_PX, FPS = 640, 360, 25.0
SLOT_S = 5.0
NEGATIVE_CLASSES = ("plane", "satellite", "hot_pixel", "cloud", "flash", "twinkle", "noise")
PER_MINUTE = {"plane": 3, "satellite": 3, "hot_pixel": 30, "cloud": 2, "flash": 4}


@dataclass(frozen=True)
class Clip:
    """One synthetic video of the benchmark and what it holds."""

    name: str
    group: str  # "meteor", "fireball" or a negative class
    settings: SkySettings
    objects: tuple[SkyObject, ...]


@dataclass
class ClipResult:
    """What one clip gave: truth, values stage, verified detections (JSON records) and timings."""

    name: str
    group: str
    n_frames: int
    duration_s: float
    meteors: list[dict[str, Any]]
    status: str
    candidates: list[tuple[int, int]]
    windows: list[tuple[int, int]]
    detections: list[dict[str, Any]]  # the verified meteors: to_json() + "passed", "reasons"
    rejected: list[dict[str, Any]]  # every other detection the detector made, with its reasons
    timings: dict[str, float] = field(default_factory=dict)


def _settings(seed: int, duration_s: float, **kwargs: Any) -> SkySettings:
    return SkySettings(width_px=WIDTH_PX, height_px=HEIGHT_PX, fps=FPS, duration_s=duration_s, seed=seed,
                       **kwargs)  # fmt: skip


def meteor_clip(name: str, group: str, seed: int, n_slots: int) -> Clip:
    """``n_slots`` meteors (or fireballs), one per 5-s slot, after a first second of sky."""
    settings = _settings(seed, 1.0 + SLOT_S * n_slots)
    rng = np.random.default_rng([seed, 1])
    objects: list[SkyObject] = []
    for k in range(n_slots):
        t0 = 1.0 + SLOT_S * k
        draw = random_fireball if group == "fireball" else random_meteor
        objects.append(draw(rng, settings, t_range_s=(t0 + 0.2, t0 + 1.2)))
    return Clip(name, group, settings, tuple(objects))


def negative_clip(name: str, group: str, seed: int, duration_s: float) -> Clip:
    """A clip of one negative class (counts per minute scaled to the clip)."""
    extra: dict[str, Any] = {}
    if group == "twinkle":
        extra["twinkle"] = 0.35
    if group == "noise":
        extra["star_limit_mag"] = -5.0  # brighter than any star: no stars at all
    settings = _settings(seed, duration_s, **extra)
    rng = np.random.default_rng([seed, 2])
    objects: list[SkyObject] = []
    if group in PER_MINUTE:
        n = max(1, round(PER_MINUTE[group] * duration_s / 60.0))
        objects = random_negatives(rng, settings, (group,) * n)
        if group == "flash":  # spread them in time: one per equal share of the clip
            share = duration_s / n
            objects = [
                Flash(share * (i + 0.25 + 0.5 * rng.uniform()), o.duration_s, o.level_dn)
                for i, o in enumerate(objects)
                if isinstance(o, Flash)
            ]
        if group == "cloud":  # one after the other
            objects = [_stagger(o, i, n, duration_s) for i, o in enumerate(objects) if isinstance(o, Cloud)]
    return Clip(name, group, settings, tuple(objects))


def _stagger(cloud: Cloud, i: int, n: int, duration_s: float) -> Cloud:
    return replace(cloud, x0_px=cloud.x0_px - cloud.vx_px_s * duration_s * i / n)


def build_clips(seed: int, quick: bool) -> list[Clip]:
    """The benchmark's clips; seeds differ per clip and derive from ``seed``."""
    # (clips, slots per clip) of meteors and fireballs; (clips, seconds) per negative class
    meteors, fireballs, negatives = ((6, 3), (1, 2), (1, 30.0)) if quick else ((50, 6), (4, 3), (9, 60.0))
    base = seed * 10_000
    clips = [meteor_clip(f"meteor-{i:02d}", "meteor", base + i, meteors[1]) for i in range(meteors[0])]
    clips += [
        meteor_clip(f"fireball-{i:02d}", "fireball", base + 1000 + i, fireballs[1])
        for i in range(fireballs[0])
    ]
    for c, group in enumerate(NEGATIVE_CLASSES):
        for i in range(negatives[0]):
            clips.append(negative_clip(f"{group}-{i:02d}", group, base + 2000 + 100 * c + i, negatives[1]))
    return clips
