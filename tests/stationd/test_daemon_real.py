"""The daemon with the real scan and detect stages on a small station: files waiting at start and files
written slowly while it runs are each processed exactly once; SIGTERM ends it with exit 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stationd.disk.state import StateStore
from tests.stationd.station_fixtures import make_station, minute_name

REPO = Path(__file__).resolve().parents[2]


def _write_slowly(source: Path, target: Path, pieces: int = 8) -> None:
    """Write ``target`` the way a camera does: in pieces over about a second, then close it."""
    data = source.read_bytes()
    step = -(-len(data) // pieces)
    with target.open("wb") as f:
        for i in range(0, len(data), step):
            f.write(data[i : i + step])
            f.flush()
            time.sleep(0.12)


def _runs(db: Path) -> dict[str, dict[str, tuple[str, int]]]:
    with StateStore(db) as store:
        return {
            m.name: {stage: (run.status.value, run.attempts) for stage, run in store.runs(m.id).items()}
            for m in store.minutes()
        }


@pytest.mark.server
@pytest.mark.slow
def test_daemon_runs_the_real_pipeline_on_waiting_and_arriving_files(tmp_path: Path) -> None:
    station = make_station(tmp_path, 2)
    staging = tmp_path / "staging"
    staging.mkdir()
    later = []
    for i in (2, 3):
        path = station.write_minute(i)
        later.append(path.rename(staging / path.name))
    station.names[2:] = []
    config = station.config_path.read_text() + "daemon:\n  settle_s: 1\n  event_settle_s: 0.5\n"
    config = config.replace("id: XX0001", "id: GB0001")  # stationd run refuses the placeholder id
    station.config_path.write_text(config)

    log = (tmp_path / "daemon.log").open("wb")
    cmd = [sys.executable, "-m", "cli.main", "run", "--config", str(station.config_path)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    names = [*station.names, *(p.name for p in later)]
    db = station.data_dir / "state.sqlite3"
    try:
        time.sleep(2.0)
        for source in later:
            _write_slowly(source, station.incoming / source.name)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "daemon.log").read_text()
            runs = _runs(db) if db.exists() else {}
            if all(runs.get(n, {}).get("calibrate", ("", 0))[0] == "done" for n in names):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"not done in time: {_runs(db)}\n{(tmp_path / 'daemon.log').read_text()}")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, (tmp_path / "daemon.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)

    runs = _runs(db)
    assert sorted(runs) == sorted(names) == sorted(minute_name(i) for i in range(4))
    assert all(
        r == {stage: ("done", 1) for stage in ("scan", "candidates", "verify", "calibrate")}
        for r in runs.values()
    ), runs
    meteors = station.data_dir / "days" / "2026-08-12" / "cam1" / "meteors"
    assert len(list(meteors.glob("*/meteor.json"))) == 4  # one per minute
    video = station.data_dir / "days" / "2026-08-12" / "cam1" / "video"
    assert sorted(p.name for p in video.iterdir()) == sorted(names)
    assert not any(station.incoming.iterdir())
