"""``stationd run``: the daemon, in the foreground (systemd runs it as a ``Type=notify`` service)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import config_option, load, stderr
from stationd import Daemon, StationError, configure_from_config, prepare_run


@click.command()
@config_option
def run(config_path: Path | None) -> None:
    """Run the station until stopped: watch the cameras' folders, process every minute, keep the disk
    in bounds.

    \b
    Refuses to start (exit 2) on the placeholders of config init (station.id XX0001, latitude and
    longitude 0) and on a station.data_dir it cannot create or write.
    One instance per data directory: a second one exits with code 3 and names the process holding it.
    SIGTERM or SIGINT stops taking work and lets running stages finish for daemon.shutdown_timeout_s,
    then stops them (they are taken up again at the next start); exit 0. A second signal stops at once
    (exit 1). Under systemd: READY/STATUS/STOPPING notifications, and WATCHDOG pings while work
    progresses (a stage running longer than daemon.stage_hang_s stops them).
    """
    try:
        cfg = load(config_path)
        prepare_run(cfg)
        configure_from_config(cfg)
        code = Daemon(cfg).run()
    except StationError as exc:  # also when started outside the ``stationd`` group (python -m cli.run_cmd)
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(code)


if __name__ == "__main__":
    run(prog_name="stationd run")
