"""Grouping a night of a large network into multi-station events (issue 15, ``bench/events.py``).

A synthetic network: ``--stations`` stations (default 20) spread over a region about 500 km across, and
meteors at 80-110 km heights over it through a night of 10 hours until each station has about
``--per-station`` observations (default 500). A meteor is seen by every station that has it more than 15 deg
above its horizon and within 300 km, with 20 % of those sightings missed at random; each sighting gives
the begin/end directions (az/alt, 1 arcmin noise) and times (+-40 ms). Prints the time to group the night
with the geometric check (:class:`sync.events.EventGrouper`), the same as a ratio to grouping on time and
distance only (calibration off: the baseline, measured in the same run), the peak memory of the grouping
(tracemalloc), and how the events found compare with the truth (recall and precision of multi-station
meteors).

Run: ``.venv/bin/python bench/events.py [--stations 20] [--per-station 500] [--seed 1]`` (about a minute).
Times are CPU seconds, the best of three runs.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sync._geometry import site_ecef_m as _site  # noqa: E402
from sync.events import EventGrouper, Observation  # noqa: E402

NIGHT_START = datetime(2026, 8, 12, 20, 0, tzinfo=UTC)


def site_ecef_m(lat_deg: float, lon_deg: float, height_m: float) -> np.ndarray:
    return np.array(_site(lat_deg, lon_deg, height_m))


def _enu(lat_deg: float, lon_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    e = np.array([-math.sin(lon), math.cos(lon), 0.0])
    n = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)])
    u = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    return e, n, u


def _altaz(site: np.ndarray, basis: tuple[np.ndarray, ...], point: np.ndarray) -> tuple[float, float, float]:
    d = point - site
    de, dn, du = (float(np.dot(d, v)) for v in basis)
    dist = float(np.linalg.norm(d))
    return math.degrees(math.atan2(de, dn)) % 360.0, math.degrees(math.asin(du / dist)), dist


def network(n_stations: int, per_station: int, seed: int) -> tuple[list[Observation], set[frozenset[str]]]:
    """Observations of a synthetic night, and the truth: the sets of keys that are one meteor."""
    rng = random.Random(seed)
    sites = [(51.0 + rng.uniform(-2.2, 2.2), -1.0 + rng.uniform(-3.5, 3.5), rng.uniform(0, 300))
             for _ in range(n_stations)]  # fmt: skip
    ecef = [site_ecef_m(*s) for s in sites]
    bases = [_enu(s[0], s[1]) for s in sites]
    counts = [0] * n_stations
    observations: list[Observation] = []
    truth: set[frozenset[str]] = set()
    k = 0
    while min(counts) < per_station and k < 50 * per_station * n_stations:
        k += 1
        lat, lon = 51.0 + rng.uniform(-3.5, 3.5), -1.0 + rng.uniform(-5.0, 5.0)
        h_begin = rng.uniform(95e3, 115e3)
        heading = rng.uniform(0, 2 * math.pi)
        length_deg = rng.uniform(0.1, 0.6)
        lat2, lon2 = (
            lat + length_deg * math.cos(heading),
            lon + length_deg * math.sin(heading) / math.cos(math.radians(lat)),
        )
        begin, end = (
            site_ecef_m(lat, lon, h_begin),
            site_ecef_m(lat2, lon2, h_begin - rng.uniform(10e3, 30e3)),
        )
        speed = rng.uniform(15e3, 70e3)
        duration = float(np.linalg.norm(end - begin)) / speed
        t0 = NIGHT_START + timedelta(seconds=rng.uniform(0, 36000))
        seen = []
        for i in range(n_stations):
            baz, balt, dist = _altaz(ecef[i], bases[i], begin)
            eaz, ealt, _ = _altaz(ecef[i], bases[i], end)
            if min(balt, ealt) < 15 or dist > 300e3 or rng.random() < 0.2 or counts[i] >= per_station:
                continue
            noise = [rng.gauss(0, 1 / 60) for _ in range(4)]
            dt = [rng.gauss(0, 0.04) for _ in range(2)]
            start, stop = t0 + timedelta(seconds=dt[0]), t0 + timedelta(seconds=duration + dt[1])
            if stop <= start:
                continue
            obs = Observation(
                f"ST{i:04d}", "c1", f"m{k}", *sites[i], start, stop,
                baz + noise[0], balt + noise[1], eaz + noise[2], ealt + noise[3],
            )  # fmt: skip
            seen.append(obs)
            counts[i] += 1
        observations.extend(seen)
        if len({o.station for o in seen}) > 1:
            truth.add(frozenset(o.key for o in seen))
    return observations, truth


def _timed(grouper: EventGrouper, observations: list[Observation]) -> tuple[float, list, int]:
    """Best of three timings (the machine is shared), then the peak memory in a run of its own."""
    seconds, events = math.inf, []
    for _ in range(3):
        start = time.process_time()
        events = grouper(observations)
        seconds = min(seconds, time.process_time() - start)
    tracemalloc.start()
    grouper(observations)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, events, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--per-station", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    observations, truth = network(args.stations, args.per_station, args.seed)
    uncalibrated = [
        Observation(
            o.station, o.camera, o.meteor_id, o.lat_deg, o.lon_deg, o.elevation_m, o.start_utc, o.end_utc
        )
        for o in observations
    ]
    grouper = EventGrouper()
    base_s, _, _ = _timed(grouper, uncalibrated)
    full_s, events, peak = _timed(grouper, observations)
    found = {frozenset(o.key for o in e.observations) for e in events}
    exact = len(found & truth)
    print(
        f"network: {args.stations} stations, {len(observations)} observations, "
        f"{len(truth)} meteors seen by several stations"
    )
    print(
        f"grouping with the geometric check: {full_s:.2f} s ({1e6 * full_s / len(observations):.0f} us per "
        f"observation), {full_s / base_s:.2f}x grouping on time and distance only ({base_s:.2f} s)"
    )
    print(f"peak memory of the grouping: {peak / 2**20:.1f} MiB")
    print(
        f"events found: {len(events)}; exactly the true set of observations: {exact} "
        f"(recall {exact / max(len(truth), 1):.1%}, precision {exact / max(len(events), 1):.1%})"
    )


if __name__ == "__main__":
    main()
