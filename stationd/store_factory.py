"""Where the station gets its object store: one function, so the backends plug in at one place.

:func:`open_store` builds the store of the ``storage`` section through ``sync.open_store`` (the local
directory, the default under ``<data_dir>/store``, or an S3-compatible service). Tests may set
:data:`store_opener` to a fake store.
"""

from __future__ import annotations

from collections.abc import Callable

import sync
from stationd.config import StationConfig
from sync import Store

StoreOpener = Callable[[StationConfig], Store]


def _backend_store(config: StationConfig) -> Store:
    return sync.open_store(config.storage.store_settings(config.station.data_dir))


store_opener: StoreOpener = _backend_store
"""The function :func:`open_store` calls (tests replace it with one returning a fake store)."""


def open_store(config: StationConfig) -> Store:
    """The station's object store as configured (``StoreConfigError``, ``StoreAuthError`` when it
    cannot be opened)."""
    return store_opener(config)
