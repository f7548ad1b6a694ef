"""The store's settings (built by ``stationd`` from the ``storage`` section) and the one way to open a store.

``sync`` never reads the configuration or the environment itself: ``stationd`` makes a
:class:`StoreSettings` and calls :func:`open_store`. Credentials are the exception by design: they reach
the S3 backend only through boto3's chain (environment, AWS shared files) or the file that
``credentials_file`` names, never through these settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sync.errors import StoreConfigError
from sync.keys import KeyPrefix
from sync.store import Store

__all__ = ["ADDRESSING_STYLES", "BACKENDS", "StoreSettings", "open_store"]

BACKENDS = ("local", "s3")
ADDRESSING_STYLES = ("path", "virtual")
_MIB = 1 << 20


@dataclass(frozen=True)
class StoreSettings:
    """Where objects go and how the S3 client behaves.

    ``path``: the local backend's folder. ``endpoint_url`` (None: AWS), ``bucket``, ``region`` and
    ``addressing`` (``path``: ``host/bucket/key``, what S3-compatible servers expect; ``virtual``:
    ``bucket.host/key``) for S3. ``prefix`` is put before every key on both backends.
    ``max_attempts``: tries of one request (botocore's standard retry mode: 5xx, throttling and
    connection errors, exponential backoff with jitter). Files of ``multipart_threshold_bytes`` or more go
    in parts of ``part_size_bytes`` (S3: at least 5 MiB but the last) that survive a restart,
    ``part_workers`` at a time (memory: that many parts; a ``throttle`` is then called from as many threads).
    """

    backend: str = "local"
    path: Path | None = None
    endpoint_url: str | None = None
    bucket: str | None = None
    prefix: str = ""
    region: str = "us-east-1"
    addressing: str = "path"
    credentials_file: Path | None = None
    max_attempts: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    multipart_threshold_bytes: int = 8 * _MIB
    part_size_bytes: int = 8 * _MIB
    part_workers: int = 4

    def __post_init__(self) -> None:
        _expect(self.backend in BACKENDS, "backend", self.backend, f"one of {BACKENDS}")
        try:
            KeyPrefix(self.prefix)
        except StoreConfigError as exc:
            raise StoreConfigError(
                f"storage.prefix: got {self.prefix!r}, expected key parts ({exc})"
            ) from None
        if self.backend == "local":
            _expect(self.path is not None, "path", self.path, "a folder for the local backend")
        else:
            _expect(bool(self.bucket), "bucket", self.bucket, "a bucket name for the s3 backend")
            if self.endpoint_url is not None:
                url = urlsplit(self.endpoint_url)
                ok = url.scheme in ("http", "https") and bool(url.hostname)
                _expect(ok, "endpoint_url", self.endpoint_url, "an http:// or https:// URL")
        _expect(self.addressing in ADDRESSING_STYLES, "addressing", self.addressing, str(ADDRESSING_STYLES))
        _expect(self.max_attempts >= 1, "max_attempts", self.max_attempts, "at least 1")
        _expect(self.connect_timeout_s > 0, "connect_timeout_s", self.connect_timeout_s, "> 0")
        _expect(self.read_timeout_s > 0, "read_timeout_s", self.read_timeout_s, "> 0")
        _expect(self.part_workers >= 1, "part_workers", self.part_workers, "at least 1")
        _expect(self.part_size_bytes >= 5 * _MIB, "part_size_bytes", self.part_size_bytes, ">= 5 MiB")
        _expect(
            self.multipart_threshold_bytes >= self.part_size_bytes,
            "multipart_threshold_bytes",
            self.multipart_threshold_bytes,
            ">= part_size_bytes",
        )


def _expect(ok: bool, key: str, value: object, expected: str) -> None:
    if not ok:
        raise StoreConfigError(f"storage.{key}: got {value!r}, expected {expected}")


def open_store(settings: StoreSettings, *, throttle: Callable[[int], None] | None = None) -> Store:
    """The backend ``settings`` name.

    ``throttle(n_bytes)`` is called as request bodies are sent, from every thread that sends (S3 only; the
    caller's thread-safe token bucket blocks in it to keep the configured bandwidth).
    """
    if settings.backend == "local":
        from sync.local import LocalStore

        assert settings.path is not None
        return LocalStore(settings.path, prefix=settings.prefix)
    from sync.s3 import S3Store

    return S3Store(settings, throttle=throttle)
