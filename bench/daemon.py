"""Benchmark of ``stationd run`` keeping up with one 720p 25 fps camera (scan + detect, the real stages).

A synthetic 60 s 1280x720 minute (:mod:`detection.synth.sky`, via ``bench/_minute.py``) is copied into the
camera's incoming folder under successive minute names, in pieces like a camera writes, one minute of
video every ``60 / --speed`` seconds, while the daemon runs as a child process. Every copy costs the same
to process (the content repeats; the daemon does not know). Printed, measured in the same run:

- processing time per video minute: scan and detect durations from the state store (median, max);
- latency: from a file's close to its detect result (median, max), and the lag behind the newest file
  (unprocessed minutes when each new file arrives, and at the end of the feed);
- CPU used by the daemon and its workers (``/proc``: utime + stime of the process tree) as a fraction
  of the machine during the feed, and the same CPU per video minute scaled to real-time pace (60 s per
  minute), which is the figure to compare with the target: at most half of the machine.

Run: ``.venv/bin/python bench/daemon.py [--video PATH] [--minutes 8] [--speed 4] [--workers N]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from _minute import minute_path

from stationd.disk.state import StateStore

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)
TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants (reaped ones are in cutime/cstime)."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rfind(")") + 2 :].split()
            total += sum(int(x) for x in fields[11:15]) / TICKS  # utime stime cutime cstime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _copy_slowly(src: Path, dst: Path, seconds: float) -> None:
    """Write ``dst`` in pieces over ``seconds``, as a camera records, then close it."""
    data = src.read_bytes()
    pieces = 20
    step = len(data) // pieces + 1
    with dst.open("wb") as f:
        for i in range(pieces):
            f.write(data[i * step : (i + 1) * step])
            f.flush()
            time.sleep(seconds / pieces)


def _config(root: Path, workers: int | None) -> Path:
    data = root / "data"
    raw = {
        "station": {"id": "XX0001", "latitude_deg": 51.88, "longitude_deg": -1.31, "data_dir": str(data)},
        "cameras": [{"id": "cam1", "width_px": 1280, "height_px": 720, "fps": 25}],
        "processing": {"workers": workers or "auto"},
        "daemon": {"event_settle_s": 1.0, "settle_s": 5},
    }
    path = root / "stationd.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _wait_ready(sock: socket.socket, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    sock.settimeout(1.0)
    while time.monotonic() < end:
        try:
            if b"READY=1" in sock.recv(65536):
                return
        except TimeoutError:
            continue
    raise SystemExit("the daemon did not become ready")


def _done(store: StateStore) -> dict[str, tuple[float, float]]:
    """name -> (scan s, detect s) of the minutes whose detect is done."""
    out = {}
    for m in store.minutes():
        runs = store.runs(m.id)
        if runs.get("candidates") and runs["candidates"].status.value == "done":
            out[m.name] = (runs["scan"].duration_s or 0.0, runs["candidates"].duration_s or 0.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", help="the 720p minute to feed (rendered there first when missing)")
    parser.add_argument("--minutes", type=int, default=8, help="video minutes to feed")
    parser.add_argument("--speed", type=float, default=4.0, help="feed this many times faster than real time")
    parser.add_argument("--workers", type=int, default=None, help="daemon workers (default: cores - 1)")
    args = parser.parse_args()
    interval_s = 60.0 / args.speed
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        root = Path(tmp)
        video = minute_path(args.video, tmp)
        config = _config(root, args.workers)
        incoming = root / "data" / "incoming" / "cam1"
        incoming.mkdir(parents=True)
        notify = f"@bench-daemon-{uuid.uuid4().hex}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(b"\0" + notify[1:].encode())
        env = {**os.environ, "NOTIFY_SOCKET": notify, "PYTHONPATH": str(REPO)}
        log = (root / "daemon.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "cli.run_cmd", "--config", str(config)],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            _wait_ready(sock, 120)
            sock.setblocking(False)  # systemd reads every message; we only drain them
            time.sleep(8)  # let the workers finish starting (imports, numba cache) outside the figures
            store = StateStore(root / "data" / "state.sqlite3")
            closed_at: dict[str, float] = {}
            lags: list[int] = []
            cpu0, wall0 = _tree_cpu_s(proc.pid), time.monotonic()
            for i in range(args.minutes):
                t = T0 + timedelta(minutes=i)
                name = t.strftime("%Y_%m_%d_%H_%M_%S_000_cam1.mp4")
                tick = time.monotonic()
                _copy_slowly(video, incoming / name, min(interval_s * 0.5, 5.0))
                closed_at[name] = time.monotonic()
                lags.append(i + 1 - len(_done(store)))
                time.sleep(max(0.0, interval_s - (time.monotonic() - tick)))
                while True:
                    try:
                        sock.recv(65536)
                    except BlockingIOError:
                        break
            feed_cpu, feed_wall = _tree_cpu_s(proc.pid) - cpu0, time.monotonic() - wall0
            end_lag = args.minutes - len(_done(store))
            finished_at: dict[str, float] = {}
            deadline = time.monotonic() + 60 * args.minutes
            while len(finished_at) < args.minutes and time.monotonic() < deadline:
                for name in _done(store):
                    finished_at.setdefault(name, time.monotonic())
                time.sleep(0.2)
            total_cpu, total_wall = _tree_cpu_s(proc.pid) - cpu0, time.monotonic() - wall0
            durations = _done(store)
            store.close()
        finally:
            proc.send_signal(signal.SIGTERM)  # our own child
            code = proc.wait(timeout=120)
            log.close()
            sock.close()
        ncpu = os.cpu_count() or 1
        scan_s = [d[0] for d in durations.values()]
        detect_s = [d[1] for d in durations.values()]
        latency = [finished_at[n] - closed_at[n] for n in finished_at if n in closed_at]
        cpu_per_minute = total_cpu / max(1, len(durations))
        pace = f"x{args.speed:g}"
        med = statistics.median
        lines = [
            f"fed {args.minutes} minutes of 1280x720 25 fps video, one every {interval_s:.1f} s ({pace} real "
            f"time); {len(durations)} processed; daemon exit code {code}",
            f"processing time per video minute: scan median {med(scan_s):.1f} s (max {max(scan_s):.1f}), "
            f"detect median {med(detect_s):.2f} s",
            f"latency close -> detect result: median {med(latency):.1f} s, max {max(latency):.1f} s",
            f"lag behind the newest file: unprocessed minutes at each arrival {lags}; at the end {end_lag}",
            f"CPU during the feed: {feed_cpu:.1f} s over {feed_wall:.1f} s = "
            f"{feed_cpu / feed_wall / ncpu:.0%} of {ncpu} cores (at {pace} pace)",
            f"CPU per video minute {cpu_per_minute:.1f} s (all processes, {total_wall:.0f} s run) -> at "
            f"real-time pace {cpu_per_minute / 60.0 / ncpu:.0%} of the machine (target <= 50%)",
        ]
        print("\n".join(lines))
        shutil.rmtree(root / "data", ignore_errors=True)


if __name__ == "__main__":
    main()
