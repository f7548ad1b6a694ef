"""The S3 backend (DESIGN 6): any S3-compatible service (AWS, Wasabi, MinIO, SeaweedFS...) through botocore.

Choices that keep it working with S3-compatible servers:

- request checksums only when an operation requires one and response checksums only when required
  (``when_required``): the newer default (CRC32 trailers, botocore >= 1.36) breaks several servers.
  Integrity comes from ``Content-MD5`` instead, which every S3 server checks, and the ETag it answers.
- payload signing off (``UNSIGNED-PAYLOAD``, Content-MD5 covers the body): one pass over the bytes
  instead of a SHA-256 pass before sending.
- botocore's ``standard`` retry mode (5xx, throttling, connection errors; backoff with jitter).
- create-if-absent is ``PutObject`` with ``If-None-Match: *`` (412 Precondition Failed: someone else
  created it); a conditional GET sends ``If-None-Match: "<etag>"`` (304: not modified).
- credentials from the file ``storage.credentials_file`` names, else botocore's chain without its network
  look-ups (instance metadata and container endpoints are removed: a station is not a cloud VM).

A lost answer to a create-if-absent that did succeed is retried by botocore and then answered 412: the
creator is told False although its object is there. That errs on the safe side (no second winner).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sync._multipart import MultipartUpload, multipart_etag
from sync._s3errors import code_of, status_of, translate
from sync.credentials import Credentials, read_credentials_file
from sync.errors import StoreConfigError, StoreUnavailable, SyncError
from sync.keys import KeyPrefix, check_key
from sync.settings import StoreSettings
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, StoredObject, _NotModified

__all__ = ["S3Store"]

_NETWORK_PROVIDERS = ("iam-role", "container-role")
_CONFLICT_RETRIES = 3
_LIST_PAGE = 1000  # keys per ListObjectsV2 answer (S3's maximum)


class S3Store:
    """An S3 bucket (under a prefix) as an object store (the ``Store`` protocol)."""

    def __init__(
        self,
        settings: StoreSettings,
        *,
        throttle: Callable[[int], None] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        if settings.backend != "s3" or not settings.bucket:
            raise StoreConfigError("S3Store needs settings with backend 's3' and a bucket")
        self._settings = settings
        self._bucket = settings.bucket
        self._prefix = KeyPrefix(settings.prefix)
        self._throttle = throttle
        self._where = f"{settings.endpoint_url or 'AWS'} bucket {settings.bucket!r}"
        if credentials is None and settings.credentials_file is not None:
            credentials = read_credentials_file(settings.credentials_file)
        self._client, self._secrets = _make_client(settings, credentials)

    def __repr__(self) -> str:
        return (
            f"S3Store(endpoint_url={self._settings.endpoint_url!r}, bucket={self._bucket!r}, "
            f"prefix={self._prefix.prefix!r})"
        )

    # -- writing ----------------------------------------------------------------------------------------

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        content_encoding: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ObjectInfo:
        """Upload ``path``: one request below the multipart threshold, else parts (resumable)."""
        size = _size_of(path)
        upload = MultipartUpload(
            client=self._client,
            call=self._call,
            bucket=self._bucket,
            name=self._prefix.apply(key),
            key=key,
            part_size_bytes=self._settings.part_size_bytes,
            body=self._body,
            workers=self._settings.part_workers,
        )
        if size >= self._settings.multipart_threshold_bytes:
            return upload.run(path, content_type, content_encoding, checkpoint)
        if checkpoint is not None:  # the file shrank below the threshold since a multipart try
            upload.abandon(checkpoint)
        return self._put(key, _read(path), content_type, content_encoding)

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` as ``key`` in one request."""
        return self._put(key, data, content_type, content_encoding)

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        """``PutObject`` with ``If-None-Match: *``: True when this request created the object."""
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self._put(key, data, content_type, None, IfNoneMatch="*")
                return True
            except ClientError as exc:
                if status_of(exc) == 412:
                    return False
                if attempt == _CONFLICT_RETRIES:  # 409: a concurrent conditional write is in flight
                    raise translate(exc, f"create {key!r} at {self._where}", self._secrets) from None
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is absent)."""
        self._call(f"delete {key!r}", self._client.delete_object, Bucket=self._bucket, Key=self._name(key))

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, key: str, *, if_none_match: str | None = None) -> StoredObject | _NotModified | None:
        """The object, ``NOT_MODIFIED`` (HTTP 304) when its ETag is ``if_none_match``, None when absent."""
        extra = {"IfNoneMatch": f'"{_bare(if_none_match)}"'} if if_none_match else {}
        what = f"get {key!r}"
        try:
            answer = self._call(
                what,
                self._client.get_object,
                Bucket=self._bucket,
                Key=self._name(key),
                _pass=(304, 404),
                **extra,
            )
        except ClientError as exc:
            return NOT_MODIFIED if status_of(exc) == 304 else None
        try:
            data = answer["Body"].read()
        except (BotoCoreError, OSError) as exc:
            raise translate(exc, f"{what} at {self._where}", self._secrets) from None
        return StoredObject(
            key=key, data=data, etag=_bare(answer["ETag"]), content_encoding=answer.get("ContentEncoding")
        )

    def head(self, key: str) -> ObjectInfo | None:
        """Size and ETag, or None when absent (a missing bucket also answers 404 here: see :meth:`check`)."""
        try:
            answer = self._call(
                f"head {key!r}",
                self._client.head_object,
                Bucket=self._bucket,
                Key=self._name(key),
                _pass=(404,),
            )
        except ClientError:
            return None
        return ObjectInfo(key=key, size=int(answer["ContentLength"]), etag=_bare(answer["ETag"]))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order.

        S3 lists in UTF-8 byte order, but SeaweedFS lists folder by folder (``index/2026/...`` before
        ``index/2026.json.gz``, measured): the listing is gathered and sorted here.
        """
        stored = self._prefix.apply_listing(prefix)
        found: list[ObjectInfo] = []
        token: str | None = None
        while True:
            extra: dict[str, Any] = {"ContinuationToken": token} if token else {}
            page = self._call(
                f"list {prefix!r}",
                self._client.list_objects_v2,
                Bucket=self._bucket,
                Prefix=stored,
                MaxKeys=_LIST_PAGE,
                **extra,
            )
            for item in page.get("Contents", ()):
                found.append(
                    ObjectInfo(self._prefix.strip(item["Key"]), int(item["Size"]), _bare(item["ETag"]))
                )
            token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
            if not token:
                break
        found.sort(key=lambda info: info.key)
        yield from found

    def check(self) -> None:
        """Raise the error a request would meet: missing bucket, refused credentials, no answer."""
        try:
            self._call("check", self._client.head_bucket, Bucket=self._bucket, _pass=(404,))
        except ClientError:
            raise StoreConfigError(f"check at {self._where}: the bucket does not exist (HTTP 404)") from None

    def expected_etag(self, path: Path) -> str:
        """The ETag an upload of ``path`` by :meth:`put_file` gets (MD5, or S3's multipart form)."""
        if _size_of(path) < self._settings.multipart_threshold_bytes:
            return hashlib.md5(_read(path)).hexdigest()
        return multipart_etag(path, self._settings.part_size_bytes)

    # -- inside -----------------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self._prefix.apply(check_key(key))

    def _put(
        self, key: str, data: bytes, content_type: str, encoding: str | None, **extra: Any
    ) -> ObjectInfo:
        md5 = hashlib.md5(data)
        if encoding:
            extra["ContentEncoding"] = encoding
        answer = self._call(
            f"put {key!r}",
            self._client.put_object,
            Bucket=self._bucket,
            Key=self._name(key),
            Body=self._body(data),
            ContentType=content_type,
            ContentMD5=base64.b64encode(md5.digest()).decode(),
            _pass=(409, 412) if "IfNoneMatch" in extra else (),
            **extra,
        )
        etag = _bare(answer.get("ETag", ""))
        if _is_md5(etag) and etag != md5.hexdigest():
            raise StoreUnavailable(
                f"put {key!r} at {self._where}: the server stored other bytes (ETag {etag})"
            )
        return ObjectInfo(key=key, size=len(data), etag=etag or md5.hexdigest())

    def _body(self, data: bytes) -> io.BytesIO:
        return _ThrottledBody(data, self._throttle) if self._throttle else io.BytesIO(data)

    def _call(self, what: str, fn: Callable[..., Any], *, _pass: tuple[int, ...] = (), **kwargs: Any) -> Any:
        """``fn(**kwargs)`` with botocore's errors as ``sync`` errors; a ClientError whose HTTP status is in
        ``_pass`` is re-raised as it is, for the caller to read (404, 304, 412)."""
        try:
            return fn(**kwargs)
        except ClientError as exc:
            if status_of(exc) in _pass and code_of(exc) != "NoSuchBucket":
                raise
            raise translate(exc, f"{what} at {self._where}", self._secrets) from None
        except BotoCoreError as exc:
            raise translate(exc, f"{what} at {self._where}", self._secrets) from None
        except SyncError:
            raise
        except (OSError, ValueError) as exc:  # urllib3/http.client errors botocore did not wrap
            raise translate(exc, f"{what} at {self._where}", self._secrets) from None


