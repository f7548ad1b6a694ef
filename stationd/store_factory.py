"""Where the station gets its object store: one function, so the backends plug in at one place.

:func:`open_store` builds the store of the ``storage`` section. The backends (``sync.open_store``: the
local directory and S3-compatible services) are not in this build yet: until they are, opening a store
raises :class:`sync.StoreConfigError` (exit 2) and the outbox keeps everything queued. Tests set
:data:`store_opener` to a fake store; no stand-in backend exists for production.
"""

from __future__ import annotations

from collections.abc import Callable

import sync
from stationd.config import StationConfig
from sync import Store, StoreConfigError

StoreOpener = Callable[[StationConfig], Store]


def _backend_store(config: StationConfig) -> Store:
    opener = getattr(sync, "open_store", None)
    if opener is None:
        raise StoreConfigError(
            f"storage.backend {config.storage.backend}: this build has no store backends yet "
            "(uploads stay queued in the outbox)"
        )
    store: Store = opener(config.storage)
    return store


store_opener: StoreOpener = _backend_store
"""The function :func:`open_store` calls (tests replace it with one returning a fake store)."""


def open_store(config: StationConfig) -> Store:
    """The station's object store as configured (``StoreConfigError``, ``StoreAuthError`` when it
    cannot be opened)."""
    return store_opener(config)
