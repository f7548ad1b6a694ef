"""Faults at the backend: server errors, a server gone and back mid-upload, refused credentials, a missing
bucket; and credentials never in an error text, a repr or a log line (issue 13)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync import (
    Credentials,
    S3Store,
    StoreAuthError,
    StoreConfigError,
    StoredObject,
    StoreUnavailable,
    SyncError,
)
from tests.sync.checkpoints import MemoryCheckpoint
from tests.sync.conftest import BUCKET, TEST_CREDENTIALS
from tests.sync.faultproxy import fault_proxy
from tests.sync.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer, weed_binary

pytestmark = pytest.mark.server

KEY = "stations/XX0001/meteors/2026-08-12/m1/clip.mp4"
MIB = 2**20
WRONG = Credentials("WRONGKEYID0000000001", "wrong-secret-0123456789abcdef")


def _settings(server: SeaweedServer, **overrides: Any) -> Any:
    values = {"prefix": f"fault-{secrets.token_hex(6)}", "multipart_threshold_bytes": 5 * MIB}
    return server.settings(BUCKET, **(values | {"part_size_bytes": 5 * MIB} | overrides))


def _assert_clean(text: str, *creds: Credentials) -> None:
    for c in (TEST_CREDENTIALS, *creds):
        for secret in c.secrets():
            assert secret not in text


def test_a_run_of_server_errors_is_retried_and_a_longer_one_is_unavailable(seaweed: SeaweedServer) -> None:
    with fault_proxy(seaweed.endpoint_url) as proxy:
        store = S3Store(
            _settings(seaweed, endpoint_url=proxy.url, max_attempts=3), credentials=TEST_CREDENTIALS
        )
        proxy.fail_next(2, 503)
        store.put_bytes(KEY, b"after two 503s", content_type="video/mp4")
        assert proxy.n_failed == 2
        proxy.fail_next(1, 500)
        got = store.get(KEY)
        assert isinstance(got, StoredObject) and got.data == b"after two 503s"
        proxy.fail_next(3, 503)
        with pytest.raises(StoreUnavailable) as err:
            store.head(KEY)
        assert proxy.methods[-3:] == ["HEAD"] * 3 and proxy.n_failed == 6
        assert "503" in str(err.value)
        _assert_clean(str(err.value))


def test_a_server_that_does_not_answer_is_unavailable() -> None:
    from tests.sync.seaweed import _free_ports

    (port,) = _free_ports(1)  # nothing listens there
    settings = SeaweedServer.settings_for(f"http://127.0.0.1:{port}", BUCKET, max_attempts=2)
    store = S3Store(settings, credentials=TEST_CREDENTIALS)
    with pytest.raises(StoreUnavailable) as err:
        store.put_bytes(KEY, b"x", content_type="video/mp4")
    _assert_clean(str(err.value))


@pytest.mark.parametrize(
    "creds", [WRONG, Credentials(ACCESS_KEY, "not-the-secret-0123456789")], ids=["key", "secret"]
)
def test_refused_credentials_are_an_auth_error_that_names_no_credential(
    seaweed: SeaweedServer, creds: Credentials
) -> None:
    store = S3Store(_settings(seaweed), credentials=creds)
    calls = [
        lambda: store.put_bytes(KEY, b"x", content_type="video/mp4"),
        lambda: store.get(KEY),
        lambda: store.head(KEY),
        lambda: list(store.list("stations/")),
        lambda: store.create_if_absent(KEY, b"x", content_type="video/mp4"),
        lambda: store.delete(KEY),
        store.check,
    ]
    for call in calls:
        with pytest.raises(StoreAuthError) as err:
            call()
        _assert_clean(f"{err.value} {err.value!r}", creds)
        assert err.value.__cause__ is None
    _assert_clean(repr(store), creds)


def test_a_missing_bucket_is_a_configuration_error(seaweed: SeaweedServer) -> None:
    store = S3Store(seaweed.settings("no-such-bucket-here"), credentials=TEST_CREDENTIALS)
    for call in (
        lambda: store.put_bytes(KEY, b"x", content_type="video/mp4"),
        lambda: store.get(KEY),
        lambda: list(store.list("stations/")),
        lambda: store.create_if_absent(KEY, b"x", content_type="video/mp4"),
        store.check,
    ):
        with pytest.raises(StoreConfigError, match=r"NoSuchBucket|does not exist"):
            call()
    assert store.head(KEY) is None  # HEAD has no body to tell a missing bucket from a missing key


def test_a_bad_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(StoreConfigError, match="endpoint_url"):
        SeaweedServer.settings_for("ftp://127.0.0.1:1", BUCKET)


@pytest.fixture
def own_seaweed(tmp_path: Path) -> Iterator[SeaweedServer]:
    """A server of this test's own, to stop and start again."""
    weed = weed_binary()
    assert weed is not None
    server = SeaweedServer(weed, tmp_path / "weed")
    server.start()
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.stop()


