"""The daemon's worker processes and its bounded, prioritised work queue.

Each worker is a spawned process that opens the station once (its own state-store connection and its own
claim token), then takes ``(stage, minute)`` tasks over a pipe, claims them in the store, runs them and
answers with the outcome. The parent knows which task each worker holds and since when, so it can tell a
hanging stage (the watchdog stops), fail a task whose worker died (a crash is not retried forever), and at
shutdown stop exactly the workers it started and give their claims back.

Workers ignore SIGINT and SIGTERM: under systemd both reach the whole control group, and a stage must be
allowed to finish within the daemon's shutdown bound rather than die in the middle. A worker dies with its
parent (``PR_SET_PDEATHSIG``, and a thread that checks its parent is still the daemon, for where the signal
is not available), so a ``kill -9`` of the daemon leaves no orphan holding a claim for long; the daemon that
starts next recovers such a claim at its next sweep once the orphan is gone.

Stages come from :data:`stationd.stages.runner.STAGES`; an installed distribution may replace one through
the ``stationd.stages`` entry-point group (name = stage, value = ``module:function`` taking
``(StageContext, Minute)`` and returning the result dict). Tests use this to inject slow or hanging stages.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import itertools
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from importlib.metadata import entry_points
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from stationd.config import StationConfig
from stationd.disk.state import StateStore
from stationd.stages import STAGE_ORDER
from stationd.stages.runner import STAGES, StageFunction

log = logging.getLogger("stationd.daemon.workers")

STAGE_ENTRY_POINTS = "stationd.stages"
"""Entry-point group through which an installed distribution replaces a stage's function."""


def stage_functions() -> dict[str, StageFunction]:
    """The built-in stages, with those replaced by ``stationd.stages`` entry points."""
    stages = dict(STAGES)
    for ep in entry_points(group=STAGE_ENTRY_POINTS):
        if ep.name not in STAGE_ORDER:
            log.warning("stage plugin %s = %s ignored: not a stage of %s", ep.name, ep.value, STAGE_ORDER)
            continue
        stages[ep.name] = ep.load()
        log.warning("stage %s is provided by the plugin %s", ep.name, ep.value)
    return stages


# -- the queue --------------------------------------------------------------------------------------------


class Priority(IntEnum):
    """Order of work: the station must keep up with its cameras first."""

    NEW_SCAN = 0  # minutes that arrived while the daemon runs, newest first
    LATER_STAGE = 1  # detect and whatever follows a scan, oldest first
    BACKLOG_SCAN = 2  # minutes found waiting at start or by a refill, oldest first
    DAYTIME = 3  # day-time minutes under processing.daytime = low-priority


@dataclass(frozen=True, order=True)
class Task:
    stage: str
    minute_id: int
    name: str = ""


class WorkQueue:
    """At most ``capacity`` tasks in priority order; the state store holds the rest of the backlog.

    A task of a better class pushes out the worst one when full: that one is still pending in the store,
    and a later refill finds it again.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: list[tuple[int, float, int, Task]] = []
        self._keys: set[tuple[str, int]] = set()
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, task: Task) -> bool:
        return (task.stage, task.minute_id) in self._keys

    def push(self, task: Task, priority: Priority, order: float) -> bool:
        """Queue ``task`` (``order`` sorts within its class, smaller first); False when not admitted."""
        key = (task.stage, task.minute_id)
        if key in self._keys:
            return False
        item = (int(priority), order, next(self._seq), task)
        if len(self._items) >= self.capacity:
            if item >= self._items[-1]:
                return False
            dropped = self._items.pop()[3]
            self._keys.discard((dropped.stage, dropped.minute_id))
        bisect.insort(self._items, item)
        self._keys.add(key)
        return True

    def pop(self) -> Task | None:
        """Take the best task out (None when empty); it may be queued again once it has left."""
        if not self._items:
            return None
        task = self._items.pop(0)[3]
        self._keys.discard((task.stage, task.minute_id))
        return task

    def clear(self) -> None:
        """Forget every queued task (at shutdown): they stay pending in the store for the next start."""
        self._items.clear()
        self._keys.clear()


# -- the worker process -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskResult:
    task: Task
    status: str  # done | failed | quarantined | skipped (not pending any more) | died (the worker died)
    duration_s: float = 0.0
    error: str | None = None


PARENT_CHECK_S = 1.0
"""How often a worker checks that the daemon that started it is still its parent."""


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies, and watch the parent as well."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the watching thread below still ends us
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)
    threading.Thread(target=watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def watch_parent(parent_pid: int, interval_s: float = PARENT_CHECK_S) -> None:
    """Exit the process at once when ``parent_pid`` is no longer its parent (the daemon died and the
    process was adopted): a stage of an orphan would hold its claim and write beside the next daemon."""
    while os.getppid() == parent_pid:
        time.sleep(interval_s)
    os._exit(0)


def _log_to_parent(log_queue: Any, level: str) -> None:
    """Records go to the parent, whose handlers write them (one process owns the rotating log file)."""
    root = logging.getLogger("stationd")
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)
    root.propagate = False


def _worker_main(conn: Connection, log_queue: Any, config: StationConfig, parent_pid: int) -> None:
    """Body of a worker process: open the station once, then run tasks until told to stop."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _log_to_parent(log_queue, config.logging.level)
    from stationd.station import Station

    with Station(config) as station:
        station.runner.stages.update(stage_functions())
        conn.send(("ready", station.ctx.owner))
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                break
            if task is None:
                break
            outcome = station.runner.run_one(task.stage, station.store.minute(task.minute_id))
            conn.send(("result", TaskResult(task, outcome.status, outcome.duration_s, outcome.error)))
    conn.close()


