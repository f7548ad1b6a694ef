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
    CodecDamage,
    Flash,
    SkyObject,
    SkySettings,
    allsky_camera,
    random_arc_meteor,
    random_disturbances,
    random_event,
    random_fireball,
    random_fragmenting_fireball,
    random_meteor,
    random_negatives,
    random_saturated_fireball,
)

WIDTH_PX, HEIGHT_PX, FPS = 640, 360, 25.0
SLOT_S = 5.0
NEGATIVE_CLASSES = ("plane", "satellite", "hot_pixel", "cloud", "flash", "twinkle", "noise")
PER_MINUTE = {"plane": 3, "satellite": 3, "hot_pixel": 30, "cloud": 2, "flash": 4}
# issue 11: what real fireballs and event clips show (each meteor must give exactly one detection)
NEW_METEOR_GROUPS = ("saturated", "fragmenting", "curved", "event")
NEW_NEGATIVE_CLASSES = ("damage", "gain")
ALLSKY_PX = 512
# per minute: codec damage events (1-4 frames each); gain steps and all-stars brightenings (of each)
DISTURBANCES_PER_MINUTE = {"damage": 6, "gain": 3}


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
    damaged_frames: list[int] = field(default_factory=list)  # frames the generator damaged (codec)
    error: str = ""  # the pipeline raised on this clip (the message)


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


def fireball_clip(name: str, group: str, seed: int, n_slots: int) -> Clip:
    """``n_slots`` saturated fireballs with halo, sky glow and mostly terminal flares (``saturated``) or
    fragmenting ones (``fragmenting``), one per 5-s slot, after a first second of sky."""
    settings = _settings(seed, 1.0 + SLOT_S * n_slots)
    rng = np.random.default_rng([seed, 3])
    draw = random_fragmenting_fireball if group == "fragmenting" else random_saturated_fireball
    objects: list[SkyObject] = [
        draw(rng, settings, t_range_s=(1.0 + SLOT_S * k + 0.2, 1.0 + SLOT_S * k + 1.2))
        for k in range(n_slots)
    ]
    return Clip(name, group, settings, tuple(objects))


def curved_clip(name: str, seed: int) -> Clip:
    """An all-sky event clip (512 x 512, equidistant lens 200 degrees across, looking up) with one long
    meteor: a great-circle arc of 40-150 degrees at 15-45 deg/s, starting 0.5-3 s in, the clip ending
    0.5-2 s after it; one in four lights the sky (a fireball)."""
    rng = np.random.default_rng([seed, 4])
    probe = SkySettings(width_px=ALLSKY_PX, height_px=ALLSKY_PX, fps=FPS, duration_s=60.0, seed=seed,
                        camera=allsky_camera(ALLSKY_PX))  # fmt: skip
    lead, tail = float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.5, 2.0))
    glow = (0.02, 0.08) if rng.uniform() < 0.25 else (0.0, 0.0)
    meteor = random_arc_meteor(rng, probe, t_range_s=(lead, lead), sky_glow=glow)
    settings = replace(probe, duration_s=lead + meteor.duration_s + tail)
    return Clip(name, "curved", settings, (meteor,))


def event_clip(name: str, seed: int) -> Clip:
    """A short event clip (2-12 s, the meteor starting 0.5-3 s in; a third of them fireballs); every
    third clip also has 1-4 frames damaged by the codec somewhere in it."""
    rng = np.random.default_rng([seed, 5])
    index = int(name.rsplit("-", 1)[1])
    settings, meteor = random_event(rng, _settings(seed, 10.0), fireball=index % 3 == 1)
    objects: list[SkyObject] = [meteor]
    if index % 3 == 2:
        objects += random_disturbances(rng, settings, ("codec_damage",))
    return Clip(name, "event", settings, tuple(objects))


def disturbance_clip(name: str, group: str, seed: int, duration_s: float) -> Clip:
    """Negatives of the whole image: codec damage (``damage``) or gain steps and all stars brightening
    together (``gain``), spread in time (one per equal share of the clip)."""
    settings = _settings(seed, duration_s)
    rng = np.random.default_rng([seed, 6])
    n = max(1, round(DISTURBANCES_PER_MINUTE[group] * duration_s / 60.0))
    kinds = ("codec_damage",) * n if group == "damage" else ("gain_step", "stars_brighten") * n
    share = duration_s / len(kinds)
    objects: list[SkyObject] = []
    for i, o in enumerate(random_disturbances(rng, settings, kinds)):
        objects.append(replace(o, t_s=share * (i + 0.25 + 0.5 * float(rng.uniform()))))
    return Clip(name, group, settings, tuple(objects))


def damaged_frames(clip: Clip) -> list[int]:
    """Frames of the clip that the generator damaged."""
    frames: set[int] = set()
    for o in clip.objects:
        if isinstance(o, CodecDamage):
            first = int(o.t_s * clip.settings.fps)
            frames.update(range(first, first + o.n_frames))
    return sorted(frames)


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
    # issue 11 groups, with seeds of their own (the clips above stay as they were)
    n_sat, n_frag, n_curved, n_event, n_dist = (1, 1, 3, 4, 1) if quick else (6, 4, 24, 30, 4)
    clips += [fireball_clip(f"saturated-{i:02d}", "saturated", base + 3000 + i, 3) for i in range(n_sat)]
    clips += [fireball_clip(f"fragmenting-{i:02d}", "fragmenting", base + 3100 + i, 3) for i in range(n_frag)]
    clips += [curved_clip(f"curved-{i:02d}", base + 3200 + i) for i in range(n_curved)]
    clips += [event_clip(f"event-{i:02d}", base + 3300 + i) for i in range(n_event)]
    for c, group in enumerate(NEW_NEGATIVE_CLASSES):
        clips += [
            disturbance_clip(f"{group}-{i:02d}", group, base + 3400 + 100 * c + i, negatives[1])
            for i in range(n_dist)
        ]
    return clips
