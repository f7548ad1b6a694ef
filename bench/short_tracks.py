"""Short meteors (4-5 frames) through H.264: found with and without the evidence a short track needs.

Issue 11 item 5: a track of at most ``MeteorSettings.short_max_frames`` points passes only with the
evidence of :mod:`detection.meteors.short_track`. This measures what that costs on genuine short meteors:
``--n`` meteors of :func:`detection.synth.sky.random_meteor` lasting 0.15-0.2 s (4-5 frames at 25 fps),
peak SNR 4-30 (log-uniform), 3-45 deg/s, the four light curves, each alone in a 4-second 640 x 360 clip
with the star field, encoded as H.264 at 1.5 Mbit/s (as ``bench/detection.py``), decoded and given whole
to :meth:`MeteorDetector.detect_frames` twice: with the default settings, and with
``short_max_frames=0`` (the checks of a long track only). A meteor is found when a passed detection's
points lie within 3 px (median) of its track and share its frames (+-2).

Prints, for both: meteors found, how many of them by a detection of at most 5 points (those the evidence
applies to), and the other passed detections (false positives in the clips); then each meteor found
without the evidence and lost with it, with its short checks.

Run: ``.venv/bin/python bench/short_tracks.py [--n 80] [--seed 7] [--only 3,17]`` (about 3 minutes per 80
meteors on a busy core; ``--only`` reruns those meteors).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

# This folder holds a script called detection.py: keep it off the import path (as bench/detection.py).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from detection.meteors.detector import MeteorDetector  # noqa: E402
from detection.meteors.record import Detection  # noqa: E402
from detection.meteors.settings import MeteorSettings  # noqa: E402
from detection.synth.sky import Meteor, SkySettings, SkyVideo, random_meteor  # noqa: E402
from detection.video.decode import open_video  # noqa: E402

MATCH_PX = 3.0


def _on_track(d: Detection, m: Meteor, first: int, last: int) -> bool:
    frames = [p.frame for p in d.frames]
    if max(frames) < first - 2 or min(frames) > last + 2:
        return False
    dx, dy = m.x1_px - m.x0_px, m.y1_px - m.y0_px
    length2 = dx * dx + dy * dy
    dist = []
    for p in d.frames:
        u = min(1.0, max(0.0, ((p.x_px - m.x0_px) * dx + (p.y_px - m.y0_px) * dy) / length2))
        dist.append(math.hypot(p.x_px - m.x0_px - u * dx, p.y_px - m.y0_px - u * dy))
    return statistics.median(dist) <= MATCH_PX


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=80, help="meteors (one per clip)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="run only these meteors (comma-separated indices, e.g. 3,17)")
    args = parser.parse_args()
    configs = {"with the short evidence": MeteorSettings(), "without": MeteorSettings(short_max_frames=0)}
    found = {k: 0 for k in configs}
    by_short = {k: 0 for k in configs}
    others = {k: 0 for k in configs}
    lost = []
    with tempfile.TemporaryDirectory() as tmp:
        wanted = [int(k) for k in args.only.split(",")] if args.only else range(args.n)
        for i in wanted:
            s = SkySettings(width_px=640, height_px=360, fps=25.0, duration_s=4.0, seed=args.seed * 1000 + i)
            rng = np.random.default_rng([args.seed, i])
            m = random_meteor(rng, s, duration_s=(0.15, 0.2), peak_snr=(4.0, 30.0), t_range_s=(1.5, 2.0))
            path = Path(tmp) / f"short-{i:03d}.mp4"
            truth = SkyVideo(s, [m]).write(path, bit_rate=1_500_000)
            obj = next(o for o in truth["objects"] if o["kind"] == "meteor")
            with open_video(path) as reader:
                frames = np.array(list(reader.frames()))
            hits = {}
            for name, settings in configs.items():
                dets = MeteorDetector(settings).detect_frames(
                    frames, fps=s.fps, scale_px_per_deg=s.cam.scale_px_per_deg
                )
                on = [d for d in dets if d.passed and _on_track(d, m, obj["first_frame"], obj["last_frame"])]
                hits[name] = on
                found[name] += bool(on)
                by_short[name] += bool(on) and max(len(d.frames) for d in on) <= 5
                others[name] += sum(d.passed for d in dets) - len(on)
            if hits["without"] and not hits["with the short evidence"]:
                kept = {tuple(p.frame for p in d.frames) for d in hits["without"]}
                again = MeteorDetector().detect_frames(
                    frames, fps=s.fps, scale_px_per_deg=s.cam.scale_px_per_deg
                )
                why = [r for d in again if tuple(p.frame for p in d.frames) in kept for r in d.reasons]
                lost.append((i, m, obj, why))
    print(f"$ {' '.join(sys.argv)}")
    print(f"{args.n} short meteors (0.15-0.2 s, peak SNR 4-30, 3-45 deg/s), H.264 1.5 Mbit/s, "
          f"seed {args.seed}")  # fmt: skip
    for name in configs:
        print(f"  {name:24s} found {found[name]:3d}/{args.n}, of which by a track of <= 5 points "
              f"{by_short[name]:3d}; other passed detections {others[name]}")  # fmt: skip
    print(f"  lost by the short evidence: {len(lost)}")
    for i, m, obj, why in lost:
        print(f"    #{i}: frames {obj['first_frame']}-{obj['last_frame']}, peak SNR {m.peak_snr:.1f}, "
              f"{m.light_curve}: {'; '.join(why)}")  # fmt: skip


if __name__ == "__main__":
    main()
