"""A station publishing to the session's SeaweedFS: its configuration, a credentials file, and the checks
that every product arrived exactly once (one object per key, the file's bytes, nothing else, no unfinished
multipart upload left on the server)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from detection.timing import VideoTime
from stationd.config import StationConfig, load_config
from stationd.config_example import example_config
from stationd.disk.layout import StationLayout
from stationd.disk.records import build_record, write_record
from stationd.disk.state import StateStore
from stationd.publish.outbox import open_outbox
from tests.stationd.ops_helpers import make_config
from tests.sync.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

BUCKET = "stationd-test"  # the bucket tests/sync/conftest.py makes on the session's server
STATION = "XX0001"
DAY = "2026-08-12"


def write_credentials(folder: Path, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Path:
    """An AWS-style INI credentials file (mode 600) that ``storage.credentials_file`` may name."""
    path = folder / "s3-credentials"
    path.write_text(f"[default]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret_key}\n")
    path.chmod(0o600)
    return path


def s3_storage(
    cfg: StationConfig, server: SeaweedServer, credentials_file: Path, **overrides: Any
) -> StationConfig:
    """``cfg`` publishing to ``server`` under a prefix of its own (``overrides``: storage fields)."""
    values: dict[str, Any] = {
        "backend": "s3",
        "endpoint_url": server.endpoint_url,
        "bucket": BUCKET,
        "prefix": f"station-{secrets.token_hex(6)}",
        "credentials_file": credentials_file,
    }
    return dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, **(values | overrides)))


def new_station(data_dir: Path) -> StationConfig:
    """The example station (XX0001, cam1) with its state store made (schema v4: the outbox tables)."""
    cfg = make_config(data_dir)
    StateStore(StationLayout(cfg.station.data_dir).state_db).close()
    return cfg


def add_meteor(
    cfg: StationConfig, second: int, clip_bytes: int = 3000, fireball: bool = False, day: str = DAY
) -> str:
    """A verified meteor's folder (meteor.json, stack.jpg, clip.mp4 of ``clip_bytes`` random bytes) at
    ``second`` past 22:15 of ``day``; returns its id."""
    start = datetime.fromisoformat(day).replace(hour=22, minute=15, tzinfo=UTC)
    frames = [
        {"frame": second * 25 + i, "x_px": 10.0 + i, "y_px": 20.0, "intensity": 500.0} for i in range(5)
    ]
    line = {"x_begin_px": 10.0, "y_begin_px": 20.0, "x_end_px": 14.0, "y_end_px": 20.0, "frame_begin": 0,
            "frame_end": 4, "speed_px_frame": 1.0, "speed_deg_s": 5.0, "length_px": 4.0,
            "residual_px": 0.1}  # fmt: skip
    record = build_record(
        station=cfg.station.id,
        camera="cam1",
        clock=VideoTime(start, 25.0),
        detection={"frames": frames, "line": line, "checks": {}, "fireball": fireball},
        source={"video": "v.mp4", "ff_files": [], "hd_video": None},
        products={},
    )

    def products(folder: Path) -> dict[str, Any]:
        (folder / "stack.jpg").write_bytes(secrets.token_bytes(2000))
        (folder / "clip.mp4").write_bytes(secrets.token_bytes(clip_bytes))
        return {"clip": "clip.mp4", "stack": "stack.jpg", "clip_hd": None}

    write_record(StationLayout(cfg.station.data_dir), day, record, products)
    return str(record["meteor_id"])


def sha256_file(path: Path) -> str:
    """The SHA-256 hex of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_objects(server: SeaweedServer, prefix: str) -> dict[str, dict[str, Any]]:
    """Every object under the store prefix: key (without the prefix) -> size, SHA-256 of its bytes as
    stored, Content-Encoding."""
    client = server.client()
    out: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        for item in page.get("Contents", ()):
            got = client.get_object(Bucket=BUCKET, Key=item["Key"])
            data = got["Body"].read()
            out[item["Key"][len(prefix) + 1 :]] = {
                "size": item["Size"],
                "sha256": hashlib.sha256(data).hexdigest(),
                "encoding": got.get("ContentEncoding"),
                "data": data,
            }
    return out


def unfinished_uploads(server: SeaweedServer, prefix: str) -> list[str]:
    """Multipart uploads begun and neither completed nor aborted under the prefix."""
    answer = server.client().list_multipart_uploads(Bucket=BUCKET, Prefix=prefix + "/")
    return [u["Key"] for u in answer.get("Uploads", ())]


def assert_published_once(cfg: StationConfig, server: SeaweedServer) -> dict[str, dict[str, Any]]:
    """Every delivered row of the outbox is one object of its file's bytes; there is no other object
    (withdrawn ones are gone) and nothing waits; returns the objects."""
    with open_outbox(cfg, read_only=True) as outbox:
        items = outbox.items()
    assert [i.key for i in items if i.state not in ("done", "withdrawn")] == [], [
        (i.key, i.state, i.last_error) for i in items if i.state not in ("done", "withdrawn")
    ]
    objects = stored_objects(server, cfg.storage.prefix)
    done = {i.key: i for i in items if i.state == "done"}
    assert sorted(objects) == sorted(done)
    for key, item in done.items():
        assert item.path is not None
        assert objects[key]["sha256"] == sha256_file(item.path), key
        assert objects[key]["size"] == item.path.stat().st_size, key
    assert unfinished_uploads(server, cfg.storage.prefix) == []
    return objects


def decoded_json(obj: dict[str, Any]) -> Any:
    """A stored JSON object's document (gunzipped when its Content-Encoding says gzip)."""
    data = gzip.decompress(obj["data"]) if obj["encoding"] == "gzip" else obj["data"]
    return json.loads(data)


def write_config(folder: Path, storage: dict[str, Any], station: str = STATION) -> tuple[Path, StationConfig]:
    """The example station (XX0001, cam1; ``stationd run`` wants another id) as a configuration file with
    this ``storage`` section, and its state store made; returns the file and the configuration read."""
    raw = yaml.safe_load(example_config(folder / "data", station, "cam1", 51.8831, -1.30616, 80))
    raw["storage"] = {k: str(v) if isinstance(v, Path) else v for k, v in storage.items()}
    path = folder / "stationd.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    cfg = load_config(path)
    StateStore(StationLayout(cfg.station.data_dir).state_db).close()
    return path, cfg


def s3_section(server: SeaweedServer, credentials_file: Path, **overrides: Any) -> dict[str, Any]:
    """A ``storage`` section for ``server`` under a prefix of its own."""
    values = {"backend": "s3", "endpoint_url": server.endpoint_url, "bucket": BUCKET,
              "prefix": f"station-{secrets.token_hex(6)}", "credentials_file": credentials_file}  # fmt: skip
    return values | overrides
