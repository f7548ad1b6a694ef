"""The station's outbox opened on its state store, with the system clock; its view for ``status``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from stationd.config import StationConfig
from stationd.disk.layout import StationLayout
from stationd.store_factory import open_store
from sync import StationKeys, StoreAuthError, StoreConfigError, StoreUnavailable
from sync.outbox import Outbox


class SystemClock:
    """The real clock for ``sync``; ``sleep`` ends early when ``stop`` is set (a stopping daemon)."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self._stop = stop or threading.Event()

    def time_s(self) -> float:
        """UNIX seconds."""
        return time.time()

    def monotonic_s(self) -> float:
        """Seconds of the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait, or less when stopping."""
        self._stop.wait(max(0.0, seconds))


def open_outbox(
    config: StationConfig, *, read_only: bool = False, clock: SystemClock | None = None
) -> Outbox:
    """The outbox of the station's state store (its tables exist from schema version 4)."""
    layout = StationLayout(config.station.data_dir)
    return Outbox(layout.state_db, config.station.id, clock or SystemClock(), read_only=read_only)


def publish_dir(config: StationConfig) -> Path:
    """``<data_dir>/outbox/``: files made only to be published (the heartbeat)."""
    return StationLayout(config.station.data_dir).data_dir / "outbox"


def store_check(config: StationConfig) -> dict[str, Any]:
    """Whether the store answers: one ``head`` of the station's status object, tried once with short
    timeouts (no credentials shown)."""
    try:
        store = open_store(config, quick=True)
        store.head(StationKeys(config.station.id).status())
    except (StoreUnavailable, StoreAuthError, StoreConfigError) as exc:
        return {"answers": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"answers": True, "error": None}


def outbox_overview(config: StationConfig, check_store: bool = True) -> dict[str, Any]:
    """What ``stationd status`` shows of publishing: the outbox's summary and whether the store answers."""
    with open_outbox(config, read_only=True) as outbox:
        summary = outbox.summary()
        summary["dirty_days"] = [day for day, _ in outbox.dirty_days()]
    summary["store"] = store_check(config) if check_store else None
    return summary
