"""Benchmark of the decoders: PyAV (Y plane read directly) against OpenCV (BGR read + grey), threads on/off.

Decodes the benchmark minute (60 s, 1280x720, 25 fps H.264 from :mod:`detection.synth.sky`) with every backend
and thread setting of :func:`detection.video.decode.open_video`, interleaved, ``--repeat`` times, and prints
the
median time per frame and the ratio to the fastest. The fastest is the default of ``open_video``
(``backend="auto"`` -> PyAV, ``threads=0``).

Recorded on the 2-core reference machine (Intel Xeon, 2 vCPU) while other jobs kept it busy (load 4-5), so
the decoder threads had no idle core to use; ``--repeat 3``, the generator's minute (x264 CRF 18, 123 MB):

====================  ========  =====================
mode                  ms/frame  CPU s (all threads)
====================  ========  =====================
pyav, threads auto    16.7      25.4
pyav, 1 thread        16.7      24.8
opencv, threads auto  18.6      30.0
opencv, 1 thread      20.1      29.7
====================  ========  =====================

On the same machine when quieter (a noise-only 720p minute, 1500 frames): PyAV threads auto 14.2 s,
PyAV 1 thread 30.6 s, OpenCV read + grey 27.5 s. PyAV with ``threads=0`` is the default.

Run: ``.venv/bin/python bench/decode.py [--video PATH] [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _minute import minute_path

from detection.video.decode import Backend, open_video

MODES: list[tuple[str, Backend, int]] = [
    ("pyav, threads auto", "pyav", 0),
    ("pyav, 1 thread", "pyav", 1),
    ("opencv, threads auto", "opencv", 0),
    ("opencv, 1 thread", "opencv", 1),
]


def decode_all(path: str, backend: Backend, threads: int) -> tuple[int, float, float]:
    """Decode every frame (luma only, no copy); return (frames, wall seconds, CPU seconds of all threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    with open_video(path, backend, threads=threads) as video:
        n = sum(1 for _ in video.frames())
    return n, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", help="video to decode (rendered there first when missing)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--bitrate", type=float, default=None, help="render at this many Mbit/s (camera-like)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(minute_path(args.video, tmp, None if args.bitrate is None else int(args.bitrate * 1e6)))
        times: dict[str, list[float]] = {name: [] for name, _, _ in MODES}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in MODES}
        n_frames = 0
        for _ in range(args.repeat):
            for name, backend, threads in MODES:
                n_frames, t, c = decode_all(path, backend, threads)
                times[name].append(t)
                cpu[name].append(c)
    best = min(statistics.median(ts) for ts in times.values())
    print(f"{path}: {n_frames} frames, median of {args.repeat} runs")
    for name, ts in times.items():
        t, c = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"  {name:<22} {t:6.2f} s  {t / n_frames * 1e3:6.2f} ms/frame  ratio to fastest {t / best:5.2f}"
            f"  CPU {c:6.2f} s"
        )
    fastest = min(times, key=lambda k: statistics.median(times[k]))
    print(f"fastest: {fastest} (open_video default: pyav, threads auto)")


if __name__ == "__main__":
    main()
