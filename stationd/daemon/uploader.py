"""The daemon's uploader: one low-priority thread that rebuilds the indexes of changed days and sends the
outbox, continuously, without taking CPU or disk from scanning (DESIGN 5, 6).

Low priority: on Linux the nice value and the I/O priority are attributes of each thread (``setpriority``
and ``ioprio_set`` with the thread's id; POSIX says per process, Linux/NPTL does it per thread: see
``man 2 setpriority``, BUGS, and ``man 2 ioprio_set``), so the thread lowers its own to nice 19 and the
idle I/O class; the scanning workers are separate processes at normal priority. (boto3's multipart
transfers run in threads of its own, which inherit the nice value of the thread that starts them.)

The thread stops on an event and blocks only with timeouts (STYLE 9): every sleep is a wait on that event.
At start it recovers rows a dead process left ``sending`` and gives failed rows another chance.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import random
import threading
from collections.abc import Callable

from stationd.config import StationConfig
from stationd.daemon.owner import current_owner, owner_alive
from stationd.publish.index import rebuild_dirty
from stationd.publish.outbox import SystemClock, open_outbox
from stationd.store_factory import open_store
from sync import Store, StoreAuthError, StoreConfigError, StoreUnavailable
from sync.outbox import Outbox
from sync.sender import Sender, SenderSettings

log = logging.getLogger("stationd.daemon.uploader")

_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "armv7l": 314, "armv6l": 314}  # syscall numbers (unistd.h)
_IOPRIO_CLASS_IDLE, _IOPRIO_WHO_PROCESS = 3, 1


def lower_thread_priority(nice: int = 19) -> list[str]:
    """Make the calling thread nice ``nice`` and of the idle I/O class (Linux); returns what failed."""
    problems = []
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    except (OSError, AttributeError) as exc:
        problems.append(f"nice: {exc}")
    number = _IOPRIO_SET.get(platform.machine())
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if number is None or libc.syscall(number, _IOPRIO_WHO_PROCESS, tid, _IOPRIO_CLASS_IDLE << 13) != 0:
            problems.append("ioprio: not available")
    except (OSError, AttributeError) as exc:
        problems.append(f"ioprio: {exc}")
    return problems


class Uploader:
    """Runs the sender in its own thread until :meth:`stop`."""

    def __init__(
        self,
        config: StationConfig,
        poll_s: float = 1.0,
        store_opener: Callable[[StationConfig], Store] = open_store,
    ) -> None:
        self.config = config
        self.poll_s = poll_s
        self._open_store = store_opener
        self._stop = threading.Event()
        self._clock = SystemClock(self._stop)
        self._thread = threading.Thread(target=self._run, name="stationd-uploader", daemon=True)
        self.rounds = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting (an upload in flight finishes or is given back)."""
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Ask the thread to stop and wait for it up to ``timeout_s``; True when it ended."""
        self._stop.set()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def _run(self) -> None:
        problems = lower_thread_priority()
        if problems:
            log.debug("uploader priority: %s", "; ".join(problems))
        while not self._stop.is_set():
            try:
                self._serve()
            except Exception:  # the outbox itself failed (a locked database...): never let the thread die
                log.exception("uploader failed; starting again in 60 s")
                self._stop.wait(60.0)

    def _serve(self) -> None:
        """Open the outbox, take back what a previous run left, and send until told to stop."""
        with open_outbox(self.config, clock=self._clock) as outbox:
            stale = outbox.recover_stale(owner_alive)
            if stale:
                log.warning(
                    "outbox: %d upload(s) interrupted by a previous run are pending again", len(stale)
                )
            outbox.retry_failed()
            sender: Sender | None = None
            while not self._stop.is_set():
                wait_s = self.poll_s
                try:
                    rebuild_dirty(self.config, outbox)
                    sender = sender or self._sender(outbox)
                    sender.run(should_stop=self._stop.is_set)
                    wait_s = max(wait_s, min(sender.paused_s, 30.0))
                except (StoreUnavailable, StoreAuthError, StoreConfigError) as exc:
                    log.warning("uploads wait: %s", exc)
                    outbox.note_failure(f"{type(exc).__name__}: {exc}")  # the store cannot even be opened
                    wait_s = 60.0
                except Exception:  # never let the thread die: the outbox keeps everything
                    log.exception("uploader round failed")
                    wait_s = 30.0
                self.rounds += 1
                self._stop.wait(wait_s)

    def _sender(self, outbox: Outbox) -> Sender:
        settings = SenderSettings(bandwidth_kib_s=self.config.storage.bandwidth_kib_s)
        return Sender(
            outbox,
            self._open_store(self.config),
            current_owner(),
            self._clock,
            settings,
            rng=random.Random(),
            log=logging.getLogger("stationd.sender"),
        )
