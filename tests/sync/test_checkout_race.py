"""Exactly once: 8 station processes race over 200 events on one store, some killed mid-solve (issue 15).

Each station is a process (tests/sync/_checkout_worker.py) running the checkout protocol; three are sent
SIGKILL at random moments and started again. Afterwards every event has exactly one solution object,
none is left unsolved once the killed stations' leases expired, and the wasted solves (a solution refused
because another station's came first) are counted and printed.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sync import LocalStore, S3Store, Store
from tests.sync._checkout_worker import revisions
from tests.sync.conftest import BUCKET, TEST_CREDENTIALS
from tests.sync.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

ROOT = Path(__file__).resolve().parents[2]
N_STATIONS, N_EVENTS, N_KILLS = 8, 200, 3


def _start(config: dict[str, Any], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync._checkout_worker", json.dumps(config)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _mid_solve(log: Path, timeout_s: float = 60.0) -> bool:
    """Wait until the station's last word is a claim: it holds a lease and is solving."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if lines and lines[-1].startswith("claimed"):
            return True
        time.sleep(0.005)
    return False


def _race(store: Store, store_config: dict[str, Any], tmp_path: Path, env: dict[str, str]) -> None:
    rng = random.Random(15)
    configs = [
        {
            "store": store_config, "station": f"ST{i:04d}", "n_events": N_EVENTS, "lease_s": 4.0,
            "margin_s": 1.0, "solve_s": [0.05, 0.4], "budget_s": 240.0,
            "log": str(tmp_path / f"ST{i:04d}.log"),
        }
        for i in range(N_STATIONS)
    ]  # fmt: skip
    procs = {c["station"]: _start(c, env) for c in configs}
    try:
        for config in rng.sample(configs, N_KILLS):  # SIGKILL mid-solve, then a restart of the same station
            time.sleep(rng.uniform(0.2, 1.0))
            assert _mid_solve(Path(config["log"])), f"{config['station']} never claimed"
            victim = procs[config["station"]]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
            if victim.stderr is not None:
                victim.stderr.close()
            procs[config["station"]] = _start(config, env)
        for proc in procs.values():
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err.decode()[-2000:]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
    lines = [line.split() for log in tmp_path.glob("ST*.log") for line in log.read_text().splitlines()]
    solved = [w[1] for w in lines if w[0] == "solved"]
    wasted = [w[1] for w in lines if w[0] == "wasted"]
    claims = [w for w in lines if w[0] == "claimed"]
    takeovers = sum(1 for w in claims if int(w[2]) > 1)
    print(f"\n{N_STATIONS} stations, {N_EVENTS} events, {N_KILLS} killed and restarted: {len(claims)} claims "
          f"({takeovers} take-overs of an expired lease), {len(wasted)} wasted solves")  # fmt: skip
    for revision in revisions(N_EVENTS):
        keys = [info.key for info in store.list(revision.prefix)]
        assert keys.count(revision.solution_key) == 1, (revision.event_id, keys)
        assert not any(k.endswith("failure.json") for k in keys)
    assert len(set(solved)) == len(solved) <= N_EVENTS  # a solution reported as ours is ours alone
    assert takeovers >= 1  # the killed stations' claims were taken over once their leases expired


@pytest.mark.slow
def test_exactly_once_on_the_local_backend(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    _race(store, {"backend": "local", "path": str(tmp_path / "store")}, tmp_path, dict(os.environ))


@pytest.mark.slow
@pytest.mark.server
def test_exactly_once_on_seaweedfs(seaweed: SeaweedServer, tmp_path: Path) -> None:
    settings = seaweed.settings(BUCKET, prefix=f"race-{secrets.token_hex(4)}")
    store_config = {
        "backend": "s3", "endpoint_url": settings.endpoint_url, "bucket": BUCKET, "prefix": settings.prefix,
        "region": settings.region, "max_attempts": 3,
    }  # fmt: skip
    env = dict(os.environ) | {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    _race(S3Store(settings, credentials=TEST_CREDENTIALS), store_config, tmp_path, env)
