"""The Store contract (sync/store.py) on both backends: LocalStore, and S3Store on SeaweedFS."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from sync import NOT_MODIFIED, StoreConfigError, StoredObject, probe_create_if_absent
from tests.sync.checkpoints import MemoryCheckpoint

KEY = "stations/XX0001/meteors/2026-08-12/XX0001_cam1_20260812_221506_120/meteor.json"


def test_put_get_head_round_trip_with_md5_etag(store: Any) -> None:
    data = b'{"schema": "stationd.meteor/1"}\n'
    info = store.put_bytes(KEY, data, content_type="application/json")
    assert (info.key, info.size, info.etag) == (KEY, len(data), hashlib.md5(data).hexdigest())
    got = store.get(KEY)
    assert isinstance(got, StoredObject)
    assert (got.data, got.etag, got.content_encoding) == (data, info.etag, None)
    assert store.head(KEY) == info


def test_content_encoding_is_kept(store: Any) -> None:
    body = gzip.compress(b'{"meteors": []}' * 100)
    key = "stations/XX0001/index/2026/2026-08-12.json.gz"
    store.put_bytes(key, body, content_type="application/json", content_encoding="gzip")
    got = store.get(key)
    assert isinstance(got, StoredObject)
    assert got.content_encoding == "gzip" and got.data == body  # stored bytes, not decoded


def test_missing_objects_are_none_and_delete_is_idempotent(store: Any) -> None:
    assert store.get("stations/XX0001/status.json") is None
    assert store.head("stations/XX0001/status.json") is None
    store.delete("stations/XX0001/status.json")
    store.put_bytes("stations/XX0001/status.json", b"{}", content_type="application/json")
    store.delete("stations/XX0001/status.json")
    assert store.head("stations/XX0001/status.json") is None
    assert list(store.list("stations/")) == []


def test_conditional_get_answers_not_modified_for_the_current_etag_only(store: Any) -> None:
    first = store.put_bytes(KEY, b"one", content_type="text/plain")
    assert store.get(KEY, if_none_match=first.etag) is NOT_MODIFIED
    assert store.get(KEY, if_none_match=f'"{first.etag}"') is NOT_MODIFIED  # the quoted HTTP form
    second = store.put_bytes(KEY, b"two", content_type="text/plain")
    assert second.etag != first.etag
    got = store.get(KEY, if_none_match=first.etag)
    assert isinstance(got, StoredObject) and got.data == b"two" and got.etag == second.etag


def test_create_if_absent_creates_once_and_never_overwrites(store: Any) -> None:
    key = "events/2026-08-12/E1/claim-1.json"
    assert store.create_if_absent(key, b"mine", content_type="application/json") is True
    assert store.create_if_absent(key, b"theirs", content_type="application/json") is False
    got = store.get(key)
    assert isinstance(got, StoredObject) and got.data == b"mine"


def test_concurrent_creates_of_one_key_have_exactly_one_winner(store: Any) -> None:
    for _ in range(2):  # SeaweedFS holds conditional writers for about a second
        result = probe_create_if_absent(store, "events/probe", n_writers=8)
        assert result.ok, result
    assert list(store.list("events/probe/")) == []


def test_list_by_prefix_in_key_order(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sync.s3._LIST_PAGE", 2)  # S3: several pages
    keys = [
        "stations/XX0001/index/2026/2026-08-12.json",
        "stations/XX0001/index/2026/2026-08-02.json",
        "stations/XX0001/index/2026.json.gz",  # byte order: '.' < '/', before the 2026/ folder's keys
        "stations/XX0001/status.json",
        "stations/XX0002/status.json",
        "live/XX0001/m1/meteor.json",
    ]
    for k in keys:
        store.put_bytes(k, k.encode(), content_type="application/json")
    assert [i.key for i in store.list("stations/XX0001/index/")] == sorted(keys[:3])
    assert [i.key for i in store.list("stations/XX0001/index/2026/2026-08-1")] == [keys[0]]
    assert [i.key for i in store.list("stations/XX000")] == sorted(keys[:5])
    assert [i.key for i in store.list("")] == sorted(keys)
    infos = {i.key: i for i in store.list("live/")}
    assert (
        infos[keys[5]].size == len(keys[5])
        and infos[keys[5]].etag == hashlib.md5(keys[5].encode()).hexdigest()
    )


@pytest.mark.parametrize(
    "key",
    ["../etc/passwd", "/stations/x", "stations//x", "stations/x/", "stations/.hidden", "st\u00e4tions/x", ""],
)
def test_invalid_keys_are_refused(store: Any, key: str) -> None:
    with pytest.raises(StoreConfigError):
        store.put_bytes(key, b"x", content_type="text/plain")
    with pytest.raises(StoreConfigError):
        store.get(key)


def test_put_file_small_and_in_parts_with_the_etag_it_announced(store: Any, tmp_path: Path) -> None:
    small = tmp_path / "stack.jpg"
    small.write_bytes(os.urandom(300_000))
    big = tmp_path / "clip.mp4"
    big.write_bytes(os.urandom(11 * 2**20 + 12345))  # three parts of 5 MiB, 5 MiB, 1 MiB + on S3
    for path in (small, big):
        key = f"stations/XX0001/meteors/2026-08-12/m1/{path.name}"
        checkpoint = MemoryCheckpoint()
        info = store.put_file(key, path, content_type="application/octet-stream", checkpoint=checkpoint)
        assert info.size == path.stat().st_size
        assert info.etag == store.expected_etag(path) == store.head(key).etag
        got = store.get(key)
        assert isinstance(got, StoredObject) and got.data == path.read_bytes()
        assert checkpoint.progress is None  # cleared once the object exists


def test_repr_names_the_place_not_the_credentials(store: Any) -> None:
    text = repr(store)
    assert "secret" not in text.lower() and "STATIONDTESTKEY" not in text


def test_a_key_that_is_only_a_folder_of_longer_keys_is_absent(store: Any) -> None:
    store.put_bytes(
        "stations/XX0001/meteors/2026-08-12/m1/meteor.json", b"{}", content_type="application/json"
    )
    assert store.get("stations/XX0001/meteors/2026-08-12/m1") is None
    assert store.head("stations/XX0001/meteors/2026-08-12/m1") is None
    assert store.get("stations/XX0001/meteors/2026-08-12/m1/meteor.json/x") is None  # below an object
    assert store.head("stations/XX0001/meteors/2026-08-12/m1/meteor.json/x") is None
    store.delete("stations/XX0001/meteors/2026-08-12/m1/meteor.json/x")
