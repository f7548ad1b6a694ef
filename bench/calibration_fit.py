"""Automatic first calibration from a coarse guess, on the real FF files of UK0006 (issue 12, item 3).

For each FF file of ``../shared/data/rms/UK0006_20220914`` (or ``--data``): stars from its mean image
(:class:`calibration.stars.StarFinder`, the station mask out), then N guesses drawn around the camera that
RMS's recalibrated plate of that FF describes (pointing and rotation off by up to ``--off-deg``, the field
of view by up to ``--off-scale``), each fitted by :class:`calibration.fit.PlateFitter`. Prints per file how
many guesses solved, the median star residual, the fitted centre against RMS's plate, the plate against RMS's
over a 9 x 5 grid of the image, and the time of a fit as a ratio to the star extraction of the same frame
(measured in the same run: the machines are shared and noisy). A guess 40 deg off must give no solution.

Run: ``.venv/bin/python bench/calibration_fit.py [--n 20] [--seed 42] [--data DIR]`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np

# bench/detection.py would shadow the ``detection`` package: this folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from calibration import (  # noqa: E402
    CameraModel,
    Platepar,
    camera_of_platepar,
    load_hipparcos,
    parse_recalibrated_platepars,
)
from calibration.fit import PlateFitter  # noqa: E402
from calibration.stars import StarFinder  # noqa: E402
from detection import read_ff  # noqa: E402

FILES = ("FF_UK0006_20220914_194911_205_0079616.fits", "FF_UK0006_20220914_200017_020_0096000.fits")


def separation_arcmin(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray) -> np.ndarray:
    a1, d1, a2, d2 = (np.radians(np.asarray(v, dtype=float)) for v in (ra1, dec1, ra2, dec2))
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(a1 - a2)
    return np.asarray(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))) * 60.0)


def run_file(folder: Path, name: str, plates: dict[str, Platepar], args: argparse.Namespace) -> None:
    ff = read_ff(folder / name)
    t_utc = ff.start_utc + timedelta(seconds=5.12)  # mid-block
    mask = cv2.imread(str(folder / "mask.bmp"), cv2.IMREAD_GRAYSCALE) == 0
    t0 = time.perf_counter()
    stars = StarFinder()(ff.planes.avepixel, mask)
    extract_s = time.perf_counter() - t0
    truth = plates[name]
    camera = camera_of_platepar(truth, t_utc)
    fitter = PlateFitter(load_hipparcos(6.0))
    rng = np.random.default_rng(args.seed)
    gx, gy = np.meshgrid(np.linspace(0, truth.x_res_px - 1, 9), np.linspace(0, truth.y_res_px - 1, 5))
    ra_t, dec_t = truth.pixel_to_sky(gx.ravel(), gy.ravel(), t_utc)
    solved, residuals, centres, grids, times = 0, [], [], [], []
    site = {"lat_deg": truth.lat_deg, "lon_deg": truth.lon_deg, "elevation_m": truth.elevation_m}
    for _ in range(args.n):
        d = rng.uniform(-1, 1, 4)
        guess = CameraModel(
            camera.width_px, camera.height_px, camera.az_deg + args.off_deg * d[0],
            camera.alt_deg + args.off_deg * d[1], camera.rotation_deg + args.off_deg * d[2],
            camera.fov_h_deg * (1 + args.off_scale * d[3]),
        )  # fmt: skip
        t0 = time.perf_counter()
        fit = fitter(stars.x_px, stars.y_px, t_utc, guess, **site)
        times.append(time.perf_counter() - t0)
        if not fit.solved:
            continue
        solved += 1
        residuals.append(fit.median_residual_px)
        ra, dec = fit.platepar.pixel_to_sky(gx.ravel(), gy.ravel(), t_utc)
        grids.append(float(np.median(separation_arcmin(ra, dec, ra_t, dec_t))))
        centre = (truth.x_res_px - 1) / 2, (truth.y_res_px - 1) / 2
        rc, dc = fit.platepar.pixel_to_sky(*centre, t_utc)
        rt, dt = truth.pixel_to_sky(*centre, t_utc)
        centres.append(float(separation_arcmin(rc, dc, rt, dt)))
    far = CameraModel(
        camera.width_px, camera.height_px, camera.az_deg + 40, camera.alt_deg, 0.0, camera.fov_h_deg
    )
    wrong = fitter(stars.x_px, stars.y_px, t_utc, far, **site)
    off = f"{args.off_deg:g} deg and {100 * args.off_scale:g} %"
    print(f"{name}: {len(stars.x_px)} stars; solved {solved}/{args.n} guesses off by up to {off}")
    if solved:
        print(f"  median star residual {statistics.median(residuals):.3f} px; fitted centre vs RMS's plate "
              f"median {statistics.median(centres):.2f} arcmin (max {max(centres):.2f});")  # fmt: skip
        print(f"  plate vs RMS's over a 9x5 grid of the image: median {statistics.median(grids):.2f} arcmin")
    print(f"  a fit takes {statistics.median(times) / extract_s:.1f}x the star extraction of the frame "
          f"(median {statistics.median(times):.2f} s)")  # fmt: skip
    print(f"  a guess 40 deg off: {'SOLVED (wrong)' if wrong.solved else 'no solution: ' + wrong.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="guesses per file")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--off-deg", type=float, default=10.0)
    parser.add_argument("--off-scale", type=float, default=0.15)
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
    for name in FILES:
        run_file(folder, name, plates, args)


if __name__ == "__main__":
    main()