def test_server_stopped_mid_upload_then_restarted_the_upload_resumes_with_the_right_bytes(
    own_seaweed: SeaweedServer, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(17 * MIB + 4321))  # parts 5, 5, 5, 2+ MiB
    sent = [0]

    def stop_in_part_three(n: int) -> None:
        sent[0] += n
        if sent[0] > 10 * MIB + MIB and own_seaweed.pid is not None:
            own_seaweed.stop()

    settings = _settings(own_seaweed, max_attempts=2, connect_timeout_s=1.0, part_workers=1)  # in order
    store = S3Store(settings, credentials=TEST_CREDENTIALS, throttle=stop_in_part_three)
    checkpoint = MemoryCheckpoint()
    with pytest.raises(StoreUnavailable) as err:
        store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
    _assert_clean(str(err.value))
    assert checkpoint.progress is not None and sorted(checkpoint.progress["parts"]) == ["1", "2"]

    own_seaweed.start()
    sent[0] = 0
    info = store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
    assert sent[0] == clip.stat().st_size - 10 * MIB  # parts 1 and 2 were not sent again
    assert checkpoint.progress is None
    got = store.get(KEY)
    assert isinstance(got, StoredObject)
    assert hashlib.sha256(got.data).digest() == hashlib.sha256(clip.read_bytes()).digest()
    assert info.etag == store.expected_etag(clip) and info.etag.endswith("-4")


