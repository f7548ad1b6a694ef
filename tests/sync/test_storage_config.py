"""The ``storage`` section as stationd reads it: the new keys, the settings it hands to sync, and no secret
ever accepted (or echoed back) from the configuration file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stationd.config import parse_config
from stationd.config_example import example_config
from stationd.errors import ConfigError
from sync import LocalStore, S3Store, StoreSettings, open_store


def _raw(tmp_path: Path, **storage: Any) -> Any:
    raw = yaml.safe_load(example_config(tmp_path, station="UK0006", lat_deg=51.9, lon_deg=-1.3))
    raw["storage"] = storage
    return raw


def test_the_local_store_defaults_to_the_data_directory(tmp_path: Path) -> None:
    cfg = parse_config(_raw(tmp_path))
    settings = cfg.storage.store_settings(cfg.station.data_dir)
    assert settings == StoreSettings(backend="local", path=cfg.station.data_dir / "store")
    assert isinstance(open_store(settings), LocalStore)


def test_s3_keys_reach_the_store_settings(tmp_path: Path) -> None:
    creds = tmp_path / "s3.credentials"
    cfg = parse_config(
        _raw(
            tmp_path,
            backend="s3",
            endpoint_url="https://s3.example.org",
            bucket="meteors",
            prefix="gmn/",
            region="eu-west-2",
            addressing="virtual",
            credentials_file=str(creds),
        )
    )
    settings = cfg.storage.store_settings(cfg.station.data_dir)
    assert (settings.region, settings.addressing, settings.credentials_file) == (
        "eu-west-2",
        "virtual",
        creds,
    )
    assert settings.prefix == "gmn/" and settings.bucket == "meteors"
    creds.write_text("access_key_id: AKIDEXAMPLE\nsecret_access_key: examplesecret\n")
    assert isinstance(open_store(settings), S3Store)


def test_credentials_in_the_configuration_are_refused_without_echoing_them(tmp_path: Path) -> None:
    raw = _raw(
        tmp_path, backend="s3", bucket="meteors", aws_secret_access_key="s3cr3t-value", access_key_id="AKID1"
    )
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    text = str(err.value)
    assert "storage.aws_secret_access_key" in text and "storage.access_key_id" in text
    assert "s3cr3t-value" not in text and "AKID1" not in text


@pytest.mark.parametrize(
    ("storage", "key"),
    [
        ({"addressing": "dns"}, "storage.addressing"),
        ({"prefix": "../other"}, "storage.prefix"),
        ({"backend": "s3", "bucket": "b", "endpoint_url": "s3.example.org"}, "storage.endpoint_url"),
    ],
)
def test_values_sync_refuses_are_configuration_problems(tmp_path: Path, storage: Any, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        parse_config(_raw(tmp_path, **storage))
