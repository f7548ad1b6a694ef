"""The heartbeat: ``stations/<STATION>/status.json`` every ``storage.heartbeat_s`` (a daemon job)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_bytes
from stationd.disk.state import StateStore
from stationd.disk.views import station_overview
from stationd.ops.health import ClockState, kernel_clock_state
from stationd.publish.outbox import publish_dir
from sync import StationKeys
from sync.outbox import Outbox, Priority, Upload
from sync.status import heartbeat


def software_version() -> str:
    """The installed stationd's version (``unknown`` when run from a source tree not installed)."""
    try:
        return metadata.version("stationd")
    except metadata.PackageNotFoundError:
        return "unknown"


def publish_heartbeat(
    config: StationConfig,
    store: StateStore,
    outbox: Outbox,
    started_s: float,
    now_s: float,
    clock_state: ClockState | None = None,
) -> dict[str, Any]:
    """Write the heartbeat to ``<data_dir>/outbox/status.json`` and queue it; returns the document."""
    overview = station_overview(config, store, datetime.fromtimestamp(now_s, UTC), measure_data_dir=False)
    state = clock_state if clock_state is not None else kernel_clock_state()
    doc = heartbeat(
        station=config.station.id,
        software_version=software_version(),
        started_s=started_s,
        now_s=now_s,
        overview=overview,
        outbox=outbox.summary(),
        clock=dataclasses.asdict(state),
    )
    path = publish_dir(config) / "status.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode())
    outbox.enqueue(
        [
            Upload(
                StationKeys(config.station.id).status(),
                path,
                "status",
                Priority.STATUS,
                content_type="application/json",
            )
        ]
    )
    return doc
