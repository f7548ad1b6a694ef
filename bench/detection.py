"""Detection benchmark: injected meteors and an hour of hard negatives through the whole verify pipeline.

Scenes (:mod:`detection.synth.sky`, 640x360 at 25 fps, the default 88-degree camera: 7.27 px/deg), each clip
encoded as H.264 at a camera-like average bit rate (``--bit-rate``, default 1.5 Mbit/s: the bits per pixel
of 6 Mbit/s at 720p):

- ``meteor``: clips of six 5-second slots, one :func:`~detection.synth.sky.random_meteor` starting in the
  first 1.2 s of each slot (speed 3..45 deg/s, peak SNR 3..30 log-uniform, duration 0.2..3 s, the four
  light curves), 300 meteors in 50 clips;
- ``fireball``: the same with :func:`~detection.synth.sky.random_fireball` (saturating, lighting the sky);
- negatives, one-minute clips per class (nine each, 63 minutes): ``plane`` (3 per minute), ``satellite``
  (3), ``hot_pixel`` (30), ``cloud`` (2), ``flash`` (4), ``twinkle`` (stars scintillating at 0.35 instead
  of 0.12, nothing else), ``noise`` (no stars, nothing). Every class but ``noise`` has the star field.

Pipeline per clip, as the station's verify stage runs it: :meth:`SkyVideo.write` ->
:func:`detection.scan.minute.scan_video` -> :class:`detection.candidates.CandidateFinder` (speed limits 2..51
deg/s) -> :func:`detection.meteors.verify.plan_windows` (candidates and the runs of whole-image change; at
most
12 windows per clip, as ``stationd/stages/verify.py``) -> :class:`detection.meteors.verify.MinuteVerifier`
(:func:`detection.video.window.read_window`, :meth:`detection.meteors.detector.MeteorDetector.detect_frames`
with default
settings, the persistence check beyond a window's edges, one meteor per track) -> verified meteors. A
meteor is found when a verified meteor shares frames with it and its points lie within 3 px (median) of
the meteor's track; every other verified meteor is a false positive.

Prints recall per peak-SNR bin, per speed bin, per light curve and for the target subset (peak SNR >= 5
and >= 6 frames, counted from the first to the last frame the meteor lights; also the part of it with
>= 6 frames at SNR >= 3), values-stage recall of that subset, false positives per hour per class, the
median centroid error against the truth's per-frame light centroid, the fireballs found and flagged, the
verify throughput (frames/s of ``detect_frames``, and as a ratio to a decode-only pass of the same frames
measured in the same run), the wall time and peak memory; then the missed target meteors by stage with
the reasons of the detection nearest each, and the false positives (``--clip NAME`` reruns one clip and
prints all its detections; ``--save`` writes every clip's results as JSON).

Targets (issue 4): recall >= 95 % for peak SNR >= 5 and >= 6 frames, at most 1 false positive per 10
hours of negative video in total, median centroid error <= 0.5 px.

Run: ``.venv/bin/python bench/detection.py [--quick] [--seed N] [--workers N] [--bit-rate BPS] [--clip
NAME] [--videos DIR] [--save JSON] [--values-only]`` (full: about 20 min on 2 cores, most of it rendering;
``--quick``: under 2 min; ``--videos`` keeps the encoded clips, about 1 GB, and reuses them in later
runs: then a full run takes about 6 min).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import resource
import shlex
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

# This script is called detection.py: without its folder on the import path, ``import detection`` finds
# the package and not the script. One numba thread per worker process: the pool spreads the clips.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from detection.candidates import CandidateFinder, CandidateSettings  # noqa: E402
from detection.meteors.detector import MeteorDetector  # noqa: E402
from detection.meteors.record import Detection  # noqa: E402
from detection.meteors.settings import MeteorSettings  # noqa: E402
from detection.meteors.verify import MinuteVerifier, VerifySettings, VerifyWindow, frame_runs, plan_windows  # noqa: E402
from detection.scan.minute import ScanSettings, scan_video  # noqa: E402
from detection.synth.sky import (  # noqa: E402
    Cloud,
    Flash,
    SkyObject,
    SkySettings,
    SkyVideo,
    random_fireball,
    random_meteor,
    random_negatives,
)
from detection.video.decode import open_video  # noqa: E402

WIDTH_PX, HEIGHT_PX, FPS = 640, 360, 25.0
SLOT_S = 5.0
NEGATIVE_CLASSES = ("plane", "satellite", "hot_pixel", "cloud", "flash", "twinkle", "noise")
PER_MINUTE = {"plane": 3, "satellite": 3, "hot_pixel": 30, "cloud": 2, "flash": 4}
MATCH_PX = 3.0
SNR_BINS = (3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.01)
SPEED_BINS_DEG_S = (3.0, 10.0, 20.0, 30.0, 45.01)


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


# ---------------------------------------------------------------------------------------------- scenes


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


# -------------------------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class RunConfig:
    workdir: str
    bit_rate: int | None
    keep: bool  # keep the clips in workdir and reuse those already there (same name, seed, bit rate)
    verify: bool  # False: values stage only


def run_clip(clip: Clip, cfg: RunConfig) -> ClipResult:
    """Render, encode, scan, detect candidates, verify; the timings are per stage (wall s)."""
    t: dict[str, float] = {}
    s = clip.settings
    path = Path(cfg.workdir) / f"{clip.name}_seed{s.seed}_{cfg.bit_rate or 'crf18'}.mp4"
    t0 = time.perf_counter()
    video = SkyVideo(s, clip.objects)
    reuse = cfg.keep and path.exists()
    truth = video.truth() if reuse else video.write(path, bit_rate=cfg.bit_rate)
    t["reused"] = float(reuse)
    t["render_write_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    scan = scan_video(path, ScanSettings(decoder_threads=1))
    t["scan_s"] = time.perf_counter() - t0
    px_frame = s.cam.scale_px_per_deg / s.fps
    t0 = time.perf_counter()
    values = CandidateFinder(
        CandidateSettings(min_speed_px_frame=2 * px_frame, max_speed_px_frame=51 * px_frame)
    )
    result = values(scan.values)
    t["values_s"] = time.perf_counter() - t0
    candidates = [(c.frame_start, c.frame_end) for c in result.candidates]
    runs = frame_runs(result.widespread_frames)
    windows = plan_windows(candidates, runs, scan.n_frames)[: VerifySettings().max_windows]
    detections: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    if windows and cfg.verify:
        detections, rejected, blocks = verify(path, windows, s, scan.n_frames, t)
        t["decode_only_s"], t["decode_only_cpu_s"] = decode_only(path, blocks)
    if not cfg.keep:
        path.unlink(missing_ok=True)
    return ClipResult(
        name=clip.name, group=clip.group, n_frames=scan.n_frames, duration_s=s.duration_s,
        meteors=[truth_meteor(o, s) for o in truth["objects"] if o["kind"] == "meteor"],
        status=result.status, candidates=candidates, windows=[(w.first, w.last) for w in windows],
        detections=detections, rejected=rejected, timings=t,
    )  # fmt: skip


def truth_meteor(obj: dict[str, Any], s: SkySettings) -> dict[str, Any]:
    frames = obj["frames"]
    return {
        "index": obj["index"],
        "first": obj["first_frame"],
        "last": obj["last_frame"],
        "snr": max(p["snr"] for p in frames),
        "speed_deg_s": obj["speed_px_s"] / s.cam.scale_px_per_deg,
        "track": (obj["x0_px"], obj["y0_px"], obj["x1_px"], obj["y1_px"]),
        "centroids": {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in frames},
        "frames_snr3": sum(p["snr"] >= 3.0 for p in frames),  # frames whose peak pixel reaches 3 sigma
        "fireball": obj["sky_glow"] > 0,
        "light_curve": obj["light_curve"],
    }


class TimedDetector(MeteorDetector):
    """The default detector, timing its calls and keeping every detection it makes (for the report)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[int, int]] = []  # (first frame, frame count) of each call
        self.seen: list[Detection] = []
        self.wall_s = self.cpu_s = 0.0

    def detect_frames(self, frames: np.ndarray, **kwargs: Any) -> list[Detection]:
        t0, c0 = time.perf_counter(), time.process_time()
        found = super().detect_frames(frames, **kwargs)
        self.wall_s += time.perf_counter() - t0
        self.cpu_s += time.process_time() - c0
        self.blocks.append((int(kwargs.get("first_frame", 0)), len(frames)))
        self.seen += found
        return found


