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

Groups of issue 11 (what real fireballs and event clips show; seeds of their own, so the groups above draw
the same clips as before):

- ``saturated``: :func:`~detection.synth.sky.random_saturated_fireball`, one per 5-s slot (a core clipped
  at 255 several px wide, a halo and a sky glow following the head's light, mostly terminal flares),
  18 in 6 clips; ``fragmenting``: :func:`~detection.synth.sky.random_fragmenting_fireball`, 12 in 4 clips;
- ``curved``: all-sky event clips (512x512, equidistant lens 200 degrees across, looking up), one long
  meteor each on a great circle (:func:`~detection.synth.sky.random_arc_meteor`: 40-150 degrees, 15-45
  deg/s), 24 clips;
- ``event``: short event clips (:func:`~detection.synth.sky.random_event`: 2-12 s, the meteor starting
  0.5-3 s in; a third fireballs; a third with 1-4 codec-damaged frames somewhere), 30 clips;
- negatives ``damage`` (codec damage: 6 events of 1-4 frames per minute) and ``gain`` (3 gain steps and 3
  brightenings of all stars per minute), four minutes each.

Each meteor of these groups should give exactly one detection: the report gives how many were found, how
many by exactly one detection and how many were split, the false positives of the ``damage`` and ``gain``
minutes, and the false positives of all negative minutes by track length (4-5 frames, 6-10, longer).
A clip on which the pipeline raises is listed with the error (and counts as nothing found).

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

The clips are drawn in ``bench/_detection_scenes.py``, scored and reported in ``bench/_detection_report.py``.

Targets (issue 4): recall >= 95 % for peak SNR >= 5 and >= 6 frames, at most 1 false positive per 10
hours of negative video in total, median centroid error <= 0.5 px.

Run: ``.venv/bin/python bench/detection.py [--quick] [--seed N] [--workers N] [--bit-rate BPS] [--clip NAME]
[--groups G1,G2] [--videos DIR] [--save JSON] [--values-only] [--event-clips FRAMES] [--no-sky-model]
[--follow-ends]`` (``--groups curved,damage`` runs only those groups; ``--event-clips 320`` verifies videos
of at most 320 frames whole on the sky before their event, :mod:`detection.meteors.background`;
``--no-sky-model`` verifies without the camera's model, as ``processing.sky_tracks: false``;
``--follow-ends`` follows slow tracks beyond their ends, :mod:`detection.meteors.track_ends`) (full: about
20 min on 2 cores, most of it
rendering; ``--quick``: under 2 min; ``--videos`` keeps the encoded clips, about 1 GB, and reuses them in
later runs: then a full run takes about 6 min).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
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
from detection.meteors.sky_track import SkyProjection  # noqa: E402
from detection.meteors.verify import MinuteVerifier, VerifySettings, VerifyWindow, frame_runs, plan_windows  # noqa: E402
from detection.scan.minute import ScanSettings, scan_video  # noqa: E402
from detection.synth.sky import SkySettings, SkyVideo  # noqa: E402
from detection.video.decode import open_video  # noqa: E402

# The benchmark's own modules (bench/_detection_*.py), once ``detection`` is the package in sys.modules.
sys.path.append(str(_HERE))

from _detection_report import report  # noqa: E402
from _detection_scenes import FPS, HEIGHT_PX, WIDTH_PX, Clip, ClipResult, build_clips, damaged_frames  # noqa: E402

# -------------------------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class RunConfig:
    workdir: str
    bit_rate: int | None
    keep: bool  # keep the clips in workdir and reuse those already there (same name, seed, bit rate)
    verify: bool  # False: values stage only
    sky_model: bool = True  # give the verifier the camera's model (tracks as great circles), as the station
    # VerifySettings.event_clip_frames: videos of at most that many frames verified whole as event clips
    event_clip_frames: int = 0
    follow_ends: bool = False  # MeteorSettings.follow_track_ends: slow tracks followed beyond their ends


def run_clip(clip: Clip, cfg: RunConfig) -> ClipResult:
    """Render, encode, scan, detect candidates, verify; the timings are per stage (wall s). A clip on
    which the pipeline raises is a result with its ``error`` (a damaged clip must never be an error)."""
    t: dict[str, float] = {}
    s = clip.settings
    path = Path(cfg.workdir) / f"{clip.name}_seed{s.seed}_{cfg.bit_rate or 'crf18'}.mp4"
    t0 = time.perf_counter()
    video = SkyVideo(s, clip.objects)
    reuse = cfg.keep and path.exists()
    truth = video.truth() if reuse else video.write(path, bit_rate=cfg.bit_rate)
    t["reused"] = float(reuse)
    t["render_write_s"] = time.perf_counter() - t0
    meteors = [truth_meteor(o, s) for o in truth["objects"] if o["kind"] in ("meteor", "arc_meteor")]
    try:
        result = _pipeline(clip, path, cfg, meteors, t)
    except Exception as exc:  # the benchmark reports it and goes on
        result = ClipResult(
            name=clip.name, group=clip.group, n_frames=video.n_frames, duration_s=s.duration_s,
            meteors=meteors, status="error", candidates=[], windows=[], detections=[], rejected=[],
            timings=t, error=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    result.damaged_frames = damaged_frames(clip)
    if not cfg.keep:
        path.unlink(missing_ok=True)
    return result


def _pipeline(
    clip: Clip, path: Path, cfg: RunConfig, meteors: list[dict[str, Any]], t: dict[str, float]
) -> ClipResult:
    s = clip.settings
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
    settings = VerifySettings(event_clip_frames=cfg.event_clip_frames)
    windows = plan_windows(candidates, runs, scan.n_frames, settings)[: settings.max_windows]
    detections: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    if windows and cfg.verify:
        detections, rejected, blocks = verify(
            path, windows, s, scan.n_frames, t, cfg.sky_model, settings, _meteor_settings(cfg)
        )
        t["decode_only_s"], t["decode_only_cpu_s"] = decode_only(path, blocks)
    return ClipResult(
        name=clip.name, group=clip.group, n_frames=scan.n_frames, duration_s=s.duration_s,
        meteors=meteors, status=result.status, candidates=candidates,
        windows=[(w.first, w.last) for w in windows],
        detections=detections, rejected=rejected, timings=t,
    )  # fmt: skip


def truth_meteor(obj: dict[str, Any], s: SkySettings) -> dict[str, Any]:
    frames = obj["frames"]
    meteor = {
        "index": obj["index"],
        "first": obj["first_frame"],
        "last": obj["last_frame"],
        "snr": max(p["snr"] for p in frames),
        "centroids": {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in frames},
        "frames_snr3": sum(p["snr"] >= 3.0 for p in frames),  # frames whose peak pixel reaches 3 sigma
        "fireball": obj["sky_glow"] > 0 or obj.get("halo", 0.0) > 0,
        "light_curve": obj["light_curve"],
    }
    if obj["kind"] == "arc_meteor":  # a curve on the image: matched against the head's path
        meteor["speed_deg_s"] = obj["speed_deg_s"]
        meteor["arc_deg"] = obj["arc_deg"]
        meteor["path"] = obj["path_px"]
        (x0, y0), (x1, y1) = obj["path_px"][0], obj["path_px"][-1]
        meteor["track"] = (x0, y0, x1, y1)
    else:
        meteor["speed_deg_s"] = obj["speed_px_s"] / s.cam.scale_px_per_deg
        meteor["track"] = (obj["x0_px"], obj["y0_px"], obj["x1_px"], obj["y1_px"])
    return meteor


class TimedDetector(MeteorDetector):
    """The default detector, timing its calls and keeping every detection it makes (for the report)."""

    def __init__(self, settings: MeteorSettings | None = None) -> None:
        super().__init__(settings)
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


def _meteor_settings(cfg: RunConfig) -> MeteorSettings:
    return MeteorSettings(follow_track_ends=cfg.follow_ends)


def verify(
    path: Path,
    windows: list[VerifyWindow],
    s: SkySettings,
    n_frames: int,
    t: dict[str, float],
    sky_model: bool = False,
    settings: VerifySettings | None = None,
    meteor_settings: MeteorSettings | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, int]]]:
    """Verify the windows; returns the meteors' and the other detections' JSON records (with ``passed``
    and ``reasons``) and the frame blocks the detector was given."""
    detector = TimedDetector(meteor_settings)
    sky = SkyProjection(s.cam) if sky_model else None
    verifier = MinuteVerifier(detector, scale_px_per_deg=s.cam.scale_px_per_deg, sky=sky, settings=settings)
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
    parser.add_argument(
        "--sky-model",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="verify with the camera's model (a track is the better of its image fit and its great circle;"
        " speeds in deg through the model), as the station's verify stage does (processing.sky_tracks)",
    )
    parser.add_argument(
        "--event-clips",
        type=int,
        default=0,
        metavar="FRAMES",
        help="verify videos of at most FRAMES frames whole, on the sky before their event "
        "(VerifySettings.event_clip_frames; e.g. 320)",
    )
    parser.add_argument(
        "--follow-ends",
        action="store_true",
        help="follow slow tracks' heads beyond their ends (MeteorSettings.follow_track_ends; off by default)",
    )
    parser.add_argument("--groups", help="run only these groups, comma-separated (e.g. curved,damage)")
    args = parser.parse_args()
    print("$ " + shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    clips = build_clips(args.seed, args.quick)
    if args.groups:
        wanted = set(args.groups.split(","))
        unknown = wanted - {c.group for c in clips}
        if unknown:
            parser.error(
                f"--groups: no such group {sorted(unknown)}; groups: {sorted({c.group for c in clips})}"
            )
        clips = [c for c in clips if c.group in wanted]
    if args.clip:
        clips = [c for c in clips if c.name == args.clip]
        if not clips:
            parser.error(f"--clip {args.clip}: no such clip with seed {args.seed}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.videos or tmp
        Path(workdir).mkdir(parents=True, exist_ok=True)
        cfg = RunConfig(
            workdir,
            args.bit_rate or None,
            bool(args.videos),
            not args.values_only,
            args.sky_model,
            args.event_clips,
            args.follow_ends,
        )
        detector_settings = _meteor_settings(cfg)
        print("verify not run (--values-only)" if args.values_only else f"detector: {detector_settings}")
        s = clips[0].settings
        print(f"{len(clips)} clips, {WIDTH_PX}x{HEIGHT_PX} {FPS:g} fps, {s.cam.scale_px_per_deg:.2f} px/deg, "
              f"H.264 {'crf 18' if cfg.bit_rate is None else f'{cfg.bit_rate / 1e6:g} Mbit/s'}, "
              f"seed {args.seed}, {args.workers} workers (NUMBA_NUM_THREADS=1 each)")  # fmt: skip
        results = []
        for r in run_all(clips, cfg, args.workers):
            results.append(r)
            print(f"  [{len(results)}/{len(clips)}] {r.name}: {r.status}, {len(r.candidates)} candidates, "
                  f"{len(r.detections)} verified, {len(r.rejected)} other detections"
                  + (f"; ERROR {r.error}" if r.error else ""), flush=True)  # fmt: skip
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
