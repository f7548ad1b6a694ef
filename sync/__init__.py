"""Object storage and the network of stations (DESIGN 6): store backends, the outbox, the index, events."""

from sync.credentials import Credentials, read_credentials_file
from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable, SyncError
from sync.keys import KeyPrefix, StationKeys, check_key, event_key
from sync.local import LocalStore
from sync.probe import ProbeResult, probe_create_if_absent
from sync.s3 import S3Store
from sync.settings import StoreSettings, open_store
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, Store, StoredObject

__all__ = [
    "Checkpoint",
    "Credentials",
    "KeyPrefix",
    "LocalStore",
    "NOT_MODIFIED",
    "ObjectInfo",
    "ProbeResult",
    "S3Store",
    "StationKeys",
    "Store",
    "StoreAuthError",
    "StoreConfigError",
    "StoreSettings",
    "StoreUnavailable",
    "StoredObject",
    "SyncError",
    "check_key",
    "event_key",
    "open_store",
    "probe_create_if_absent",
    "read_credentials_file",
]
