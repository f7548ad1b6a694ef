"""Benchmark of scan-and-stack on a 60 s 1280x720 25 fps H.264 minute from :mod:`detection.synth.sky`.

Prints, measured in the same run:

- scan wall time (:func:`detection.scan.minute.scan_video`: FF blocks, values, stack, preview) divided by the
  decode-only wall time of the same file with the same decoder (luma frames, no copy), medians of
  ``--repeat`` interleaved runs (target <= 1.3);
- FF compression of one 256-frame 720p block (:func:`detection.scan.ff.compress_block`, the first 256 frames
of
  the minute) divided by a plain numpy ``frames.sum(axis=0, dtype=np.uint32)`` of the same block
  (target <= 4);
- peak RSS of a process that imports stationd and scans the minute (target <= 500 MB).

The CPU-time ratio (all threads) is printed beside the wall-time ratio: on a machine shared with other
work the wall ratio wanders, the CPU ratio much less.

Run: ``.venv/bin/python bench/scan.py [--video PATH] [--repeat N]``
(``--video`` keeps the rendered minute for later runs: rendering and encoding take about 2-3 minutes.)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _minute import minute_path

from detection.scan.ff import compress_block
from detection.scan.minute import ScanSettings, scan_video
from detection.scan.values import ValuesAccumulator
from detection.video.decode import open_video


def warm_up() -> None:
    """Compile (or load from the cache) the numba kernels outside the timings."""
    compress_block(np.zeros((8, 16, 16), np.uint8))
    acc = ValuesAccumulator(64, 64)
    acc.add(np.zeros((40, 64, 64), np.uint8))
    acc.finish()


def decode_only(path: str, settings: ScanSettings) -> tuple[float, float]:
    """Wall and CPU seconds (all threads of the process) to decode every frame."""
    t0, c0 = time.perf_counter(), time.process_time()
    with open_video(path, settings.backend, threads=settings.decoder_threads) as video:
        for _ in video.frames():
            pass
    return time.perf_counter() - t0, time.process_time() - c0


def scan_once(path: str, settings: ScanSettings) -> tuple[float, float]:
    """Wall and CPU seconds of one scan."""
    t0, c0 = time.perf_counter(), time.process_time()
    scan_video(path, settings)
    return time.perf_counter() - t0, time.process_time() - c0


def first_block(path: str) -> np.ndarray:
    with open_video(path) as video:
        return next(video.chunks(256)).copy()


def compression_ratio(block: np.ndarray, repeat: int) -> tuple[float, float]:
    """Median seconds of numpy sum and of compress_block, interleaved."""
    sums, ffs = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        block.sum(axis=0, dtype=np.uint32)
        t1 = time.perf_counter()
        compress_block(block)
        t2 = time.perf_counter()
        sums.append(t1 - t0)
        ffs.append(t2 - t1)
    return statistics.median(sums), statistics.median(ffs)


def child_peak_rss_mb(path: str) -> tuple[float, str]:
    """Scan in a fresh process; return its peak RSS (MB) and its report line."""
    code = (
        "import resource, sys, time\n"
        "sys.path.insert(0, '.')\n"
        "from detection.scan.minute import scan_video\n"
        "t = time.perf_counter(); r = scan_video(sys.argv[1]); t = time.perf_counter() - t\n"
        "print(r.n_frames, len(r.ff_blocks), f'{t:.2f}',"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, path], check=True, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.split()  # fmt: skip
    n_frames, n_blocks, wall_s, rss_kb = out[-4:]
    return int(rss_kb) / 1024, f"{n_frames} frames, {n_blocks} FF blocks, {wall_s} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", help="the minute to scan (rendered there first when missing)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--bitrate", type=float, default=None, help="render at this many Mbit/s (camera-like)"
    )
    args = parser.parse_args()
    settings = ScanSettings()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(minute_path(args.video, tmp, None if args.bitrate is None else int(args.bitrate * 1e6)))
        warm_up()
        rss_mb, child = child_peak_rss_mb(path)
        decode_s, scan_s = [], []
        for _ in range(args.repeat):
            decode_s.append(decode_only(path, settings))
            scan_s.append(scan_once(path, settings))
        sum_s, ff_s = compression_ratio(first_block(path), max(5, args.repeat))
        with open_video(path) as video:
            backend, n = video.backend, sum(1 for _ in video.frames())
    dec, scan = (statistics.median(t[0] for t in ts) for ts in (decode_s, scan_s))
    dec_cpu, scan_cpu = (statistics.median(t[1] for t in ts) for ts in (decode_s, scan_s))
    print(f"{path}: {n} frames, medians of {args.repeat} interleaved runs, decoder {backend}")
    print(f"  decode only          {dec:6.2f} s   {dec / n * 1e3:5.2f} ms/frame   CPU {dec_cpu:6.2f} s")
    print(f"  scan                 {scan:6.2f} s   {scan / n * 1e3:5.2f} ms/frame   CPU {scan_cpu:6.2f} s")
    print(f"  scan / decode        {scan / dec:6.2f}     (target <= 1.3; CPU ratio {scan_cpu / dec_cpu:.2f})")
    print(f"  numpy sum, 256x720p  {sum_s * 1e3:6.1f} ms")
    print(f"  FF compress_block    {ff_s * 1e3:6.1f} ms")
    print(f"  compression / sum    {ff_s / sum_s:6.2f}     (target <= 4)")
    print(f"  peak RSS of a scan   {rss_mb:6.0f} MB  (target <= 500; child process: {child})")
    print(f"  peak RSS, this run   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MB")


if __name__ == "__main__":
    main()
