"""Values detection on the benchmark minute (``bench/_minute.py``: seed 7, five meteors, a plane, a
satellite, a hot pixel), encoded at a camera's bit rate or at crf 18.

Prints the noise figures of the values (median background noise, the share of bins above z = 3 in the
first frames and over the minute) and the detect result: status, candidates, and which injected meteors
with peak SNR >= 5 lasting >= 6 frames lie inside a candidate's frame range. Speeds as the station sets
them for this camera: 2-51 deg/s at 14.55 px/deg.

Run: ``.venv/bin/python bench/detection_values.py [--video PATH] [--bit-rate 6000000]``
(``--video`` reuses a rendered minute; otherwise one is rendered into a temporary folder, 2-3 minutes.)
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from _minute import minute_path

from detection.candidates import CandidateFinder, CandidateSettings
from detection.scan.values import ValuesAccumulator
from detection.synth.sky import SkySettings, SkyVideo, random_meteor, random_negatives
from detection.video.decode import open_video


def truth_meteors(seed: int = 7) -> list[tuple[int, int, float]]:
    """(first frame, last frame, peak SNR) of the minute's meteors, as ``bench/_minute.py`` draws them."""
    settings = SkySettings(width_px=1280, height_px=720, fps=25.0, duration_s=60.0, seed=seed)
    rng = np.random.default_rng(seed)
    objects = [random_meteor(rng, settings) for _ in range(5)] + random_negatives(rng, settings)
    out = []
    for obj in SkyVideo(settings, objects).truth()["objects"]:
        if obj["kind"] == "meteor" and obj["first_frame"] is not None:
            out.append((obj["first_frame"], obj["last_frame"], max(p["snr"] for p in obj["frames"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", help="the minute (rendered there when missing)")
    parser.add_argument("--bit-rate", type=int, default=6_000_000, help="bit/s when rendering; 0: crf 18")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = minute_path(args.video, tmp, bit_rate=args.bit_rate or None)
        with open_video(path) as video:
            acc = ValuesAccumulator(video.height, video.width, fps=video.fps)
            for chunk in video.chunks(64):
                acc.add(chunk)
        values = acc.finish()
    changed = values.n_changed / values.n_bins
    print(f"{path}: {values.n_frames} frames, noise {values.noise_dn:.2f} DN per pixel")
    first, median, p99 = (
        100 * x for x in (changed[:32].mean(), np.median(changed), np.percentile(changed, 99))
    )
    print(f"  bins with z > 3: frames 0-31 {first:.2f} %, median {median:.2f} %, 99th percentile {p99:.2f} %")
    print("  (Gaussian noise: 0.13 %)")
    px_frame = 14.55 / 25.0
    detector = CandidateFinder(
        CandidateSettings(min_speed_px_frame=2 * px_frame, max_speed_px_frame=51 * px_frame)
    )
    result = detector(values)
    print(f"  status {result.status} {result.reason}, {len(result.widespread_frames)} widespread frames")
    for c in result.candidates:
        print(f"  candidate frames {c.frame_start}-{c.frame_end}, {c.n_points} points, peak z {c.peak_z:.1f}")
    for first, last, snr in truth_meteors():
        inside = any(c.frame_start <= first and last <= c.frame_end for c in result.candidates)
        qualifies = snr >= 5 and last - first + 1 >= 6
        print(
            f"  meteor {first}-{last} SNR {snr:.1f}: {'found' if inside else 'missed'}"
            f"{'' if qualifies else ' (not required: SNR < 5 or < 6 frames)'}"
        )


if __name__ == "__main__":
    main()