class _ThrottledBody(io.BytesIO):
    """A request body that asks the throttle before each read (the bytes then go on the wire)."""

    def __init__(self, data: bytes, throttle: Callable[[int], None]) -> None:
        super().__init__(data)
        self._throttle = throttle

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if chunk:
            self._throttle(len(chunk))
        return chunk


def _quiet_botocore() -> None:
    """botocore's DEBUG lines show signed request headers (the access key id): keep it at INFO unless the
    operator set its level on purpose."""
    logger = logging.getLogger("botocore")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def _make_client(settings: StoreSettings, credentials: Credentials | None) -> tuple[Any, tuple[str, ...]]:
    """A botocore S3 client and the secrets it signs with (to scrub from every message)."""
    _quiet_botocore()
    session = botocore.session.Session()
    session.register_component("data_loader", _loader())
    resolver = session.get_component("credential_provider")
    for name in _NETWORK_PROVIDERS:
        resolver.remove(name)
    if credentials is not None:
        session.set_credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
    try:
        found = session.get_credentials()
    except BotoCoreError:
        found = None
    secrets = (
        tuple(v for v in (found.access_key, found.secret_key, found.token) if v) if found is not None else ()
    )
    config = Config(
        region_name=settings.region,
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        s3={"addressing_style": settings.addressing, "payload_signing_enabled": False},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=max(10, settings.part_workers * 2),
    )
    try:
        client = session.create_client("s3", endpoint_url=settings.endpoint_url, config=config)
    except (BotoCoreError, ValueError) as exc:
        raise StoreConfigError(f"cannot make an S3 client for {settings.endpoint_url!r}: {exc}") from None
    return client, secrets


@functools.cache
def _loader() -> Any:
    """One loader of botocore's service models for every store: parsing them is most of a client's cost."""
    return botocore.loaders.create_loader()


def _bare(etag: str | None) -> str:
    return (etag or "").strip().removeprefix("W/").strip('"')


def _is_md5(etag: str) -> bool:
    return len(etag) == 32 and all(c in "0123456789abcdef" for c in etag)


def _size_of(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError as exc:
        raise StoreConfigError(f"cannot read {path}: {exc.strerror}") from None


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise StoreConfigError(f"cannot read {path}: {exc.strerror}") from None
