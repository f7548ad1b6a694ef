"""Hearing new minute files: inotify close-after-write and moved-in events in the cameras' incoming folders.

A camera writes a minute file and closes it (``IN_CLOSE_WRITE``), or writes it elsewhere and renames it
into place (``IN_MOVED_TO``; from outside the folder watchdog reports a creation without an open). Either
marks the file as a candidate; it is handed on once it is not open and no further event touched it for
``settle_s`` (some muxers reopen the file to move the index to the front).
Events can be missed (a full inotify queue, a folder created later, a non-Linux file system): the daemon
also sweeps the folders, so the watcher is an accelerator, never the only way in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path

from watchdog.events import (
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from stationd.disk.atomic import TMP_PREFIX

log = logging.getLogger("stationd.daemon.watcher")


class WatchState(StrEnum):
    """How new files of one incoming folder are found."""

    WATCHING = "watching"  # file events, plus the periodic sweep
    SWEEP_ONLY = "sweep-only"  # the folder could not be watched: only the sweep finds files


def _as_path(raw: str | bytes) -> Path:
    return Path(raw.decode() if isinstance(raw, bytes) else raw)


class _Event(StrEnum):
    CREATED = "created"  # a new entry: moved in from elsewhere, or about to be opened for writing
    OPENED = "opened"
    CHANGED = "changed"
    CLOSED = "closed"  # a new entry: closed after writing (or moved in within the folder)
    CLOSED_READ = "closed-read"


class _Handler(FileSystemEventHandler):
    def __init__(self, note: Callable[[Path, _Event], None]) -> None:
        self._note = note

    def on_created(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileCreatedEvent):
            self._note(_as_path(event.src_path), _Event.CREATED)

    def on_opened(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileOpenedEvent):
            self._note(_as_path(event.src_path), _Event.OPENED)

    def on_modified(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileModifiedEvent):
            self._note(_as_path(event.src_path), _Event.CHANGED)

    def on_closed(self, event: FileClosedEvent) -> None:
        self._note(_as_path(event.src_path), _Event.CLOSED)

    def on_closed_no_write(self, event: FileClosedNoWriteEvent) -> None:
        self._note(_as_path(event.src_path), _Event.CLOSED_READ)

    def on_moved(self, event: FileMovedEvent) -> None:  # type: ignore[override]
        if not event.is_directory:
            self._note(_as_path(event.dest_path), _Event.CLOSED)


class IncomingWatcher:
    """Watches folders (each belonging to a camera) and yields files that were closed and then left alone."""

    def __init__(
        self,
        folders: Mapping[Path, str],
        settle_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = {Path(f): camera for f, camera in folders.items()}
        self.settle_s = settle_s
        self.states: dict[Path, WatchState] = {}
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[Path, tuple[float, bool]] = {}  # path -> (time of its last event, open)
        self._observer: Observer | None = None  # type: ignore[valid-type]

    def start(self) -> None:
        """Start watching; a folder that cannot be watched is left to the sweep (and logged)."""
        observer = Observer()
        observer.daemon = True
        observer.start()
        handler = _Handler(self._note)
        for folder in self.folders:
            try:
                observer.schedule(handler, str(folder), recursive=False)
                self.states[folder] = WatchState.WATCHING
            except OSError as exc:
                self.states[folder] = WatchState.SWEEP_ONLY
                log.warning("cannot watch %s (%s): new files there are found by the sweep only", folder, exc)
        self._observer = observer

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the observer thread, waiting at most ``timeout_s`` (a stuck one must not block shutdown)."""
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout_s)

    def _note(self, path: Path, event: _Event) -> None:
        if path.parent not in self.folders or path.name.startswith((TMP_PREFIX, ".")):
            return
        with self._lock:
            known = self._seen.get(path)
            if event in (_Event.CREATED, _Event.CLOSED):
                self._seen[path] = (self._clock(), False)
            elif known is not None:  # a later event restarts the wait; an open one waits for its close
                is_open = event is _Event.OPENED or (event is _Event.CHANGED and known[1])
                self._seen[path] = (self._clock(), is_open)

    def settled(self) -> list[tuple[str, Path]]:
        """(camera, path) of files closed at least ``settle_s`` ago and untouched since; each given once."""
        now = self._clock()
        with self._lock:
            ready = sorted(
                p for p, (t, is_open) in self._seen.items() if not is_open and now - t >= self.settle_s
            )
            for p in ready:
                del self._seen[p]
        return [(self.folders[p.parent], p) for p in ready if p.is_file()]

    @property
    def waiting(self) -> int:
        """Files heard of that are still settling."""
        with self._lock:
            return len(self._seen)
