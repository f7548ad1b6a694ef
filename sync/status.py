"""The heartbeat a station publishes as ``stations/<STATION>/status.json`` every few minutes.

It tells the network and the operator that the station lives and how it does: software version,
uptime, each camera's last minute, the processing backlog, the outbox's depth, active alerts, the disk
and whether the clock is synchronised. The data comes from ``stationd``'s views (the same fields as
``stationd status --json``); this module only assembles the document.
"""

from __future__ import annotations

from typing import Any

from sync.clock import iso_of

HEARTBEAT_SCHEMA_ID = "stationd.heartbeat/1"

_OUTBOX_FIELDS = (
    "pending",
    "failed",
    "pending_bytes",
    "oldest_pending_utc",
    "failing_since_utc",
    "last_success_utc",
)


def heartbeat(
    *,
    station: str,
    software_version: str,
    started_s: float,
    now_s: float,
    overview: dict[str, Any],
    outbox: dict[str, Any],
    clock: dict[str, Any],
) -> dict[str, Any]:
    """The ``stationd.heartbeat/1`` document.

    ``overview`` is the station overview (``cameras``, ``backlog``, ``alerts``, ``disk``), ``outbox`` the
    outbox's summary and ``clock`` the clock state (``synced``, ``max_error_us``, ``source``). Local
    paths stay local: the disk block keeps its sizes, not the data directory's path. The last error
    text is left out too (it may name local files); its presence is the ``failing_since_utc``.
    """
    disk = {k: v for k, v in overview.get("disk", {}).items() if k != "data_dir"}
    return {
        "schema": HEARTBEAT_SCHEMA_ID,
        "station": station,
        "software_version": software_version,
        "updated_utc": iso_of(now_s),
        "started_utc": iso_of(started_s),
        "uptime_s": round(max(0.0, now_s - started_s), 1),
        "cameras": overview.get("cameras", []),
        "backlog": overview.get("backlog", {}),
        "outbox": {k: outbox.get(k) for k in _OUTBOX_FIELDS},
        "alerts": [
            {k: a.get(k) for k in ("key", "kind", "severity", "message", "since_utc")}
            for a in overview.get("alerts", [])
        ],
        "disk": disk,
        "clock": clock,
    }
