"""A station's day through the whole pipeline, then ``stationd sync`` to a real S3 server (SeaweedFS on
loopback): every product present exactly once and byte-identical, the index listing every meteor and
valid against its schema; a second sync sends nothing."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from stationd.config import load_config
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.station import Station
from sync.index import index_schema, year_schema
from tests.stationd.station_fixtures import DAY, make_station
from tests.sync.seaweed import SeaweedServer
from tests.sync.station_s3 import (
    BUCKET,
    assert_published_once,
    decoded_json,
    stored_objects,
    write_credentials,
)

pytestmark = pytest.mark.server


def _sync(config_path: Path) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["sync", "--json", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_a_processed_day_syncs_to_seaweedfs_exactly_once_with_a_valid_index(
    tmp_path: Path, seaweed: SeaweedServer
) -> None:
    station = make_station(tmp_path, 2)
    prefix = "e2e"
    raw = yaml.safe_load(station.config_path.read_text())
    raw["storage"] = {"backend": "s3", "endpoint_url": seaweed.endpoint_url, "bucket": BUCKET,
                      "prefix": prefix, "credentials_file": str(write_credentials(tmp_path))}  # fmt: skip
    station.config_path.write_text(yaml.safe_dump(raw))
    config = load_config(station.config_path)
    with Station(config) as st:
        outcomes = st.reprocess(DAY, settle_s=0.0).outcomes
    assert not [o for o in outcomes if o.status in ("failed", "quarantined")]
    records = list(iter_records(StationLayout(config.station.data_dir), DAY))
    assert len(records) == 2  # one meteor per minute

    first = _sync(station.config_path)
    assert first["ok"] and first["indexes"] == [DAY]
    sent = first["sent"]
    assert isinstance(sent, dict) and sent["failed"] == 0 and sent["present"] == 0

    objects = assert_published_once(config, seaweed)
    keys = sorted(objects)
    meteor_keys = [k for k in keys if k.startswith(f"stations/XX0001/meteors/{DAY}/")]
    for r in records:
        folder = f"stations/XX0001/meteors/{DAY}/{r['meteor_id']}/"
        assert {k for k in meteor_keys if k.startswith(folder)} >= {folder + "meteor.json"}
        for name in r["products"].values():
            if name:
                assert folder + name in keys
    index = decoded_json(objects[f"stations/XX0001/index/{DAY[:4]}/{DAY}.json"])
    jsonschema.validate(index, index_schema())
    assert sorted(m["meteor_id"] for m in index["meteors"]) == sorted(r["meteor_id"] for r in records)
    assert all(m["key"] in objects for m in index["meteors"])
    jsonschema.validate(decoded_json(objects[f"stations/XX0001/index/{DAY[:4]}.json.gz"]), year_schema())
    assert any(k.startswith(f"stations/XX0001/exports/{DAY}/") for k in keys)  # FTPdetectinfo

    assert sent["sent"] == len(objects)
    again = _sync(station.config_path)  # nothing new: nothing sent
    assert again["sent"] == {**sent, "sent": 0, "bytes_sent": 0, "present": 0, "retried": 0, "errors": []}
    assert stored_objects(seaweed, prefix).keys() == objects.keys()