# -- the pool, seen from the daemon -----------------------------------------------------------------------


class WorkerState(StrEnum):
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    state: WorkerState = WorkerState.STARTING
    owner: str | None = None
    task: Task | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class RunningTask:
    task: Task
    pid: int
    age_s: float


class WorkerPool:
    """``size`` worker processes started by this process; only these are ever signalled, by their pid."""

    def __init__(
        self,
        config: StationConfig,
        size: int,
        store: StateStore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.size = size
        self._store = store
        self._clock = clock
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._workers: list[_Worker] = []
        self._respawn_at: list[float] = []  # start times of workers to replace
        self._failures = 0
        self.ready_at = clock()  # when a worker last became ready (a start counts as progress)
        self._log_queue: Any = self._ctx.Queue()
        handlers = logging.getLogger("stationd").handlers or [logging.lastResort or logging.StreamHandler()]
        self._log_listener = logging.handlers.QueueListener(self._log_queue, *handlers)

    def start(self) -> None:
        """Start the log listener, then the workers (they log through it from their first line)."""
        self._log_listener.start()
        for _ in range(self.size):
            self._spawn()

    def _spawn(self) -> None:
        parent_conn, child_conn = self._ctx.Pipe()
        args = (child_conn, self._log_queue, self.config, os.getpid())
        process = self._ctx.Process(target=_worker_main, args=args, name="stationd-worker", daemon=True)
        process.start()
        child_conn.close()
        self._workers.append(_Worker(process, parent_conn, started_s=self._clock()))

    @property
    def idle(self) -> int:
        """Workers ready for a task now (those still starting do not count)."""
        return sum(1 for w in self._workers if w.state is WorkerState.IDLE)

    @property
    def busy(self) -> int:
        """Workers running a task now: the status line and the watchdog's idea of pending work."""
        return sum(1 for w in self._workers if w.state is WorkerState.BUSY)

    def running(self) -> list[RunningTask]:
        """Tasks in the workers with their age, so a refill skips them and the watchdog sees a hang."""
        now = self._clock()
        return [
            RunningTask(w.task, w.process.pid or 0, now - w.started_s)
            for w in self._workers
            if w.task is not None
        ]

    def submit(self, task: Task) -> bool:
        """Hand ``task`` to an idle worker; False when none is idle."""
        for w in self._workers:
            if w.state is WorkerState.IDLE:
                w.conn.send(task)
                w.state, w.task, w.started_s = WorkerState.BUSY, task, self._clock()
                return True
        return False

    def wait(self, timeout_s: float, extra: Sequence[Any] = ()) -> list[TaskResult]:
        """Wait up to ``timeout_s`` for answers or deaths of workers (or for ``extra`` to be readable)."""
        self._respawn_due()
        handles: list[Any] = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
        ready = multiprocessing.connection.wait([*handles, *extra], timeout_s)
        results: list[TaskResult] = []
        for w in list(self._workers):
            if w.conn in ready:
                results += self._receive(w)
            if w.process.sentinel in ready and not w.process.is_alive():
                results += self._buried(w)
        return results

    def _receive(self, w: _Worker) -> list[TaskResult]:
        try:
            kind, payload = w.conn.recv()
        except (EOFError, OSError):
            return []  # the sentinel tells the rest
        if kind == "ready":
            w.state, w.owner = WorkerState.IDLE, payload
            self.ready_at = self._clock()
            self._failures = 0
            return []
        w.state, w.task = WorkerState.IDLE, None
        return [payload]

    def _buried(self, w: _Worker) -> list[TaskResult]:
        """A worker died by itself: fail its task (a crash is not retried blindly) and replace it."""
        w.process.join()
        w.conn.close()
        self._workers.remove(w)
        code = w.process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        results = []
        if w.task is not None and w.owner is not None:
            error = f"worker process {w.process.pid} died ({why}) during the stage"
            with contextlib.suppress(RuntimeError):  # the claim was never taken, or already finished
                self._store.fail(w.task.minute_id, w.task.stage, w.owner, error, self._clock() - w.started_s)
            results.append(TaskResult(w.task, "died", self._clock() - w.started_s, error))
        log.error("worker %s died (%s)%s", w.process.pid, why, f" running {w.task}" if w.task else "")
        if w.owner is None:
            self._failures += 1  # died while starting: back off before trying again
        delay = min(60.0, 2.0 ** min(self._failures, 6)) if self._failures else 0.0
        self._respawn_at.append(self._clock() + delay)
        return results

    def _respawn_due(self) -> None:
        now = self._clock()
        due = [t for t in self._respawn_at if t <= now]
        self._respawn_at = [t for t in self._respawn_at if t > now]
        for _ in due:
            self._spawn()

    def stop(self, deadline_s: float) -> list[TaskResult]:
        """Let running tasks finish until ``deadline_s`` (monotonic), then kill their workers and give
        their claims back (pending again). Returns the results that still arrived."""
        self._respawn_at.clear()
        results: list[TaskResult] = []
        while any(w.state is not WorkerState.IDLE for w in self._workers) and self._clock() < deadline_s:
            results += self.wait(min(0.2, max(0.0, deadline_s - self._clock())))
            self._respawn_at.clear()
        for w in self._workers:
            if w.state is WorkerState.IDLE:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
            else:
                w.process.kill()  # our own child, by its pid: the stage overran the shutdown bound
        for w in self._workers:
            w.process.join(5.0)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
            if w.task is not None and w.owner is not None:
                self._store.release(w.task.minute_id, w.task.stage, w.owner)
                log.warning("%s %s stopped at shutdown; it is pending again", w.task.stage, w.task.name)
        self._workers.clear()
        self._log_listener.stop()
        self._log_queue.close()
        self._log_queue.join_thread()
        return results
