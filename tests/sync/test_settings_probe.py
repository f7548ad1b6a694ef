"""Settings refuse what cannot work, naming the key; the probe fails a store lacking create-if-absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync import LocalStore, S3Store, StoreConfigError, StoreSettings, open_store, probe_create_if_absent


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
