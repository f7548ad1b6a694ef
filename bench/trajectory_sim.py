"""The trajectory solver on simulated events with known truth (issue 14, "Simulation").

Events are drawn by :class:`trajectory.EventSimulator` from the Global Meteor Network trajectory summary in
``../shared/data/trajectories`` (radiants, velocities, begin and end heights) and seen by 2 to 8 stations at
real station geometries (the UK stations of ``correlator/UK_20260712/stations.json``, and more 20-200 km
away), 1 arcmin noise, 25 fps, clocks off by 10 ms (sigma). Each event is solved from the stations'
records (``trajectory.solve_event``: solution, orbit, ``--mc`` Monte Carlo runs) and compared with the
truth: the geocentric radiant (J2000) and velocity, and the initial velocity. Prints the median and 95th
percentile of each error, and the share of events whose true value lies within 2 Monte Carlo sigmas of the
solution (RA and Dec of the geocentric radiant, Vg, v_init; the issue asks for >= 90 %).

Run: ``PYTHONPATH=. .venv/bin/python bench/trajectory_sim.py [--n 1000] [--mc 20] [--seed 1]`` (about
1 s per event with 20 Monte Carlo runs on this machine).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from trajectory import (  # noqa: E402
    EventSimulator,
    Orbit,
    SolveError,
    read_gmn_summary,
    read_station_sites,
    solve_event,
    tracks_from_meteor_record,
)


def _sep_deg(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    a, b, c, d = np.radians([ra1, dec1, ra2, dec2])
    cos = np.sin(b) * np.sin(d) + np.cos(b) * np.cos(d) * np.cos(a - c)
    return float(np.degrees(np.arccos(min(1.0, cos))))


def _wrap_deg(delta: float) -> float:
    return (delta + 180.0) % 360.0 - 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--n", type=int, default=1000, help="events (default 1000)")
    parser.add_argument("--mc", type=int, default=20, help="Monte Carlo runs per event (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    summary = args.data / "trajectories" / "traj_summary_20220304_solrange_344.0-345.0.txt"
    sites = args.data / "correlator" / "UK_20260712" / "stations.json"
    simulator = EventSimulator(read_gmn_summary(summary), read_station_sites(sites))
    events = simulator.simulate_many(args.n, args.seed)
    radiant, v_geo, v_init = [], [], []
    inside = {"ra_geo_deg": 0, "dec_geo_deg": 0, "v_geo_m_s": 0, "v_init_m_s": 0}
    failed, counted, started = 0, 0, time.perf_counter()
    for k, event in enumerate(events):
        tracks = [
            t for s in event.stations for t in tracks_from_meteor_record(s.observation_record(), s.station_id)
        ]
        try:
            solved = solve_event(tracks, mc_runs=args.mc, seed=k)
        except SolveError:
            failed += 1
            continue
        orbit, truth = solved.solution.orbit, event.truth.orbit
        if not isinstance(orbit, Orbit) or solved.monte_carlo is None:
            failed += 1
            continue
        counted += 1
        sigma = solved.monte_carlo.sigmas
        errors = {
            "ra_geo_deg": _wrap_deg(orbit.ra_geo_deg - truth.ra_geo_deg),
            "dec_geo_deg": orbit.dec_geo_deg - truth.dec_geo_deg,
            "v_geo_m_s": orbit.v_geo_m_s - truth.v_geo_m_s,
            "v_init_m_s": solved.solution.v_init_m_s - event.truth.v_init_m_s,
        }
        for name, error in errors.items():
            inside[name] += abs(error) <= 2.0 * sigma.get(name, math.nan)
        radiant.append(_sep_deg(orbit.ra_geo_deg, orbit.dec_geo_deg, truth.ra_geo_deg, truth.dec_geo_deg))
        v_geo.append(abs(errors["v_geo_m_s"]) / truth.v_geo_m_s)
        v_init.append(abs(errors["v_init_m_s"]) / event.truth.v_init_m_s)
    seconds = time.perf_counter() - started
    print(f"{args.n} simulated events (seed {args.seed}), {args.mc} Monte Carlo runs each: {counted} solved, "
          f"{failed} without a solution or orbit; {seconds / max(args.n, 1):.2f} s per event")  # fmt: skip
    for name, values, unit, scale in (
        ("geocentric radiant error", radiant, "deg", 1.0),
        ("Vg error", v_geo, "%", 100.0),
        ("v_init error", v_init, "%", 100.0),
    ):
        median, p95 = np.percentile(np.asarray(values) * scale, [50, 95])
        print(f"{name}: median {median:.3f} {unit}, 95th percentile {p95:.3f} {unit}")
    share = ", ".join(f"{name} {100.0 * n / max(counted, 1):.1f} %" for name, n in inside.items())
    print(f"true value within 2 Monte Carlo sigmas: {share}")


if __name__ == "__main__":
    main()
