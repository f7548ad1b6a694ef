"""``stationd run``: the long-running service of a station (DESIGN 5).

One process per data directory (:class:`~stationd.daemon.lock.StationLock`) owns the main loop::

    watcher (inotify thread) --settled files-->  main loop  <--new minutes-- sweep (scheduler thread)
                                                   |  bounded WorkQueue: new scans > later stages > backlog
                                                   v
                                    WorkerPool (spawned processes; each claims in the state store)

The main loop is the only place that decides: it registers files the watcher heard of, refills the queue
from the state store (the durable backlog), hands tasks to idle workers, records what they answer, pings
the systemd watchdog while work progresses, and acts on the flags that signal handlers set. Periodic work
(sweep, retention, health) runs in an APScheduler ``BackgroundScheduler`` with jobs re-added at each start.

Stopping: the first SIGTERM/SIGINT stops new work; running stages get until ``daemon.shutdown_timeout_s``
after the signal, then their workers (our own children) are killed and their claims given back; leftover
temporary files are removed; exit 0. A second signal skips the wait (exit 1).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from detection.timing import iso_utc
from stationd.config import StationConfig
from stationd.daemon.lock import StationLock
from stationd.daemon.notify import Notifier
from stationd.daemon.uploader import Uploader
from stationd.daemon.watcher import IncomingWatcher
from stationd.daemon.workers import Priority, Task, TaskResult, WorkerPool, WorkQueue
from stationd.disk.atomic import atomic_move
from stationd.disk.discover import discover_camera, minute_of, take_file
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute
from stationd.errors import EXIT_FAILURE, EXIT_OK
from stationd.network_job import NetworkJob
from stationd.ops.health import HealthMonitor
from stationd.ops.retention import enforce_retention
from stationd.ops.sun import is_daytime_for
from stationd.publish.heartbeat import publish_heartbeat
from stationd.publish.outbox import open_outbox
from stationd.stages import STAGE_ORDER, STAGE_VERSIONS
from stationd.stages.night_refit import refit_nights
from stationd.stages.results import ScanStageResult
from stationd.station import Station
from stationd.text import plural

log = logging.getLogger("stationd.daemon.loop")

_TICK_S = 0.25  # longest sleep of the main loop: settled files and flags are acted on this fast
_REFILL_EVERY_S = 10.0


class DaemonState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class PeriodicJob:
    """Work the scheduler runs every ``interval_s`` (first after ``first_delay_s``) in its own thread."""

    name: str
    interval_s: float
    run: Callable[[Daemon], object]
    first_delay_s: float | None = None  # None: one interval after the start


def _retention(daemon: Daemon) -> None:
    report = enforce_retention(
        daemon.config, daemon.station.store, log=logging.getLogger("stationd.ops.retention")
    )
    if daemon.health is not None:
        daemon.health.note_retention(report)


def _health(daemon: Daemon) -> None:
    if daemon.health is not None:
        daemon.health.check(datetime.now(UTC))


def _heartbeat(daemon: Daemon) -> None:
    with open_outbox(daemon.config) as outbox:
        publish_heartbeat(daemon.config, daemon.station.store, outbox, daemon.started_s, time.time())


RETRY_ATTEMPTS = 3
"""A failed stage is tried this many times in all, the retries at least ``RETRY_AFTER_S`` apart."""
RETRY_AFTER_S = 600.0


def _retry_failed(daemon: Daemon) -> None:
    cutoff = iso_utc(datetime.now(UTC) - timedelta(seconds=RETRY_AFTER_S))
    n = daemon.station.store.retry_failed(RETRY_ATTEMPTS, cutoff)
    if n:
        log.info("retrying %s", plural(n, "failed stage"))


def periodic_jobs(config: StationConfig) -> list[PeriodicJob]:
    """The daemon's periodic work; later features add their jobs here (each runs at most once at a time)."""
    return [
        PeriodicJob("sweep", config.daemon.sweep_interval_s, lambda d: d.sweep()),
        PeriodicJob("retention", 600.0, _retention, first_delay_s=30.0),
        PeriodicJob("health", 60.0, _health, first_delay_s=10.0),
        PeriodicJob("retry", RETRY_AFTER_S, _retry_failed),
        PeriodicJob("heartbeat", config.storage.heartbeat_s, _heartbeat, first_delay_s=15.0),
    ] + (
        [PeriodicJob("network", 60.0, NetworkJob(config), first_delay_s=120.0)]
        if config.network.mode != "off" and (config.station.partners or config.network.solve_all)
        else []
    )


