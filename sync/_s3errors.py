"""botocore's exceptions as ``sync`` errors, with texts that never carry a credential.

A message names the operation, the key, the endpoint and bucket, the S3 error code and HTTP status and
the server's own message with every known secret replaced by ``***``; the botocore exception is not
chained (its text and its request are not ours to vouch for).
"""

from __future__ import annotations

from collections.abc import Iterable

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ResponseStreamingError,
)

from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable, SyncError

AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
        "403",
    }
)
CONFIG_CODES = frozenset(
    {
        "AuthorizationHeaderMalformed",
        "IllegalLocationConstraintException",
        "InvalidBucketName",
        "NoSuchBucket",
        "PermanentRedirect",
        "301",
    }
)
RETRY_CODES = frozenset(
    {"InternalError", "RequestTimeout", "ServiceUnavailable", "SlowDown", "Throttling", "OperationAborted"}
)


def status_of(exc: ClientError) -> int:
    """The HTTP status of a ``ClientError`` (0 when botocore did not record one)."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def code_of(exc: ClientError) -> str:
    """The S3 error code (``NoSuchBucket``...) or the status as text for bodiless answers (HEAD)."""
    return str(exc.response.get("Error", {}).get("Code") or status_of(exc))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def translate(exc: Exception, what: str, secrets: Iterable[str]) -> SyncError:
    """The ``sync`` error for a botocore exception raised while doing ``what``."""
    secrets = tuple(secrets)
    if isinstance(exc, ClientError):
        code, status = code_of(exc), status_of(exc)
        message = scrub(str(exc.response.get("Error", {}).get("Message") or ""), secrets)
        text = f"{what}: {code} (HTTP {status})" + (f": {message}" if message else "")
        if code in AUTH_CODES or status in (401, 403):
            return StoreAuthError(text)
        if code in CONFIG_CODES:
            return StoreConfigError(text)
        if status >= 500 or code in RETRY_CODES or status in (408, 429):
            return StoreUnavailable(text)
        return SyncError(text)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StoreAuthError(
            f"{what}: no usable credentials (set them in the environment, the AWS shared files "
            "or the file storage.credentials_file names)"
        )
    if isinstance(exc, ConnectionError | HTTPClientError | ResponseStreamingError):
        return StoreUnavailable(f"{what}: {type(exc).__name__}: {scrub(str(exc), secrets)}")
    if isinstance(exc, BotoCoreError):
        return SyncError(f"{what}: {type(exc).__name__}: {scrub(str(exc), secrets)}")
    return StoreUnavailable(f"{what}: {type(exc).__name__}: {scrub(str(exc), secrets)}")
