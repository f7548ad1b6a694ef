"""Object storage and the network of stations (DESIGN 6): store backends, the outbox, the index, events."""

from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable, SyncError
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, Store, StoredObject

__all__ = [
    "Checkpoint",
    "NOT_MODIFIED",
    "ObjectInfo",
    "Store",
    "StoreAuthError",
    "StoreConfigError",
    "StoreUnavailable",
    "StoredObject",
    "SyncError",
]
