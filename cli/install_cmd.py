"""``stationd install-service [--dry-run] [--root DIR]``: install the systemd unit and an example config."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import stderr
from stationd import CONFIG_PATH, DEFAULT_DATA_DIR, install_service, load_config


@click.command("install-service")
@click.option("--dry-run", is_flag=True, help="Say what would be written; write nothing.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Install under this root directory (for images and tests).",
)
@click.option(
    "--exec",
    "exec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The stationd executable the unit runs (default: this installation's).",
)
@click.option("--user", default="stationd", show_default=True, help="System user the service runs as.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Data directory (default: from an existing configuration, else {DEFAULT_DATA_DIR}).",
)
@click.option("--force", is_flag=True, help="Replace a unit file that differs from the new one.")
def install_service_cmd(dry_run: bool, root: Path, exec_path: Path | None, user: str, data_dir: Path | None,
                        force: bool) -> None:  # fmt: skip
    """Install systemd/stationd.service, a sysusers.d entry and, unless one exists, an example configuration.

    Starts nothing: the next steps (systemd-sysusers, systemctl enable --now stationd) are printed.
    An existing configuration under ROOT supplies the data directory and the cameras' incoming folders
    the service must be allowed to write.
    """
    extra_rw: list[Path] = []
    existing = root / CONFIG_PATH
    if existing.is_file():
        cfg = load_config(existing)  # invalid: exit 2 with every problem named
        data_dir = data_dir or cfg.station.data_dir
        for cam in cfg.cameras:
            extra_rw += [p for p in (cam.incoming_sd, cam.incoming_hd) if p is not None]
    report = install_service(
        root,
        dry_run=dry_run,
        exec_path=exec_path,
        user=user,
        data_dir=data_dir or DEFAULT_DATA_DIR,
        extra_rw=extra_rw,
        force=force,
    )
    for action in report.actions:
        click.echo(action)
    for warning in report.warnings:
        stderr.print(f"[yellow]warning:[/] {warning}", highlight=False)
    click.echo("next steps:" if not dry_run else "then (after a real run):")
    for step in report.next_steps:
        click.echo(f"  {step}")