def verify(
    path: Path, windows: list[VerifyWindow], s: SkySettings, n_frames: int, t: dict[str, float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, int]]]:
    """Verify the windows; returns the meteors' and the other detections' JSON records (with ``passed``
    and ``reasons``) and the frame blocks the detector was given."""
    detector = TimedDetector()
    verifier = MinuteVerifier(detector, scale_px_per_deg=s.cam.scale_px_per_deg)
    t0 = time.perf_counter()
    result = verifier(path, windows, s.fps, n_frames)
    t["verify_s"] = time.perf_counter() - t0
    t["detect_s"], t["detect_cpu_s"] = detector.wall_s, detector.cpu_s
    t["window_s"] = t["verify_s"] - detector.wall_s  # reading windows, and the verifier's own work
    t["verify_frames"] = float(sum(n for _, n in detector.blocks))
    kept = {id(m.detection) for m in result.meteors}
    why = {id(r.detection): list(r.reasons) for r in result.rejections if r.detection is not None}
    meteors = [_record(m.detection, []) for m in result.meteors]
    rejected = [
        _record(d, d.reasons or why.get(id(d), ["same meteor as a longer detection"]))
        for d in detector.seen
        if id(d) not in kept
    ]
    return meteors, rejected, detector.blocks


def _record(d: Detection, reasons: list[str]) -> dict[str, Any]:
    record = d.to_json()
    record["passed"], record["reasons"] = not reasons, reasons
    return record


