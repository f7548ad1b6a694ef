"""Credentials never leave the credentials file (issue 13): a station on SeaweedFS with the real S3Store and
``storage.credentials_file``, first with refused keys (the error paths: exception texts, the upload
error kept in the outbox, the daemon's uploader thread logging), then with the right ones; the secrets
are searched for in every log record, every ``--json`` output, the heartbeat, and every byte of the
station's data folder (the state store and its WAL included)."""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from stationd.daemon.uploader import Uploader
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.publish.heartbeat import publish_heartbeat
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox, store_check
from stationd.store_factory import open_store
from sync import StoreAuthError
from tests.sync.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer
from tests.sync.station_s3 import DAY, add_meteor, s3_section, write_config, write_credentials

pytestmark = pytest.mark.server


def _files_text(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_credential_in_logs_json_state_store_or_exception_texts(
    tmp_path: Path, seaweed: SeaweedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key, wrong_secret = f"WRONG{secrets.token_hex(8).upper()}", f"wrong-{secrets.token_hex(16)}"
    searched = [wrong_key, wrong_secret, ACCESS_KEY, SECRET_KEY]
    creds = write_credentials(tmp_path, access_key=wrong_key, secret_key=wrong_secret)
    config_path, cfg = write_config(tmp_path, s3_section(seaweed, creds))
    publish_meteors(cfg, DAY, "cam1", [add_meteor(cfg, 5), add_meteor(cfg, 15, fireball=True)])
    texts: list[str] = []
    runner = CliRunner()

    def run(*args: str, exit_code: int = 0) -> None:
        result = runner.invoke(cli, [*args, "--config", str(config_path)])
        assert result.exit_code == exit_code, result.output
        texts.append(result.output)

    run("sync", "--json", exit_code=1)  # refused
    run("sync", "--dry-run", "--json")
    run("status", "--json")
    assert '"answers": false' in texts[-1] and "StoreAuthError" in texts[-1]
    with pytest.raises(StoreAuthError) as refused:
        open_store(cfg).head("stations/XX0001/status.json")
    texts += [str(refused.value), repr(refused.value), repr(open_store(cfg))]
    check = store_check(cfg)
    assert check["answers"] is False and "StoreAuthError" in check["error"]
    texts.append(str(check))

    uploader = Uploader(cfg, poll_s=0.05)  # the daemon's thread meets the refusal too
    uploader.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open_outbox(cfg, read_only=True) as outbox:
                if outbox.meta().get("last_error"):
                    break
            time.sleep(0.05)
    finally:
        assert uploader.stop()
    with open_outbox(cfg, read_only=True) as outbox:
        error = outbox.summary()["last_error"]
    assert error is not None and "StoreAuthError" in error
    texts.append(error)

    write_credentials(tmp_path)  # the right keys
    run("sync", "--json")
    assert '"ok": true' in texts[-1], texts[-1]
    store = StateStore(StationLayout(cfg.station.data_dir).state_db)
    try:
        with open_outbox(cfg) as outbox:
            publish_heartbeat(cfg, store, outbox, time.time() - 60, time.time())
    finally:
        store.close()
    run("sync", "--json")
    run("status", "--json")

    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    on_disk = _files_text(cfg.station.data_dir)
    assert b"StoreAuthError" in on_disk  # the refusal is kept (in the state store), without the keys
    for secret in searched:
        assert secret not in logged, secret
        assert all(secret not in t for t in texts), secret
        assert secret.encode() not in on_disk, secret
