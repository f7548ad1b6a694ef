"""The systemd unit: verified by systemd-analyze, its sandboxing scored, and installed into a temp root."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.install_cmd import install_service_cmd
from stationd.config_example import example_config
from stationd.ops.install import CONFIG_PATH, SYSUSERS_PATH, UNIT_PATH, install_service, render_unit

REPO = Path(__file__).resolve().parents[2]
UNIT_FILE = REPO / "systemd" / "stationd.service"
MAX_EXPOSURE = 3.0  # the target for `systemd-analyze security --offline=yes`

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def _venv_stationd() -> Path:
    exe = Path(sys.executable).parent / "stationd"
    if not exe.is_file():
        pytest.skip(f"{exe} is not installed (pip install -e .)")
    return exe


def _unit_for_this_machine(tmp_path: Path) -> Path:
    """The repository's unit with ExecStart pointing at this venv's stationd (verify checks it exists)."""
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={_venv_stationd()}", UNIT_FILE.read_text(), flags=re.M)
    path = tmp_path / "stationd.service"
    path.write_text(text)
    return path


def test_the_repository_unit_is_what_install_service_writes() -> None:
    assert UNIT_FILE.read_text() == render_unit()


@needs_analyze
def test_systemd_analyze_verify_prints_nothing(tmp_path: Path) -> None:
    unit = _unit_for_this_machine(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120
    )
    assert done.stderr == ""
    assert done.returncode == 0


@needs_analyze
def test_security_exposure_score(tmp_path: Path) -> None:
    unit = _unit_for_this_machine(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert match, done.stdout + done.stderr
    score = float(match.group(1))
    print(f"\nsystemd-analyze security --offline=yes exposure: {score} (target <= {MAX_EXPOSURE})")
    assert score <= MAX_EXPOSURE


def test_unit_contents() -> None:
    text = render_unit(
        Path("/home/op/venv/bin/stationd"),
        "meteor",
        Path("/srv/meteors"),
        [Path("/srv/ftp/cam1"), Path("/srv/meteors/incoming/cam2")],
    )
    for line in (
        "Type=notify",
        "Restart=always",
        "RestartSec=10",
        "User=meteor",
        "StateDirectory=stationd",
        "Environment=NUMBA_CACHE_DIR=%C/stationd/numba",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ExecStart=/home/op/venv/bin/stationd run --config /etc/stationd/stationd.yaml",
        "ReadWritePaths=-/srv/meteors -/srv/ftp/cam1",  # incoming inside the data dir is covered
        "ProtectHome=read-only",
    ):
        assert re.search(f"^{re.escape(line)}$", text, flags=re.M), line
    assert re.search(r"^WatchdogSec=\d+$", text, flags=re.M)
    assert "ProtectHome=yes" in render_unit()
    assert "MemoryDenyWriteExecute" not in text  # numba's JIT needs executable memory


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    report = install_service(tmp_path, dry_run=True, exec_path=Path("/opt/x/stationd"))
    assert not any(tmp_path.iterdir())
    assert report.actions == [f"would write {tmp_path / p}" for p in (UNIT_PATH, SYSUSERS_PATH, CONFIG_PATH)]


def test_install_into_a_root_then_again(tmp_path: Path) -> None:
    exe = _venv_stationd()
    report = install_service(tmp_path, exec_path=exe)
    assert not report.warnings
    unit = (tmp_path / UNIT_PATH).read_text()
    assert f"ExecStart={exe} run" in unit
    assert "u stationd -" in (tmp_path / SYSUSERS_PATH).read_text()
    cfg = yaml.safe_load((tmp_path / CONFIG_PATH).read_text())
    assert cfg["station"]["data_dir"] == "/var/lib/stationd"
    assert "systemctl enable --now stationd" in report.next_steps
    # Again: everything is up to date; a changed unit is only replaced with force; the config is kept.
    again = install_service(tmp_path, exec_path=exe)
    assert all(a.startswith("left ") for a in again.actions)
    (tmp_path / CONFIG_PATH).write_text("# edited by the operator\n")
    third = install_service(tmp_path, exec_path=exe, user="meteor")
    assert any("--force" in w for w in third.warnings)
    assert f"kept {tmp_path / CONFIG_PATH} (exists; not overwritten)" in third.actions
    install_service(tmp_path, exec_path=exe, user="meteor", force=True)
    assert "User=meteor" in (tmp_path / UNIT_PATH).read_text()
    assert (tmp_path / CONFIG_PATH).read_text() == "# edited by the operator\n"


def test_install_service_command_uses_an_existing_configuration(tmp_path: Path) -> None:
    raw = yaml.safe_load(example_config(Path("/srv/meteors")))
    raw["cameras"][0]["incoming_sd"] = "/srv/ftp/cam1"
    (tmp_path / CONFIG_PATH).parent.mkdir(parents=True)
    (tmp_path / CONFIG_PATH).write_text(yaml.safe_dump(raw))
    exe = _venv_stationd()
    result = CliRunner().invoke(install_service_cmd, ["--root", str(tmp_path), "--exec", str(exe)])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / UNIT_PATH}" in result.output
    assert "ReadWritePaths=-/srv/meteors -/srv/ftp/cam1" in (tmp_path / UNIT_PATH).read_text()
    dry = CliRunner().invoke(
        install_service_cmd, ["--root", str(tmp_path / "r2"), "--dry-run", "--exec", str(exe)]
    )
    assert dry.exit_code == 0 and "would write" in dry.output and not (tmp_path / "r2").exists()
