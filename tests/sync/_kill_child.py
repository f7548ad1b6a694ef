"""A sender in a process of its own, for the kill -9 test.

``python -m tests.sync._kill_child DB ROOT STARTED``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from stationd.daemon.owner import current_owner
from sync.outbox import Outbox
from sync.sender import Sender
from tests.sync.fakes import DirStore


class _Clock:
    def time_s(self) -> float:
        return time.time()

    def monotonic_s(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def main() -> None:
    db, root, started = (Path(a) for a in sys.argv[1:4])
    with Outbox(db, "XX0001", _Clock()) as outbox:
        Sender(outbox, DirStore(root, slow_s=0.05, started=started), current_owner(), _Clock()).run()


if __name__ == "__main__":
    main()
