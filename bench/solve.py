"""Seconds per event of the trajectory solver, without Monte Carlo and with it (issue 14).

For each event of ``../shared/data/trajectories`` (or ``--data``) and a synthetic 3-station meteor (a
typical network event: 3 stations, 25 fps, 1.2 s, 30 arcsec noise), prints: points and tracks, the time of
the plane-intersection step alone (planes of every track, convergence of every pair, the intersection of
the best pair: Ceplecha 1987), of a plain solve (reading excluded), of a solve with ``--mc`` Monte Carlo
runs (default 20), and the plain solve as a ratio to the plane step measured in the same run (the machines
are shared and noisy; each time is the median of ``--repeat`` runs). Then the peak memory of the process.

Targets (issue 14): <= 5 s without Monte Carlo and <= 60 s with 20 runs per typical 3-station event on 2
cores (the solver is single-threaded).

Run: ``PYTHONPATH=. .venv/bin/python bench/solve.py [--mc 20] [--repeat 3] [--data DIR]`` (under a minute).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.trajectory.synthetic import synthetic_event  # noqa: E402
from trajectory import MonteCarlo, MonteCarloSettings, Track, TrajectorySolver, read_tracks  # noqa: E402
from trajectory.event import prepare_event  # noqa: E402
from trajectory.planes import convergence_angle_deg, fit_plane, intersect_planes  # noqa: E402

EVENTS = {
    "2023CX1 (3 st, 4 cams)": ["2023CX1_20230213/20230213_025913_trajectory.json"],
    "DFN DN141125_01 (3 st)": ["DFN_DN141125_01/inputs/*.ecsv"],
    "CMN 2017030506 (2 st)": ["CMN_2017030506/*.txt"],
    "RU 2019-04-27 (2 st)": ["RU_20190427/wmpl_trajectory_test_event.json"],
    "PER 2023-07-30 (11 cams)": ["PER_20230730/observations.json"],
    "ORI CAMO 2019 (4 cams)": ["ORI_CAMO_20191023/observations.json"],
}


def plane_step(tracks: list[Track]) -> None:
    """Ceplecha's step alone: the planes, the best-converging pair, its intersection."""
    event = prepare_event(tracks)
    planes = [fit_plane(event.los[event.track == k], event.station_m[event.track == k]) for k in
              range(event.n_tracks)]  # fmt: skip
    sites = event.sites
    pairs = [(convergence_angle_deg(planes[a], planes[b]), a, b) for a in range(len(planes))
             for b in range(a + 1, len(planes)) if sites[a] != sites[b]]  # fmt: skip
    _, a, b = max(pairs)
    los = event.los[event.track == a]
    intersect_planes(planes[a], planes[b], los[-1] - los[0])


def median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(name: str, tracks: list[Track], args: argparse.Namespace) -> None:
    solver = TrajectorySolver()
    t_plane = median_s(lambda: plane_step(tracks), max(args.repeat, 5))
    t_solve = median_s(lambda: solver(tracks), args.repeat)
    solution = solver(tracks)
    mc = MonteCarlo(MonteCarloSettings(n_runs=args.mc, seed=1), solver)
    t_mc = median_s(lambda: (solver(tracks), mc(tracks, solution)), 1)
    n_points = sum(len(t) for t in tracks)
    print(
        f"{name:26s} {len(tracks):3d} {n_points:6d} {t_plane * 1e3:9.1f} {t_solve:8.2f} "
        f"{t_mc:9.2f} {t_solve / t_plane:9.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--mc", type=int, default=20, help="Monte Carlo runs (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, median taken (default 3)")
    args = parser.parse_args()
    print(f"{'event':26s} {'trk':>3s} {'points':>6s} {'plane ms':>9s} {'solve s':>8s} "
          f"{'+MC' + str(args.mc) + ' s':>9s} {'solve/plane':>9s}")  # fmt: skip
    tracks, _ = synthetic_event(noise_arcsec=30.0, clock_errors_s=(0.0, 0.05, -0.1), seed=1)
    bench("synthetic (3 st, 25 fps)", tracks, args)
    base = args.data / "trajectories"
    if not base.is_dir():
        print(f"(no real events: {base} not found)")
    else:
        for name, patterns in EVENTS.items():
            paths = sorted(p for pattern in patterns for p in base.glob(pattern))
            bench(name, read_tracks(paths), args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mib:.0f} MiB; numpy {np.__version__}")


if __name__ == "__main__":
    main()