def decode_only(path: Path, blocks: list[tuple[int, int]]) -> tuple[float, float]:
    """Wall and CPU seconds to decode the frames the detector was given (one sequential pass, one decoder
    thread; each frame's time counted once per block holding it)."""
    if not blocks:
        return 0.0, 0.0
    wanted = np.zeros(max(a + n for a, n in blocks), np.int64)  # blocks overlap: count frames as often
    for a, n in blocks:
        wanted[a : a + n] += 1
    wall = cpu = 0.0
    with open_video(path, threads=1) as reader:
        frames = reader.frames()
        for f in range(wanted.size):
            t0, c0 = time.perf_counter(), time.process_time()
            if next(frames, None) is None:
                break
            wall += (time.perf_counter() - t0) * wanted[f]
            cpu += (time.process_time() - c0) * wanted[f]
    return wall, cpu


# ------------------------------------------------------------------------------------------ evaluation


def _segment_distance(x: float, y: float, track: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = track
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    u = 0.0 if length2 == 0 else min(1.0, max(0.0, ((x - x0) * dx + (y - y0) * dy) / length2))
    return math.hypot(x - x0 - u * dx, y - y0 - u * dy)


def track_distance(det: dict[str, Any], meteor: dict[str, Any]) -> float:
    """Median distance (px) of a detection's points from the meteor's track; inf without common frames."""
    frames = [p["frame"] for p in det["frames"]]
    if not frames or max(frames) < meteor["first"] or min(frames) > meteor["last"]:
        return math.inf
    return statistics.median(_segment_distance(p["x_px"], p["y_px"], meteor["track"]) for p in det["frames"])


def same_object(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two detections of one thing (overlapping windows): common frames with centroids within 5 px."""
    pos = {p["frame"]: (p["x_px"], p["y_px"]) for p in b["frames"]}
    near = [math.hypot(p["x_px"] - pos[p["frame"]][0], p["y_px"] - pos[p["frame"]][1])
            for p in a["frames"] if p["frame"] in pos]  # fmt: skip
    return bool(near) and float(statistics.median(near)) < 5.0


@dataclass
class Outcome:
    """One injected meteor: found or not, and how."""

    clip: str
    meteor: dict[str, Any]
    found: bool
    in_window: bool
    flagged_fireball: bool
    errors_px: list[float]
    why: str  # for misses: the stage and the reasons of the nearest detection

    @property
    def target(self) -> bool:
        m = self.meteor
        return bool(m["snr"] >= 5.0 and m["last"] - m["first"] + 1 >= 6)


def evaluate(r: ClipResult) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """Outcomes of the clip's meteors and its false positives (passed detections of nothing)."""
    passed = [d for d in r.detections if d["passed"]]
    used: set[int] = set()
    outcomes = []
    for m in r.meteors:
        dist = [track_distance(d, m) for d in passed]
        hits = [i for i, x in enumerate(dist) if x <= MATCH_PX]
        used.update(hits)
        in_window = any(a <= m["last"] and b >= m["first"] for a, b in r.windows)
        errors: list[float] = []
        if hits:
            best = max(hits, key=lambda i: len(passed[i]["frames"]))
            for p in passed[best]["frames"]:
                c = m["centroids"].get(p["frame"])
                if c is not None:
                    errors.append(math.hypot(p["x_px"] - c[0], p["y_px"] - c[1]))
        why = "" if hits else _why_missed(r, m, in_window)
        flagged = any(passed[i]["fireball"] for i in hits)
        outcomes.append(Outcome(r.name, m, bool(hits), in_window, flagged, errors, why))
    false: list[dict[str, Any]] = []
    for i, d in enumerate(passed):
        if i not in used and not any(same_object(d, f) for f in false):
            false.append(d)
    return outcomes, false


def _why_missed(r: ClipResult, m: dict[str, Any], in_window: bool) -> str:
    if not in_window:
        return f"values stage: no candidate ({r.status})"
    near = [(track_distance(d, m), d) for d in r.detections + r.rejected]
    near = [(x, d) for x, d in near if x <= 2 * MATCH_PX]
    if not near:
        return "verify: no detection on the track"
    dist, d = min(near, key=lambda t: (t[0], -len(t[1]["frames"])))
    if d["passed"]:
        return f"verify: passed detection {dist:.1f} px off the track"
    return "verify: rejected: " + "; ".join(d["reasons"])


# ------------------------------------------------------------------------------------------------ report


def _pct(k: int, n: int) -> str:
    return f"{100.0 * k / n:5.1f} % ({k}/{n})" if n else "    - (0/0)"


def report(results: list[ClipResult], wall_s: float, workers: int) -> None:
    outcomes: list[Outcome] = []
    false_by_group: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    hours: dict[str, float] = defaultdict(float)
    for r in results:
        o, false = evaluate(r)
        outcomes += o
        hours[r.group] += r.duration_s / 3600.0
        false_by_group[r.group] += [(r.name, d) for d in false]
    meteors = [o for o in outcomes if not o.meteor["fireball"]]
    print(f"meteors: {len(meteors)} in {sum(r.group == 'meteor' for r in results)} clips")
    print("  recall per peak SNR bin (all durations)      target subset (>= 6 frames)")
    for lo, hi in itertools.pairwise(SNR_BINS):
        inside = [o for o in meteors if lo <= o.meteor["snr"] < hi]
        tgt = [o for o in inside if o.meteor["last"] - o.meteor["first"] + 1 >= 6]
        label = f"{lo:4.1f}-{min(hi, 30.0):4.1f}"
        print(f"    SNR {label}   {_pct(sum(o.found for o in inside), len(inside)):22s}"
              f"   {_pct(sum(o.found for o in tgt), len(tgt))}")  # fmt: skip
    print("  recall per speed bin (peak SNR >= 5, >= 6 frames)")
    target = [o for o in meteors if o.target]
    for lo, hi in itertools.pairwise(SPEED_BINS_DEG_S):
        inside = [o for o in target if lo <= o.meteor["speed_deg_s"] < hi]
        print(f"    {lo:4.0f}-{min(hi, 45.0):2.0f} deg/s  {_pct(sum(o.found for o in inside), len(inside))}")
    print("  recall per light curve (peak SNR >= 5, >= 6 frames)")
    for curve in ("sin2", "flat", "late-peak", "flare"):
        inside = [o for o in target if o.meteor["light_curve"] == curve]
        print(f"    {curve:10s}       {_pct(sum(o.found for o in inside), len(inside))}")
    found_t = sum(o.found for o in target)
    print(f"  TARGET recall (peak SNR >= 5, >= 6 frames): {_pct(found_t, len(target))}   (target >= 95 %)")
    seen = [o for o in target if o.meteor["frames_snr3"] >= 6]
    print(f"    of which >= 6 frames at SNR >= 3:         {_pct(sum(o.found for o in seen), len(seen))}   "
          f"(the others light few frames brightly: flares)")  # fmt: skip
    print(
        f"  values stage: a window over the meteor      {_pct(sum(o.in_window for o in target), len(target))}"
    )
    errors = [e for o in meteors if o.found for e in o.errors_px]
    if errors:
        print(f"  centroid error: median {statistics.median(errors):.3f} px, 90th percentile "
              f"{np.percentile(errors, 90):.3f} px over {len(errors)} frame points of "
              f"{sum(o.found for o in meteors)} found meteors   (target median <= 0.5 px)")  # fmt: skip
    flagged = sum(o.flagged_fireball for o in meteors if o.found)
    print(f"  ordinary meteors flagged as fireballs: {flagged}")
    fireballs = [o for o in outcomes if o.meteor["fireball"]]
    if fireballs:
        found_f = [o for o in fireballs if o.found]
        print(f"fireballs: found {_pct(len(found_f), len(fireballs))}, flagged fireball "
              f"{_pct(sum(o.flagged_fireball for o in found_f), len(found_f))}")  # fmt: skip
    print("false positives (passed detections of nothing; duplicates merged)")
    total_fp, total_h = 0, 0.0
    for group in ("meteor", "fireball", *NEGATIVE_CLASSES):
        if group not in hours:
            continue
        n = len(false_by_group[group])
        print(f"    {group:10s} {n:4d} in {hours[group] * 60:6.1f} min   {n / hours[group]:7.2f} per hour")
        if group in NEGATIVE_CLASSES:
            total_fp, total_h = total_fp + n, total_h + hours[group]
    if total_h:
        print(
            f"  NEGATIVES total: {total_fp} in {total_h * 60:.1f} min = {total_fp / total_h:.2f} per hour"
            f" = {10 * total_fp / total_h:.2f} per 10 hours   (target <= 1 per 10 hours)"
        )
    _report_speed(results)
    _report_misses(target, false_by_group)
    rss_mb = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(
        f"wall time {wall_s:.1f} s with {workers} worker processes; "
        f"peak RSS of a process {rss_mb / 1024:.0f} MB"
    )


def _report_speed(results: list[ClipResult]) -> None:
    tot: dict[str, float] = defaultdict(float)
    for r in results:
        for k, v in r.timings.items():
            tot[k] += v
    n_frames = sum(r.n_frames for r in results)
    print(f"stage times (s summed over workers; {n_frames} frames, {n_frames / FPS / 60:.1f} min of video)")
    for key in ("render_write_s", "scan_s", "values_s", "window_s", "detect_s"):
        note = (
            f"   ({tot['reused']:.0f} clips reused from --videos)"
            if key == "render_write_s" and tot["reused"]
            else ""
        )
        print(f"    {key[:-2]:12s} {tot[key]:8.1f} s{note}")
    frames = tot["verify_frames"]
    if frames and tot["detect_s"] > 0 and tot["decode_only_s"] > 0:
        n_windows = sum(len(r.windows) for r in results)
        print(
            f"  verify: {n_windows} windows; {frames:.0f} frames given to detect_frames (windows, and "
            "frames beyond their edges for the persistence check)"
        )
        print(
            f"    detect_frames     {frames / tot['detect_s']:8.1f} frames/s   "
            f"(CPU {frames / tot['detect_cpu_s']:.1f} frames/s)"
        )
        print(
            f"    decode only       {frames / tot['decode_only_s']:8.1f} frames/s   "
            f"(CPU {frames / tot['decode_only_cpu_s']:.1f} frames/s; same frames, 1 decoder thread)"
        )
        print(
            f"    verify less detect {frames / tot['window_s']:7.1f} frames/s   "
            "(read_window: seek + decode; the verifier's own work)"
        )
        print(
            f"    detect / decode time ratio {tot['detect_s'] / tot['decode_only_s']:.2f}   "
            f"(CPU {tot['detect_cpu_s'] / tot['decode_only_cpu_s']:.2f}; < 1: detection is cheaper "
            f"than decoding)"
        )


def _report_misses(
    target: list[Outcome], false_by_group: dict[str, list[tuple[str, dict[str, Any]]]]
) -> None:
    missed = [o for o in target if not o.found]
    stages = (("values stage", lambda o: not o.in_window), ("verify", lambda o: o.in_window))
    for stage, pick in stages:
        chosen = [o for o in missed if pick(o)]
        if chosen:
            print(f"missed target meteors, {stage} ({len(chosen)}; rerun one with --clip NAME)")
        for o in chosen[:20]:
            m = o.meteor
            print(f"    {o.clip} #{m['index']} frames {m['first']}-{m['last']} SNR {m['snr']:.1f} "
                  f"{m['speed_deg_s']:.1f} deg/s {m['light_curve']}: {o.why}")  # fmt: skip
    fps = [(name, d) for items in false_by_group.values() for name, d in items]
    if fps:
        print(f"false positives ({len(fps)})")
        for name, d in fps[:25]:
            line = d["line"]
            print(f"    {name} frames {line['frame_begin']}-{line['frame_end']} "
                  f"({line['x_begin_px']:.0f},{line['y_begin_px']:.0f})->({line['x_end_px']:.0f},"
                  f"{line['y_end_px']:.0f}) {line['speed_deg_s']:.1f} deg/s")  # fmt: skip


# -------------------------------------------------------------------------------------------------- main


def _run(args: tuple[Clip, RunConfig]) -> ClipResult:
    return run_clip(*args)


def run_all(clips: list[Clip], cfg: RunConfig, workers: int) -> Iterator[ClipResult]:
    jobs = sorted(clips, key=lambda c: -c.settings.duration_s)  # longest first: less idle at the end
    if workers <= 1:
        yield from map(_run, [(c, cfg) for c in jobs])
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(_run, [(c, cfg) for c in jobs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (about 2 minutes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="processes over clips")
    parser.add_argument("--bit-rate", type=int, default=1_500_000, help="bit/s; 0: crf 18")
    parser.add_argument("--clip", help="run only this clip (e.g. meteor-07) and print its detections")
    parser.add_argument("--save", help="write the per-clip results (truth, detections, timings) as JSON")
    parser.add_argument("--values-only", action="store_true", help="stop after values detection")
    parser.add_argument("--videos", help="keep the encoded clips in this folder and reuse them")
    args = parser.parse_args()
    print("$ " + shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    clips = build_clips(args.seed, args.quick)
    if args.clip:
        clips = [c for c in clips if c.name == args.clip]
        if not clips:
            parser.error(f"--clip {args.clip}: no such clip with seed {args.seed}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.videos or tmp
        Path(workdir).mkdir(parents=True, exist_ok=True)
        cfg = RunConfig(workdir, args.bit_rate or None, bool(args.videos), not args.values_only)
        print("verify not run (--values-only)" if args.values_only else f"detector: {MeteorSettings()}")
        s = clips[0].settings
        print(f"{len(clips)} clips, {WIDTH_PX}x{HEIGHT_PX} {FPS:g} fps, {s.cam.scale_px_per_deg:.2f} px/deg, "
              f"H.264 {'crf 18' if cfg.bit_rate is None else f'{cfg.bit_rate / 1e6:g} Mbit/s'}, "
              f"seed {args.seed}, {args.workers} workers (NUMBA_NUM_THREADS=1 each)")  # fmt: skip
        results = []
        for r in run_all(clips, cfg, args.workers):
            results.append(r)
            print(f"  [{len(results)}/{len(clips)}] {r.name}: {r.status}, {len(r.candidates)} candidates, "
                  f"{len(r.detections)} verified, {len(r.rejected)} other detections",
                  flush=True)  # fmt: skip
            if args.clip:
                _print_clip(r)
    results.sort(key=lambda r: r.name)
    if args.save:
        Path(args.save).write_text(json.dumps([asdict(r) for r in results], default=_jsonable) + "\n")
    report(results, time.perf_counter() - t0, args.workers)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def _print_clip(r: ClipResult) -> None:
    for m in r.meteors:
        print(f"    truth #{m['index']} frames {m['first']}-{m['last']} SNR {m['snr']:.1f} "
              f"{m['speed_deg_s']:.1f} deg/s track {tuple(round(v, 1) for v in m['track'])}")  # fmt: skip
    print(f"    windows {r.windows}")
    for d in r.detections + r.rejected:
        line = d["line"]
        print(f"    {'PASS' if d['passed'] else 'fail'} frames {line['frame_begin']}-"
              f"{line['frame_end']} ({line['x_begin_px']:.1f},{line['y_begin_px']:.1f})->"
              f"({line['x_end_px']:.1f},{line['y_end_px']:.1f}) {line['speed_deg_s']:.1f} deg/s "
              f"fireball={d['fireball']} {'; '.join(d['reasons'])}")  # fmt: skip


if __name__ == "__main__":
    main()
