"""Where the station gets its object store: one function, so the backends plug in at one place.

:func:`open_store` builds the store of the ``storage`` section through ``sync.open_store`` (the local
directory, the default under ``<data_dir>/store``, or an S3-compatible service). Tests may set
:data:`store_opener` to a fake store. ``quick=True`` opens it for a question a person waits on
(``stationd status``): one try of each request with short timeouts (:data:`QUICK_CONNECT_TIMEOUT_S`)
instead of the sender's patient retries, so that an unreachable store is reported in seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sync
from stationd.config import StationConfig
from sync import Store

StoreOpener = Callable[[StationConfig], Store]


def _backend_store(config: StationConfig) -> Store:
    return sync.open_store(config.storage.store_settings(config.station.data_dir))


store_opener: StoreOpener = _backend_store
"""The function :func:`open_store` calls (tests replace it with one returning a fake store)."""


QUICK_CONNECT_TIMEOUT_S, QUICK_READ_TIMEOUT_S = 3.0, 5.0
"""The timeouts of a quick open (one try of each request; see the module docstring)."""


def open_store(config: StationConfig, *, quick: bool = False) -> Store:
    """The station's object store as configured (``StoreConfigError``, ``StoreAuthError`` when it
    cannot be opened); ``quick``: one try per request, short timeouts."""
    if quick and store_opener is _backend_store:
        settings = config.storage.store_settings(config.station.data_dir)
        return sync.open_store(
            dataclasses.replace(
                settings,
                max_attempts=1,
                connect_timeout_s=QUICK_CONNECT_TIMEOUT_S,
                read_timeout_s=QUICK_READ_TIMEOUT_S,
            )
        )
    return store_opener(config)