def test_parts_in_flight_when_one_fails_are_kept_and_only_the_failed_one_is_sent_again(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    clip = tmp_path / "clip_hd.mp4"
    clip.write_bytes(os.urandom(17 * MIB))  # four parts, all in flight at once
    checkpoint = MemoryCheckpoint()

    def is_part(method: str, path: str) -> bool:
        return method == "PUT" and "partNumber=" in path

    with fault_proxy(seaweed.endpoint_url) as proxy:
        settings = _settings(seaweed, endpoint_url=proxy.url, max_attempts=1, part_workers=4)
        store = S3Store(settings, credentials=TEST_CREDENTIALS)
        proxy.fail_next(1, 503, when=is_part)
        with pytest.raises(StoreUnavailable):
            store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
        assert checkpoint.progress is not None and len(checkpoint.progress["parts"]) == 3
        before = sum(is_part(m, p) for m, p in zip(proxy.methods, proxy.paths, strict=True))
        info = store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
        after = sum(is_part(m, p) for m, p in zip(proxy.methods, proxy.paths, strict=True))
        got = store.head(KEY)
    assert (before, after) == (4, 5)
    assert got is not None and got.etag == info.etag == store.expected_etag(clip)


class _Interrupted(Exception):
    """The station going down mid-part (botocore reports it as an HTTP client error)."""


def test_a_checkpoint_of_another_file_version_or_a_vanished_upload_starts_afresh(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(11 * MIB))
    sent = [0]

    def interrupt_in_part_two(n: int) -> None:
        sent[0] += n
        if sent[0] > 6 * MIB:
            raise _Interrupted

    settings = _settings(seaweed)
    checkpoint = MemoryCheckpoint()
    with pytest.raises(StoreUnavailable):
        S3Store(settings, credentials=TEST_CREDENTIALS, throttle=interrupt_in_part_two).put_file(
            KEY, clip, content_type="video/mp4", checkpoint=checkpoint
        )
    assert checkpoint.progress is not None
    old_upload = checkpoint.progress["upload_id"]

    clip.write_bytes(os.urandom(11 * MIB))  # reprocessing changed the clip
    store = S3Store(settings, credentials=TEST_CREDENTIALS)
    store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
    got = store.get(KEY)
    assert isinstance(got, StoredObject) and got.data == clip.read_bytes()
    uploads = seaweed.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert old_upload not in {u["UploadId"] for u in uploads}

    vanished = MemoryCheckpoint(
        {"key": KEY, "size": 11 * MIB, "mtime_ns": clip.stat().st_mtime_ns, "part": 5 * MIB}
        | {"upload_id": "no-such-upload", "parts": {"1": "0" * 32}}
    )
    clip.write_bytes(os.urandom(11 * MIB))
    os.utime(clip, ns=(vanished.progress["mtime_ns"],) * 2)  # type: ignore[index]
    store.put_file(KEY, clip, content_type="video/mp4", checkpoint=vanished)
    got = store.get(KEY)
    assert isinstance(got, StoredObject) and got.data == clip.read_bytes()


def _put_and_head(settings: Any) -> None:
    store = S3Store(settings)
    store.put_bytes("stations/XX0001/status.json", b"{}", content_type="application/json")
    assert store.head("stations/XX0001/status.json") is not None


def test_credentials_from_the_environment(seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    _put_and_head(_settings(seaweed))


def test_credentials_from_the_aws_shared_file(
    seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shared = tmp_path / "aws-credentials"
    shared.write_text(f"[station]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    monkeypatch.setenv("AWS_PROFILE", "station")
    _put_and_head(_settings(seaweed))


@pytest.mark.parametrize(
    "text",
    [
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n",
        f"access_key_id: {ACCESS_KEY}\nsecret_access_key: {SECRET_KEY}\n",
    ],
    ids=["ini", "yaml"],
)
def test_credentials_from_the_file_the_configuration_names(
    seaweed: SeaweedServer, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "s3.credentials"
    path.write_text(text)
    path.chmod(0o600)
    _put_and_head(_settings(seaweed, credentials_file=path))


def test_no_credentials_is_an_auth_error_and_a_bad_file_names_only_the_file(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    with pytest.raises(StoreAuthError, match="no usable credentials"):
        S3Store(_settings(seaweed)).head(KEY)
    with pytest.raises(StoreConfigError, match="cannot read the credentials file"):
        S3Store(_settings(seaweed, credentials_file=tmp_path / "missing"))
    half = tmp_path / "half.credentials"
    half.write_text(f"aws_access_key_id: {ACCESS_KEY}\n")
    with pytest.raises(StoreConfigError, match="lacks secret_access_key") as err:
        S3Store(_settings(seaweed, credentials_file=half))
    assert ACCESS_KEY not in str(err.value)


def test_no_log_line_carries_a_credential(seaweed: SeaweedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    good = S3Store(_settings(seaweed), credentials=TEST_CREDENTIALS)
    bad = S3Store(_settings(seaweed), credentials=WRONG)
    good.put_bytes(KEY, b"x", content_type="video/mp4")
    good.get(KEY)
    with pytest.raises(SyncError):
        bad.get(KEY)
    logging.getLogger("stationd.test").exception("a logged store error: %s", repr(bad))
    _assert_clean(caplog.text, WRONG)


def test_a_file_that_shrank_below_the_threshold_abandons_its_multipart_upload(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(11 * MIB))
    settings = _settings(seaweed)
    checkpoint = MemoryCheckpoint()
    sent = [0]

    def interrupt_in_part_two(n: int) -> None:
        sent[0] += n
        if sent[0] > 6 * MIB:
            raise _Interrupted

    with pytest.raises(StoreUnavailable):
        S3Store(settings, credentials=TEST_CREDENTIALS, throttle=interrupt_in_part_two).put_file(
            KEY, clip, content_type="video/mp4", checkpoint=checkpoint
        )
    assert checkpoint.progress is not None
    old_upload = checkpoint.progress["upload_id"]
    clip.write_bytes(b"a shorter clip")
    store = S3Store(settings, credentials=TEST_CREDENTIALS)
    info = store.put_file(KEY, clip, content_type="video/mp4", checkpoint=checkpoint)
    assert checkpoint.progress is None and info.etag == hashlib.md5(b"a shorter clip").hexdigest()
    uploads = seaweed.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert old_upload not in {u["UploadId"] for u in uploads}
