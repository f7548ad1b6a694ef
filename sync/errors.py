"""Errors of object storage and the network of stations (STYLE 8), mapped to exit codes by the CLI.

::

    SyncError                  anything sync could not do (exit 1)
    ├── StoreUnavailable       network, timeout or server error (5xx): try again later
    ├── StoreAuthError         the store refused the credentials (exit 2: fix the configuration)
    └── StoreConfigError       missing bucket, bad endpoint, invalid key (exit 2)

Texts never carry credentials: a message names the endpoint, the bucket and the key, nothing else.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error of ``sync``."""


class StoreUnavailable(SyncError):
    """The store did not answer, or answered with a server error: retry later."""


class StoreAuthError(SyncError):
    """The store refused the credentials (or they are missing)."""


class StoreConfigError(SyncError):
    """The store cannot work as configured: missing bucket, bad endpoint, invalid key."""
