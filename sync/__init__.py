"""Object storage and the network of stations (DESIGN 6): store backends, the outbox, the index, events."""

from sync.bucket import TokenBucket
from sync.clock import Clock
from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable, SyncError
from sync.index import (
    CameraInfo,
    StationInfo,
    day_index,
    encode_index,
    index_schema,
    update_year,
    year_schema,
)
from sync.outbox import Outbox, OutboxItem, Priority, Upload
from sync.sender import Sender, SenderSettings, SendReport
from sync.status import heartbeat
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, Store, StoredObject

__all__ = [
    "CameraInfo",
    "Checkpoint",
    "Clock",
    "NOT_MODIFIED",
    "ObjectInfo",
    "Outbox",
    "OutboxItem",
    "Priority",
    "SendReport",
    "Sender",
    "SenderSettings",
    "StationInfo",
    "Store",
    "StoreAuthError",
    "StoreConfigError",
    "StoreUnavailable",
    "StoredObject",
    "SyncError",
    "TokenBucket",
    "Upload",
    "day_index",
    "encode_index",
    "heartbeat",
    "index_schema",
    "update_year",
    "year_schema",
]
