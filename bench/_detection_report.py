"""Scoring and report of the detection benchmark (``bench/detection.py``).

:func:`evaluate` matches a clip's verified meteors with the injected ones: a meteor is found when a
verified meteor shares frames with it and its points lie within ``MATCH_PX`` (median) of the meteor's
track; every other verified meteor is a false positive. :func:`report` prints recall per bin, false
positives per hour, centroid errors, stage times and throughput, then the misses and false positives.

Imported by ``bench/detection.py`` as a top-level module (see ``bench/_detection_scenes.py``).
"""

from __future__ import annotations

import itertools
import math
import resource
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from _detection_scenes import FPS, NEGATIVE_CLASSES, NEW_METEOR_GROUPS, NEW_NEGATIVE_CLASSES, ClipResult

MATCH_PX = 3.0
SNR_BINS = (3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.01)
SPEED_BINS_DEG_S = (3.0, 10.0, 20.0, 30.0, 45.01)


# ------------------------------------------------------------------------------------------ evaluation


def _segment_distance(x: float, y: float, track: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = track
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    u = 0.0 if length2 == 0 else min(1.0, max(0.0, ((x - x0) * dx + (y - y0) * dy) / length2))
    return math.hypot(x - x0 - u * dx, y - y0 - u * dy)


def _path_distance(x: float, y: float, path: list[list[float]]) -> float:
    return min(_segment_distance(x, y, (*a, *b)) for a, b in itertools.pairwise(path))  # type: ignore[arg-type]


def track_distance(det: dict[str, Any], meteor: dict[str, Any]) -> float:
    """Median distance (px) of a detection's points from the meteor's track (its path on the image when it
    is a curve); inf without common frames."""
    frames = [p["frame"] for p in det["frames"]]
    if not frames or max(frames) < meteor["first"] or min(frames) > meteor["last"]:
        return math.inf
    if "path" in meteor:
        return statistics.median(_path_distance(p["x_px"], p["y_px"], meteor["path"]) for p in det["frames"])
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
    group: str = ""
    pieces: int = 0  # distinct passed detections on the meteor (more than one: split)
    longest_frames: int = 0  # frames (first to last) of the longest passed detection on it

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
        pieces: list[dict[str, Any]] = []
        for i in hits:
            if not any(same_object(passed[i], q) for q in pieces):
                pieces.append(passed[i])
        longest = max((_frames(passed[i]) for i in hits), default=0)
        outcomes.append(
            Outcome(r.name, m, bool(hits), in_window, flagged, errors, why, r.group, len(pieces), longest)
        )
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
    meteors = [o for o in outcomes if o.group == "meteor"]
    target = _report_meteors(meteors, results) if meteors else []
    fireballs = [o for o in outcomes if o.group == "fireball"]
    if fireballs:
        found_f = [o for o in fireballs if o.found]
        print(f"fireballs: found {_pct(len(found_f), len(fireballs))}, flagged fireball "
              f"{_pct(sum(o.flagged_fireball for o in found_f), len(found_f))}")  # fmt: skip
    print("false positives (passed detections of nothing; duplicates merged)")
    total_fp, total_h = 0, 0.0
    for group in ("meteor", "fireball", *NEGATIVE_CLASSES, *NEW_METEOR_GROUPS, *NEW_NEGATIVE_CLASSES):
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
    _report_new_groups(results, outcomes, false_by_group, hours)
    _report_speed(results)
    _report_misses(target, false_by_group)
    _report_new_misses(outcomes)
    rss_mb = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(
        f"wall time {wall_s:.1f} s with {workers} worker processes; "
        f"peak RSS of a process {rss_mb / 1024:.0f} MB"
    )


def _report_meteors(meteors: list[Outcome], results: list[ClipResult]) -> list[Outcome]:
    """Recall of the ``meteor`` group per bin, centroid errors; returns the target subset."""
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
    _report_short_meteors(meteors)
    errors = [e for o in meteors if o.found for e in o.errors_px]
    if errors:
        print(f"  centroid error: median {statistics.median(errors):.3f} px, 90th percentile "
              f"{np.percentile(errors, 90):.3f} px over {len(errors)} frame points of "
              f"{sum(o.found for o in meteors)} found meteors   (target median <= 0.5 px)")  # fmt: skip
    flagged = sum(o.flagged_fireball for o in meteors if o.found)
    print(f"  ordinary meteors flagged as fireballs: {flagged}")
    return target


def _report_short_meteors(meteors: list[Outcome]) -> None:
    """Recall of the meteors a short track (4-5 frames) stands for: those lighting 4-5 frames at SNR >= 3
    (whatever their peak SNR), and how many found meteors rest on a track of 4-5 frames alone (issue 11:
    short tracks need more evidence; these are what that evidence could lose)."""
    short = [o for o in meteors if 4 <= o.meteor["frames_snr3"] <= 5]
    lasting = [o for o in meteors if o.meteor["last"] - o.meteor["first"] + 1 <= 5]
    n_short, n_lasting = sum(o.found for o in short), sum(o.found for o in lasting)
    print(f"  short meteors: lighting 4-5 frames at SNR >= 3: found {_pct(n_short, len(short))}; "
          f"lasting 4-5 frames: found {_pct(n_lasting, len(lasting))}")  # fmt: skip
    only = [o for o in meteors if o.found and 0 < o.longest_frames <= 5]
    print(f"    found meteors whose longest detection has 4-5 frames: {len(only)}")


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


# ---------------------------------------------------------------------------------- issue 11 groups

LENGTH_BINS = ((4, 5, "4-5 frames"), (6, 10, "6-10 frames"), (11, 10**9, "> 10 frames"))


def _frames(d: dict[str, Any]) -> int:
    line = d["line"]
    return int(line["frame_end"] - line["frame_begin"] + 1)


def _report_new_groups(
    results: list[ClipResult],
    outcomes: list[Outcome],
    false_by_group: dict[str, list[tuple[str, dict[str, Any]]]],
    hours: dict[str, float],
) -> None:
    """Recall of the issue-11 groups (each meteor exactly one detection), errors, and false positives by
    track length over all negatives."""
    groups = [g for g in NEW_METEOR_GROUPS if any(o.group == g for o in outcomes)]
    if groups:
        print(
            "issue 11 groups: recall (found: a passed detection on the track), exactly one detection, split"
        )
    for group in groups:
        inside = [o for o in outcomes if o.group == group]
        found = [o for o in inside if o.found]
        one = sum(o.pieces == 1 for o in found)
        split = [o.pieces for o in found if o.pieces > 1]
        fire = [o for o in found if o.meteor["fireball"]]
        into = "/".join(map(str, split)) or "-"
        print(f"    {group:11s} found {_pct(len(found), len(inside)):18s} "
              f"exactly one {_pct(one, len(inside)):18s} split {len(split)} (into {into}), "
              f"fireballs flagged {sum(o.flagged_fireball for o in fire)}/{len(fire)}")  # fmt: skip
        if group == "event":
            damaged = [o for o in inside if any(r.name == o.clip and r.damaged_frames for r in results)]
            n_found = sum(o.found for o in damaged)
            print(f"      of which in clips with codec damage: found {_pct(n_found, len(damaged))}")
            target = [o for o in inside if o.target]
            print(f"      of which peak SNR >= 5 and >= 6 frames (the target subset): found "
                  f"{_pct(sum(o.found for o in target), len(target))}, exactly one "
                  f"{_pct(sum(o.found and o.pieces == 1 for o in target), len(target))}")  # fmt: skip
        if group == "curved":
            long = [o for o in inside if o.meteor.get("arc_deg", 0.0) >= 90.0]
            print(f"      arcs >= 90 deg: found {_pct(sum(o.found for o in long), len(long))}, exactly one "
                  f"{_pct(sum(o.found and o.pieces == 1 for o in long), len(long))}")  # fmt: skip
        errors = [e for o in found for e in o.errors_px]
        if errors:
            print(f"      centroid error median {statistics.median(errors):.3f} px over {len(errors)} points")
    failed = [r for r in results if r.error]
    if failed:
        print(f"clips on which the pipeline raised ({len(failed)})")
        for r in failed[:20]:
            print(f"    {r.name}: {r.error}")
    negatives = (*NEGATIVE_CLASSES, *NEW_NEGATIVE_CLASSES)
    neg_h = sum(hours[g] for g in negatives if g in hours)
    if not neg_h:
        return
    for group in NEW_NEGATIVE_CLASSES:
        if group in hours:
            n = len(false_by_group[group])
            n_damaged = sum(len(r.damaged_frames) for r in results if r.group == group)
            print(f"  {group} negatives: {n} false positives in {hours[group] * 60:.1f} min "
                  f"({n_damaged} damaged frames)")  # fmt: skip
    fps = [d for g in negatives for _, d in false_by_group.get(g, [])]
    print(f"  ALL NEGATIVES (old and issue-11 classes): {len(fps)} in {neg_h * 60:.1f} min = "
          f"{10 * len(fps) / neg_h:.2f} per 10 hours")  # fmt: skip
    print(f"  false positives by track length, all negatives ({neg_h * 60:.1f} min, old and new classes)")
    for lo, hi, label in LENGTH_BINS:
        n = sum(lo <= _frames(d) <= hi for d in fps)
        print(f"    {label:12s} {n:4d}   {n / neg_h:6.2f} per hour = {10 * n / neg_h:6.2f} per 10 hours"
              + ("   (target <= 1 per 10 hours)" if lo == 4 else ""))  # fmt: skip
    shorter = sum(_frames(d) < 4 for d in fps)
    if shorter:
        print(f"    < 4 frames   {shorter:4d}")
    every = [d for items in false_by_group.values() for _, d in items]
    few = sum(len(d["frames"]) <= 5 for d in every)
    print(f"  false positives of every clip (meteor clips too) by points: <= 5 points (short tracks, "
          f"whatever their span) {few}, more {len(every) - few}")  # fmt: skip


def _report_new_misses(outcomes: list[Outcome]) -> None:
    bad = [o for o in outcomes if o.group in NEW_METEOR_GROUPS and (not o.found or o.pieces > 1)]
    if bad:
        print(f"issue 11 groups: missed or split meteors ({len(bad)}; rerun one with --clip NAME)")
    for o in bad[:30]:
        m = o.meteor
        what = o.why if not o.found else f"split into {o.pieces} detections"
        arc = f" arc {m['arc_deg']:.0f} deg" if "arc_deg" in m else ""
        print(f"    {o.clip} #{m['index']} frames {m['first']}-{m['last']} SNR {m['snr']:.1f} "
              f"{m['speed_deg_s']:.1f} deg/s{arc} {m['light_curve']}: {what}")  # fmt: skip
