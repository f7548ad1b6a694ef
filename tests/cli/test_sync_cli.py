"""``stationd sync``, ``stationd index`` and the outbox in ``stationd status``, through click's CliRunner;
credentials never appear in what they print, log or store."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result

import stationd.store_factory
from cli.main import cli
from stationd.config import StationConfig, load_config
from stationd.config_example import example_config
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.publish.meteors import publish_meteors
from sync import StoreAuthError
from sync.index import index_schema
from tests.stationd.test_publish import D12, S, _meteor
from tests.sync.fakes import MemoryStore

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYFAKESECRET"


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, StationConfig, MemoryStore]:
    path = tmp_path / "stationd.yaml"
    raw = yaml.safe_load(example_config(tmp_path / "data", S, "cam1", 51.88, -1.31, 80))
    raw["logging"] = {"json_file": str(tmp_path / "log.jsonl")}
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    StateStore(StationLayout(cfg.station.data_dir).state_db).close()
    store = MemoryStore()
    monkeypatch.setattr(stationd.store_factory, "store_opener", lambda config: store)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)  # where a real backend would find it
    return path, cfg, store


def _run(path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(path)])


def test_dry_run_lists_and_sync_sends_everything_once(
    station: tuple[Path, StationConfig, MemoryStore],
) -> None:
    path, cfg, store = station
    m = _meteor(cfg, D12, 6, fireball=True)
    publish_meteors(cfg, D12, "cam1", [m])
    dry = _run(path, "sync", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    data = json.loads(dry.stdout)
    assert data["indexes"] == [D12] and data["waiting"][0]["key"] == f"live/{S}/{D12}/{m}/meteor.json"
    assert not store.calls  # a dry run contacts no store
    sent = _run(path, "sync", "--json")
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.stdout)
    assert (
        report["ok"]
        and report["sent"]["sent"] == len(store.objects) == 8
        and report["outbox"]["pending"] == 0
    )
    assert set(store.puts.values()) == {1}
    again = json.loads(_run(path, "sync", "--json").stdout)
    assert again["sent"]["sent"] == 0  # nothing new: nothing sent twice
    day_index = json.loads(store.objects[f"stations/{S}/index/2026/{D12}.json"].data)
    jsonschema.Draft202012Validator(index_schema()).validate(day_index)


def test_index_command(station: tuple[Path, StationConfig, MemoryStore]) -> None:
    path, cfg, _ = station
    m = _meteor(cfg, D12, 6)
    result = _run(path, "index", "2026_08_12", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [e["meteor_id"] for e in doc["meteors"]] == [m]
    table = _run(path, "index", D12)
    assert table.exit_code == 0 and m in table.stdout


def test_refused_credentials_exit_1_keep_everything_and_print_no_secret(
    station: tuple[Path, StationConfig, MemoryStore], caplog: pytest.LogCaptureFixture
) -> None:
    path, cfg, store = station
    caplog.set_level(logging.DEBUG)
    publish_meteors(cfg, D12, "cam1", [_meteor(cfg, D12, 6)])
    store.refuse_credentials = True
    result = _run(path, "sync", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert "StoreAuthError" in data["store_error"] and data["outbox"]["pending"] > 0
    status = _run(path, "status", "--json")
    assert status.exit_code == 0, status.output
    outbox = json.loads(status.stdout)["outbox"]
    assert outbox["store"]["answers"] is False and outbox["failing_since_utc"] is not None
    text = _run(path, "status").stdout
    assert "does not answer" in text and "pending" in text
    stored = StationLayout(cfg.station.data_dir).state_db.read_bytes()
    for output in (result.output, status.output, text, caplog.text, stored.decode("latin-1")):
        assert SECRET not in output
    store.refuse_credentials = False
    assert _run(path, "sync", "--json").exit_code == 0  # once fixed, everything goes
    assert set(store.puts.values()) == {1}


def test_a_store_that_cannot_be_opened_exits_2(
    station: tuple[Path, StationConfig, MemoryStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, _ = station

    def refuse(config: StationConfig) -> MemoryStore:
        raise StoreAuthError("https://s3.example.org/meteors: no credentials found")

    monkeypatch.setattr(stationd.store_factory, "store_opener", refuse)
    result = _run(path, "sync")
    assert result.exit_code == 2 and "no credentials found" in result.output and SECRET not in result.output
