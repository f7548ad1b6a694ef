"""The object store every backend implements (DESIGN 6): the contract between the backends and the outbox.

A store holds objects under keys (built only by ``sync.keys``). Two backends implement it: a local
directory (the embedded default) and any S3-compatible service through boto3; both keep the same
semantics, so the outbox, the index and the checkout protocol never know which one they talk to.

- ``put_file``/``put_bytes`` replace an object atomically: a reader sees the old object or the new one,
  never a part.
- ``create_if_absent`` is the only mutual exclusion the network relies on (``If-None-Match: *`` on S3,
  ``O_EXCL``/link on a directory): of several concurrent creates of one key exactly one returns True.
- ``get`` returns None for a missing key, and ``NOT_MODIFIED`` when ``if_none_match`` names the
  object's current ETag (a conditional GET).
- A large upload may be resumed after a restart: ``put_file`` saves its progress through a
  ``Checkpoint`` the caller owns (the outbox keeps it in its row) and continues from it.

Errors (``sync.errors``): ``StoreUnavailable`` (network, timeouts, 5xx: retry later), ``StoreAuthError``
(credentials refused), ``StoreConfigError`` (missing bucket, bad endpoint); all ``SyncError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: its key, size in bytes and ETag (quotes stripped)."""

    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class StoredObject:
    """The body of an object read with ``get``, with its ETag and content encoding (``gzip`` or None)."""

    key: str
    data: bytes
    etag: str
    content_encoding: str | None = None


class _NotModified:
    def __repr__(self) -> str:
        return "NOT_MODIFIED"


NOT_MODIFIED: Final = _NotModified()
"""What ``Store.get`` returns when the object still has the ETag the caller named."""


class Checkpoint(Protocol):
    """Where a resumable upload keeps its progress between attempts (and restarts)."""

    def load(self) -> dict[str, Any] | None:
        """The saved progress, or None to start afresh."""

    def save(self, progress: dict[str, Any]) -> None:
        """Keep ``progress`` (plain JSON data) durably."""

    def clear(self) -> None:
        """Forget the progress (the upload finished or must start again)."""


class Store(Protocol):
    """An object store: the operations the outbox, the index and the checkout protocol use."""

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        content_encoding: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ObjectInfo:
        """Upload ``path`` as ``key`` (replacing it atomically); resumable through ``checkpoint``."""

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` as ``key``, replacing it atomically."""

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Create ``key`` only if no object has it: True for the one creator that won."""

    def get(self, key: str, *, if_none_match: str | None = None) -> StoredObject | _NotModified | None:
        """The object, NOT_MODIFIED when its ETag is ``if_none_match``, or None when absent."""

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size and ETag, or None when absent."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already absent)."""
