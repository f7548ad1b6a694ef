"""A station whose local object store is on a full disk, run inside a private mount namespace.

``python -m tests.sync._station_full_disk WORKDIR MOUNT``: ``MOUNT`` is a 256 KiB tmpfs (made by the test
with ``unshare -m``); the station's data stay in ``WORKDIR``, its store is ``MOUNT/store``. Three meteors
(about 300 KiB) are queued and synced: the disk fills. The tmpfs is then grown to 4 MiB (the operator
freed space) and the station syncs again. Prints one JSON document of what happened, for the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox
from stationd.publish.send import sync_now
from sync import LocalStore
from tests.sync.station_s3 import DAY, add_meteor, new_station


def _temporaries(root: Path) -> list[str]:
    return [n for _, _, names in os.walk(root) for n in names if n.startswith(".tmp-")]


def main() -> None:
    workdir, mount = Path(sys.argv[1]), Path(sys.argv[2])
    cfg = new_station(workdir / "data")
    cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, path=mount / "store"))
    ids = [add_meteor(cfg, 5 + 10 * i, clip_bytes=100_000) for i in range(3)]
    publish_meteors(cfg, DAY, "cam1", ids)
    full = sync_now(cfg)
    with open_outbox(cfg, read_only=True) as outbox:
        waiting = len(outbox.items(["pending", "failed"]))
    left_full = _temporaries(mount)
    subprocess.run(["mount", "-o", "remount,size=4m", str(mount)], check=True)
    fixed = sync_now(cfg)
    store = LocalStore(mount / "store")
    with open_outbox(cfg, read_only=True) as outbox:
        items = outbox.items()
    stored = sorted(i.key for i in store.list("stations/"))
    wrong = [
        i.key
        for i in items
        if i.state == "done"
        and i.path is not None
        and hashlib.sha256((mount / "store" / i.key).read_bytes()).digest()
        != hashlib.sha256(i.path.read_bytes()).digest()
    ]
    print(json.dumps({
        "full": full.to_json(),
        "waiting_after_full": waiting,
        "temporaries_after_full": left_full,
        "fixed": fixed.to_json(),
        "states": sorted({i.state for i in items}),
        "done": sorted(i.key for i in items if i.state == "done"),
        "stored": stored,
        "wrong_bytes": wrong,
        "temporaries": _temporaries(mount),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
