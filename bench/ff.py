"""Benchmark of FF compression: one 256-frame 1280x720 block against a plain numpy sum of the same block.

Prints, measured in the same run on the same block (median of ``--repeat`` interleaved runs):

- numpy ``frames.sum(axis=0, dtype=np.uint32)`` time (the baseline);
- :func:`detection.scan.ff.compress_block` time (all four planes) and its ratio to the baseline
  (target <= 4; the RMS compressor, compiled Cython, measures about 12 on the 2-core reference machine);
- the same through :class:`detection.scan.ff.FFAccumulator` in chunks of ``--chunk`` frames (as the scan
feeds it);
- peak RSS of the process (the block alone is 236 MB).

Run: ``.venv/bin/python bench/ff.py``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np

from detection.scan.ff import FFAccumulator, compress_block


def _block(n: int, height: int, width: int, seed: int) -> np.ndarray:
    """A night-sky-like block: background 28 DN, Gaussian noise 2.5 DN, a few hundred bright pixels."""
    rng = np.random.default_rng(seed)
    frames = np.empty((n, height, width), dtype=np.uint8)
    stars = rng.integers(0, height * width, 400)
    for k in range(n):
        f = rng.normal(28.0, 2.5, (height, width))
        f.flat[stars] += 150.0
        frames[k] = np.clip(f, 0, 255)
    return frames


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _chunked(frames: np.ndarray, chunk: int) -> None:
    acc = FFAccumulator(frames.shape[1], frames.shape[2])
    for i in range(0, frames.shape[0], chunk):
        acc.add(frames[i : i + chunk])
    acc.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=32)
    args = parser.parse_args()
    frames = _block(256, 720, 1280, seed=1)
    compress_block(frames[:8])  # compile (or load the cache) outside the timing
    runs: dict[str, list[float]] = {"numpy sum": [], "compress_block": [], "chunked": []}
    for _ in range(args.repeat):
        runs["numpy sum"].append(_time(lambda: frames.sum(axis=0, dtype=np.uint32)))
        runs["compress_block"].append(_time(lambda: compress_block(frames)))
        runs["chunked"].append(_time(lambda: _chunked(frames, args.chunk)))
    base = statistics.median(runs["numpy sum"])
    print(f"block 256x720x1280 uint8 (single-threaded kernel), median of {args.repeat} runs")
    for name, ts in runs.items():
        t = statistics.median(ts)
        print(f"  {name:<16} {t * 1e3:7.1f} ms   ratio to numpy sum {t / base:5.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"compression / numpy sum = {statistics.median(runs['compress_block']) / base:.2f} (target <= 4)")
    print(f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
