"""One station of the exactly-once race (tests/sync/test_checkout_race.py), run as its own process.

``python -m tests.sync._checkout_worker CONFIG_JSON``: opens the store the config names (credentials of
the S3 case from the environment), then claims, "solves" (sleeps) and publishes every revision it can
until all have a solution, appending ``claimed``/``solved``/``wasted`` lines to its log (fsynced, so a
SIGKILL loses nothing it reported).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sync import StoreSettings, open_store
from sync.checkout import Checkout, CheckoutSettings, Revision


def revisions(n: int) -> list[Revision]:
    """The race's revisions: ``n`` events of one day, one revision each."""
    return [
        Revision("2026-07-12", f"20260712_22{i // 60:02d}{i % 60:02d}_{i:06x}", f"r{i:011d}")
        for i in range(n)
    ]


def _log(out: Path, line: str) -> None:
    with out.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def main(config: dict) -> None:
    store_settings = dict(config["store"])
    if store_settings.get("path"):
        store_settings["path"] = Path(store_settings["path"])
    store = open_store(StoreSettings(**store_settings))
    station = config["station"]
    checkout = Checkout(
        store, station, lambda: datetime.now(UTC), CheckoutSettings(config["lease_s"], config["margin_s"])
    )
    rng = random.Random(f"{station}-{os.getpid()}")
    log = Path(config["log"])
    done: set[Revision] = set()
    deadline = time.monotonic() + config["budget_s"]
    todo = revisions(config["n_events"])
    while time.monotonic() < deadline and len(done) < len(todo):
        pending = [r for r in todo if r not in done]
        rng.shuffle(pending)
        for revision in pending:
            if checkout.state(revision).done:
                done.add(revision)
                continue
            claim = checkout.claim(revision)
            if claim is None:
                continue
            _log(log, f"claimed {revision.event_id} {claim.generation}")
            time.sleep(rng.uniform(*config["solve_s"]))
            renewed = checkout.renew(claim)
            solution = {"schema": "stationd.solution/1", "event_id": revision.event_id}
            won = checkout.publish_solution(renewed or claim, solution)
            _log(log, f"{'solved' if won else 'wasted'} {revision.event_id}")
            done.add(revision)
        time.sleep(0.1)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
