"""Object storage and the network of stations (DESIGN 6): store backends, the outbox, the index, events."""

from sync.bucket import TokenBucket
from sync.checkout import Checkout, CheckoutSettings, ClaimRefused, Revision
from sync.clock import Clock
from sync.credentials import Credentials, read_credentials_file
from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable, SyncError
from sync.events import Event, EventGrouper, GroupingSettings, Observation
from sync.gmn_summary import summary_row, summary_text
from sync.index import (
    CameraInfo,
    StationInfo,
    day_index,
    encode_index,
    index_schema,
    update_year,
    year_schema,
)
from sync.keys import KeyPrefix, StationKeys, check_key, event_key
from sync.local import LocalStore
from sync.network import CycleReport, NetworkCycle, NetworkSettings, RevisionOutcome, claim_refusal
from sync.outbox import Outbox, OutboxItem, Priority, Upload
from sync.partners import IndexRejected, PartnerFetch, PartnerIndexes, PartnerSettings, observations_of_index
from sync.probe import ProbeResult, probe_create_if_absent
from sync.s3 import S3Store
from sync.sender import Sender, SenderSettings, SendReport
from sync.settings import StoreSettings, open_store
from sync.status import heartbeat
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, Store, StoredObject

__all__ = [
    "CameraInfo",
    "Checkout",
    "CheckoutSettings",
    "Checkpoint",
    "ClaimRefused",
    "Clock",
    "Credentials",
    "CycleReport",
    "Event",
    "EventGrouper",
    "GroupingSettings",
    "IndexRejected",
    "KeyPrefix",
    "LocalStore",
    "NOT_MODIFIED",
    "NetworkCycle",
    "NetworkSettings",
    "ObjectInfo",
    "Observation",
    "Outbox",
    "OutboxItem",
    "PartnerFetch",
    "PartnerIndexes",
    "PartnerSettings",
    "Priority",
    "ProbeResult",
    "Revision",
    "RevisionOutcome",
    "S3Store",
    "SendReport",
    "Sender",
    "SenderSettings",
    "StationInfo",
    "StationKeys",
    "Store",
    "StoreAuthError",
    "StoreConfigError",
    "StoreSettings",
    "StoreUnavailable",
    "StoredObject",
    "SyncError",
    "TokenBucket",
    "Upload",
    "check_key",
    "claim_refusal",
    "day_index",
    "encode_index",
    "event_key",
    "heartbeat",
    "index_schema",
    "observations_of_index",
    "open_store",
    "probe_create_if_absent",
    "read_credentials_file",
    "summary_row",
    "summary_text",
    "update_year",
    "year_schema",
]
