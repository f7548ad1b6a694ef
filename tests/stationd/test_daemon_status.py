"""``stationd status`` next to a running daemon (issue 10): it reports the daemon running with its pid, since
when, and its last heartbeat; once stopped, not running. The daemon is a child process of the test (fake
stages, see ``daemon_harness``), stopped by its own handle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.stationd.daemon_harness import DaemonHarness

pytestmark = pytest.mark.server


def _status(h: DaemonHarness) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["status", "--json", "--config", str(h.config_path)])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_status_reports_the_running_daemon_with_its_pid_and_heartbeat(tmp_path: Path) -> None:
    h = DaemonHarness(tmp_path)
    try:
        proc = h.start()
        h.wait_message("READY")
        daemon = _status(h)["daemon"]
        assert daemon["running"] is True and daemon["pid"] == proc.pid and daemon["lock_held"] is True
        assert daemon["since_utc"] is not None
        # the health monitor's first check comes 10 s after the start; then status.json holds a heartbeat
        h.wait_until(lambda: (h.data_dir / "status.json").exists(), timeout_s=60, what="the first heartbeat")
        data = _status(h)
        assert data["daemon"]["heartbeat_utc"] is not None and data["daemon"]["heartbeat_stale"] is False
        assert data["daemon"]["heartbeat_utc"] >= data["daemon"]["since_utc"]
        assert [c["camera"] for c in data["cameras"]] == ["cam1"] and data["backlog"]["pending"] == 0
        assert h.stop(proc, timeout_s=30) == 0
        stopped = _status(h)["daemon"]
        assert stopped["running"] is False and stopped["pid"] is None
        assert stopped["heartbeat_utc"] >= data["daemon"]["heartbeat_utc"]  # the last one stays readable
    finally:
        h.close()
