"""Installing stationd as a systemd service: the unit file, a system user, an example configuration.

:func:`render_unit` writes the unit; ``systemd/stationd.service`` in the repository is its output with the
defaults (a test keeps the two equal). Choices, and why:

- ``Type=notify`` with ``WatchdogSec``: the daemon says READY=1 once started and pings the watchdog only
  while work progresses, so a hung pipeline is restarted by systemd (``Restart=always``, ``RestartSec``).
- ``User=stationd`` (a system user from ``sysusers.d``, not ``DynamicUser``): cameras and operators write
  into the data directory, which needs a stable owner.
- ``StateDirectory=stationd`` is the default data directory (``/var/lib/stationd``), ``CacheDirectory``
  holds numba's compiled kernels (``NUMBA_CACHE_DIR``), ``LogsDirectory`` the optional JSON-lines log.
- ``ProtectSystem=strict`` with ``ReadWritePaths`` for the data directory, and the usual sandboxing. Not
  used: ``MemoryDenyWriteExecute`` (numba's JIT needs to make memory executable), ``PrivateNetwork`` and
  ``IPAddressDeny`` (uploads go to object storage, alerts to SMTP/webhooks), ``ProtectHome=yes`` when
  the program itself lives under /home (then ``read-only``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stationd.config_example import example_config
from stationd.disk.atomic import atomic_write_text

DEFAULT_EXEC = Path("/opt/stationd/venv/bin/stationd")
DEFAULT_DATA_DIR = Path("/var/lib/stationd")
UNIT_PATH = Path("etc/systemd/system/stationd.service")
SYSUSERS_PATH = Path("etc/sysusers.d/stationd.conf")
CONFIG_PATH = Path("etc/stationd/stationd.yaml")

_UNIT = """\
# stationd: the software of a meteor camera station. Installed by `stationd install-service`.
[Unit]
Description=stationd meteor camera station
Wants=network-online.target time-sync.target
After=network-online.target time-sync.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start} run --config /etc/stationd/stationd.yaml
Restart=always
RestartSec=10
# The daemon finishes or checkpoints its work within daemon.shutdown_timeout_s (30 s by default).
TimeoutStartSec=300
TimeoutStopSec=90
# SIGTERM to the daemon alone: it stops its own worker processes (systemd SIGKILLs leftovers at the end).
KillMode=mixed
WatchdogSec=300
User={user}
Group={user}
UMask=0027
StateDirectory=stationd
CacheDirectory=stationd
LogsDirectory=stationd
ConfigurationDirectory=stationd
Environment=STATIOND_CONFIG=/etc/stationd/stationd.yaml
Environment=NUMBA_CACHE_DIR=%C/stationd/numba
Environment=HOME=%S/stationd
Environment=PYTHONUNBUFFERED=1

# Sandboxing (systemd-analyze security stationd.service)
ReadWritePaths={rw_paths}
ProtectSystem=strict
ProtectHome={protect_home}
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
PrivateIPC=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
KeyringMode=private
DevicePolicy=closed
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
"""

_SYSUSERS = """\
# The system user stationd runs as (systemd-sysusers); its home is the data directory.
u {user} - "stationd meteor station" {data_dir}
"""


def render_unit(
    exec_path: Path = DEFAULT_EXEC,
    user: str = "stationd",
    data_dir: Path = DEFAULT_DATA_DIR,
    extra_rw: Sequence[Path] = (),
) -> str:
    """The unit file for a stationd executable, its user, data directory and other writable folders
    (cameras' incoming folders outside the data directory). ``-`` lets the service start without them."""
    under_home = exec_path.is_relative_to("/home") or exec_path.is_relative_to("/root")
    rw = [data_dir, *(p for p in extra_rw if not p.is_relative_to(data_dir))]
    return _UNIT.format(
        exec_start=exec_path,
        user=user,
        rw_paths=" ".join(f"-{p}" for p in dict.fromkeys(rw)),
        protect_home="read-only" if under_home else "yes",
    )


@dataclass
class InstallReport:
    root: Path
    dry_run: bool
    actions: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def current_executable() -> Path:
    """The ``stationd`` console script of this installation (beside the running Python)."""
    beside = Path(sys.executable).parent / "stationd"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("stationd")
    return Path(found).absolute() if found else DEFAULT_EXEC


def install_service(
    root: Path = Path("/"),
    *,
    dry_run: bool = False,
    exec_path: Path | None = None,
    user: str = "stationd",
    data_dir: Path = DEFAULT_DATA_DIR,
    extra_rw: Sequence[Path] = (),
    force: bool = False,
) -> InstallReport:
    """Write the unit, the sysusers.d entry and (unless present) an example configuration under ``root``.

    Nothing is started and no user is created: the report's ``next_steps`` say what to run.
    """
    exe = exec_path or current_executable()
    report = InstallReport(root=root, dry_run=dry_run)
    files = [
        (UNIT_PATH, render_unit(exe, user, data_dir, extra_rw), True),
        (SYSUSERS_PATH, _SYSUSERS.format(user=user, data_dir=data_dir), True),
        (CONFIG_PATH, example_config(data_dir), False),
    ]
    for rel, text, replace in files:
        target = root / rel
        if target.exists():
            if target.read_text(encoding="utf-8") == text:
                report.actions.append(f"left {target} (up to date)")
                continue
            if not replace:
                report.actions.append(f"kept {target} (exists; not overwritten)")
                continue
            if not force:
                report.warnings.append(f"{target} differs from the new version; --force replaces it")
                continue
        verb = "would write" if dry_run else "wrote"
        if not dry_run:
            atomic_write_text(target, text)
            os.chmod(target, 0o644)
        report.actions.append(f"{verb} {target}")
    if exe.is_relative_to("/home") or exe.is_relative_to("/root"):
        report.warnings.append(f"{exe} lies under /home: the unit uses ProtectHome=read-only")
    if not exe.is_file():
        report.warnings.append(f"{exe} does not exist: install stationd there or pass --exec")
    report.next_steps = [
        "systemd-sysusers",
        f"edit {root / CONFIG_PATH} (station id, location, cameras); stationd config check --config "
        f"{root / CONFIG_PATH}",
        "systemctl daemon-reload",
        "systemctl enable --now stationd",
        "journalctl -u stationd -f    # or: stationd logs -f",
    ]
    return report