class Daemon:
    """The station's service; :meth:`run` returns the exit code."""

    def __init__(
        self,
        config: StationConfig,
        notifier: Notifier | None = None,
        jobs: list[PeriodicJob] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.settings = config.daemon
        self.notifier = notifier if notifier is not None else Notifier.from_env()
        self.jobs = periodic_jobs(config) if jobs is None else jobs
        self.state = DaemonState.STARTING
        self._clock = clock
        self._stop_at: float | None = None  # monotonic time of the first stop request
        self._stop_signal: int | None = None  # the signal that asked for it (None: request_stop)
        self._started_at = clock()
        self.started_s = time.time()  # wall time of the start, for the heartbeat's uptime
        self.uploader: Uploader | None = None
        self._force = False
        self._inbox: queue.SimpleQueue[Minute] = queue.SimpleQueue()  # minutes the sweep registered
        self._queue = WorkQueue(self.settings.queue_size)
        self._warned_names: set[Path] = set()
        self._refill_at = 0.0
        self._progress_at = clock()
        self._pinged_at = -1e9
        self._pinging = True
        self._status_text = ""
        self.counts = {"done": 0, "failed": 0, "quarantined": 0, "skipped": 0, "died": 0}
        self.station: Station  # opened in run()
        self.health: HealthMonitor | None = None
        self._pool: WorkerPool
        self._watcher: IncomingWatcher
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    # -- stopping -----------------------------------------------------------------------------------------

    def request_stop(self, force: bool = False) -> None:
        """Stop taking work (what a signal does); ``force`` or a second request skips the wait."""
        if self._stop_at is not None or force:
            self._force = True
        if self._stop_at is None:
            self._stop_at = self._clock()
        self._wake()

    @property
    def stop_requested(self) -> bool:
        """Whether a stop was asked (periodic jobs with long work check it between their steps)."""
        return self._stop_at is not None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum
        self.request_stop()  # sets flags only; the main loop does the rest (and logs it)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full buffer: the loop is awake anyway
            self._wake_w.send(b"\0")

    # -- the service --------------------------------------------------------------------------------------

    def run(self) -> int:
        """Lock the station, recover, start everything, loop until stopped; the exit code."""
        lock = StationLock(StationLayout(self.config.station.data_dir).lock_file)
        with lock, Station(self.config) as station:
            self.station = station
            old_handlers = self._install_signals()
            try:
                return self._serve()
            finally:
                self._restore_signals(old_handlers)
                self.state = DaemonState.STOPPED
                self.notifier.close()
                self._wake_r.close()
                self._wake_w.close()

    def _serve(self) -> int:
        recovered = self.station.recover()
        if recovered:
            log.warning("recovered %s of a previous run", plural(recovered, "stale claim"))
        folders = {}
        for camera in self.config.cameras:
            camera.incoming_sd.mkdir(parents=True, exist_ok=True)
            folders[camera.incoming_sd.resolve()] = camera.id
        self._watcher = IncomingWatcher(folders, self.settings.event_settle_s)
        self.health = HealthMonitor(self.config, self.station.store, started_utc=datetime.now(UTC))
        self.health.at_dawn.append(partial(refit_nights, self.config, self.station.store))
        self._pool = WorkerPool(self.config, self.config.processing.workers, self.station.store, self._clock)
        scheduler = BackgroundScheduler(timezone="UTC")
        self._pool.start()
        self._watcher.start()
        self.uploader = Uploader(self.config)
        self.uploader.start()
        try:
            self._sweep_once(new=False)
            self._add_jobs(scheduler)
            scheduler.start()
            self.state = DaemonState.RUNNING
            self.notifier.ready(self._status())
            log.info("stationd running: %s, cameras %s", plural(self._pool.size, "worker"),
                     ", ".join(f"{c} ({s})" for c, s in self._watch_states().items()))  # fmt: skip
            self._loop()
        finally:
            self.state = DaemonState.STOPPING
            self._log_stop()
            self.notifier.stopping("stopping: finishing running stages")
            self._watcher.stop()
            self.uploader.request_stop()
            if scheduler.running:
                scheduler.pause()  # no new jobs; a running one finishes below
            self._shutdown_pool()
            if not self.uploader.stop(timeout_s=min(10.0, self.settings.shutdown_timeout_s)):
                log.warning("the uploader is still finishing an upload; it is given back at the next start")
            if scheduler.running:
                scheduler.shutdown(wait=True)
            self.station.recover()  # claims of killed workers and their temporary files
        done = self._counts_text()
        uptime = _duration_text(self._clock() - self._started_at)
        log.info("stationd stopped after %s: %s", uptime, f"stage runs {done}" if done else "no stage ran")
        return EXIT_FAILURE if self._force else EXIT_OK

    def _log_stop(self) -> None:
        """Say that a stop was asked, what still runs and how long the wait can take (no silent hang)."""
        if self._stop_at is None:
            return  # an error ends the loop: it is logged where it is raised
        why = (
            "stop asked"
            if self._stop_signal is None
            else f"{signal.Signals(self._stop_signal).name} received"
        )
        running = self._pool.running()
        if not running:
            log.info("%s: nothing running, stopping now", why)
            return
        what = ", ".join(f"{r.task.stage} {r.task.name}" for r in running)
        if self._force:
            log.info("%s again: stopping %s now (%s)", why, plural(len(running), "running stage"), what)
            return
        left = max(0.0, self._stop_at + self.settings.shutdown_timeout_s - self._clock())
        stages = plural(len(running), "running stage")
        log.info("%s: waiting up to %.0f s for %s to finish (%s; daemon.shutdown_timeout_s), then they "
                 "are stopped and pending again", why, left, stages, what)  # fmt: skip

    def _shutdown_pool(self) -> None:
        stop_at = self._stop_at if self._stop_at is not None else self._clock()
        reserve_s = min(2.0, 0.2 * self.settings.shutdown_timeout_s)  # to kill, reap and release in time
        deadline = self._clock() if self._force else stop_at + self.settings.shutdown_timeout_s - reserve_s
        self._queue.clear()
        for result in self._pool.stop(deadline):
            self._record(result)

    def _loop(self) -> None:
        while self._stop_at is None:
            self._take_settled()
            self._take_inbox()
            self._refill()
            self._dispatch()
            results = self._pool.wait(_TICK_S, extra=[self._wake_r])
            self._drain_wake()
            for result in results:
                self._record(result)
                self._follow(result)
            self._tick_watchdog()
            self._send_status()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    # -- finding work -------------------------------------------------------------------------------------

    def sweep(self) -> None:
        """Register complete files in the incoming folders (a scheduler job; events can be missed)."""
        self._sweep_once(new=True)
        self._wake()

    def _sweep_once(self, new: bool) -> None:
        layout = self.station.layout
        # Every sweep, not only at start: a worker of a killed daemon may outlive it for a moment, so a
        # daemon started then sees its claims' owner alive; once that process is gone they come back here.
        stale = self.station.recover_claims()
        if stale:
            log.warning("recovered %s whose owner is gone", plural(len(stale), "stale claim"))
        for camera in self.config.cameras:
            report = discover_camera(self.station.store, layout, camera, self.settings.settle_s)
            for path in report.ignored:
                self._warn_name(path)
            for minute in report.registered:
                log.info("found %s (sweep)", minute.name)
                if new:
                    self._inbox.put(minute)
            for minute in report.requeued:
                log.info("%s is back in incoming/: quarantined before, processed again (sweep)", minute.name)
                if new:
                    self._inbox.put(minute)
        self._refill_at = 0.0  # look at the store's backlog on the next turn

    def _warn_name(self, path: Path) -> None:
        if path not in self._warned_names:
            self._warned_names.add(path)
            log.warning("ignored %s: the name does not match the camera's file pattern", path)

    def _take_settled(self) -> None:
        for camera_id, path in self._watcher.settled():
            name = minute_of(path, self.config.camera(camera_id))
            if name is None:
                self._warn_name(path)
                continue
            try:
                size = path.stat().st_size
            except FileNotFoundError:  # taken meanwhile (a reprocess beside the daemon)
                continue
            minute, how = take_file(
                self.station.store, self.station.layout, self.config.camera(camera_id), path, name, size
            )
            if how == "known":
                continue
            if how == "requeued":
                log.info("%s is back in incoming/: quarantined before, processed again", minute.name)
            else:
                log.info("found %s", minute.name)
            self._push_scan(minute, Priority.NEW_SCAN)

    def _take_inbox(self) -> None:
        while True:
            try:
                minute = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._push_scan(minute, Priority.NEW_SCAN)

    def _refill(self) -> None:
        """Top the queue up from the store's pending work when it runs low."""
        now = self._clock()
        if len(self._queue) > self._queue.capacity // 2 or now < self._refill_at:
            return
        self._refill_at = now + _REFILL_EVERY_S
        running = {(r.task.stage, r.task.minute_id) for r in self._pool.running()}
        for stage in STAGE_ORDER:
            for minute in self.station.store.pending(stage, limit=self._queue.capacity):
                if (stage, minute.id) in running:
                    continue
                if stage == STAGE_ORDER[0]:
                    self._push_scan(minute, Priority.BACKLOG_SCAN)
                else:
                    self._queue.push(Task(stage, minute.id, minute.name), Priority.LATER_STAGE, minute.id)

    def _push_scan(self, minute: Minute, priority: Priority) -> None:
        daytime = self.config.processing.daytime
        if daytime != "process" and self._is_daytime(minute.start_utc):
            if daytime == "skip":
                self._skip_daytime(minute)
                return
            priority = Priority.DAYTIME
        order = -minute.start_utc.timestamp() if priority is Priority.NEW_SCAN else float(minute.id)
        self._queue.push(Task(STAGE_ORDER[0], minute.id, minute.name), priority, order)

    def _is_daytime(self, t_utc: datetime) -> bool:
        return is_daytime_for(self.config, t_utc)

    def _skip_daytime(self, minute: Minute) -> None:
        """processing.daytime = skip: file the original away unscanned, with a recorded result."""
        store, owner, stage = self.station.store, self.station.ctx.owner, STAGE_ORDER[0]
        if not store.claim(minute.id, stage, owner, STAGE_VERSIONS[stage]):
            return
        try:
            target = self.station.layout.video(minute.day, minute.camera) / minute.name
            if minute.path.exists() and minute.path != target:
                atomic_move(minute.path, target)
                store.set_paths(minute.id, target)
        except BaseException:
            store.release(minute.id, stage, owner)
            raise
        store.complete(minute.id, stage, owner, ScanStageResult.skipped_daytime(minute.name).to_json(), 0.0)
        log.info("%s skipped: day time", minute.name)

    # -- running work -------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while self._pool.idle and len(self._queue):
            task = self._queue.pop()
            if task is None or not self._pool.submit(task):
                return
            self._progress_at = self._clock()

    def _record(self, result: TaskResult) -> None:
        self._progress_at = self._clock()
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        if result.status in ("failed", "died"):
            log.error("%s %s %s: %s", result.task.stage, result.task.name, result.status, result.error)

    def _follow(self, result: TaskResult) -> None:
        """A finished stage makes the next one pending: queue it."""
        stages = STAGE_ORDER
        if result.status == "done" and result.task.stage in stages[:-1]:
            nxt = stages[stages.index(result.task.stage) + 1]
            task = Task(nxt, result.task.minute_id, result.task.name)
            self._queue.push(task, Priority.LATER_STAGE, result.task.minute_id)

    # -- telling systemd ----------------------------------------------------------------------------------

    def stuck(self) -> str | None:
        """Why the pipeline is not progressing (a stage hangs), or None when it is (idle counts as well)."""
        bound = self.settings.stage_hang_s
        for running in self._pool.running():
            if running.age_s > bound:
                return f"{running.task.stage} {running.task.name} running for {running.age_s:.0f} s"
        has_work = len(self._queue) > 0 or self._pool.busy > 0
        idle_for = self._clock() - max(self._progress_at, self._pool.ready_at)
        if has_work and idle_for > bound:
            return f"{plural(len(self._queue), 'task')} waiting and nothing finished for {idle_for:.0f} s"
        return None

    def _tick_watchdog(self) -> None:
        why = self.stuck()
        if why is None:
            if not self._pinging:
                log.warning("the pipeline progresses again: watchdog pings resume")
            self._pinging = True
            interval = self.notifier.watchdog_interval_s
            if interval is not None and self._clock() - self._pinged_at >= interval:
                self.notifier.watchdog()
                self._pinged_at = self._clock()
        elif self._pinging:
            self._pinging = False
            log.error("stuck: %s; watchdog pings stop (systemd restarts the service)", why)

    def _counts_text(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)

    def _status(self) -> str:
        pool = self._pool
        state = self.state.value if self._pinging else "stuck"
        text = f"{state}: {pool.busy}/{plural(pool.size, 'worker')} busy, {len(self._queue)} queued"
        done = self._counts_text()
        return text + (f"; since start {done}" if done else "")

    def _send_status(self) -> None:
        text = self._status()
        if text != self._status_text and (self.notifier.status(text) or not self.notifier.enabled):
            self._status_text = text  # else (dropped: a full socket) sent again on the next turn

    def _watch_states(self) -> dict[str, str]:
        states = self._watcher.states
        return {camera: states.get(folder, "?") for folder, camera in self._watcher.folders.items()}

    def _add_jobs(self, scheduler: BackgroundScheduler) -> None:
        now = datetime.now(UTC)
        for job in self.jobs:
            first = job.interval_s if job.first_delay_s is None else job.first_delay_s
            scheduler.add_job(
                self._job_runner(job), "interval", seconds=job.interval_s, id=job.name, name=job.name,
                max_instances=1, coalesce=True, replace_existing=True, misfire_grace_time=None,
                next_run_time=now + timedelta(seconds=first),
            )  # fmt: skip

    def _job_runner(self, job: PeriodicJob) -> Callable[[], None]:
        def run() -> None:
            t0 = time.monotonic()
            try:
                job.run(self)
            except Exception:  # a periodic job never stops the station; it runs again next time
                log.exception("periodic job %s failed", job.name)
                return
            log.debug("periodic job %s done in %.2f s", job.name, time.monotonic() - t0)

        return run

    # -- signals ------------------------------------------------------------------------------------------

    def _install_signals(self) -> dict[int, Any]:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return {}  # embedded in a thread (tests): stop with request_stop()
        old: dict[int, Any] = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        old[-1] = signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        return old

    def _restore_signals(self, old: dict[int, Any]) -> None:
        if not old:
            return
        signal.set_wakeup_fd(old.pop(-1))
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _duration_text(seconds: float) -> str:
    """``42 s``, ``12 min``, ``3 h 05 min``: how long the daemon ran, for the stop line."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"
