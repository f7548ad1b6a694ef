"""Saturated heads: centroids from the clipped core's shape against intensity-weighted ones, on the truth.

Renders ``--n`` saturated fireballs (:func:`detection.synth.sky.random_saturated_fireball`: a core
clipped at 255 several px wide, a halo and a sky glow following the head's light, flares; 640x360, 4 s
each), optionally through H.264 at 1.5 Mbit/s (``--codec``), detects them with the default
:class:`~detection.meteors.detector.MeteorDetector` twice - centroids from the clipped core where the head
saturates (:func:`detection.meteors.saturation.core_centroid`, the default) and intensity-weighted
everywhere - and prints the error of the saturated frame points of each against the generator's truth
(the light-weighted centroid of the head's path in each frame).

Run: ``PYTHONPATH=. .venv/bin/python bench/saturated_centroids.py [--n 8] [--codec]`` (about 1 s per
fireball; ``--codec`` a few more). Measured (2026-12-07): ``--n 8``: core median 0.025 px (90th
percentile 0.068) over 91 points, intensity-weighted 0.072 (0.209); ``--n 6 --codec``: 0.037 (0.088)
against 0.130 (0.226) over 46 points.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

# This folder holds a script called detection.py: keep it off the path so ``detection`` is the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import detection.meteors.centroids as centroids  # noqa: E402
import detection.meteors.detector as detector  # noqa: E402
from detection.synth.sky import SkySettings, SkyVideo, random_saturated_fireball  # noqa: E402
from detection.video.window import read_window  # noqa: E402


def errors(
    frames: np.ndarray, truth: dict[int, tuple[float, float]], s: SkySettings, cores: bool
) -> list[float]:
    """Errors (px) of the saturated frame points of the longest passed detection."""
    detector.centroids_frames = functools.partial(centroids.centroids_frames, saturated_cores=cores)
    scale = s.cam.scale_px_per_deg
    found = detector.MeteorDetector().detect_frames(frames, fps=s.fps, scale_px_per_deg=scale)
    passed = [d for d in found if d.passed]
    if not passed:
        return []
    best = max(passed, key=lambda d: len(d.frames))
    return [
        math.hypot(p.x_px - truth[p.frame][0], p.y_px - truth[p.frame][1])
        for p in best.frames
        if p.saturated_px and p.frame in truth
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="fireballs")
    parser.add_argument("--codec", action="store_true", help="through H.264 at 1.5 Mbit/s")
    args = parser.parse_args()
    found: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.n):
            s = SkySettings(width_px=640, height_px=360, duration_s=4.0, seed=500 + k)
            meteor = random_saturated_fireball(np.random.default_rng(900 + k), s, t_range_s=(0.3, 0.8))
            video = SkyVideo(s, [meteor])
            if args.codec:
                path = Path(tmp) / f"fireball{k}.mp4"
                truth = video.write(path, bit_rate=1_500_000)
                frames = read_window(path, 0, video.n_frames - 1).frames
            else:
                truth, frames = video.truth(), video.render()
            points = truth["objects"][0]["frames"]
            where = {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in points}
            for cores in (True, False):
                found[cores] += errors(frames, where, s, cores)
    print(f"{args.n} saturated fireballs, 640x360, {'H.264 1.5 Mbit/s' if args.codec else 'no codec'}")
    for cores, label in ((True, "clipped core's shape"), (False, "intensity-weighted")):
        e = np.array(found[cores])
        print(f"  {label:22s} median {np.median(e):.3f} px, 90th percentile {np.percentile(e, 90):.3f} px "
              f"over {e.size} saturated frame points")  # fmt: skip


if __name__ == "__main__":
    main()
