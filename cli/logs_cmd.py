"""``stationd logs [-f] [-n N] [--json]``: the station's JSON-lines log, rendered for people."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import config_option, console, json_option, load, stderr
from stationd import StationError, UsageError, follow_records, render_record, tail_records

_JOURNAL = "under systemd the journal holds every record too: journalctl -u stationd"


@click.command()
@click.option(
    "-f", "--follow", is_flag=True, help="Keep printing new records as they are written (Ctrl-C stops)."
)
@click.option("-n", "--lines", "n_lines", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many of the last records to show first.")  # fmt: skip
@config_option
@json_option
def logs(follow: bool, n_lines: int, config_path: Path | None, as_json: bool) -> None:
    """Show the station's log: the JSON-lines file of logging.json_file (by default
    DATA_DIR/logs/stationd.jsonl, which the daemon writes); -f follows it across rotations.

    Under systemd the same records are in the journal: journalctl -u stationd. Exits 1 when there is no
    log yet (the daemon has not run) or it cannot be read, 2 when logging.json_file is off.
    """
    cfg = load(config_path)
    path = cfg.logging.json_file
    if path is None:
        raise UsageError(
            f"logging.json_file is off in {cfg.source}: set it to keep a JSON-lines log; {_JOURNAL}"
        )
    out = console(highlight=False)

    def show(record: dict[str, object]) -> None:
        if as_json:
            click.echo(json.dumps(record))
        else:
            out.print(render_record(record))

    if not path.exists():
        if not follow:
            raise StationError(f"no log yet at {path}: the daemon writes it once it runs; {_JOURNAL}")
        stderr.print(f"waiting for {path} (the daemon writes it once it runs; {_JOURNAL})", highlight=False)
    try:
        for record in tail_records(path, n_lines) if n_lines else []:
            show(record)
        if follow:
            for record in follow_records(path, stop=lambda: False):
                show(record)
    except KeyboardInterrupt:
        pass
    except PermissionError:
        raise StationError(
            f"cannot read {path}: permission denied; the station's log is readable by its group "
            f"(add yourself to it, or use sudo); {_JOURNAL}"
        ) from None
