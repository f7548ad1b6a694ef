"""Settings refuse what cannot work, naming the key; the probe fails a store lacking create-if-absent."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from sync import (
    Credentials,
    LocalStore,
    S3Store,
    StoreConfigError,
    StoreSettings,
    open_store,
    probe_create_if_absent,
)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"backend": "ftp", "path": Path("/x")}, "backend"),
        ({"backend": "local"}, "path"),
        ({"backend": "s3"}, "bucket"),
        ({"backend": "s3", "bucket": "b", "endpoint_url": "127.0.0.1:9000"}, "endpoint_url"),
        ({"backend": "s3", "bucket": "b", "addressing": "dns"}, "addressing"),
        ({"backend": "s3", "bucket": "b", "part_size_bytes": 2**20}, "part_size_bytes"),
        ({"backend": "local", "path": Path("/x"), "prefix": "../up"}, "prefix"),
    ],
)
def test_bad_settings_name_the_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(StoreConfigError, match=key):
        StoreSettings(**values)


def test_open_store_gives_the_backend_the_settings_name(tmp_path: Path) -> None:
    assert isinstance(open_store(StoreSettings(backend="local", path=tmp_path)), LocalStore)
    s3 = open_store(StoreSettings(backend="s3", bucket="meteors", endpoint_url="http://127.0.0.1:9"))
    assert isinstance(s3, S3Store)


class _IgnoresIfNoneMatch(LocalStore):
    """A server that treats a conditional create as a plain put (as some S3-compatible servers do)."""

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        self.put_bytes(key, data, content_type=content_type)
        return True


def test_the_probe_fails_a_store_that_ignores_if_none_match(tmp_path: Path) -> None:
    result = probe_create_if_absent(_IgnoresIfNoneMatch(tmp_path), "events/probe", n_writers=6)
    assert not result.ok and result.n_winners == 6
    good = probe_create_if_absent(LocalStore(tmp_path / "good"), "events/probe", n_writers=6)
    assert good.ok and (good.n_winners, good.n_losers) == (1, 5)


class _EmptyBody:
    def stream(self, **_: object) -> Iterator[bytes]:
        yield b""


@pytest.mark.parametrize(
    ("style", "url"),
    [
        ("path", "http://s3.example.org/meteors/gmn/stations/XX0001/status.json"),
        ("virtual", "http://meteors.s3.example.org/gmn/stations/XX0001/status.json"),
    ],
)
def test_addressing_styles_and_the_request_headers(style: str, url: str) -> None:
    """What goes on the wire, caught before sending: URL, Content-MD5, no checksum trailer, no body hash."""
    settings = StoreSettings(
        backend="s3", bucket="meteors", endpoint_url="http://s3.example.org", prefix="gmn", addressing=style
    )
    store = S3Store(settings, credentials=Credentials("AKIDEXAMPLE", "secret-example"))
    sent: list[AWSPreparedRequest] = []
    data = b"{}"

    def answer(request: AWSPreparedRequest, **_: object) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 200, {"ETag": f'"{hashlib.md5(data).hexdigest()}"'}, _EmptyBody())

    store._client.meta.events.register("before-send.s3", answer)
    store.put_bytes("stations/XX0001/status.json", data, content_type="application/json")
    (request,) = sent
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert request.url == url
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(data).digest())
    assert headers["x-amz-content-sha256"] == b"UNSIGNED-PAYLOAD"
    assert not any(k.startswith("x-amz-checksum") or k == "x-amz-trailer" for k in headers)
